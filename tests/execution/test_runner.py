"""The cycle runner on real data: outputs, provenance, incremental reruns, failures, verify."""

import json
import shutil
import subprocess
import sys

import nbformat
import pandas as pd
import pytest

from evalkit.errors import EvalkitError
from evalkit.execution.runner import cycle_problems, run_cycles, run_lock
from evalkit.execution.verify import verify_cycle
from evalkit.fileio import sha256_file
from evalkit.paths import Project

CYCLES = ["2018", "2020", "2022", "2024"]


def quiet(*_):
    pass


def cli(root, *args):
    return subprocess.run([sys.executable, "-m", "evalkit", "--root", str(root), *args], capture_output=True,
                          text=True)


def test_every_cycle_has_its_pages_and_profiles(built_project):
    for c in CYCLES:
        d = built_project / "reports" / c
        for nb in ("uebersicht", "ortsteile", "datenqualitaet"):
            assert (d / f"{nb}.ipynb").is_file(), (c, nb)
        # the area profiles span every cycle and stand with the newest one alone
        assert len(list((d / "profile").glob("stadtbezirk-*.ipynb"))) == (10 if c == "2024" else 0)
        assert len(list((d / "profile").glob("planungsraum-*.ipynb"))) == (7 if c == "2024" else 0)
        assert not (d / "profile").exists() or c == "2024"
        assert (d / "downloads" / f"indikatoren-{c}.csv").is_file()
        assert (d / "downloads" / f"indikatoren-{c}.xlsx").is_file()


def test_provenance_in_notebooks_and_manifest(built_project):
    d = built_project / "reports" / "2022"
    meta = nbformat.read(d / "ortsteile.ipynb", as_version=4).metadata["evalkit"]
    assert meta["parameters"]["cycle"] == 2022
    assert meta["inputs"]["data/processed/indicators.csv"] == sha256_file(
        built_project / "data/processed/indicators.csv")
    assert {"commit", "dirty"} <= set(meta["git"])
    assert meta["python"] and meta["packages"]["papermill"] and "started" not in meta  # times: manifest only
    manifest = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
    run = manifest["notebooks"]["ortsteile.ipynb"]
    assert run["started"] <= run["finished"]
    assert manifest["params"]["reference_year"] == 2022 and manifest["compare_with"] == 2020
    paths = {o["path"]: o["sha256"] for o in manifest["outputs"]}
    assert paths["tabellen/kennzahlen.csv"] == sha256_file(d / "tabellen/kennzahlen.csv")
    assert "downloads/indikatoren-2022.xlsx" in paths and not any(p.startswith("profile/") for p in paths)
    assert set(manifest["notebooks"]) == {p for p in paths if p.endswith(".ipynb")}  # only what stands here
    latest = json.loads((built_project / "reports/2024/manifest.json").read_text(encoding="utf-8"))
    assert "profile/planungsraum-Gruenau.ipynb" in {o["path"] for o in latest["outputs"]}


def test_latest_available_year_is_used_and_said(built_project):
    kf = pd.read_csv(built_project / "reports/2024/tabellen/kennzahlen.csv")
    row = kf.set_index("indicator").loc["kinder_sgb2_quote"]
    assert row["year"] == 2022 and "letzte verfügbare Daten: 2022" in row["note"]
    # cycle 2024 compares with 2022, and SGB II data end in 2022: no change can be measured, none is shown
    assert row["compare_year"] == 2022 and pd.isna(row["change"]) and not pd.isna(row["compare_value"])
    assert "wie im Vergleichszyklus" in row["note"]
    assert not pd.isna(kf.set_index("indicator").loc["einwohner", "change"])
    assert kf.set_index("indicator").loc["migrationsanteil", "year"] == 2023
    assert kf.set_index("indicator").loc["einwohner", "year"] == 2024
    nb = (built_project / "reports/2024/uebersicht.ipynb").read_text(encoding="utf-8")
    assert "Datenstand" in nb and "keine Veränderung messbar" in nb  # the year per row, the rule said once


def test_key_figures_are_the_indicator_table(built_project):
    kf = pd.read_csv(built_project / "reports/2022/tabellen/kennzahlen.csv").set_index("indicator")
    t = pd.read_csv(built_project / "data/processed/indicators.csv", dtype={"area_code": str})
    city = t[(t.level == "stadt")].set_index(["indicator", "year"]).value
    assert kf.loc["kinder_sgb2_quote", "value"] == pytest.approx(city[("kinder_sgb2_quote", 2022)])
    # the change is the difference of the printed (one-decimal) values, so that the page adds up
    assert kf.loc["kinder_sgb2_quote", "change"] == pytest.approx(
        round(round(city[("kinder_sgb2_quote", 2022)], 1) - round(city[("kinder_sgb2_quote", 2020)], 1), 1))


def test_warm_rerun_starts_no_kernel(built_copy):
    report = run_cycles(Project(built_copy), None, progress=False, log=quiet)
    # 7 cycle pages and the report in each cycle, and the 17 area profiles with the newest
    assert report.executed == [] and len(report.reused) == 4 * 8 + 17 and report.ok


def test_profiles_left_in_an_older_cycle_are_removed_with_their_files(built_copy):
    """Outputs the plan no longer makes (an older cycle's profiles, from a build before the profiles spanned all
    cycles, or once a newer cycle exists) leave the cycle whole: notebook, figures, table, manifest entry."""
    new, old = built_copy / "reports/2024", built_copy / "reports/2022"
    (old / "profile/abbildungen").mkdir(parents=True)
    shutil.copy2(new / "profile/stadtbezirk-0.ipynb", old / "profile/stadtbezirk-0.ipynb")
    shutil.copytree(new / "profile/abbildungen/stadtbezirk-0", old / "profile/abbildungen/stadtbezirk-0")
    shutil.copy2(new / "tabellen/profil-stadtbezirk-0.csv", old / "tabellen/profil-stadtbezirk-0.csv")
    report = run_cycles(Project(built_copy), None, progress=False, log=quiet)
    assert report.ok and report.executed == []  # nothing to execute: only files to drop
    assert not (old / "profile").exists() and not (old / "tabellen/profil-stadtbezirk-0.csv").exists()
    manifest = json.loads((old / "manifest.json").read_text(encoding="utf-8"))
    assert not any(o["path"].startswith("profile/") or "profil-" in o["path"] for o in manifest["outputs"])
    assert cycle_problems(old) == [] and (new / "profile/stadtbezirk-0.ipynb").is_file()
    assert (new / "tabellen/profil-stadtbezirk-0.csv").is_file()


def test_changed_params_rerun_only_that_cycle(built_copy):
    p = built_copy / "params/cycle-2018.yaml"
    p.write_text(p.read_text(encoding="utf-8").replace("small_denominator: 50", "small_denominator: 80"),
                 encoding="utf-8")
    report = run_cycles(Project(built_copy), None, progress=False, log=quiet)
    # all of 2018, and in later cycles the pages that use the 2018 baseline (the evaluation group: trends; the
    # need index of every cycle so far: the Ortsteil pages; every cycle's values: the area profiles), and the
    # reports that read their tables
    profiles = sorted(f"2024/{p.relative_to(built_copy / 'reports/2024').as_posix()}"
                      for p in (built_copy / "reports/2024/profile").glob("*.ipynb"))
    assert len(profiles) == 17
    assert sorted(x for x in report.executed if not x.startswith("2018/")) == [
        "2020/bericht.ipynb", "2020/ortsteilprofile.ipynb", "2020/trends.ipynb",
        "2022/bericht.ipynb", "2022/ortsteilprofile.ipynb", "2022/trends.ipynb",
        "2024/bericht.ipynb", "2024/ortsteilprofile.ipynb", *profiles, "2024/trends.ipynb"]
    assert not any(x.startswith("2018/") for x in report.reused) and len(report.executed) == 8 + 9 + 17


def test_failing_notebook_keeps_the_whole_previous_cycle(built_copy):
    """One notebook fails, another changed: the cycle stays as it was, manifest and all (no false tampering)."""
    tpl = built_copy / "notebooks/datenqualitaet.py"
    tpl.write_text(tpl.read_text(encoding="utf-8") + '\n# %%\nraise ValueError("kaputt")\n', encoding="utf-8")
    other = built_copy / "notebooks/uebersicht.py"
    other.write_text(other.read_text(encoding="utf-8") + '\n# %%\nprint("geändert")\n', encoding="utf-8")
    cdir = built_copy / "reports/2022"
    before = {f.relative_to(cdir): f.read_bytes() for f in sorted(cdir.rglob("*")) if f.is_file()}
    r = cli(built_copy, "run", "--cycle", "2022", "--no-progress")
    assert r.returncode == 1
    assert "cycle 2022, notebook datenqualitaet" in r.stderr + r.stdout
    assert "raised ValueError: kaputt" in r.stderr + r.stdout
    after = {f.relative_to(cdir): f.read_bytes() for f in sorted(cdir.rglob("*")) if f.is_file()}
    assert after == before  # uebersicht ran fine but is not promoted into a cycle that is not complete
    assert cycle_problems(cdir) == []
    log = built_copy / "reports/.kernels.log"
    assert log.is_file() and str(log) in r.stderr  # the kernel log survives a failure
    assert not (built_copy / "reports/.staging").exists()


def test_a_second_run_at_the_same_time_is_refused(built_copy):
    project = Project(built_copy)
    with run_lock(project):
        with pytest.raises(EvalkitError, match="another evalkit run is working on this project"):
            run_cycles(project, ["2022"], progress=False, log=quiet)
        r = cli(built_copy, "run", "--cycle", "2022", "--no-progress")
        assert r.returncode == 2 and "another evalkit run" in r.stderr
    assert run_cycles(project, ["2022"], progress=False, log=quiet).ok  # released afterwards


def cmdline(p) -> str:
    import psutil

    try:
        return " ".join(p.cmdline())
    except psutil.Error:  # gone, or a zombie waiting to be reaped
        return ""


def running(p) -> bool:
    import psutil

    try:
        return p.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_killed_run_leaves_complete_cycles_and_no_processes(built_copy):
    import signal
    import time

    import psutil

    cycles = {c: {f.relative_to(built_copy / "reports" / c): f.read_bytes()
                  for f in sorted((built_copy / "reports" / c).rglob("*")) if f.is_file()} for c in CYCLES}
    proc = subprocess.Popen([sys.executable, "-m", "evalkit", "--root", str(built_copy), "run", "--all", "--force",
                             "--no-progress"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    staging = built_copy / "reports/.staging"
    deadline, children = time.monotonic() + 120, []
    while time.monotonic() < deadline:  # wait until both workers run kernels and some notebooks are done
        children = psutil.Process(proc.pid).children(recursive=True)
        kernels = [p for p in children if "ipykernel_launcher" in cmdline(p) or "forkserver launch" in cmdline(p)]
        if len(kernels) >= 2:
            time.sleep(3)  # a few notebooks further
            children = psutil.Process(proc.pid).children(recursive=True)
            break
        time.sleep(0.2)
    assert len(kernels) >= 2, "the run should have workers and kernels by now"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (alive := [p for p in children if running(p)]):
        time.sleep(0.2)
    assert not alive, f"orphans: {[cmdline(p)[:80] for p in alive]}"
    for c, files in cycles.items():
        cdir = built_copy / "reports" / c
        assert {f.relative_to(cdir): f.read_bytes() for f in sorted(cdir.rglob("*")) if f.is_file()} == files, c
    report = run_cycles(Project(built_copy), None, progress=False, log=quiet)
    assert report.executed == [] and report.ok and not staging.exists()


def test_a_cycle_that_no_longer_matches_its_manifest_is_re_executed(built_copy):
    nb = built_copy / "reports/2020/trends.ipynb"
    nb.write_bytes(nb.read_bytes().replace(b"Abstand", b"Abst.", 1))
    messages = []
    report = run_cycles(Project(built_copy), None, progress=False, log=messages.append)
    assert sorted(report.executed) == sorted(x for x in report.executed if x.startswith("2020/"))
    assert len(report.executed) == 8 and any("cycle 2020 does not match its manifest" in m for m in messages)
    assert cycle_problems(built_copy / "reports/2020") == []


def test_results_do_not_depend_on_the_order_of_notebooks(built_project, fetched_project, tmp_path):
    import shutil

    root = tmp_path / "reversed"
    shutil.copytree(fetched_project, root)
    # the newest cycle: its pages and the area profiles, last planned (Planungsraum West) first
    report = run_cycles(Project(root), ["2024"], jobs=1, progress=False, log=quiet,
                        order=lambda work: list(reversed(work)))
    assert report.ok and report.executed[0].endswith("planungsraum-West.ipynb")
    mine = sorted((root / "reports/2024").rglob("tabellen/*.csv")) + sorted((root / "reports/2024").glob("downloads/*"))
    assert len(mine) > 20
    for f in mine:
        rel = f.relative_to(root)
        assert f.read_bytes() == (built_project / rel).read_bytes(), rel


def test_bad_params_stop_before_any_notebook_and_keep_site(built_copy):
    site = (built_copy / "_site/index.html").read_bytes()
    p = built_copy / "params/cycle-2020.yaml"
    p.write_text(p.read_text(encoding="utf-8") + "farbe: blau\n", encoding="utf-8")
    r = cli(built_copy, "build", "--no-progress", "--mirror", str(built_copy / "data/raw"))
    assert r.returncode == 2
    assert "cycle-2020.yaml" in r.stderr and "key 'farbe': unknown key" in r.stderr
    assert (built_copy / "_site/index.html").read_bytes() == site


def test_verify_passes_untouched_and_fails_on_tampering(built_copy):
    """The full verify path runs twice (untouched, tampered); the kinds of tampering are also unit-tested."""
    project = Project(built_copy)
    assert verify_cycle(project, 2022) == []
    t = built_copy / "reports/2022/tabellen/kennzahlen.csv"
    t.write_text(t.read_text(encoding="utf-8").replace("Kinder", "Kinner", 1), encoding="utf-8")
    raw = built_copy / "data/raw/api/sgb2.json"
    raw.write_bytes(raw.read_bytes().replace(b'"wert": "260"', b'"wert": "261"', 1))
    # a hand-edited page whose new hash is written into the manifest: only the comparison of outputs finds it
    page = built_copy / "reports/2022/uebersicht.ipynb"
    text = page.read_text(encoding="utf-8")
    assert "624.676" in text
    page.write_text(text.replace("624.676", "724.676"), encoding="utf-8")
    # a PDF from another cycle passed off as this one's, its hash written into the manifest: only typesetting the
    # report again from a fresh run finds it
    pdf = built_copy / "reports/2022/bericht-2022.pdf"
    pdf.write_bytes((built_copy / "reports/2020/bericht-2020.pdf").read_bytes())
    mpath = built_copy / "reports/2022/manifest.json"
    manifest = json.loads(mpath.read_text(encoding="utf-8"))
    for o in manifest["outputs"]:
        if o["path"] in ("uebersicht.ipynb", "bericht-2022.pdf"):
            f = built_copy / "reports/2022" / o["path"]
            o["sha256"], o["size"] = sha256_file(f), f.stat().st_size
    mpath.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    r = cli(built_copy, "verify", "--cycle", "2022")
    assert r.returncode == 1 and "does NOT reproduce" in r.stdout
    assert "output tabellen/kennzahlen.csv was changed after the run" in r.stdout
    assert "input data/raw/api/sgb2.json differs from data/raw/MANIFEST.json" in r.stdout
    assert "result reports/2022/tabellen/kennzahlen.csv differs from a fresh run" in r.stdout
    assert "output uebersicht.ipynb was changed" not in r.stdout  # its hash matches the edited manifest …
    assert "page uebersicht.ipynb: the outputs of cell" in r.stdout  # … but not what a fresh run shows
    assert "output bericht-2022.pdf was changed" not in r.stdout
    assert "report bericht-2022.pdf differs from the report typeset from a fresh run" in r.stdout


def test_tampering_is_found_without_re_execution(built_copy):
    from evalkit.execution.verify import compare_inputs, compare_outputs

    project = Project(built_copy)
    cdir = built_copy / "reports/2024"
    manifest = json.loads((cdir / "manifest.json").read_text(encoding="utf-8"))
    assert compare_outputs(cdir, manifest) == [] and compare_inputs(project, manifest) == []
    (cdir / "profile/stadtbezirk-3.ipynb").unlink()
    nb = cdir / "uebersicht.ipynb"
    nb.write_bytes(nb.read_bytes() + b" ")
    areas = built_copy / "data/areas.csv"
    areas.write_bytes(areas.read_bytes() + b"\n")
    problems = compare_outputs(cdir, manifest) + compare_inputs(project, manifest)
    assert "output profile/stadtbezirk-3.ipynb is missing" in problems
    assert "output uebersicht.ipynb was changed after the run (sha256 differs from manifest.json)" in problems
    assert "input data/areas.csv differs from the hash recorded for this cycle" in problems


def test_two_builds_give_identical_result_tables(built_project, fetched_project, tmp_path):
    """A second, independent clean run gives byte-identical tables."""
    import shutil

    root = tmp_path / "second"
    shutil.copytree(fetched_project, root)
    run_cycles(Project(root), ["2020"], progress=False, log=quiet)
    for f in sorted((built_project / "reports/2020/tabellen").glob("*.csv")):
        assert (root / "reports/2020/tabellen" / f.name).read_bytes() == f.read_bytes(), f.name
    for ext in ("csv", "xlsx"):
        assert (root / f"reports/2020/downloads/indikatoren-2020.{ext}").read_bytes() == (
            built_project / f"reports/2020/downloads/indikatoren-2020.{ext}").read_bytes(), ext


def test_xlsx_download_holds_the_csv_table_and_credits(built_project):
    d = built_project / "reports/2022/downloads"
    csv = pd.read_csv(d / "indikatoren-2022.csv", dtype={"area_code": str})
    xlsx = pd.read_excel(d / "indikatoren-2022.xlsx", sheet_name=None, dtype={"Gebietscode": str})
    excel_csv = pd.read_csv(d / "indikatoren-2022-excel.csv", sep=";", decimal=",", encoding="utf-8-sig",
                            dtype={"Gebietscode": str})
    table = xlsx["Indikatoren"]
    # the German workbook and the German CSV hold the machine-readable table: same rows, same numbers
    assert list(table.columns) == list(excel_csv.columns) and len(table) == len(csv) == len(excel_csv)
    assert (table["Kennung"] == csv["indicator"]).all() and (table["Gebietscode"] == csv["area_code"]).all()
    pd.testing.assert_series_equal(table["Wert"], csv["value"], check_names=False)
    pd.testing.assert_series_equal(excel_csv["Wert"], csv["value"], check_names=False, check_exact=False,
                                   atol=5.1e-5, rtol=0)  # four decimals in the CSV for Excel
    assert set(table["Ebene"]) == {"Ortsteil", "Stadtbezirk", "Planungsraum", "Stadt"}
    assert csv.year.max() == 2022 and "hze_je_1000_u21" not in set(csv.indicator)
    assert "Stadt Leipzig, Amt für Statistik und Wahlen" in xlsx["Quelle"].Hinweis[0]


def test_refetching_identical_data_starts_no_kernel(built_copy, mirror):
    before = (built_copy / "data/raw/MANIFEST.json").read_bytes()
    r = cli(built_copy, "fetch", "--mirror", str(mirror))
    assert r.returncode == 0, r.stderr
    assert (built_copy / "data/raw/MANIFEST.json").read_bytes() != before  # a new retrieval time …
    report = run_cycles(Project(built_copy), None, progress=False, log=quiet)
    assert report.executed == [] and report.ok  # … but the same bytes: nothing to re-execute


def test_evaluation_tables_per_cycle(built_project):
    for c in CYCLES:
        d = built_project / "reports" / c / "tabellen"
        idx = pd.read_csv(d / "bedarfsindex.csv", dtype={"area_code": str})
        assert list(idx.columns) == ["area_code", "area_name", "index", "rank", "need_class", "top13", "stability"]
        assert len(idx) == 63 and idx.top13.sum() == 13 and idx.stability.between(0, 1).all()
        tr = pd.read_csv(d / "trends.csv")
        assert list(tr.columns) == ["indicator", "group", "slope", "lower", "upper", "period"]
        assert set(tr.group) == {"schwerpunkt", "uebrige", "abstand"}
        assert (tr.lower < tr.upper).all()
    # pinned on the real data, so that a silent change of the analyses shows
    idx = pd.read_csv(built_project / "reports/2022/tabellen/bedarfsindex.csv", dtype={"area_code": str})
    top = idx.sort_values("rank").head(3)
    assert list(top.area_name) == ["Grünau-Mitte", "Grünau-Nord", "Volkmarsdorf"]
    # moved from 2.4910, 2.4401, 2.4120 when suppressed "unter 25" counts stopped counting as 0 (issue 11)
    assert top["index"].round(4).tolist() == [2.5047, 2.4539, 2.4166]  # standardised (SD units) since the engine
    assert idx.need_class.value_counts().to_dict() == {"mittlerer Bedarf": 21, "niedriger Bedarf": 19,
                                                       "nicht eingestuft (zu kleine Basis)": 10, "hoher Bedarf": 8,
                                                       "sehr hoher Bedarf": 5}
    tr = pd.read_csv(built_project / "reports/2022/tabellen/trends.csv").set_index(["indicator", "group", "period"])
    assert tr.loc[("kinder_sgb2_quote", "abstand", "2020–2022"), "slope"] == pytest.approx(-1.936968, abs=1e-6)
    assert tr.loc[("kinder_sgb2_quote", "uebrige", "2008–2019"), "slope"] == pytest.approx(-1.206446, abs=1e-6)
    # the evaluation group: fixed at the 2018 baseline, the same file in every later cycle
    groups = [(built_project / f"reports/{c}/tabellen/evaluationsgruppe.csv").read_bytes() for c in CYCLES[1:]]
    assert groups[0] == groups[1] == groups[2]
    g = pd.read_csv(built_project / "reports/2022/tabellen/evaluationsgruppe.csv", dtype=str)
    assert list(g.columns) == ["area_code", "area_name", "basis"] and len(g) == 13
    assert set(g.area_name) == {"Schönefeld-Abtnaundorf", "Schönefeld-Ost", "Mockau-Süd", "Neustadt-Neuschönefeld",
                                "Volkmarsdorf", "Sellerhausen-Stünz", "Paunsdorf", "Schönau", "Grünau-Ost",
                                "Grünau-Mitte", "Lausen-Grünau", "Grünau-Nord", "Möckern"}
    its = pd.read_csv(built_project / "reports/2022/tabellen/its.csv").set_index(["indicator", "term"])
    assert list(its.reset_index().columns) == ["indicator", "term", "estimate", "lower", "upper", "p_perm"]
    assert {"level_change", "slope_change", "pre_slope_diff", "placebo_slope_change"} <= set(
        its.index.get_level_values("term"))
    assert its.loc[("kinder_sgb2_quote", "slope_change"), "estimate"] == pytest.approx(-2.388355, abs=1e-6)
    assert its.loc[("kinder_sgb2_quote", "slope_change"), "p_perm"] == pytest.approx(0.001)
    tr_nb = (built_project / "reports/2022/trends.ipynb").read_text(encoding="utf-8")
    assert "Permutations-p" in tr_nb and "nicht sicher von Drift" in tr_nb and "verursacht" in tr_nb
    nb = (built_project / "reports/2022/massnahmen.ipynb").read_text(encoding="utf-8")
    assert ".callout-warning .evalkit-synthetic" in nb and "Szenario, keine tatsächliche Verteilung" in nb
    assert "<table" not in nb and "<div" not in nb  # Quarto-native Markdown: one source for site and print
    assert "SYNTHETISCHE Zahlen" in nb


def test_verify_typesets_the_report_again(built_copy, tmp_path):
    """The PDF follows from the tables: typeset again from them with the recorded manifest it is byte-identical,
    and a report that says something else (another cycle's, its hash put into the manifest) is found."""
    from evalkit.execution.verify import compare_report_pdf

    cdir = built_copy / "reports/2022"
    manifest = json.loads((cdir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["report_pdf"]["typeset_by"] == "pandoc+typst"
    (tmp_path / "a").mkdir()
    assert compare_report_pdf(cdir, built_copy, 2022, manifest, tmp_path / "a") == []
    (cdir / "bericht-2022.pdf").write_bytes((built_copy / "reports/2020/bericht-2020.pdf").read_bytes())
    (tmp_path / "b").mkdir()
    assert compare_report_pdf(cdir, built_copy, 2022, manifest, tmp_path / "b") == [
        "report bericht-2022.pdf differs from the report typeset from a fresh run"]


def test_verify_sees_every_page_a_reader_sees(built_copy):
    """Hand edits that passed verify before: a Markdown cell of an executed notebook (its hash put into the
    manifest), the cycle page, the provenance page, the catalogue page and any HTML file of _site/."""
    from evalkit.execution.verify import compare_generated, compare_pages, verify_site

    project = Project(built_copy)
    cdir = built_copy / "reports/2022"
    manifest = json.loads((cdir / "manifest.json").read_text(encoding="utf-8"))
    assert compare_generated(project, 2022, cdir, manifest) == []
    assert verify_site(project) == []
    html = next(iter(sorted((built_copy / "_site").rglob("uebersicht.html"))))
    html.write_text(html.read_text(encoding="utf-8").replace("Leipzig", "Lipsk", 1), encoding="utf-8")
    problems = verify_site(project)
    rel = html.relative_to(built_copy / "_site").as_posix()
    assert f"site file {rel} was changed after `evalkit site`" in problems
    assert len(problems) == 1  # the fresh render matches the record: only the edited file is named
    # and once a report page is edited, the fresh render (from reports/) differs from what was published
    for rel, old, new in (("index.qmd", "Bezugsjahr", "Stichjahr"), ("provenienz.qmd", "Git-Commit", "Commit"),
                          ("../indikatoren.qmd", "Indikatoren", "Kennziffern")):
        f = cdir / rel
        f.write_text(f.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    problems = compare_generated(project, 2022, cdir, manifest)
    for rel in ("reports/2022/index.qmd", "reports/2022/provenienz.qmd", "reports/indikatoren.qmd"):
        assert f"page {rel} differs from the page generated from the recorded results" in problems
    # a Markdown cell (not an output) edited: the whole notebook is compared with a fresh run's copy of it
    import nbformat

    nb_path = cdir / "trends.ipynb"
    fresh = built_copy.parent / "fresh"
    (fresh / "x").mkdir(parents=True)
    import shutil

    shutil.copy(nb_path, fresh / "x" / "trends.ipynb")
    nb = nbformat.read(nb_path, as_version=4)
    md_cell = next(i for i, c in enumerate(nb.cells) if c.cell_type == "markdown")
    nb.cells[md_cell].source = nb.cells[md_cell].source.replace("Abstand", "Vorsprung", 1) + " (geändert)"
    nbformat.write(nb, nb_path)
    found = compare_pages(cdir, fresh / "x")
    assert f"page trends.ipynb: cell {md_cell} (markdown) differs from a fresh run" in found
    # the site published before these edits no longer matches a render of the edited pages
    assert "site file reports/2022/index.html differs from a fresh render" in verify_site(project)


def test_a_forced_rerun_with_identical_results_changes_no_byte(built_copy):
    """Notebooks without timings and random cell ids, the manifest keeping its date when nothing changed: a
    forced rerun leaves every published file as it was, so a renderer is handed nothing."""
    cdir = built_copy / "reports/2022"
    before = {f.relative_to(cdir): f.read_bytes() for f in sorted(cdir.rglob("*")) if f.is_file()}
    report = run_cycles(Project(built_copy), [2022], force=True, progress=False, log=quiet)
    assert report.ok and len(report.executed) == 8
    after = {f.relative_to(cdir): f.read_bytes() for f in sorted(cdir.rglob("*")) if f.is_file()}
    changed = sorted(str(k) for k in set(before) | set(after) if before.get(k) != after.get(k))
    assert changed == [], changed


def test_the_profiles_are_planned_with_the_newest_cycle_and_name_every_cycle():
    """The plan from the repository's own params: profiles only with the newest cycle, whose title names all
    cycles, also when that cycle is planned alone (as `evalkit verify --cycle 2024` re-runs it)."""
    from pathlib import Path

    from evalkit.cycles.params import load_cycles
    from evalkit.execution.runner import plan
    from evalkit.indicators.catalogue import load_catalogue

    project = Project(Path(__file__).resolve().parents[2])
    cycles = load_cycles(project.params, load_catalogue(project.catalogue_file), (2000, 2030))
    every = plan(project, cycles)
    profiles = [t for t in every if t.output.startswith("profile/")]
    assert len(profiles) == 17 and {t.cycle for t in profiles} == {2024}
    assert {t.cycle for t in every} == {2018, 2020, 2022, 2024} and len(every) == 4 * 8 + 17
    alone = [t for t in plan(project, {2024: cycles[2024]}) if t.output.startswith("profile/")]
    assert [t.title_vars for t in alone] == [t.title_vars for t in profiles]
    assert {t.title_vars["cycles"] for t in alone} == {"2018, 2020, 2022, 2024"}
    assert not any(t.output.startswith("profile/") for t in plan(project, {2022: cycles[2022]}))
