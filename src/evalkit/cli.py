"""The command line: parse, call the package, report. No logic lives here (papermill's cli.py is the model)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from evalkit.errors import EvalkitError
from evalkit.paths import Project, mirror_from_env


def _project(args) -> Project:
    return Project.here(args.root)


def cmd_fetch(args) -> int:
    from evalkit.acquire.fetch import fetch
    from evalkit.acquire.sources import load_registry

    project = _project(args)
    mirror = mirror_from_env(args.mirror)
    registry = load_registry(Path(args.sources) if args.sources else project.sources_file)
    print(f"evalkit fetch: {'mirror ' + str(mirror) if mirror else 'live sources'} → {project.raw}")
    from evalkit.indicators.pipeline import validate_raw

    manifest = fetch(registry, project.raw, mirror, validate=lambda staged: validate_raw(project, staged))
    print(f"evalkit fetch: {len(manifest['files'])} files, checksums in {project.raw / 'MANIFEST.json'}")
    return 0


def cmd_indicators(args) -> int:
    from evalkit.indicators.checks import match_rates
    from evalkit.indicators.pipeline import build_indicators

    project = _project(args)
    t0 = time.perf_counter()
    res = build_indicators(project)
    t = res.indicators
    print(f"evalkit indicators: {len(t):,d} rows, {t['indicator'].nunique()} indicators, "
          f"{t[t.level == 'ortsteil'].area_code.nunique()} Ortsteile, {t[t.level == 'stadtbezirk'].area_code.nunique()} "
          f"Stadtbezirke, {t[t.level == 'planungsraum'].area_code.nunique()} Planungsräume, city; "
          f"years {t.year.min()}–{t.year.max()} → {project.indicators_csv} ({time.perf_counter() - t0:.1f} s)")
    for _, r in match_rates(res.share_check).iterrows():
        print(f"  published-share check {r['indicator']:22s} {r['matched']:>5d}/{r['checked']:<5d} "
              f"= {100 * r['rate']:.1f} %")
    for ind, g in res.incomplete.groupby("indicator"):
        part, none = g[g["ortsteile"] > 0], g[g["ortsteile"] == 0]
        if len(part):
            print(f"  note: {ind}: in {', '.join(map(str, part['year']))} not every Ortsteil has data, so "
                  f"Stadtbezirk, Planungsraum and city values are not formed (data/processed/incomplete.csv)")
        if len(none):
            print(f"  note: {ind}: no data at all in {', '.join(map(str, none['year']))} (a gap in the series)")
    dens = res.density_check["class"].value_counts()
    print(f"  published-density check {len(res.density_check):,d} Ortsteil-years: "
          + ", ".join(f"{n} {c}" for c, n in dens.items()) + " (data/processed/density_check.csv)")
    return 0


def cmd_areas(args) -> int:
    from evalkit.acquire.areas import build_area_table
    from evalkit.fileio import write_table

    project = _project(args)
    mirror = mirror_from_env(args.source)
    if mirror is None:
        raise EvalkitError("no folder with geo/ortsteile.csv and planning/jh_planungsraeume_2012.csv given",
                           expected="--from PATH or EVALKIT_DATA_MIRROR")
    table = build_area_table(mirror / "geo" / "ortsteile.csv", mirror / "planning" / "jh_planungsraeume_2012.csv")
    write_table(project.areas_file, table)
    print(f"evalkit areas: {len(table)} Ortsteile → {project.areas_file}")
    return 0


def cmd_run(args) -> int:
    from evalkit.execution.runner import run_cycles

    project = _project(args)
    cycles = None if args.all else args.cycle
    report = run_cycles(project, cycles, jobs=args.jobs, force=args.force, progress=not args.no_progress,
                        kernel_mode=args.kernels, timeout=args.timeout)
    return 0 if report.ok else 1


def cmd_verify(args) -> int:
    from evalkit.execution.verify import verify_cycle, verify_site

    project = _project(args)
    if args.cycle is None and not args.site:
        raise EvalkitError("nothing to verify", expected="--cycle YEAR and/or --site")
    if args.site:
        problems = verify_site(project)
        if problems:
            print("evalkit verify: the published site does NOT match:")
            for p in problems:
                print(f"  - {p}")
            return 1
        print("evalkit verify: every published site file has its recorded hash and a fresh render gives the same")
        if args.cycle is None:
            return 0
    import json

    from evalkit.cycles.provenance import environment, environment_differences

    mpath = project.reports / str(args.cycle) / "manifest.json"
    if mpath.is_file():
        diff = environment_differences(json.loads(mpath.read_text(encoding="utf-8")).get("code", {}),
                                       environment(project.root))
        for d in diff:
            print(f"evalkit verify: note: the environment differs from the recorded one: {d}")
    problems = verify_cycle(project, args.cycle, jobs=args.jobs)
    if problems:
        print(f"evalkit verify: cycle {args.cycle} does NOT reproduce:")
        for p in problems:
            print(f"  - {p}")
        return 1
    print(f"evalkit verify: cycle {args.cycle} reproduces: every result table, page, manifest hash and the PDF "
          "report match")
    return 0


def cmd_site(args) -> int:
    from evalkit.publish.site import build_site

    project = _project(args)
    result = build_site(project, renderer=args.renderer)
    print(f"evalkit site: rendered with {result.renderer} → {result.output} ({result.pages} pages)")
    return 0


def cmd_lab(args) -> int:
    from evalkit.execution.lab import start_lab

    import signal

    server = start_lab(_project(args), int(args.cycle) if args.cycle else None, args.port,
                       open_browser=not args.no_browser)

    def stop(signum, _frame):  # SIGTERM (a service manager, `kill`) stops JupyterLab too, as Ctrl-C does
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        return server.wait()
    except KeyboardInterrupt:
        server.terminate()
        try:
            server.wait(timeout=30)
        except Exception:
            server.kill()
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)


def cmd_index(args) -> int:
    from evalkit.analyses.index import run_index

    result, messages = run_index(Path(args.table), Path(args.method), Path(args.out))
    for m in messages:
        print(f"evalkit index: {m}", file=sys.stderr)
    scored = result["index"].notna().sum()
    print(f"evalkit index: {len(result)} areas, {scored} scored, {len(result) - scored} not scored → {args.out}")
    return 0


def cmd_evaluate(args) -> int:
    from evalkit.analyses.evaluate import run_evaluate

    notes: list[str] = []
    result, weights = run_evaluate(Path(args.panel), Path(args.design), Path(args.out),
                                   Path(args.weights) if args.weights else None, notes)
    for n in notes:
        print(f"evalkit evaluate: note: {n}", file=sys.stderr)
    first = result.iloc[0] if len(result) else None
    print(f"evalkit evaluate: {len(result)} estimates ({', '.join(dict.fromkeys(result['estimator']))}; "
          f"{int(first['n_treated'])} treated, {int(first['n_control'])} control units, "
          f"{int(first['periods_pre'])} pre- and {int(first['periods_post'])} post-periods) → {args.out}"
          + (f"; {len(weights)} weights → {args.weights}" if args.weights else ""))
    return 0


def cmd_build(args) -> int:
    for step in (cmd_fetch, cmd_indicators, cmd_run, cmd_site):
        rc = step(args)
        if rc:
            print(f"evalkit build: stopped at {step.__name__[4:]}; the last good outputs stay in place",
                  file=sys.stderr)
            return rc
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="evalkit", description="Reproducible IKJHP evaluation workbook for Leipzig.")
    p.add_argument("--root", help="project folder (default: the nearest folder upwards with data/sources.yaml)")
    sub = p.add_subparsers(dest="command", required=True)
    _add = sub.add_parser

    def add_parser(name, **kw):  # `evalkit X --help` shows the one-line help as its description too
        kw.setdefault("description", kw.get("help"))
        return _add(name, **kw)

    sub.add_parser = add_parser

    def mirror_opt(sp):
        sp.add_argument("--mirror", help="read sources from this data mirror instead of the web "
                                         "(default: $EVALKIT_DATA_MIRROR)")
        sp.add_argument("--sources", help="source registry (default data/sources.yaml)")

    def run_opts(sp, all_default=False):
        sp.add_argument("--jobs", "-j", type=int, default=None, help="parallel notebooks (default: all cores)")
        sp.add_argument("--force", action="store_true", help="re-execute even when nothing changed")
        sp.add_argument("--no-progress", action="store_true", help="no progress bar")
        sp.add_argument("--kernels", choices=["forked", "audited", "fresh"], default=None,
                        help="forked (default): a never-used kernel per notebook, forked from a pre-imported "
                             "server; audited: a warm kernel reused while its audited state is unchanged; fresh: "
                             "a new kernel per notebook as papermill starts it ($EVALKIT_KERNELS)")
        sp.add_argument("--timeout", type=float, default=None,
                        help="seconds a cell may run before the notebook fails (default 600, "
                             "$EVALKIT_CELL_TIMEOUT)")
        sp.set_defaults(all=all_default, cycle=None)

    f = sub.add_parser("fetch", help="download (or copy from a mirror) every source into data/raw/")
    mirror_opt(f)
    f.set_defaults(func=cmd_fetch)

    i = sub.add_parser("indicators", help="compute data/processed/indicators.csv",
                       description="Validate the fetched files (data/raw/) and compute every catalogue indicator "
                                   "for Ortsteile, Stadtbezirke, Planungsräume and the city into "
                                   "data/processed/indicators.csv, with the published-share and density checks.")
    i.set_defaults(func=cmd_indicators)

    a = sub.add_parser("areas", help="rebuild data/areas.csv from the published crosswalk")
    a.add_argument("--from", dest="source", help="folder with geo/ and planning/ (default: $EVALKIT_DATA_MIRROR)")
    a.set_defaults(func=cmd_areas)

    r = sub.add_parser("run", help="execute the cycle notebooks with papermill into reports/<cycle>/")
    g = r.add_mutually_exclusive_group(required=True)
    g.add_argument("--cycle", action="append", type=int, help="a cycle (e.g. 2022); repeatable")
    g.add_argument("--all", action="store_true", help="every params/cycle-*.yaml")
    run_opts(r)
    r.set_defaults(func=cmd_run)

    v = sub.add_parser("verify", help="re-execute a cycle in a temporary folder and compare its results")
    v.add_argument("--cycle", type=int, help="the cycle to verify (e.g. 2022)")
    v.add_argument("--site", action="store_true", help="also check every file of _site/ against the record of "
                                                       "`evalkit site` and a fresh render")
    v.add_argument("--jobs", "-j", type=int, default=None, help="parallel notebooks (default: all cores)")
    v.set_defaults(func=cmd_verify)

    s = sub.add_parser("site", help="render the Quarto website into _site/ (quarto, or smalldocs without it)")
    s.add_argument("--renderer", choices=["auto", "quarto", "smalldocs"], default="auto",
                   help="auto (default): quarto if on PATH, else smalldocs")
    s.set_defaults(func=cmd_site)

    lab = sub.add_parser("lab", help="start JupyterLab in the project; templates open as notebooks of one cycle")
    lab.add_argument("--cycle", type=int, help="the cycle whose parameters the templates use (default: the latest)")
    lab.add_argument("--port", type=int, help="port of the server (default: JupyterLab's, 8888 or the next free)")
    lab.add_argument("--no-browser", action="store_true", help="do not open a browser")
    lab.set_defaults(func=cmd_lab)

    ix = sub.add_parser("index", help="apply a need-index method file to any CSV table of areas")
    ix.add_argument("table", help="CSV table, one row per area (; or , separated, decimal point or comma)")
    ix.add_argument("--method", required=True, help="method file (YAML), e.g. data/index_methods/berlin-mss-status.yaml")
    ix.add_argument("--out", required=True, help="result CSV: id, name, index, rank, class")
    ix.set_defaults(func=cmd_index)

    ev = sub.add_parser("evaluate", help="apply evaluation estimators (did, twfe, event_study, its, sc, sdid) to "
                                         "any long panel of units and periods")
    ev.add_argument("panel", help="CSV panel, one row per unit and period (; or , separated, decimal point or comma)")
    ev.add_argument("--design", required=True, help="design file (YAML): columns, treated, start, estimators, "
                                                    "inference")
    ev.add_argument("--out", required=True, help="result CSV: estimator, term, estimate, se, lower, upper, p, "
                                                 "inference, n_treated, n_control, periods_pre, periods_post")
    ev.add_argument("--weights", help="CSV of the sc/sdid weights: estimator, kind (unit|time), id, weight")
    ev.set_defaults(func=cmd_evaluate)

    b = sub.add_parser("build", help="fetch + indicators + run --all + site")
    mirror_opt(b)
    run_opts(b, all_default=True)
    b.add_argument("--renderer", choices=["auto", "quarto", "smalldocs"], default="auto",
                   help="auto (default): quarto if on PATH, else smalldocs")
    b.set_defaults(func=cmd_build)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except EvalkitError as e:
        print(f"evalkit {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"evalkit {args.command}: interrupted; the last good outputs stay in place", file=sys.stderr)
        return 130
