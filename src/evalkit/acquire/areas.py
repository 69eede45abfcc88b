"""The area lookup: Ortsteil → Stadtbezirk → Planungsraum → Stadt.

The committed table data/areas.csv is the project's own; `build_area_table` rebuilds it from the published facts
(the city's Ortsteil crosswalk and LeipzigData's Planungsraum list) so that a reviewer can check every row.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from evalkit.errors import DataError

CITY_CODE = "14713000"  # Amtlicher Gemeindeschlüssel of Leipzig
CITY_NAME = "Leipzig"
LEVELS = ("ortsteil", "stadtbezirk", "planungsraum", "stadt")
COLUMNS = ["ot_code", "ortsteil", "sbz_code", "stadtbezirk", "pr_code", "planungsraum",
           "valid_from", "valid_to", "pr_valid_from", "source"]
SOURCE_NOTE = ("Ortsteile/Stadtbezirke: Stadt Leipzig, Amt für Statistik und Wahlen, Kommunale Gliederung "
               "(dl-de/by-2-0); Planungsräume: Fachplan Kinder- und Jugendförderung 2012 via LeipzigData (CC0)")


# Area names are plain words: letters (umlauts and ß included), digits, spaces and - . , / ( ) '. Anything else
# (<, >, &, quotes, backticks, Markdown's * _ [ ] # |) is refused at input, so that no name can carry markup
# into a page, a title or a table.
NAME_PATTERN = re.compile(r"^[^\W_][\w .,/()'’-]*$")


def check_names(df: pd.DataFrame, columns, file) -> None:
    for col in columns:
        for i, name in enumerate(df[col].astype(str)):
            if not NAME_PATTERN.match(name) or "_" in name:
                raise DataError(f"{col} {name!r} contains characters that are not part of a place name", file=file,
                                record=f"line {i + 2}", expected="letters, digits, spaces and - . , / ( ) ' only")


def build_area_table(ortsteile_csv: Path, planungsraeume_csv: Path) -> pd.DataFrame:
    """Build the lookup from the crosswalk and the Planungsraum list; both must agree on every Ortsteil."""
    ot = pd.read_csv(ortsteile_csv, dtype=str)
    pr = pd.read_csv(planungsraeume_csv, dtype=str)
    pr = pr[pr["raum_typ"] == "JH-PlanungsRaum"].copy()
    pr["pr_code"] = pr["raum_uri"].str.rsplit("/", n=1).str[-1]
    pr["planungsraum"] = pr["raum_label"].str.replace("JH-Planungsraum ", "", regex=False)
    check_names(ot, ["ortsteil", "stadtbezirk"], ortsteile_csv)
    check_names(pr, ["planungsraum"], planungsraeume_csv)
    merged = ot.merge(pr[["ot_nr", "pr_code", "planungsraum"]], on="ot_nr", how="left", validate="one_to_one")
    missing = merged[merged["pr_code"].isna()]
    if len(missing):
        raise DataError(f"Ortsteil {missing.iloc[0]['ot_nr']} has no Planungsraum", file=planungsraeume_csv,
                        expected="every Ortsteil in exactly one JH-Planungsraum")
    disagree = merged[merged["planungsraum"] != merged["jh_planungsraum_2012"]]
    if len(disagree):
        raise DataError(f"Ortsteil {disagree.iloc[0]['ot_nr']}: the two sources name different Planungsräume",
                        file=planungsraeume_csv, expected="the crosswalk's jh_planungsraum_2012")
    out = pd.DataFrame({
        "ot_code": merged["ot_nr"], "ortsteil": merged["ortsteil"],
        "sbz_code": merged["sbz_nr"], "stadtbezirk": merged["stadtbezirk"],
        "pr_code": merged["pr_code"], "planungsraum": merged["planungsraum"],
        "valid_from": 2000, "valid_to": pd.NA, "pr_valid_from": 2012, "source": SOURCE_NOTE,
    })
    return out.sort_values("ot_code").reset_index(drop=True)[COLUMNS]


def load_areas(path: Path) -> pd.DataFrame:
    """Read and check the committed lookup: 63 Ortsteile, the first digit of the code is the Stadtbezirk."""
    try:
        df = pd.read_csv(path, dtype={"ot_code": str, "sbz_code": str, "pr_code": str})
    except OSError as e:
        raise DataError(f"cannot read the area lookup: {e}", file=path) from e
    missing_cols = [c for c in COLUMNS if c not in df.columns]
    if missing_cols:
        raise DataError(f"missing columns {missing_cols}", file=path, expected=", ".join(COLUMNS))
    for i, row in df.iterrows():
        if row["ot_code"][0] != row["sbz_code"]:
            raise DataError(f"Ortsteil {row['ot_code']} lies in Stadtbezirk {row['sbz_code']}", file=path,
                            record=i + 2, expected="the first digit of the Ortsteil code to be its Stadtbezirk")
    check_names(df, ["ortsteil", "stadtbezirk", "planungsraum"], path)
    for col in ("ot_code", "sbz_code", "pr_code"):
        bad = df[~df[col].astype(str).str.fullmatch(r"[A-Za-z0-9]+")]
        if len(bad):
            raise DataError(f"{col} {bad.iloc[0][col]!r} is not a code", file=path, record=f"line {bad.index[0] + 2}",
                            expected="letters and digits only")
    if df["ot_code"].duplicated().any() or df["ortsteil"].duplicated().any():
        raise DataError("duplicate Ortsteil", file=path, expected="one row per Ortsteil")
    return df


def profile_areas(areas: pd.DataFrame, level: str) -> list[tuple[str, str]]:
    """The Stadtbezirke or Planungsräume as (code, name), sorted by code: one profile each, in one order for the
    run's plan and every cycle's index."""
    col, ncol = {"stadtbezirk": ("sbz_code", "stadtbezirk"), "planungsraum": ("pr_code", "planungsraum")}[level]
    return list(areas[[col, ncol]].drop_duplicates().sort_values(col).itertuples(index=False, name=None))


def area_names(areas: pd.DataFrame) -> pd.DataFrame:
    """Every area of every level with its code and name: the frame the indicator table joins names from."""
    frames = [
        pd.DataFrame({"level": "ortsteil", "area_code": areas["ot_code"], "area_name": areas["ortsteil"]}),
        areas[["sbz_code", "stadtbezirk"]].drop_duplicates().set_axis(["area_code", "area_name"], axis=1)
        .assign(level="stadtbezirk"),
        areas[["pr_code", "planungsraum"]].drop_duplicates().set_axis(["area_code", "area_name"], axis=1)
        .assign(level="planungsraum"),
        pd.DataFrame({"level": ["stadt"], "area_code": [CITY_CODE], "area_name": [CITY_NAME]}),
    ]
    return pd.concat(frames, ignore_index=True)[["level", "area_code", "area_name"]]


def membership(areas: pd.DataFrame) -> pd.DataFrame:
    """Long table Ortsteil → (level, area_code) for every aggregate level, itself included."""
    parts = [
        pd.DataFrame({"ot_code": areas["ot_code"], "level": "ortsteil", "area_code": areas["ot_code"]}),
        pd.DataFrame({"ot_code": areas["ot_code"], "level": "stadtbezirk", "area_code": areas["sbz_code"]}),
        pd.DataFrame({"ot_code": areas["ot_code"], "level": "planungsraum", "area_code": areas["pr_code"]}),
        pd.DataFrame({"ot_code": areas["ot_code"], "level": "stadt", "area_code": CITY_CODE}),
    ]
    return pd.concat(parts, ignore_index=True)
