"""Choropleth maps of the 63 Ortsteile (geopandas + the city's GeoJSON)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from evalkit.publish.figures import SEQUENTIAL, german_formatter
from evalkit.publish.fmt import de

CREDIT = ("Geometrie und Daten: Stadt Leipzig, Amt für Statistik und Wahlen (dl-de/by-2-0); "
          "eigene Berechnungen.")


@lru_cache(maxsize=4)
def ortsteile(geojson: str):
    import geopandas as gpd

    gdf = gpd.read_file(geojson).to_crs(25833)  # ETRS89 / UTM 33N: the city's own, area-true projection
    return gdf.rename(columns={"OT": "area_code", "Name": "geo_name"})[["area_code", "geo_name", "geometry"]]


def choropleth(geojson: Path, values: pd.DataFrame, title: str, unit: str, uncertain: pd.Series | None = None,
               cmap: str = SEQUENTIAL, decimals: int = 1):
    """values: area_code, value. Ortsteile flagged in `uncertain` are hatched; those without data are grey."""
    gdf = ortsteile(str(geojson)).merge(values[["area_code", "value"]], on="area_code", how="left")
    fig, ax = plt.subplots(figsize=(6.2, 5.6))
    gdf.plot(ax=ax, column="value", cmap=cmap, legend=True, edgecolor="white", linewidth=0.4,
             missing_kwds={"color": "#dddddd", "label": "keine Daten"},
             legend_kwds={"label": unit, "shrink": 0.7, "format": german_formatter(decimals)})
    if uncertain is not None and uncertain.any():
        flagged = gdf[gdf["area_code"].isin(uncertain[uncertain].index)]
        flagged.plot(ax=ax, facecolor="none", edgecolor="black", hatch="///", linewidth=0.6)
    ax.set_axis_off()
    ax.set_title(title)
    return fig


def alt_text(values: pd.DataFrame, names: pd.Series, title: str, unit: str, decimals: int = 1) -> str:
    v = values.dropna(subset=["value"]).sort_values("value")
    if v.empty:
        return f"Karte: {title}. Keine Daten."
    lo, hi = v.iloc[0], v.iloc[-1]
    return (f"Karte der 63 Leipziger Ortsteile: {title}. Niedrigster Wert {names.get(lo.area_code, lo.area_code)} "
            f"({de(lo.value, decimals)} {unit}), höchster Wert {names.get(hi.area_code, hi.area_code)} "
            f"({de(hi.value, decimals)} {unit}).")
