from pathlib import Path

import pandas as pd
import pytest

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


def test_attack_markup_in_the_published_crosswalk_is_refused(mirror, tmp_path):
    import pandas as pd

    from evalkit.errors import DataError

    ot = pd.read_csv(mirror / "geo" / "ortsteile.csv", dtype=str)
    ot.loc[ot["ortsteil"] == "Paunsdorf", "ortsteil"] = "Paunsdorf<img src=x onerror=alert(1)>"
    bad = tmp_path / "ortsteile.csv"
    ot.to_csv(bad, index=False)
    with pytest.raises(DataError, match=r"ortsteile\.csv: record line \d+: ortsteil 'Paunsdorf<img"):
        build_area_table(bad, mirror / "planning" / "jh_planungsraeume_2012.csv")


def test_attack_markup_in_the_area_lookup_is_refused(tmp_path):
    from evalkit.errors import DataError

    text = (REPO / "data" / "areas.csv").read_text(encoding="utf-8").replace("Innerer Osten",
                                                                              "Innerer Osten<script>x()</script>")
    bad = tmp_path / "areas.csv"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match="planungsraum 'Innerer Osten<script>"):
        load_areas(bad)
