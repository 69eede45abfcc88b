"""JupyterLab for researchers: the project's templates open as notebooks (jupytext), bound to one cycle.

The templates' parameter cells default to None; `load_context` then takes the project from EVALKIT_ROOT and the
cycle from EVALKIT_CYCLE, which this command sets for the server and so for every kernel it starts. Tables of
such interactive runs go to scratch/, never into reports/: publishing stays `evalkit run`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from evalkit.cycles.context import CYCLE_ENV
from evalkit.cycles.params import cycle_files
from evalkit.errors import ParamsError
from evalkit.paths import Project

# JupyterLab's own settings mechanism (overrides.json in the app settings folder): a double click opens the
# jupytext templates (notebooks/*.py) as notebooks, not in the text editor.
OVERRIDES = {"@jupyterlab/docmanager-extension:plugin": {"defaultViewers": {"python": "Jupytext Notebook"}}}


def lab_environment(project: Project, cycle: int | None) -> dict[str, str]:
    files = cycle_files(project.params)
    if cycle is not None and cycle not in files:
        raise ParamsError(f"no parameter file for cycle {cycle}", file=project.params,
                          expected=f"one of {sorted(files)}")
    env = dict(os.environ, EVALKIT_ROOT=str(project.root))
    env[CYCLE_ENV] = str(cycle if cycle is not None else max(files))
    return env


def lab_command(project: Project, settings_dir: Path, port: int | None = None, open_browser: bool = True,
                token: str | None = None) -> list[str]:
    argv = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={project.root}",
            f"--LabApp.app_settings_dir={settings_dir}", "--ServerApp.default_url=/lab/tree/notebooks"]
    if port:
        argv.append(f"--ServerApp.port={port}")
    if not open_browser:
        argv.append("--no-browser")
    if token is not None:
        argv.append(f"--IdentityProvider.token={token}")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")  # containers and CI machines run as root
    return argv


def write_settings(settings_dir: Path) -> Path:
    settings_dir.mkdir(parents=True, exist_ok=True)
    (settings_dir / "overrides.json").write_text(json.dumps(OVERRIDES, indent=1), encoding="utf-8")
    return settings_dir


def start_lab(project: Project, cycle: int | None = None, port: int | None = None, open_browser: bool = True,
              token: str | None = None, log=print) -> subprocess.Popen:
    """Start JupyterLab in the project (returns the running server; the caller waits for or stops it)."""
    env = lab_environment(project, cycle)
    settings = Path(tempfile.mkdtemp(prefix="evalkit-lab-"))
    write_settings(settings)
    log(f"evalkit lab: cycle {env[CYCLE_ENV]} (templates read params/cycle-{env[CYCLE_ENV]}.yaml); "
        f"tables of interactive runs go to scratch/{env[CYCLE_ENV]}/; publish with `evalkit run --cycle "
        f"{env[CYCLE_ENV]}`")
    return subprocess.Popen(lab_command(project, settings, port, open_browser, token), env=env,
                            cwd=project.root, preexec_fn=_stop_with_parent if sys.platform == "linux" else None)


def _stop_with_parent() -> None:
    """Linux: JupyterLab gets SIGTERM when `evalkit lab` dies, however it dies (even kill -9)."""
    import ctypes
    import signal

    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
