"""Execute the cycle notebooks with papermill into reports/<cycle>/, in parallel, incrementally.

A notebook is re-executed only when its fingerprint changed (its template, its parameters, the evalkit package's
code) or one of the input files it read last time (each notebook records them: evalkit.reads); a notebook
without such a record counts every input under data/. Each run executes into a staging folder and is moved into reports/ only when
it succeeded, so a failing notebook never replaces its last good executed copy.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import shutil
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from evalkit import reads
from evalkit.acquire import sources
from evalkit.acquire.areas import profile_areas
from evalkit.settings import settings
from evalkit.cycles.params import CycleParams, cycle_files, load_cycles
from evalkit.cycles.provenance import code_hash, environment, input_hashes
from evalkit.publish.fmt import md
from evalkit.errors import EvalkitError, NotebookError
from evalkit.execution import kernels
from evalkit.fileio import (
    OLD_SUFFIX,
    atomic_write_text,
    read_table,
    sha256_file,
    swap_dir,
)
from evalkit.indicators.catalogue import load_catalogue
from evalkit.indicators.engine import read_indicator_table
from evalkit.paths import FIGURE_FOLDER, FIGURE_MARKER, Project

STATE = ".state.json"
CYCLE_NOTEBOOKS = ["uebersicht", "ortsteile", "datenqualitaet", "schwerpunktraeume", "trends", "massnahmen",
                   "ortsteilprofile"]
PROFILE_NOTEBOOK = "profil"
# the committee report: reads the tables of the cycle's other notebooks, so it runs after them (and whenever one
# of them ran); the PDF is typeset from its saved outputs
REPORT_NOTEBOOK = "bericht"
GROUP_NOTEBOOKS = {"trends", "ortsteilprofile"}  # use the evaluation group (fixed by another cycle's parameters)
# show every cycle so far (their parameters too): the Ortsteil pages and the Stadtbezirk and Planungsraum profiles,
# one page per area across all cycles, standing with the newest cycle
HISTORY_NOTEBOOKS = {"ortsteilprofile", PROFILE_NOTEBOOK}
# pages a notebook writes beside its tables, by the notebook that owns them (reports/<cycle>/ortsteil/*.qmd): its
# run replaces the folder whole, and removes it when it writes none (an older cycle once a newer one exists)
PAGE_FOLDERS = {"ortsteil": "ortsteilprofile.ipynb"}
AREA_LABEL = {"stadtbezirk": "Stadtbezirk", "planungsraum": "Planungsraum"}


@dataclass
class Task:
    cycle: int
    template: str
    output: str  # relative to reports/<cycle>/
    parameters: dict
    title_vars: dict
    fingerprint: str = ""
    tables: str | None = None  # the report: the staged cycle's tables, which it reads (set when it is staged)

    @property
    def label(self) -> str:
        return f"{self.cycle}/{self.output}"


@dataclass
class RunReport:
    executed: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    timings: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


def templates(project: Project) -> dict[str, Path]:
    return {p.stem: p for p in sorted(project.notebooks.glob("*.py"))}


def plan(project: Project, cycles: dict[int, CycleParams]) -> list[Task]:
    """Every notebook of every cycle: the cycle pages, and with the newest cycle of params/ one profile per
    Stadtbezirk and Planungsraum across all cycles (a run of older cycles alone has none)."""
    areas = read_table(project.areas_file)
    tpl = templates(project)
    every = sorted(cycle_files(project.params))  # the title names all cycles, also when only some run
    latest = every[-1]
    tasks = []
    for c, p in sorted(cycles.items()):
        base = {"project_root": str(project.root), "cycle": c}
        tv = {"cycle": c, "description": p.description, "plan_start": p.evaluation.plan_start,
              "first_year": p.evaluation.first_year}
        for name in CYCLE_NOTEBOOKS:
            if name in tpl:
                tasks.append(Task(c, name, f"{name}.ipynb", dict(base), tv))
        if REPORT_NOTEBOOK in tpl:
            tasks.append(Task(c, REPORT_NOTEBOOK, f"{REPORT_NOTEBOOK}.ipynb", dict(base), tv))
        for level in (p.profiles if c == latest else []):
            for code, name in profile_areas(areas, level):
                params = dict(base, level=level, area_code=str(code))
                tasks.append(Task(c, PROFILE_NOTEBOOK, f"profile/{level}-{code}.ipynb", params,
                                  dict(tv, area_name=name, area_label=AREA_LABEL[level],
                                       cycles=", ".join(str(x) for x in every if x <= c))))
    return tasks


def fingerprint(task: Task, template_bytes: bytes, cycle_params: dict) -> str:
    """Everything but the data files: those count by what the notebook read (`up_to_date`)."""
    h = hashlib.sha256()
    portable = {k: v for k, v in task.parameters.items() if k != "project_root"}  # a moved checkout stays warm
    for part in (template_bytes, json.dumps(portable, sort_keys=True).encode(),
                 json.dumps(cycle_params, sort_keys=True).encode(), code_hash().encode()):
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def execute(task: Task, template: Path, staging: Path, provenance: dict) -> dict:
    """Run one notebook (in a worker process) in its staging folder; return its timings. Raises NotebookError
    on any failure, naming cycle, notebook and cell; the worker's kernel is then replaced."""
    import jupytext
    import nbformat
    import papermill as pm
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    session = kernels.session()
    nb = jupytext.read(template)
    out_nb = staging / Path(task.output).name
    params = dict(task.parameters, output_dir=task.tables or str(staging / "tabellen"))
    where = f"cycle {task.cycle}, notebook {task.template} → {task.output}"
    started = _now()
    t0 = time.perf_counter()
    (staging / reads.LOG_NAME).write_text("", encoding="utf-8")  # asks the notebook to list what it reads
    (staging / FIGURE_MARKER).write_text(f"{FIGURE_FOLDER}/{Path(task.output).stem}", encoding="utf-8")
    try:
        extra, outcome = session.prepare(str(staging))
        pm.execute_notebook(nb, str(out_nb), parameters=params, kernel_name="python3", progress_bar=False,
                            log_output=False, execution_timeout=session.timeout,
                            start_timeout=kernels.STARTUP_TIMEOUT, **extra)
    except pm.PapermillExecutionError as e:
        session.discard()
        raise NotebookError(f"cell {e.exec_count} (index {e.cell_index}) raised {e.ename}: {e.evalue}",
                            file=where, expected="a notebook that runs to the end") from None
    except CellTimeoutError:
        session.discard()
        raise NotebookError(f"a cell ran longer than the timeout of {session.timeout:g} s and was stopped",
                            file=where, expected="cells that finish within EVALKIT_CELL_TIMEOUT / --timeout") from None
    except DeadKernelError as e:
        session.discard()
        raise NotebookError(f"the kernel died ({e})", file=where,
                            expected="a notebook that does not end its own kernel") from None
    except Exception as e:  # kernel failed to start, bad JSON …: still name cycle and notebook
        session.discard()
        raise NotebookError(f"{type(e).__name__}: {e}", file=where) from None
    total = time.perf_counter() - t0
    entries = reads.read_log(staging)
    root = task.parameters.get("project_root")
    read = None if entries is None or not root else reads.state_of(Path(root), entries)
    executed = nbformat.read(out_nb, as_version=4)
    _set_title(executed, task.title_vars)
    _portable_paths(executed, task, template)
    _stable(executed)
    executed.metadata["evalkit"] = {
        "cycle": task.cycle, "template": f"notebooks/{template.name}",
        "parameters": {k: v for k, v in params.items() if k not in ("project_root", "output_dir")},
        "fingerprint": task.fingerprint, "kernel": {"mode": session.mode}, **provenance,
    }
    if read is not None:  # the files this notebook read, by hash (the manifest lists all inputs of the cycle)
        executed.metadata["evalkit"]["inputs"] = {k: v for k, v in read.items() if not k.endswith("/")}
    nbformat.write(executed, out_nb)
    return {"task": task.label, "total": total, "kernel": outcome.startup, "reused": outcome.reused,
            "replaced": outcome.replaced, "started": started, "finished": _now(), "reads": read}


def _stable(nb) -> None:
    """Same inputs, same notebook bytes: papermill's and nbclient's timings go (the run's times are kept in the
    manifest), cell ids follow the cell's position, not a random draw. A forced rerun with identical results
    therefore changes no page, and a renderer is handed nothing."""
    pm = nb.metadata.get("papermill")
    if pm is not None:
        for k in ("start_time", "end_time", "duration", "exception"):
            pm.pop(k, None)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:03d}"
        md = cell.get("metadata", {})
        md.pop("papermill", None)
        md.pop("execution", None)


def _portable_paths(nb, task: Task, template: Path) -> None:
    """Paths in the published notebook relative to the project, never this machine's (or a deleted staging
    folder's): the injected parameter cell and papermill's record of its run."""
    rel = {"project_root": ".", "output_dir": f"reports/{task.cycle}/tabellen"}
    for cell in nb.cells:
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            cell.source = "\n".join(f"{k} = {rel[k]!r}" if k in rel else line
                                    for line in cell.source.splitlines()
                                    for k in [line.split("=", 1)[0].strip()])
    pm = nb.metadata.get("papermill")
    if pm is not None:
        pm["input_path"] = f"notebooks/{template.name}"
        pm["output_path"] = f"reports/{task.cycle}/{task.output}"
        pm["parameters"] = {k: rel.get(k, v) for k, v in pm.get("parameters", {}).items()}


def _set_title(nb, values: dict) -> None:
    """Fill the front matter's placeholders ({cycle}, {area_name} …) in the first raw cell."""
    for cell in nb.cells:
        if cell.cell_type == "raw" and cell.source.lstrip().startswith("---"):
            src = cell.source
            for k, v in values.items():  # data-derived: no markup, no shortcode, no quote that ends the YAML
                # string: Markdown-inert (md), then escaped for the double-quoted YAML scalar it sits in
                src = src.replace("{" + k + "}", json.dumps(md(" ".join(str(v).split())), ensure_ascii=False)[1:-1])
            cell.source = src
            return


def _worker(args):
    task, template, staging, provenance = args
    try:
        return task.label, execute(task, template, staging, provenance), None
    except EvalkitError as e:
        return task.label, None, str(e)


@dataclass
class DownloadJob:
    """A cycle's downloadable indicator table (CSV + XLSX): a few seconds of work that overlaps the notebooks."""
    cycle: int
    params: CycleParams
    staging: Path
    catalogue: object = None  # the indicator catalogue: names and units for the German downloads
    credit: str | None = None  # the project's credit line (data/sources.yaml)

    @property
    def label(self) -> str:
        return f"{self.cycle}/downloads"


def _download_worker(job: DownloadJob, table, restricted: set):
    from evalkit.publish import pages

    try:
        pages.write_downloads(job.staging, job.params, table, restricted, job.catalogue, job.credit)
        return job.label, None, None
    except Exception as e:  # any failure is named, never a bare traceback from the pool
        return job.label, None, f"cycle {job.cycle}, downloads: {type(e).__name__}: {e}"


def _label(job) -> str:
    return job.label if isinstance(job, DownloadJob) else job[0].label


def _weight(job) -> int:
    """Submission order for a balanced pool: long jobs first, the many short profile notebooks last."""
    if isinstance(job, DownloadJob):
        return 1
    return 2 if job[0].template == PROFILE_NOTEBOOK else 0


def run_cycles(project: Project, only: list | None = None, jobs: int | None = None, force: bool = False,
               progress: bool = True, log=print, kernel_mode: str | None = None, timeout: float | None = None,
               order=None) -> RunReport:
    """Validate every cycle's parameters, then execute what changed. Each cycle with work is staged as a whole
    (its current outputs plus the new ones, manifest and pages) and swapped into reports/ only when all of its
    notebooks succeeded: a failed or interrupted run leaves the previous complete cycle in place.

    One run at a time per project (a lock); what an interrupted run left behind is repaired first. `order`
    (tests) reorders the notebooks handed to the pool."""
    with run_lock(project):
        repair(project, log)
        return _run_cycles(project, only, jobs, force, progress, log, kernel_mode or kernels.mode_from_env(),
                           timeout or kernels.timeout_from_env(), order)


def _run_cycles(project, only, jobs, force, progress, log, kernel_mode, timeout, order) -> RunReport:
    from evalkit.publish import pages

    catalogue = load_catalogue(project.catalogue_file)
    if not project.indicators_csv.is_file():
        raise EvalkitError("no indicator table", file=project.indicators_csv, expected="run `evalkit indicators`")
    # the years alone validate the params; the whole table (read and schema-checked: 0.5 s) only when there is work
    cycles = load_cycles(project.params, catalogue, table_years(project.indicators_csv))  # a bad file stops all
    if only:
        wanted = {int(c) for c in only}
        unknown = wanted - set(cycles)
        if unknown:
            raise EvalkitError(f"no parameter file for cycle {sorted(unknown)[0]}", file=project.params,
                               expected=f"one of {sorted(cycles)}")
        selected = {c: p for c, p in cycles.items() if c in wanted}
    else:
        selected = cycles
    files = cycle_files(project.params)
    inputs = input_hashes(project)
    hashes: dict = {}  # path → current hash, shared by every notebook's check
    tpl = templates(project)
    tpl_bytes = {name: path.read_bytes() for name, path in tpl.items()}
    tasks = plan(project, selected)
    report = RunReport()
    todo = []
    states = {c: _read_state(project.reports / str(c)) for c in selected}
    broken = {c: problems for c in selected if (problems := cycle_problems(project.reports / str(c)))}
    for c, problems in sorted(broken.items()):
        log(f"evalkit run: cycle {c} does not match its manifest ({problems[0]}); re-executing it whole")
        states[c] = {}
    for t in tasks:
        p = selected[t.cycle]
        # of the compared cycle, notebooks use only its number and reference year
        cmp = {"cycle": p.compare_with, "reference_year": cycles[p.compare_with].reference_year} \
            if p.compare_with else None
        # the trend page's evaluation group comes from another cycle's parameters (the 2018 baseline)
        group = cycles[p.evaluation.group_from_cycle].model_dump() if t.template in GROUP_NOTEBOOKS else None
        # the Ortsteil pages span every cycle and stand with the newest: a new cycle moves them
        history = {"cycles": [cycles[x].model_dump() for x in sorted(cycles) if x <= t.cycle],
                   "latest": max(cycles)} if t.template in HISTORY_NOTEBOOKS else None
        t.fingerprint = fingerprint(t, tpl_bytes[t.template],
                                    {"self": p.model_dump(), "compare": cmp, "group": group, "history": history})
        done = states[t.cycle].get(t.output)
        if not force and up_to_date(project, done, t.fingerprint, inputs, hashes) \
                and (project.reports / str(t.cycle) / t.output).is_file():
            report.reused.append(t.label)
        else:
            todo.append(t)
    # the report reads what the cycle's other notebooks wrote: any of them executing executes it as well
    ran = {t.cycle for t in todo if t.template != REPORT_NOTEBOOK}
    for t in tasks:
        if t.template == REPORT_NOTEBOOK and t.cycle in ran and t.label in report.reused:
            report.reused.remove(t.label)
            todo.append(t)
    n = len(selected)
    log(f"evalkit run: {len(tasks)} notebooks in {n} cycle{'s' if n != 1 else ''}; {len(todo)} to execute, "
        f"{len(report.reused)} unchanged (reused, no kernel started)")
    staging_root = project.reports / STAGING
    restricted = {i.id for i in catalogue.indicators if i.restricted}
    # a cycle's downloads depend on exactly what its notebooks' fingerprints cover (table, params)
    credit = sources.credit_line(project.sources_file)
    downloads = [DownloadJob(c, p, staging_root / str(c) / "__downloads", catalogue, credit) for c, p in selected.items()
                 if force or any(t.cycle == c for t in todo) or not _downloads_present(project, p)]
    planned = {c: {t.output for t in tasks if t.cycle == c} for c in selected}
    stale = {c for c in selected if any(nb.relative_to(project.reports / str(c)).as_posix() not in planned[c]
                                        for nb in (project.reports / str(c)).rglob("*.ipynb"))}
    work_cycles = sorted({t.cycle for t in todo} | {j.cycle for j in downloads} | stale
                         | {c for c in selected if not (project.reports / str(c) / "manifest.json").is_file()})
    log_file = project.reports / KERNEL_LOG
    if work_cycles:
        table = read_indicator_table(project.indicators_csv)
        provenance = {"inputs": inputs, **environment(project.root)}
        shutil.rmtree(staging_root, ignore_errors=True)
        for c in work_cycles:  # the cycle as it stands: new outputs replace files in this copy
            _copy_cycle(project.reports / str(c), staging_root / str(c) / CYCLE_COPY)
        work = []
        for t in todo:
            st = staging_root / str(t.cycle) / "tasks" / t.output.replace("/", "__")
            st.mkdir(parents=True)
            if t.template == REPORT_NOTEBOOK:
                t.tables = str(staging_root / str(t.cycle) / CYCLE_COPY / "tabellen")
            prov = dict(provenance, params_file=str(files[t.cycle].relative_to(project.root)))
            work.append((t, tpl[t.template], st, prov))
        if order is not None:
            work = order(work)
        jobs = max(1, jobs or os.cpu_count() or 1)
        log_file.parent.mkdir(parents=True, exist_ok=True)
        log_file.write_text("", encoding="utf-8")
        jobs_list = [*downloads, *work] if order is not None else sorted([*downloads, *work], key=_weight)
        preload = kernels.template_imports(list(tpl.values())) if kernel_mode in ("audited", "forked") else []
        runs: dict = {}  # cycle → notebook → started/finished (kept in the manifest, not in the notebooks)
        if jobs_list:
            _execute_pool(project, jobs_list, jobs, kernel_mode, preload, timeout, table, restricted, progress,
                          log_file, report, states, staging_root, runs, inputs)
        for c in work_cycles:
            p = selected[c]
            failed_here = [x for x in report.failed if x.startswith(f"{c}/")]
            if failed_here:
                log(f"evalkit run: cycle {c} keeps its previous complete outputs ({len(failed_here)} failed)")
                continue
            stage = staging_root / str(c) / CYCLE_COPY
            for rel in _drop_unplanned(stage, planned[c], states[c]):
                runs.get(c, {}).pop(rel, None)
            for job in downloads:
                if job.cycle == c:
                    _move_files(job.staging / "downloads", stage / "downloads")
            _write_state(stage, states[c])
            pages.write_cycle_outputs(project, p, inputs, files[c], stage, runs.get(c, {}))
            swap_dir(stage, project.reports / str(c))
        shutil.rmtree(staging_root, ignore_errors=True)
    pages.write_site_pages(project, catalogue)
    if settings().timing:
        for tm in report.timings:
            log(f"kernel-startup {tm['task']} {tm['kernel']:.3f} s")
            log(f"notebook-total {tm['task']} {tm['total']:.3f} s")
    replaced = [tm for tm in report.timings if tm.get("replaced")]
    reused = sum(1 for tm in report.timings if tm.get("reused"))
    log(f"evalkit run: executed {len(report.executed)}, reused {len(report.reused)}, failed {len(report.failed)}"
        + (f"; kernels ({kernel_mode}): {reused} notebooks on an audited warm kernel, {len(replaced)} replaced one"
           if report.timings and kernel_mode == "audited" else "")
        + (f"; kernels (forked): {len(report.timings)} notebooks, each on a new kernel forked from a "
           "pre-imported server" if report.timings and kernel_mode == "forked" else ""))
    for tm in replaced:
        log(f"  kernel replaced before {tm['task']}: {'; '.join(tm['replaced'][:3])}")
    if report.failed:
        print("evalkit run: error: failing notebooks (their cycles keep their last complete outputs): "
              + ", ".join(sorted(report.failed)) + f"; kernel log: {log_file}", file=sys.stderr)
    elif log_file.exists():
        log_file.unlink()
    return report


def table_years(path: Path) -> tuple[int, int]:
    """First and last year of the indicator table, from its year column only (pyarrow reads it in milliseconds)."""
    import pyarrow.compute as pc
    from pyarrow import csv

    try:
        years = csv.read_csv(path, convert_options=csv.ConvertOptions(include_columns=["year"])).column("year")
        lo, hi = pc.min_max(years).values()
        return int(lo.as_py()), int(hi.as_py())
    except Exception:  # unreadable or no year column: the full read names the problem
        t = read_indicator_table(path)
        return int(t["year"].min()), int(t["year"].max())


def _execute_pool(project, jobs_list, jobs, kernel_mode, preload, timeout, table, restricted, progress,
                  log_file, report, states, staging_root, runs: dict | None = None,
                  all_inputs: dict | None = None) -> None:
    runs = {} if runs is None else runs
    n_notebooks = sum(1 for j in jobs_list if not isinstance(j, DownloadJob))
    bar = _progress(n_notebooks, progress)
    # spawned, not forked: a worker must not inherit the caller's event loops or ZeroMQ state
    try:
        with ProcessPoolExecutor(max_workers=min(jobs, len(jobs_list)), mp_context=multiprocessing.get_context("spawn"),
                                 initializer=kernels.init_worker,
                                 initargs=(str(log_file), kernel_mode, preload, timeout)) as pool:
            # a cycle's report waits for the cycle's other notebooks; it is submitted when the last one is done
            held = {j[0].cycle: j for j in jobs_list if not isinstance(j, DownloadJob)
                    and j[0].template == REPORT_NOTEBOOK}
            waiting = {c: sum(1 for j in jobs_list if not isinstance(j, DownloadJob) and j[0].cycle == c
                              and j[0].template != REPORT_NOTEBOOK) for c in held}
            broken: set = set()

            def submit(j):
                return pool.submit(_download_worker, j, table, restricted) if isinstance(j, DownloadJob) \
                    else pool.submit(_worker, j)

            futures = {submit(j): j for j in jobs_list if isinstance(j, DownloadJob)
                       or j[0].template != REPORT_NOTEBOOK or waiting[j[0].cycle] == 0}
            for c in [c for c, n in waiting.items() if n == 0]:
                held.pop(c)
            while futures:
                done, _ = wait(futures, return_when=FIRST_COMPLETED)
                for fut in sorted(done, key=lambda f: _label(futures[f])):
                    job = futures.pop(fut)
                    try:
                        label, timing, error = fut.result()
                    except Exception as e:  # a worker killed (memory), a pickling error …: name the job
                        label = _label(job)
                        timing, error = None, f"{label}: the worker process failed ({type(e).__name__}: {e})"
                    if error:
                        report.failed.append(label)
                        bar.write(f"FAILED {error}")
                    if isinstance(job, DownloadJob):
                        continue
                    bar.update(1)
                    t, _, st, _ = job
                    if not error:
                        tables = _promote(st, staging_root / str(t.cycle) / CYCLE_COPY, t.output)
                        states[t.cycle][t.output] = {"fingerprint": t.fingerprint, "reads": timing.get("reads"),
                                                     "inputs": None if timing.get("reads") is not None
                                                     else all_inputs, "tables": tables}
                        runs.setdefault(t.cycle, {})[t.output] = {"started": timing["started"],
                                                                  "finished": timing["finished"]}
                        report.executed.append(label)
                        report.timings.append(timing)
                    if t.cycle in held and t.template != REPORT_NOTEBOOK:  # after the promotion: it reads those
                        waiting[t.cycle] -= 1
                        broken |= {t.cycle} if error else set()
                        if waiting[t.cycle] == 0:
                            report_job = held.pop(t.cycle)
                            if t.cycle in broken:  # the cycle keeps its previous outputs: no report of it
                                bar.update(1)
                            else:
                                futures[submit(report_job)] = report_job
    finally:
        bar.close()


STAGING = ".staging"
CYCLE_COPY = "cycle"
KERNEL_LOG = ".kernels.log"
LOCK = ".lock"


@contextmanager
def run_lock(project: Project):
    """One run per project at a time: a second one is refused, not interleaved (the lock dies with its
    process, so a killed run never blocks the next)."""
    import fcntl

    project.reports.mkdir(parents=True, exist_ok=True)
    path = project.reports / LOCK
    with open(path, "a+", encoding="utf-8") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "unknown"
            raise EvalkitError(f"another evalkit run is working on this project (process {holder})",
                               file=path, expected="one run at a time; wait for it to finish") from None
        f.seek(0)
        f.truncate()
        f.write(str(os.getpid()))
        f.flush()
        try:
            yield
        finally:
            f.seek(0)
            f.truncate()
            fcntl.flock(f, fcntl.LOCK_UN)


def repair(project: Project, log=print) -> None:
    """Undo what an interrupted run left: its staging folder, and a cycle caught between the two renames of a
    swap (the complete old copy is put back)."""
    if not project.reports.is_dir():
        return
    shutil.rmtree(project.reports / STAGING, ignore_errors=True)
    for old in sorted(project.reports.glob("*" + OLD_SUFFIX)):
        target = old.with_name(old.name[: -len(OLD_SUFFIX)])
        if not target.exists():
            log(f"evalkit run: restoring {target.name} from an interrupted run")
            old.rename(target)
        else:
            shutil.rmtree(old, ignore_errors=True)


def cycle_problems(cdir: Path) -> list[str]:
    """Outputs that no longer match the cycle's manifest (an interrupted older version, a hand edit)."""
    manifest = cdir / "manifest.json"
    if not manifest.is_file():
        return []
    try:
        listed = json.loads(manifest.read_text(encoding="utf-8"))["outputs"]
    except (ValueError, KeyError):
        return ["manifest.json is not readable"]
    out = []
    for o in listed:
        f = cdir / o["path"]
        if not f.is_file():
            out.append(f"{o['path']} is missing")
        elif f.stat().st_size != o["size"] or sha256_file(f) != o["sha256"]:
            out.append(f"{o['path']} differs from its recorded hash")
    return out


def _copy_cycle(src: Path, dst: Path) -> None:
    if src.is_dir():
        shutil.copytree(src, dst, ignore=shutil.ignore_patterns("*.tmp"))
    else:
        dst.mkdir(parents=True)


def _progress(total: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc="notebooks", unit="nb", disable=not enabled, file=sys.stderr)


def _promote(staging: Path, cycle_dir: Path, output: str) -> list[str]:
    """Move a successful run's notebook and tables into the staged copy of its cycle."""
    target = cycle_dir / output
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staging / Path(output).name, target)
    tables = []
    if (staging / "tabellen").is_dir():
        tables = _move_files(staging / "tabellen", cycle_dir / "tabellen")
    stem = Path(output).stem  # the notebook's figures replace its previous ones, beside the notebook
    figures = cycle_dir / Path(output).parent / FIGURE_FOLDER / stem
    shutil.rmtree(figures, ignore_errors=True)
    if (staging / FIGURE_FOLDER / stem).is_dir():
        figures.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging / FIGURE_FOLDER / stem, figures)
    for folder, owner in PAGE_FOLDERS.items():  # a notebook's generated pages replace the previous set whole
        if output == owner:
            shutil.rmtree(cycle_dir / folder, ignore_errors=True)
        if (staging / folder).is_dir():
            shutil.rmtree(cycle_dir / folder, ignore_errors=True)
            os.replace(staging / folder, cycle_dir / folder)
    return tables


def _drop_unplanned(cycle_dir: Path, planned: set[str], state: dict) -> list[str]:
    """Remove the notebooks the plan no longer has (the profiles of a cycle that is no longer the newest), with
    their figures, the tables they wrote and their state: a cycle holds what its plan makes, nothing stale."""
    gone = []
    for nb in sorted(cycle_dir.rglob("*.ipynb")):
        rel = nb.relative_to(cycle_dir).as_posix()
        if rel in planned:
            continue
        nb.unlink()
        shutil.rmtree(nb.parent / FIGURE_FOLDER / nb.stem, ignore_errors=True)
        done = state.pop(rel, None)
        # older states did not record the tables: a profile's is named after it (profil-<level>-<code>.csv)
        tables = done.get("tables") if isinstance(done, dict) and done.get("tables") is not None \
            else [f"profil-{nb.stem}.csv"] if rel.startswith("profile/") else []
        for name in tables:
            (cycle_dir / "tabellen" / name).unlink(missing_ok=True)
        gone.append(rel)
    for folder in [cycle_dir / "profile"]:
        if folder.is_dir() and not any(folder.rglob("*.ipynb")):
            shutil.rmtree(folder)
    return gone


def _downloads_present(project: Project, p: CycleParams) -> bool:
    d = project.reports / str(p.cycle) / "downloads"
    return all((d / name).is_file() for name in (f"indikatoren-{p.cycle}.csv", f"indikatoren-{p.cycle}.xlsx",
                                                   f"indikatoren-{p.cycle}-excel.csv"))


def _move_files(staging: Path, target: Path) -> list[str]:
    """Move a staging folder's finished files (not hidden temporaries) into place; their names."""
    target.mkdir(parents=True, exist_ok=True)
    moved = []
    for f in sorted(staging.iterdir()):
        if not f.name.startswith("."):
            os.replace(f, target / f.name)
            moved.append(f.name)
    return moved


def up_to_date(project: Project, done, fp: str, inputs: dict, hashes: dict) -> bool:
    """The notebook's last run had this fingerprint and every file it read is unchanged (or, without a record
    of its reads, every input under data/ is)."""
    if not isinstance(done, dict) or done.get("fingerprint") != fp:
        return False
    if done.get("reads") is not None:
        return reads.state_of(project.root, done["reads"], hashes) == done["reads"]
    return done.get("inputs") == inputs


def _read_state(cycle_dir: Path) -> dict:
    try:
        return json.loads((cycle_dir / STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _write_state(cycle_dir: Path, state: dict) -> None:
    cycle_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(cycle_dir / STATE, json.dumps(dict(sorted(state.items())), indent=1) + "\n")
