"""Execute the cycle notebooks with papermill into reports/<cycle>/, in parallel, incrementally.

A notebook is re-executed only when its fingerprint changed: its template, its parameters, its input files (by
hash) or the evalkit package's code. Each run executes into a staging folder and is moved into reports/ only when
it succeeded, so a failing notebook never replaces its last good executed copy.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from evalkit.catalogue import load_catalogue
from evalkit.cycles import CycleParams, cycle_files, load_cycles
from evalkit.errors import EvalkitError, NotebookError
from evalkit.fileio import atomic_write_text, read_table
from evalkit.paths import Project
from evalkit.provenance import code_hash, environment, input_hashes

STATE = ".state.json"
CYCLE_NOTEBOOKS = ["uebersicht", "ortsteile", "datenqualitaet", "schwerpunktraeume", "trends", "massnahmen"]
PROFILE_NOTEBOOK = "profil"
AREA_LABEL = {"stadtbezirk": "Stadtbezirk", "planungsraum": "Planungsraum"}


@dataclass
class Task:
    cycle: int
    template: str
    output: str  # relative to reports/<cycle>/
    parameters: dict
    title_vars: dict
    fingerprint: str = ""

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
    """Every notebook of every cycle: the cycle pages, then one profile per Stadtbezirk and Planungsraum."""
    areas = read_table(project.areas_file)
    tpl = templates(project)
    tasks = []
    for c, p in sorted(cycles.items()):
        base = {"project_root": str(project.root), "cycle": c}
        tv = {"cycle": c, "description": p.description}
        for name in CYCLE_NOTEBOOKS:
            if name in tpl:
                tasks.append(Task(c, name, f"{name}.ipynb", dict(base), tv))
        for level in p.profiles:
            col, ncol = ("sbz_code", "stadtbezirk") if level == "stadtbezirk" else ("pr_code", "planungsraum")
            for code, name in areas[[col, ncol]].drop_duplicates().sort_values(col).itertuples(index=False):
                params = dict(base, level=level, area_code=str(code))
                tasks.append(Task(c, PROFILE_NOTEBOOK, f"profile/{level}-{code}.ipynb", params,
                                  dict(tv, area_name=name, area_label=AREA_LABEL[level])))
    return tasks


def fingerprint(task: Task, template_bytes: bytes, inputs: dict, cycle_params: dict) -> str:
    h = hashlib.sha256()
    portable = {k: v for k, v in task.parameters.items() if k != "project_root"}  # a moved checkout stays warm
    for part in (template_bytes, json.dumps(portable, sort_keys=True).encode(),
                 json.dumps(cycle_params, sort_keys=True).encode(), json.dumps(inputs, sort_keys=True).encode(),
                 code_hash().encode()):
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# One warm kernel per worker process: starting a kernel and importing pandas/matplotlib costs more than most
# notebooks' own work. Before each notebook the kernel's namespace is reset (%reset -f), so no variable leaks from
# one notebook into the next; imported modules stay loaded. EVALKIT_FRESH_KERNELS=1 starts one kernel per notebook.
_KERNEL = {"km": None, "startup": 0.0}


def _init_worker(log_path: str, cwd: str) -> None:
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 2)  # kernels' own chatter goes to the log, not the user's terminal
    _KERNEL["cwd"] = cwd


def _warm_kernel():
    if os.environ.get("EVALKIT_FRESH_KERNELS"):
        return None, 0.0
    from multiprocessing import util

    from jupyter_client import KernelManager

    km = _KERNEL["km"]
    if km is not None and km.is_alive():
        kc = km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=60)
            kc.execute_interactive("get_ipython().run_line_magic('reset', '-f')", timeout=60, store_history=False)
        finally:
            kc.stop_channels()
        return km, 0.0
    t0 = time.perf_counter()
    km = KernelManager(kernel_name="python3")
    km.start_kernel(cwd=_KERNEL.get("cwd"))
    util.Finalize(km, km.shutdown_kernel, kwargs={"now": True}, exitpriority=10)
    _KERNEL["km"] = km
    return km, time.perf_counter() - t0


def execute(task: Task, template: Path, staging: Path, provenance: dict) -> dict:
    """Run one notebook (in a worker process); return its timings. Raises NotebookError on failure."""
    import jupytext
    import nbformat
    import papermill as pm

    nb = jupytext.read(template)
    out_nb = staging / Path(task.output).name
    params = dict(task.parameters, output_dir=str(staging / "tabellen"))
    started = _now()
    t0 = time.perf_counter()
    try:
        km, startup = _warm_kernel()
        extra = {"km": km} if km is not None else {}
        pm.execute_notebook(nb, str(out_nb), parameters=params, kernel_name="python3", progress_bar=False,
                            log_output=False, cwd=str(staging), **extra)
    except pm.PapermillExecutionError as e:
        raise NotebookError(f"cell {e.exec_count} (index {e.cell_index}) raised {e.ename}: {e.evalue}",
                            file=f"cycle {task.cycle}, notebook {task.template} → {task.output}",
                            expected="a notebook that runs to the end") from None
    except Exception as e:  # kernel died, bad JSON …: still name cycle and notebook
        raise NotebookError(f"{type(e).__name__}: {e}", file=f"cycle {task.cycle}, notebook {task.template}") from None
    total = time.perf_counter() - t0
    executed = nbformat.read(out_nb, as_version=4)
    kernel = startup + _kernel_startup(executed)
    _set_title(executed, task.title_vars)
    executed.metadata["evalkit"] = {
        "cycle": task.cycle, "template": f"notebooks/{template.name}", "parameters": params,
        "fingerprint": task.fingerprint, "started": started, "finished": _now(), **provenance,
    }
    nbformat.write(executed, out_nb)
    return {"task": task.label, "total": total, "kernel": kernel}


def _kernel_startup(nb) -> float:
    """Seconds from the papermill run's start to its first cell: kernel start-up and connection."""
    try:
        start = datetime.fromisoformat(nb.metadata["papermill"]["start_time"])
        first = min(datetime.fromisoformat(c.metadata["papermill"]["start_time"]) for c in nb.cells
                    if c.metadata.get("papermill", {}).get("start_time"))
        return max((first - start).total_seconds(), 0.0)
    except (KeyError, ValueError, TypeError):
        return float("nan")


def _set_title(nb, values: dict) -> None:
    """Fill the front matter's placeholders ({cycle}, {area_name} …) in the first raw cell."""
    for cell in nb.cells:
        if cell.cell_type == "raw" and cell.source.lstrip().startswith("---"):
            src = cell.source
            for k, v in values.items():
                src = src.replace("{" + k + "}", str(v))
            cell.source = src
            return


def _worker(args):
    task, template, staging, provenance = args
    try:
        return task.label, execute(task, template, staging, provenance), None
    except EvalkitError as e:
        return task.label, None, str(e)


def run_cycles(project: Project, only: list | None = None, jobs: int | None = None, force: bool = False,
               progress: bool = True, log=print) -> RunReport:
    """Validate every cycle's parameters, then execute what changed; write each cycle's manifest and pages."""
    from evalkit import pages

    catalogue = load_catalogue(project.catalogue_file)
    if not project.indicators_csv.is_file():
        raise EvalkitError("no indicator table", file=project.indicators_csv, expected="run `evalkit indicators`")
    table = read_table(project.indicators_csv)
    cycles = load_cycles(project.params, catalogue, table)  # all of them: a bad file stops everything
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
    tpl = templates(project)
    tasks = plan(project, selected)
    report = RunReport()
    todo = []
    states = {c: _read_state(project.reports / str(c)) for c in selected}
    for t in tasks:
        p = selected[t.cycle]
        # of the compared cycle, notebooks use only its number and reference year
        cmp = {"cycle": p.compare_with, "reference_year": cycles[p.compare_with].reference_year} \
            if p.compare_with else None
        t.fingerprint = fingerprint(t, tpl[t.template].read_bytes(), inputs, {"self": p.model_dump(), "compare": cmp})
        done = states[t.cycle].get(t.output)
        if not force and done == t.fingerprint and (project.reports / str(t.cycle) / t.output).is_file():
            report.reused.append(t.label)
        else:
            todo.append(t)
    log(f"evalkit run: {len(tasks)} notebooks in {len(selected)} cycles; {len(todo)} to execute, "
        f"{len(report.reused)} unchanged (reused, no kernel started)")
    staging_root = project.reports / ".staging"
    if todo:
        provenance = {"inputs": inputs, **environment(project.root)}
        shutil.rmtree(staging_root, ignore_errors=True)
        work = []
        for t in todo:
            st = staging_root / str(t.cycle) / t.output.replace("/", "__")
            st.mkdir(parents=True)
            prov = dict(provenance, params_file=str(files[t.cycle].relative_to(project.root)))
            work.append((t, tpl[t.template], st, prov))
        jobs = max(1, jobs or os.cpu_count() or 1)
        bar = _progress(len(work), progress)
        staging_root.mkdir(parents=True, exist_ok=True)
        with ProcessPoolExecutor(max_workers=min(jobs, len(work)), initializer=_init_worker,
                                 initargs=(str(staging_root / "kernels.log"), str(project.root))) as pool:
            futures = {pool.submit(_worker, w): w for w in work}
            for fut in as_completed(futures):
                t, _, st, _ = futures[fut]
                label, timing, error = fut.result()
                bar.update(1)
                if error:
                    report.failed.append(label)
                    bar.write(f"FAILED {error}")
                    continue
                _promote(st, project.reports / str(t.cycle), t.output)
                states[t.cycle][t.output] = t.fingerprint
                report.executed.append(label)
                report.timings.append(timing)
        bar.close()
        shutil.rmtree(staging_root, ignore_errors=True)
    for c, p in selected.items():
        cdir = project.reports / str(c)
        _write_state(cdir, states[c])
        failed_here = [x for x in report.failed if x.startswith(f"{c}/")]
        changed = any(x.startswith(f"{c}/") for x in report.executed)
        if not failed_here and (changed or not (cdir / "manifest.json").is_file() or force):
            pages.write_cycle_outputs(project, p, cycles, table, catalogue, inputs, files[c])
    pages.write_site_pages(project, cycles, catalogue)
    if os.environ.get("EVALKIT_TIMING"):
        for tm in report.timings:
            log(f"kernel-startup {tm['task']} {tm['kernel']:.3f} s")
            log(f"notebook-total {tm['task']} {tm['total']:.3f} s")
    log(f"evalkit run: executed {len(report.executed)}, reused {len(report.reused)}, failed {len(report.failed)}")
    if report.failed:
        print("evalkit run: error: failing notebooks (their last good copies stay in reports/): "
              + ", ".join(sorted(report.failed)), file=sys.stderr)
    return report


def _progress(total: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc="notebooks", unit="nb", disable=not enabled, file=sys.stderr)


def _promote(staging: Path, cycle_dir: Path, output: str) -> None:
    """Move a successful run's notebook and tables into reports/<cycle>/."""
    target = cycle_dir / output
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staging / Path(output).name, target)
    tables = staging / "tabellen"
    if tables.is_dir():
        (cycle_dir / "tabellen").mkdir(parents=True, exist_ok=True)
        for f in sorted(tables.iterdir()):
            os.replace(f, cycle_dir / "tabellen" / f.name)


def _read_state(cycle_dir: Path) -> dict:
    try:
        return json.loads((cycle_dir / STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _write_state(cycle_dir: Path, state: dict) -> None:
    cycle_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(cycle_dir / STATE, json.dumps(dict(sorted(state.items())), indent=1) + "\n")
