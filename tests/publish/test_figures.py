"""Figures are files with Quarto's figure syntax (caption, fig-alt, a label), not base64 raw HTML: the trends page
shrinks from 825 KB and every figure has its caption and alt text in the rendered site."""

import json
import re


def test_figures_are_files_beside_the_notebook(built_project):
    cdir = built_project / "reports/2024"
    nb = json.loads((cdir / "trends.ipynb").read_text(encoding="utf-8"))
    outputs = [o for c in nb["cells"] for o in c.get("outputs", [])]
    assert not any("image/png" in o.get("data", {}) or "data:image" in "".join(o.get("data", {}).get("text/html", ""))
                   for o in outputs)
    figs = [m for o in outputs for m in re.findall(r"!\[[^\n]*\]\((abbildungen/trends/abb-[0-9a-f]{16}\.svg)\)"
                                                   r"\{#fig-[0-9a-f]{16} fig-alt=\"[^\"]+\"\}",
                                                   "".join(o.get("data", {}).get("text/markdown", "")))]
    assert len(figs) >= 10
    listed = {o["path"] for o in json.loads((cdir / "manifest.json").read_text(encoding="utf-8"))["outputs"]}
    for f in figs:
        assert (cdir / f).is_file() and f in listed  # hashed in the manifest like every output
    assert {p.name for p in (cdir / "abbildungen/trends").iterdir()} == {f.rsplit("/", 1)[1] for f in figs}
    html = (built_project / "_site/reports/2024/trends.html").read_text(encoding="utf-8")
    assert len(html.encode()) < 400_000
    imgs = re.findall(r'<img alt="([^"]+)" src="(abbildungen/trends/[^"]+)"', html)
    assert len(imgs) == len(figs) and all(alt.strip() for alt, _ in imgs)
    assert all((built_project / "_site/reports/2024" / src).is_file() for _, src in imgs)
    assert html.count("<figcaption>") >= len(figs)
    profile = json.loads((cdir / "profile/stadtbezirk-0.ipynb").read_text(encoding="utf-8"))
    md_out = "".join("".join(o.get("data", {}).get("text/markdown", "")) for c in profile["cells"]
                     for o in c.get("outputs", []))
    src = re.findall(r"\]\((abbildungen/stadtbezirk-0/abb-[0-9a-f]{16}\.svg)\)", md_out)
    assert src and all((cdir / "profile" / s).is_file() for s in src)  # relative to the profile notebook
