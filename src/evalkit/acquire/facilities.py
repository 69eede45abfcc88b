"""Facility lists in the mirror → points and counts per Ortsteil (each point in the Ortsteil polygon it falls in;
the mirror's README: where a facility's own Ortsteil field disagrees with the polygon, trust the polygon)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from evalkit import reads
from evalkit.errors import DataError

# the OpenStreetMap export is dated July 2024; children under 15 are published up to 31.12.2023, the nearest
# population before it: the indicator pairs the two and says so
KITA_YEAR = 2023


# the columns evalkit reads from each facility list (source id → columns, what): checked when a list is fetched,
# so a list without them never replaces the last good one
REQUIRED_COLUMNS = {
    "schulen_2023": (["name", "types", "street_slug", "hausnr", "ot_nr_point_in_polygon"], "school list"),
    "schulen_2017": (["address", "ot_nr_point_in_polygon"], "school database 2017"),
    "horte_2018": (["name", "street_slug", "hausnr"], "Hort list"),
}


def check_lists(raw_dir: Path, paths: dict[str, str]) -> None:
    """Every facility list of a (staged) raw set has the columns evalkit reads (`paths`: source id → path)."""
    for sid, (columns, what) in REQUIRED_COLUMNS.items():
        if sid in paths:
            read_list(raw_dir / paths[sid], columns, what)


def read_list(path: Path, columns: list[str], what: str) -> pd.DataFrame:
    """A facility list (CSV, every value as text) with the columns evalkit reads: a file that cannot be read or
    lacks a column is named with what was expected, before any page is written from it."""
    expected = f"a CSV file with the columns {', '.join(columns)}"
    try:
        df = pd.read_csv(path, dtype=str)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        raise DataError(f"cannot read the {what}: {e}", file=path, expected=expected) from e
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataError(f"the {what} has no column {', '.join(missing)}", file=path, record="header (line 1)",
                        expected=expected)
    return df


def kita_points(kitas_json: Path) -> pd.DataFrame:
    """Every Kita of the Overpass export with its point (ways and relations carry a `center`): id, name,
    street, housenumber, lon, lat."""
    try:
        doc = json.loads(Path(kitas_json).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise DataError(f"cannot read the Kita list: {e}", file=kitas_json,
                        expected="the Overpass JSON export (elements with lat/lon or center)") from e
    rows = []
    for e in doc.get("elements", []):
        tags, where = e.get("tags", {}), e.get("center", e)
        if "lat" not in where or "lon" not in where:
            continue
        rows.append((f"{e.get('type')}/{e.get('id')}", tags.get("name"), tags.get("addr:street"),
                     tags.get("addr:housenumber"), float(where["lon"]), float(where["lat"])))
    return pd.DataFrame(rows, columns=["id", "name", "street", "housenumber", "lon", "lat"])


def in_ortsteile(points: pd.DataFrame, geojson: Path) -> pd.DataFrame:
    """The points with the code of the Ortsteil polygon each falls in (points outside every polygon dropped)."""
    import geopandas as gpd

    g = gpd.GeoDataFrame(points, geometry=gpd.points_from_xy(points["lon"], points["lat"]), crs=4326)
    reads.note(geojson)  # read natively (GDAL): invisible to the audit hook
    areas = gpd.read_file(geojson).to_crs(4326)[["OT", "geometry"]]
    hit = gpd.sjoin(g, areas, predicate="within", how="inner")
    out = pd.DataFrame(hit.drop(columns=["geometry", "index_right"]))
    out["ot_code"] = out.pop("OT").astype(str).str.zfill(2)
    return out.sort_values(["ot_code", "id"]).reset_index(drop=True)


def kita_counts(kitas_json: Path, geojson: Path, ot_codes) -> pd.DataFrame:
    """Kitas per Ortsteil as a quantity (`kitas_osm`), indexed (ot_code, year = KITA_YEAR); 0 where none."""
    located = in_ortsteile(kita_points(kitas_json), geojson)
    n = located.groupby("ot_code").size().reindex(sorted(ot_codes), fill_value=0)
    index = pd.MultiIndex.from_arrays([n.index, [KITA_YEAR] * len(n)], names=["ot_code", "year"])
    return pd.DataFrame({"kitas_osm": n.to_numpy(float)}, index=index)
