"""Execute the cycle notebooks with papermill into reports/<cycle>/, in parallel, incrementally.

A notebook is re-executed only when its fingerprint changed: its template, its parameters, its input files (by
hash) or the evalkit package's code. Each run executes into a staging folder and is moved into reports/ only when
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
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from evalkit.cycles.params import CycleParams, cycle_files, load_cycles
from evalkit.cycles.provenance import code_hash, environment, input_hashes
from evalkit.errors import EvalkitError, NotebookError
from evalkit.execution import kernels
from evalkit.fileio import atomic_write_text, read_table
from evalkit.indicators.catalogue import load_catalogue
from evalkit.paths import Project

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
        tk = time.perf_counter()
        extra, _ = kernels.warm_kernel()
        startup = time.perf_counter() - tk  # a new kernel, or the reset of the warm one
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


@dataclass
class DownloadJob:
    """A cycle's downloadable indicator table (CSV + XLSX): a few seconds of work that overlaps the notebooks."""
    cycle: int
    params: CycleParams
    staging: Path

    @property
    def label(self) -> str:
        return f"{self.cycle}/downloads"


def _download_worker(job: DownloadJob, table, restricted: set):
    from evalkit.publish import pages

    try:
        pages.write_downloads(job.staging, job.params, table, restricted)
        return job.label, None, None
    except (OSError, ValueError) as e:
        return job.label, None, f"cycle {job.cycle}, downloads: {type(e).__name__}: {e}"


def _weight(job) -> int:
    """Submission order for a balanced pool: long jobs first, the many short profile notebooks last."""
    if isinstance(job, DownloadJob):
        return 1
    return 2 if job[0].template == PROFILE_NOTEBOOK else 0


def run_cycles(project: Project, only: list | None = None, jobs: int | None = None, force: bool = False,
               progress: bool = True, log=print) -> RunReport:
    """Validate every cycle's parameters, then execute what changed; write each cycle's manifest and pages."""
    from evalkit.publish import pages

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
    tpl_bytes = {name: path.read_bytes() for name, path in tpl.items()}
    tasks = plan(project, selected)
    report = RunReport()
    todo = []
    states = {c: _read_state(project.reports / str(c)) for c in selected}
    for t in tasks:
        p = selected[t.cycle]
        # of the compared cycle, notebooks use only its number and reference year
        cmp = {"cycle": p.compare_with, "reference_year": cycles[p.compare_with].reference_year} \
            if p.compare_with else None
        t.fingerprint = fingerprint(t, tpl_bytes[t.template], inputs, {"self": p.model_dump(), "compare": cmp})
        done = states[t.cycle].get(t.output)
        if not force and done == t.fingerprint and (project.reports / str(t.cycle) / t.output).is_file():
            report.reused.append(t.label)
        else:
            todo.append(t)
    log(f"evalkit run: {len(tasks)} notebooks in {len(selected)} cycle{'s' if len(selected) != 1 else ''}; "
        f"{len(todo)} to execute, "
        f"{len(report.reused)} unchanged (reused, no kernel started)")
    staging_root = project.reports / ".staging"
    restricted = {i.id for i in catalogue.indicators if i.restricted}
    # a cycle's downloads depend on exactly what its notebooks' fingerprints cover (table, params)
    downloads = [DownloadJob(c, p, staging_root / str(c) / "__downloads") for c, p in selected.items()
                 if force or any(t.cycle == c for t in todo) or not _downloads_present(project, p)]
    if todo or downloads:
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
        ordered = sorted([*downloads, *work], key=_weight)
        # spawned, not forked: a worker must not inherit the caller's event loops or ZeroMQ state (a test
        # process or notebook that talked to a kernel before would share its epoll instance with the workers)
        with ProcessPoolExecutor(max_workers=min(jobs, len(ordered)), mp_context=multiprocessing.get_context("spawn"),
                                 initializer=kernels.init_worker,
                                 initargs=(str(staging_root / "kernels.log"), str(project.root))) as pool:
            futures = {(pool.submit(_download_worker, j, table, restricted) if isinstance(j, DownloadJob)
                        else pool.submit(_worker, j)): j for j in ordered}
            for fut in as_completed(futures):
                job = futures[fut]
                label, timing, error = fut.result()
                if error:
                    report.failed.append(label)
                    bar.write(f"FAILED {error}")
                if isinstance(job, DownloadJob):
                    continue
                bar.update(1)
                if error:
                    continue
                t, _, st, _ = job
                _promote(st, project.reports / str(t.cycle), t.output)
                states[t.cycle][t.output] = t.fingerprint
                report.executed.append(label)
                report.timings.append(timing)
        bar.close()
    for c, p in selected.items():
        cdir = project.reports / str(c)
        failed_here = [x for x in report.failed if x.startswith(f"{c}/")]
        if not failed_here:
            for job in downloads:
                if job.cycle == c:
                    _move_files(job.staging / "downloads", cdir / "downloads")
        _write_state(cdir, states[c])
        changed = any(x.startswith(f"{c}/") for x in report.executed) or any(j.cycle == c for j in downloads)
        if not failed_here and (changed or not (cdir / "manifest.json").is_file() or force):
            pages.write_cycle_outputs(project, p, inputs, files[c])
    shutil.rmtree(staging_root, ignore_errors=True)
    pages.write_site_pages(project, catalogue)
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
    if (staging / "tabellen").is_dir():
        _move_files(staging / "tabellen", cycle_dir / "tabellen")


def _downloads_present(project: Project, p: CycleParams) -> bool:
    d = project.reports / str(p.cycle) / "downloads"
    return all((d / f"indikatoren-{p.cycle}.{ext}").is_file() for ext in ("csv", "xlsx"))


def _move_files(staging: Path, target: Path) -> None:
    """Move a staging folder's finished files (not hidden temporaries) into place."""
    target.mkdir(parents=True, exist_ok=True)
    for f in sorted(staging.iterdir()):
        if not f.name.startswith("."):
            os.replace(f, target / f.name)


def _read_state(cycle_dir: Path) -> dict:
    try:
        return json.loads((cycle_dir / STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _write_state(cycle_dir: Path, state: dict) -> None:
    cycle_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(cycle_dir / STATE, json.dumps(dict(sorted(state.items())), indent=1) + "\n")
