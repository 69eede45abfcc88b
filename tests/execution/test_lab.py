"""JupyterLab comes with the project: templates are served as notebooks and run against a chosen cycle."""

import json
import shutil
import socket
import time
import urllib.request
from pathlib import Path

import jupytext
import pytest
from nbclient import NotebookClient

from evalkit.errors import ParamsError
from evalkit.execution.lab import OVERRIDES, lab_environment, start_lab
from evalkit.paths import Project


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_server_serves_templates_as_notebooks(project_copy):
    port, token = free_port(), "evalkit-test-token"
    server = start_lab(Project(project_copy), 2022, port, open_browser=False, token=token, log=lambda *_: None)
    try:
        url = f"http://127.0.0.1:{port}/api/contents/notebooks/uebersicht.py?content=1"
        req = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
        deadline, reply = time.monotonic() + 60, None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(req, timeout=5) as r:
                    reply = json.loads(r.read())
                break
            except OSError:
                time.sleep(0.3)
        assert reply is not None, "JupyterLab did not answer within 60 s"
        assert reply["type"] == "notebook"
        assert any("parameters" in c["metadata"].get("tags", []) for c in reply["content"]["cells"])
        settings = [a.split("=", 1)[1] for a in server.args if a.startswith("--LabApp.app_settings_dir=")][0]
        assert json.loads((Path(settings) / "overrides.json").read_text()) == OVERRIDES
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert server.poll() is not None


def test_unknown_cycle_is_refused(project_copy):
    with pytest.raises(ParamsError, match="no parameter file for cycle 1999"):
        lab_environment(Project(project_copy), 1999)


def test_template_runs_unedited_against_the_cycle_of_the_environment(fetched_project, tmp_path, monkeypatch):
    """What a researcher does: open notebooks/uebersicht.py (the kernel's folder is notebooks/), run all."""
    root = tmp_path / "proj"
    shutil.copytree(fetched_project, root)
    env = lab_environment(Project(root), 2020)
    monkeypatch.setenv("EVALKIT_ROOT", env["EVALKIT_ROOT"])
    monkeypatch.setenv("EVALKIT_CYCLE", env["EVALKIT_CYCLE"])
    nb = jupytext.read(root / "notebooks" / "uebersicht.py")
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(root / "notebooks")}}).execute()
    text = "\n".join(o.get("text", "") + json.dumps(o.get("data", {})) for c in nb.cells
                     for o in c.get("outputs", []))
    assert "Lage in Leipzig zum Bezugsjahr **2020**" in text
    assert (root / "scratch" / "2020" / "tabellen" / "kennzahlen.csv").is_file()
    assert not (root / "reports").exists()  # interactive runs publish nothing


@pytest.mark.parametrize("how", ["SIGTERM", "SIGKILL"])
def test_stopping_evalkit_lab_stops_jupyterlab(project_copy, how):
    """`evalkit lab` ended by SIGTERM (a service manager, `kill`) or even SIGKILL leaves no JupyterLab behind."""
    import os
    import signal
    import subprocess
    import sys

    port = free_port()
    cli = subprocess.Popen([sys.executable, "-m", "evalkit", "--root", str(project_copy), "lab", "--port", str(port),
                            "--no-browser"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline, child = time.monotonic() + 60, None
        while time.monotonic() < deadline and child is None:  # the JupyterLab server, a child of the CLI
            out = subprocess.run(["pgrep", "-P", str(cli.pid)], capture_output=True, text=True).stdout.split()
            child = int(out[0]) if out else None
            time.sleep(0.2)
        assert child, "evalkit lab started no server"
        with socket.socket() as s:  # wait until it listens, so that it has installed its own handlers
            while time.monotonic() < deadline and s.connect_ex(("127.0.0.1", port)) != 0:
                time.sleep(0.3)
        cli.send_signal(getattr(signal, how))
        cli.wait(timeout=60)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                os.kill(child, 0)
            except ProcessLookupError:
                break
            time.sleep(0.2)
        else:
            os.kill(child, signal.SIGKILL)
            raise AssertionError(f"JupyterLab (pid {child}) still runs after {how} to evalkit lab")
    finally:
        if cli.poll() is None:
            cli.kill()
