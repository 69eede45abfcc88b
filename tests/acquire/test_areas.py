from pathlib import Path

import pandas as pd

from evalkit.acquire.areas import area_names, build_area_table, load_areas

REPO = Path(__file__).resolve().parents[2]


def test_committed_lookup_is_rebuilt_from_published_facts(mirror):
    built = build_area_table(mirror / "geo/ortsteile.csv", mirror / "planning/jh_planungsraeume_2012.csv")
    committed = load_areas(REPO / "data" / "areas.csv")
    pd.testing.assert_frame_equal(built.astype(str), committed.astype(str).replace("nan", "<NA>"))


def test_levels_have_their_known_sizes():
    names = area_names(load_areas(REPO / "data" / "areas.csv"))
    assert names.level.value_counts().to_dict() == {"ortsteil": 63, "stadtbezirk": 10, "planungsraum": 7, "stadt": 1}
    sbz = names[names.level == "stadtbezirk"].set_index("area_code").area_name
    assert sbz["7"] == "Alt-West" and sbz["1"] == "Nordost"
