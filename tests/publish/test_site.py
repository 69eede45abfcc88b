"""Site build safety: renderer choice, no execution, and the last good site kept on failure or interruption."""

import pytest

from evalkit.errors import SiteError
from evalkit.paths import Project
from evalkit.publish import site as site_mod


def test_renderer_is_chosen_and_named(built_copy, monkeypatch, capsys):
    monkeypatch.setattr(site_mod.shutil, "which", lambda name: None)
    assert site_mod.choose_renderer("auto") == "smalldocs"
    with pytest.raises(SiteError, match="quarto is not on PATH"):
        site_mod.choose_renderer("quarto")
    res = site_mod.build_site(Project(built_copy))
    assert res.renderer == "smalldocs" and res.pages > 80


def test_templates_are_not_rendered(built_project):
    site = built_project / "_site"
    assert not (site / "notebooks").exists()
    assert (site / "reports/2022/uebersicht.html").is_file()


@pytest.mark.parametrize("failure", [KeyboardInterrupt, SiteError])
def test_failed_or_interrupted_build_keeps_last_site(built_copy, monkeypatch, failure):
    before = {p.relative_to(built_copy).as_posix(): p.read_bytes() for p in (built_copy / "_site").rglob("*.html")}

    def boom(staging, renderer):
        (staging / "_site").mkdir()
        (staging / "_site" / "index.html").write_text("halb fertig")
        raise failure("stopped midway") if failure is SiteError else failure()

    monkeypatch.setattr(site_mod, "render", boom)
    with pytest.raises(failure):
        site_mod.build_site(Project(built_copy), log=lambda *_: None)
    after = {p.relative_to(built_copy).as_posix(): p.read_bytes() for p in (built_copy / "_site").rglob("*.html")}
    assert after == before
    assert not list(built_copy.glob(".site-staging-*"))
