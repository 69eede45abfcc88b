"""Benchmarks that print figures (not tests). `python benchmarks/run.py engine` or `... build`.

evaluate: `evalkit evaluate` on Prop 99 with all five estimators and SDID placebo variance.
quarto: pages handed to Quarto (a recording stand-in) for a cold site build, a forced rerun with identical
        results (0) and one changed params file.
engine: the indicator engine on the real data and on synthetic cities with 10× and 100× the Ortsteile
        (each Ortsteil copied with a new code, keeping its Stadtbezirk and Planungsraum).
build:  cold build (all cycles, all cores, incl. 63 Ortsteil pages and a PDF per cycle), no-change rebuild, a
        changed params file (only its cycle re-executes), the Ortsteil-page notebooks and the PDFs, the share of
        time spent starting kernels, and forked kernels (default) against audited warm kernels and a fresh
        kernel per notebook.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))


def mirror() -> Path:
    return Path(os.environ.get("EVALKIT_DATA_MIRROR", REPO.parent / "shared" / "data" / "leipzig")).resolve()


def scaled(obs, areas, k: int):
    import pandas as pd

    if k == 1:
        return obs, areas
    ot = obs[obs["level"] == "ortsteil"]
    obs_parts, area_parts = [], []
    for i in range(k):
        suffix = f"-{i}" if i else ""
        obs_parts.append(ot.assign(area_code=ot["area_code"] + suffix))
        area_parts.append(areas.assign(ot_code=areas["ot_code"] + suffix, ortsteil=areas["ortsteil"] + suffix))
    return pd.concat(obs_parts, ignore_index=True), pd.concat(area_parts, ignore_index=True)


def bench_engine(repeats: int) -> None:
    from evalkit.acquire.areas import load_areas
    from evalkit.acquire.observations import load_observations
    from evalkit.acquire.sources import load_registry
    from evalkit.indicators.catalogue import load_catalogue
    from evalkit.indicators.engine import compute_indicators

    reg = load_registry(REPO / "data" / "sources.yaml")
    areas = load_areas(REPO / "data" / "areas.csv")
    cat = load_catalogue(REPO / "data" / "indicators.yaml")
    t0 = time.perf_counter()
    obs = load_observations(mirror(), reg.of_kind("api"), areas)
    print(f"load + validate observations (real data, {len(obs):,d} rows): {time.perf_counter() - t0:.2f} s")
    base = None
    print(f"{'scale':>6} {'Ortsteile':>10} {'obs rows':>10} {'out rows':>10} {'median s':>9} {'s per 1k OT':>12}")
    for k in (1, 10, 100):
        o, a = scaled(obs, areas, k)
        times = []
        for _ in range(repeats if k < 100 else 1):
            t = time.perf_counter()
            out = compute_indicators(o, a, cat)
            times.append(time.perf_counter() - t)
        med = statistics.median(times)
        base = base or med
        print(f"{k:>5}× {len(a):>10,d} {len(o):>10,d} {len(out):>10,d} {med:>9.2f} {1000 * med / len(a):>12.2f}"
              f"   ({med / base:.1f}× the real-data time)")


def bench_build() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "proj"
        sys.path.insert(0, str(REPO / "tests"))
        from conftest import copy_project

        copy_project(root)
        env = dict(os.environ, EVALKIT_DATA_MIRROR=str(mirror()), EVALKIT_TIMING="1")
        cmd = [sys.executable, "-m", "evalkit", "--root", str(root)]

        def timed(*args):
            t = time.perf_counter()
            r = subprocess.run(cmd + list(args), env=env, capture_output=True, text=True)
            if r.returncode:
                sys.exit(f"{' '.join(args)} failed:\n{r.stdout}\n{r.stderr}")
            return time.perf_counter() - t, r.stdout

        t_fetch, _ = timed("fetch")
        t_ind, _ = timed("indicators")
        t_run, out = timed("run", "--all", "--no-progress")
        t_site, _ = timed("site")
        kernel = sum(float(line.split()[-2]) for line in out.splitlines() if line.startswith("kernel-startup"))
        cells = sum(float(line.split()[-2]) for line in out.splitlines() if line.startswith("notebook-total"))
        t_warm, _ = timed("run", "--all", "--no-progress")
        t_warm_build, _ = timed("build", "--no-progress")
        profiles = {line.split()[1]: float(line.split()[-2]) for line in out.splitlines()
                    if line.startswith("notebook-total") and "/ortsteilprofile" in line}
        pages = sum(1 for _ in (root / "_site").rglob("ortsteil/*.html"))
        pdf_times, routes = [], set()
        for c in sorted(int(d.name) for d in (root / "reports").iterdir() if d.name.isdigit()):
            t = time.perf_counter()
            r = subprocess.run([sys.executable, "-c", (
                "import json,sys; from pathlib import Path; from evalkit.paths import Project;"
                "from evalkit.cycles.params import load_cycles; from evalkit.indicators.catalogue import load_catalogue;"
                "from evalkit.indicators.engine import read_indicator_table; from evalkit.publish.report_pdf import "
                "write_cycle_pdf; pr = Project(Path(sys.argv[1])); c = int(sys.argv[2]);"
                "cy = load_cycles(pr.params, load_catalogue(pr.catalogue_file), read_indicator_table(pr.indicators_csv));"
                "m = json.loads((pr.reports / str(c) / 'manifest.json').read_text());"
                "print(write_cycle_pdf(pr, cy[c], pr.reports / str(c), m))"), str(root), str(c)],
                env=env, check=True, capture_output=True, text=True)
            pdf_times.append(time.perf_counter() - t)
            routes.add(r.stdout.strip().splitlines()[-1])
        params = root / "params" / "cycle-2024.yaml"
        params.write_text(params.read_text(encoding="utf-8").replace("small_denominator: 50", "small_denominator: 60"),
                          encoding="utf-8")
        t_changed, changed_out = timed("run", "--all", "--no-progress")
        executed = next((ln for ln in changed_out.splitlines() if "executed" in ln and "reused" in ln), "")
        t_fresh, _ = timed("run", "--all", "--force", "--no-progress", "--kernels", "fresh")
        t_audited, _ = timed("run", "--all", "--force", "--no-progress", "--kernels", "audited")
        cold = t_fetch + t_ind + t_run + t_site
        print(f"cold build: {cold:.1f} s (fetch {t_fetch:.1f}, indicators {t_ind:.1f}, run --all {t_run:.1f}, "
              f"site {t_site:.1f}) on {os.cpu_count()} cores")
        if cells:
            print(f"kernel start-up and reset: {kernel:.1f} s of {cells:.1f} s notebook time ({100 * kernel / cells:.0f} %)")
        print(f"warm run --all (nothing changed): {t_warm:.2f} s; warm full build: {t_warm_build:.1f} s")
        print(f"Ortsteil pages: {pages} rendered; their notebook per cycle: "
              + ", ".join(f"{k} {v:.1f} s" for k, v in sorted(profiles.items())))
        print(f"PDF report per cycle (each in a new process, imports included; typeset by "
              f"{', '.join(sorted(routes))}): " + ", ".join(f"{t:.1f} s" for t in pdf_times))
        print(f"params of cycle 2024 changed: run --all {t_changed:.1f} s; {executed.strip()}")
        print(f"run --all --force: forked kernels (default) {t_run:.1f} s (the cold run above), audited warm "
              f"kernels {t_audited:.1f} s, fresh kernel per notebook {t_fresh:.1f} s")


def bench_evaluate(repeats: int) -> None:
    """Prop 99 (39 states × 31 years) with all five estimators and SDID placebo variance, 200 replications, as
    one `evalkit evaluate` call in a new process (imports included); target ≤ 10 s on 2 cores."""
    panel = REPO.parent / "shared" / "data" / "panels" / "california_prop99.csv"
    design = ("unit: State\ntime: Year\noutcome: PacksPerCapita\ntreated: treated\nstart: 1989\n"
              "estimators: [did, twfe, event_study, sc, sdid]\ninference: [cluster, placebo]\ndraws: 200\n"
              "seed: 1\n")
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp) / "design.yaml"
        d.write_text(design, encoding="utf-8")
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "evalkit", "evaluate", str(panel), "--design", str(d), "--out",
                            str(Path(tmp) / "r.csv"), "--weights", str(Path(tmp) / "w.csv")], check=True,
                           capture_output=True, env={**os.environ, "PYTHONPATH": str(REPO / "src")})
            times.append(time.perf_counter() - t0)
        print(f"evaluate Prop 99, 5 estimators, SDID and SC placebo variance (200 replications): median "
              f"{statistics.median(times):.1f} s of {repeats} runs (target ≤ 10 s) on {os.cpu_count()} cores")


STAND_IN = """#!{python}
import json, os, pathlib, sys
args = sys.argv[1:]
if "--to" in args:  # the PDF route: a placeholder PDF, only the site's pages are counted
    pathlib.Path(args[args.index("--output") + 1]).write_bytes(b"%PDF-1.4\\n%%EOF\\n")
    sys.exit(0)
with open({calls!r}, "a") as f:
    f.write(json.dumps(args) + "\\n")
root = pathlib.Path(args[1]) if args[1].startswith("/") else pathlib.Path.cwd()
(root / "_site").mkdir(exist_ok=True)
(root / "_site" / "index.html").write_text("<html lang='de'></html>")
"""


def bench_quarto(project: Path | None) -> None:
    """Pages handed to Quarto (a stand-in on PATH that records its arguments; real Quarto cannot be installed
    here): a cold site build, a forced rerun with identical results, one changed params file."""
    import json
    import shutil

    from evalkit.execution.runner import run_cycles
    from evalkit.paths import Project
    from evalkit.publish import site

    src = project or REPO
    if not (src / "reports" / "indikatoren.qmd").is_file():
        raise SystemExit(f"{src} has no executed reports: run ./tasks build first or pass --project")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "proj"
        # .git too: the notebooks record the commit, and a copy without it would change every notebook
        shutil.copytree(src, root, symlinks=True, ignore=shutil.ignore_patterns(".venv", "_site"))
        calls, bin_dir = Path(tmp) / "calls.jsonl", Path(tmp) / "bin"
        bin_dir.mkdir()
        (bin_dir / "quarto").write_text(STAND_IN.format(python=sys.executable, calls=str(calls)), encoding="utf-8")
        (bin_dir / "quarto").chmod(0o755)
        os.environ["PATH"] = f"{bin_dir}{os.pathsep}{os.environ['PATH']}"
        proj = Project(root)

        def handed() -> str:
            lines = calls.read_text(encoding="utf-8").splitlines() if calls.is_file() else []
            calls.unlink(missing_ok=True)
            if not lines:
                return "0 pages (Quarto not started)"
            argv = json.loads(lines[-1])
            if argv[1].startswith("/"):  # the staged project, rendered whole: count its pages from the record
                record = json.loads((proj.reports / site.SOURCES_RECORD).read_text(encoding="utf-8"))
                pages = site.pages_of(record["sources"], site.render_patterns(root / "_quarto.yml"))
                return f"the whole project ({len(pages)} pages)"
            return f"{len([a for a in argv[1:] if not a.startswith('--')])} pages"

        quiet = lambda *_a, **_k: None  # noqa: E731
        # the reports as a machine with Quarto makes them: its PDF route (here the stand-in's placeholder) is
        # recorded in the manifest, so reports executed without Quarto would differ from the first rerun
        run_cycles(proj, None, force=True, progress=False, log=quiet)
        calls.unlink(missing_ok=True)
        site.build_site(proj, log=quiet)
        print(f"Quarto, cold build: {handed()}")
        before = json.loads((proj.reports / site.SOURCES_RECORD).read_text(encoding="utf-8"))["sources"]
        run_cycles(proj, None, force=True, progress=False, log=quiet)
        site.build_site(proj, log=quiet)
        after = json.loads((proj.reports / site.SOURCES_RECORD).read_text(encoding="utf-8"))["sources"]
        changed = sorted(f for f in set(before) | set(after) if before.get(f) != after.get(f))
        if changed:
            print(f"  files that changed in the staged project: {', '.join(changed[:8])}")
        print(f"Quarto, forced rerun with identical results: {handed()}")
        pf = root / "params" / "cycle-2024.yaml"
        pf.write_text(pf.read_text(encoding="utf-8").replace("small_denominator: 50", "small_denominator: 60"),
                      encoding="utf-8")
        run_cycles(proj, None, progress=False, log=quiet)
        site.build_site(proj, log=quiet)
        print(f"Quarto, params of cycle 2024 changed (small_denominator): {handed()}")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["engine", "evaluate", "build", "quarto", "all"], nargs="?", default="all")
    p.add_argument("--project", type=Path, default=None, help="a built project for `quarto` (default: this one)")
    p.add_argument("--repeats", type=int, default=3)
    a = p.parse_args()
    if a.what in ("engine", "all"):
        bench_engine(a.repeats)
    if a.what in ("evaluate", "all"):
        bench_evaluate(a.repeats)
    if a.what in ("build", "all"):
        bench_build()
    if a.what in ("quarto", "all"):
        bench_quarto(a.project)


if __name__ == "__main__":
    main()
