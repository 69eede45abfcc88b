"""Measures: the stated counts (data/measures/measures.csv), coverage by school type, the site-registry schema,
and the need-based allocation scenario that stands in for the non-public site list."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from evalkit import reads
from evalkit.acquire.facilities import in_ortsteile, kita_points, read_list
from evalkit.validation import validate_frame

SCHOOL_TYPES = ["Grundschule", "Oberschule", "Gymnasium", "Foerderschule", "Berufsschule"]
# the ids follow the city's school list (ASCII); the site shows the German words
SCHOOL_TYPE_DE = {"Foerderschule": "Förderschule"}


def school_type_label(school_type) -> str:
    return SCHOOL_TYPE_DE.get(school_type, school_type) if isinstance(school_type, str) else school_type


SITE_FILE = "massnahmen_standorte.csv"
MAX_NUMBER_GAP = 20  # house numbers apart on one street that still count as the same Ortsteil

SITE_SCHEMA = pa.DataFrameSchema({
    "site": pa.Column(str, unique=True),
    "measure": pa.Column(str, pa.Check.isin(["Schulsozialarbeit", "KiFaZ", "Kita-Sozialarbeit", "BVJ-Begleitung"])),
    "school_id": pa.Column(str, nullable=True),
    "kita_id": pa.Column(str, nullable=True),
    "ot_code": pa.Column(str, pa.Check.str_matches(r"^\d{2}$")),
    "start": pa.Column(int, pa.Check.in_range(1990, 2100)),
    "end": pa.Column(float, pa.Check.in_range(1990, 2100), nullable=True),
    "vza": pa.Column(float, pa.Check.in_range(0, 10)),
}, strict=True, coerce=True)


def load_measures(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"date": str, "school_type": str})


def school_counts(schulen_csv: Path) -> pd.DataFrame:
    """Schools per type in the city's list: all, municipal (no FreierTraeger), municipal with a known Ortsteil."""
    s = read_list(schulen_csv, ["types", "ot_nr_point_in_polygon"], "school list")
    free = s["types"].str.contains("FreierTraeger", na=False)
    rows = []
    for t in SCHOOL_TYPES:
        m = s["types"].str.contains(t, na=False)
        rows.append({"school_type": t, "all": int(m.sum()), "municipal": int((m & ~free).sum()),
                     "municipal_located": int((m & ~free & s["ot_nr_point_in_polygon"].notna()).sum())})
    return pd.DataFrame(rows)


def coverage(measures: pd.DataFrame, schools: pd.DataFrame) -> pd.DataFrame:
    """Stated counts against the source's own total and against the municipal schools of the 2023 list."""
    m = measures[measures["school_type"].notna()].merge(schools, on="school_type", how="left")
    m["share_source"] = (100 * m["count"] / m["total"]).round(1)
    m["share_list"] = (100 * m["count"] / m["municipal"]).round(1)
    return m[["measure", "date", "school_type", "count", "total", "municipal", "share_source", "share_list",
              "note"]].sort_values(["measure", "school_type", "date"]).reset_index(drop=True)


def street_key(street) -> str:
    """"Göbschelwitzer Weg", "GoebschelwitzerWeg" and "Göbschelwitzer Str." → one key."""
    x = str(street).lower()
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"), ("straße", "strasse"), ("str.", "strasse")):
        x = x.replace(a, b)
    return re.sub(r"[^a-z0-9]", "", x)


def _house_number(raw) -> float:
    m = re.match(r"\s*(\d+)", str(raw))
    return float(m.group(1)) if m else float("nan")


def address_points(schulen_2017: Path, schulen_csv: Path | None = None, kitas=None) -> pd.DataFrame:
    """Addresses with a known Ortsteil: street key, house number, ot_code, source. The mirror has no street
    gazetteer; these are the points it has: the 2017 school database, the 2023 list's located schools of every
    type, and (optionally) the OpenStreetMap Kitas with an address (a DataFrame street, nr, ot_code)."""
    d = read_list(schulen_2017, ["address", "ot_nr_point_in_polygon"], "school database 2017")
    parts = d["address"].str.extract(r"^(?P<street>.*?)\s+(?P<nr>\d+)[^\s]*\s+\d{5}\s")
    frames = [pd.DataFrame({"street": parts["street"].map(street_key), "nr": parts["nr"].map(_house_number),
                            "ot_code": d["ot_nr_point_in_polygon"].str.zfill(2), "source": "Schuldatenbank 2017"})]
    if schulen_csv is not None:
        s = read_list(schulen_csv, ["street_slug", "hausnr", "ot_nr_point_in_polygon"], "school list")
        frames.append(pd.DataFrame({"street": s["street_slug"].map(street_key), "nr": s["hausnr"].map(_house_number),
                                    "ot_code": s["ot_nr_point_in_polygon"].str.zfill(2), "source": "Schulliste 2023"}))
    if kitas is not None:
        frames.append(kitas.assign(source="OpenStreetMap-Kitas 2024")[["street", "nr", "ot_code", "source"]])
    out = pd.concat(frames, ignore_index=True).dropna()
    return out.drop_duplicates(["street", "nr", "ot_code"]).reset_index(drop=True)


def municipal_schools(schulen_csv: Path, school_type: str = "Grundschule") -> pd.DataFrame:
    s = read_list(schulen_csv, ["types"], "school list")
    m = s["types"].str.contains(school_type, na=False) & ~s["types"].str.contains("FreierTraeger", na=False)
    return s[m].reset_index(drop=True)


def place(facilities: pd.DataFrame, points: pd.DataFrame | None) -> pd.DataFrame:
    """Each facility (name, street_slug, hausnr, optional ot_nr_point_in_polygon and other columns kept) with its
    Ortsteil and how it was found: `Koordinate` (its own point), `gleiche Adresse` (the same street and house
    number among the address points), `Nachbaradresse` (the nearest house number on the same street, at most
    MAX_NUMBER_GAP apart: streets cross Ortsteil borders) or `nicht verortet` (ot_code empty)."""
    own = facilities.get("ot_nr_point_in_polygon", pd.Series(pd.NA, index=facilities.index, dtype="object"))
    out = facilities.drop(columns=[c for c in ("ot_nr_point_in_polygon",) if c in facilities.columns]).assign(
        street=facilities["street_slug"].map(street_key), nr=facilities["hausnr"].map(_house_number),
        ot_code=own.astype("object").where(own.notna(), None).map(lambda v: None if v is None else str(v).zfill(2)),
        placed_by=np.where(own.notna(), "Koordinate", "nicht verortet"))
    if points is not None:
        for i in out.index[out["ot_code"].isna()]:
            same = points[points["street"] == out.at[i, "street"]]
            if same.empty:
                continue
            gap = (same["nr"] - out.at[i, "nr"]).abs()
            if gap.min() <= MAX_NUMBER_GAP:
                out.at[i, "ot_code"] = same.loc[gap.idxmin(), "ot_code"]
                out.at[i, "placed_by"] = "gleiche Adresse" if gap.min() == 0 else "Nachbaradresse"
    out = out.drop(columns=["street", "nr", "street_slug", "hausnr"])
    return out.sort_values(["ot_code", "name"], na_position="last").reset_index(drop=True)


def place_schools(schulen_csv: Path, schulen_2017: Path | None, school_type: str = "Grundschule",
                  kitas: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every municipal school of the type with its Ortsteil (see `place`): schul_id, name, ot_code, placed_by."""
    s = municipal_schools(schulen_csv, school_type)
    points = (address_points(schulen_2017, schulen_csv, kitas)
              if schulen_2017 is not None and Path(schulen_2017).is_file() else None)
    return place(s[["schul_id", "name", "street_slug", "hausnr", "ot_nr_point_in_polygon"]], points)


def kita_addresses(kitas_json: Path, geojson: Path) -> pd.DataFrame:
    """OpenStreetMap Kitas with an address, each in the Ortsteil polygon its point falls in: street, nr, ot_code."""
    return addresses(in_ortsteile(kita_points(kitas_json), geojson))


def addresses(located: pd.DataFrame) -> pd.DataFrame:
    """The located points (kita_points after in_ortsteile) that have a street, as address points: street, nr,
    ot_code."""
    located = located.dropna(subset=["street"])
    return pd.DataFrame({"street": located["street"].map(street_key), "nr": located["housenumber"].map(_house_number),
                         "ot_code": located["ot_code"]}).reset_index(drop=True)


def located_schools(schulen_csv: Path, school_type: str = "Grundschule", schulen_2017: Path | None = None,
                    kitas: pd.DataFrame | None = None) -> pd.DataFrame:
    """Municipal schools of the type with an Ortsteil (see place_schools)."""
    placed = place_schools(schulen_csv, schulen_2017, school_type, kitas)
    return placed[placed["ot_code"].notna()].reset_index(drop=True)


def allocation_scenario(schools: pd.DataFrame, index: pd.DataFrame, posts: int, children: pd.DataFrame) -> dict:
    """Posts handed down the need ranking of the schools' Ortsteile (ties: school name). Returns the schools
    reached, the Ortsteile reached, and the share of children in SGB II living there.

    children: area_code, numerator (children < 15 in SGB II) for the year of the index."""
    ranked = schools.merge(index[["area_code", "index", "rank"]], left_on="ot_code", right_on="area_code",
                           how="left")
    ranked["index"] = ranked["index"].fillna(-1e9)  # Ortsteile not ranked (small base) come last
    ranked = ranked.sort_values(["index", "name"], ascending=[False, True], kind="mergesort").reset_index(drop=True)
    ranked["scenario"] = ranked.index < posts
    reached = sorted(ranked.loc[ranked["scenario"], "ot_code"].unique())
    kids = children.set_index("area_code")["numerator"]
    share = 100 * kids.reindex(reached).sum() / kids.sum()
    return {"schools": ranked.drop(columns=["area_code"]), "ortsteile": reached, "poor_children_share": share,
            "poor_children": float(kids.reindex(reached).sum()), "poor_children_total": float(kids.sum())}


def skipped_ortsteile(schools: pd.DataFrame, index: pd.DataFrame, reached: list[str]) -> list[str]:
    """Ranked Ortsteile above the last one the scenario reached that have no located school: the scenario
    passes them over only because a school's location is unknown (or there is none)."""
    ranked = index.dropna(subset=["rank"]).sort_values("rank")
    last = ranked.loc[ranked["area_code"].isin(reached), "rank"].max()
    above = ranked[ranked["rank"] <= last]
    return [c for c in above["area_code"] if c not in set(schools["ot_code"])]


def scenario_sensitivity(schools: pd.DataFrame, index: pd.DataFrame, posts: int, children: pd.DataFrame,
                         unplaced: int) -> dict:
    """How the scenario moves with the schools that could not be placed: assume one of them in each Ortsteil
    the scenario skipped (best-ranked first, as many as there are unplaced schools) and hand out the posts again."""
    base = allocation_scenario(schools, index, posts, children)
    skipped = skipped_ortsteile(schools, index, base["ortsteile"])
    assumed = skipped[:unplaced]
    extra = pd.DataFrame({"schul_id": None, "name": [f"angenommene Schule in {c}" for c in assumed], "ot_code": assumed})
    moved = allocation_scenario(pd.concat([schools, extra], ignore_index=True), index, posts, children)
    return {"skipped": skipped, "assumed": assumed, "poor_children_share": moved["poor_children_share"],
            "ortsteile": moved["ortsteile"]}


def actual_allocation(sites: pd.DataFrame, children: pd.DataFrame, measure: str = "Schulsozialarbeit") -> dict:
    reached = sorted(sites.loc[sites["measure"] == measure, "ot_code"].unique())
    kids = children.set_index("area_code")["numerator"]
    return {"ortsteile": reached, "poor_children_share": 100 * kids.reindex(reached).sum() / kids.sum()}


def load_sites(folder: Path) -> pd.DataFrame | None:
    """The (non-public) site registry, validated; None when there is none."""
    path = folder / SITE_FILE
    reads.note(path)  # looked for: its appearance must re-execute the notebook
    if not path.is_file():
        return None

    df = pd.read_csv(path, dtype={"ot_code": str, "school_id": str, "kita_id": str})
    return validate_frame(SITE_SCHEMA, df, path, "site, measure, school_id, kita_id, ot_code, start, end, vza")
