"""Inputs that parse but cannot be true: refused before they change a published number.

Counts of persons and households are whole and no Ortsteil holds more than the city; the Ortsteil geometry has
exactly the Ortsteile of the lookup, each with a valid polygon; and a series that lacks an Ortsteil in a year
(so that its aggregates cannot be formed) is reported, not silently dropped.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from evalkit.errors import DataError
from evalkit.indicators.catalogue import Catalogue


def check_counts(obs: pd.DataFrame, catalogue: Catalogue, files: dict) -> None:
    """Whole numbers for the catalogue's `whole_counts`, and no Ortsteil above its city's figure."""
    for series in catalogue.whole_counts:
        src, name = series.split(":", 1)
        rows = obs[(obs["source"] == src) & (obs["indicator_raw"] == name)].dropna(subset=["value"])
        frac = rows[np.abs(rows["value"] - np.round(rows["value"])) > 1e-9]
        if len(frac):
            r = frac.iloc[0]
            hint = (" – a German thousands separator read as a decimal point?"
                    if abs(r["value"] * 1000 - round(r["value"] * 1000)) < 1e-6 else "")
            raise DataError(f"{series}: {r['value']:g} for {r['level']} {r['area_code']}, {r['year']} is not a whole "
                            f"number{hint}", file=files.get(src, src), record=int(r["record"]),
                            expected="a whole number of persons or households")
        city = rows[rows["level"] == "stadt"].set_index("year")["value"]
        ot = rows[rows["level"] == "ortsteil"]
        over = ot[ot["value"] > ot["year"].map(city).fillna(np.inf)]
        if len(over):
            r = over.iloc[0]
            raise DataError(f"{series}: Ortsteil {r['area_code']} has {r['value']:,.0f} in {r['year']}, more than the "
                            f"whole city ({city[r['year']]:,.0f})", file=files.get(src, src), record=int(r["record"]),
                            expected="an Ortsteil count no larger than the city's")


def check_geometry(geojson: Path, areas: pd.DataFrame) -> None:
    """The Ortsteil polygons the maps draw: one valid polygon for each Ortsteil of the lookup, no other."""
    import geopandas as gpd

    try:
        gdf = gpd.read_file(geojson)
    except Exception as e:  # pyogrio raises its own errors for unreadable files
        raise DataError(f"cannot read the Ortsteil geometry: {e}", file=geojson, expected="GeoJSON") from e
    if "OT" not in gdf.columns:
        raise DataError("no property OT (Ortsteil code)", file=geojson, expected="features with OT and Name")
    codes = gdf["OT"].astype(str)
    want = set(areas["ot_code"])
    missing, extra = sorted(want - set(codes)), sorted(set(codes) - want)
    if missing:
        raise DataError(f"no polygon for Ortsteil {', '.join(missing)}", file=geojson,
                        expected="one feature per Ortsteil of data/areas.csv")
    if extra:
        i = int(np.flatnonzero(codes == extra[0])[0])
        raise DataError(f"Ortsteil {extra[0]} is not in the area lookup", file=geojson, record=f"feature {i}",
                        expected="only the Ortsteile of data/areas.csv")
    dup = codes[codes.duplicated()]
    if len(dup):
        raise DataError(f"Ortsteil {dup.iloc[0]} has more than one feature", file=geojson,
                        record=f"feature {dup.index[0]}", expected="one feature per Ortsteil")
    for i, (code, geom) in enumerate(zip(codes, gdf.geometry)):
        if geom is None or geom.is_empty:
            raise DataError(f"Ortsteil {code} has no polygon", file=geojson, record=f"feature {i}",
                            expected="a polygon")
        if geom.geom_type not in ("Polygon", "MultiPolygon") or not geom.is_valid:
            raise DataError(f"Ortsteil {code}: the {geom.geom_type} is not a valid polygon", file=geojson,
                            record=f"feature {i}", expected="a valid (Multi)Polygon")


def incomplete_years(indicators: pd.DataFrame, n_ortsteile: int) -> pd.DataFrame:
    """Indicator-years with data for some but not all Ortsteile: their Stadtbezirk, Planungsraum and city values
    are not formed (a partial sum would look real). Listed by the command and on the data-quality page."""
    ot = indicators[indicators["level"] == "ortsteil"]
    n = ot.groupby(["indicator", "year"]).size().rename("ortsteile").reset_index()
    # a year inside an indicator's span with no Ortsteil at all is a gap too (the whole year is missing)
    span = n.groupby("indicator")["year"].agg(["min", "max"])
    full = pd.DataFrame([(i, y) for i, r in span.iterrows() for y in range(int(r["min"]), int(r["max"]) + 1)],
                        columns=["indicator", "year"])
    n = full.merge(n, on=["indicator", "year"], how="left").fillna({"ortsteile": 0})
    n["ortsteile"] = n["ortsteile"].astype(int)
    out = n[n["ortsteile"] < n_ortsteile].copy()
    out["missing"] = n_ortsteile - out["ortsteile"]
    return out.sort_values(["indicator", "year"]).reset_index(drop=True)


def check_ranges(indicators: pd.DataFrame, catalogue: Catalogue) -> None:
    """Every value inside its indicator's plausible range (shares 0–100, counts and densities ≥ 0 …)."""
    for ind in catalogue.indicators:
        lo, hi = ind.plausible_range
        rows = indicators[indicators["indicator"] == ind.id]
        bad = rows[(rows["value"] < lo - 1e-9) | (rows["value"] > hi + 1e-9)]
        if len(bad):
            r = bad.iloc[0]
            raise DataError(f"{ind.id} = {r['value']:g} for {r['level']} {r['area_code']}, {r['year']} is outside "
                            f"its plausible range {lo:g}…{hi:g}", file="data/indicators.yaml", record=ind.id,
                            expected=f"{ind.unit} between {lo:g} and {hi:g} (catalogue key plausible)")
