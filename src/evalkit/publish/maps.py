"""Words for the maps of the 63 Ortsteile (the maps themselves are inline SVG, `publish.svg`): an alt text that
names the lowest and highest Ortsteil (the credit line is the project's, `Context.credit`)."""

from __future__ import annotations

import pandas as pd

from evalkit.publish.fmt import de



def alt_text(values: pd.DataFrame, names: pd.Series, title: str, unit: str, decimals: int = 1) -> str:
    v = values.dropna(subset=["value"]).sort_values("value")
    if v.empty:
        return f"Karte: {title}. Keine Daten."
    lo, hi = v.iloc[0], v.iloc[-1]
    return (f"Karte der 63 Leipziger Ortsteile: {title}. Niedrigster Wert {names.get(lo.area_code, lo.area_code)} "
            f"({de(lo.value, decimals)} {unit}), höchster Wert {names.get(hi.area_code, hi.area_code)} "
            f"({de(hi.value, decimals)} {unit}).")
