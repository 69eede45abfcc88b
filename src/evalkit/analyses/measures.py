"""Measures: the stated counts (data/measures/measures.csv), coverage by school type, the site-registry schema,
and the need-based allocation scenario that stands in for the non-public site list."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from evalkit.validation import validate_frame

SCHOOL_TYPES = ["Grundschule", "Oberschule", "Gymnasium", "Foerderschule", "Berufsschule"]
# the ids follow the city's school list (ASCII); the site shows the German words
SCHOOL_TYPE_DE = {"Foerderschule": "Förderschule"}


def school_type_label(school_type) -> str:
    return SCHOOL_TYPE_DE.get(school_type, school_type) if isinstance(school_type, str) else school_type


SITE_FILE = "massnahmen_standorte.csv"

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
    s = pd.read_csv(schulen_csv, dtype=str)
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


def located_schools(schulen_csv: Path, school_type: str = "Grundschule") -> pd.DataFrame:
    s = pd.read_csv(schulen_csv, dtype=str)
    m = (s["types"].str.contains(school_type, na=False) & ~s["types"].str.contains("FreierTraeger", na=False)
         & s["ot_nr_point_in_polygon"].notna())
    out = s[m][["schul_id", "name", "ot_nr_point_in_polygon"]].rename(columns={"ot_nr_point_in_polygon": "ot_code"})
    out["ot_code"] = out["ot_code"].str.zfill(2)
    return out.sort_values(["ot_code", "name"]).reset_index(drop=True)


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


def actual_allocation(sites: pd.DataFrame, children: pd.DataFrame, measure: str = "Schulsozialarbeit") -> dict:
    reached = sorted(sites.loc[sites["measure"] == measure, "ot_code"].unique())
    kids = children.set_index("area_code")["numerator"]
    return {"ortsteile": reached, "poor_children_share": 100 * kids.reindex(reached).sum() / kids.sum()}


def load_sites(folder: Path) -> pd.DataFrame | None:
    """The (non-public) site registry, validated; None when there is none."""
    path = folder / SITE_FILE
    if not path.is_file():
        return None

    df = pd.read_csv(path, dtype={"ot_code": str, "school_id": str, "kita_id": str})
    return validate_frame(SITE_SCHEMA, df, path, "site, measure, school_id, kita_id, ot_code, start, end, vza")
