"""Kernels for the runner's workers: every notebook starts from the same state, and no execution runs unbounded.

Three modes (EVALKIT_KERNELS or `evalkit run --kernels`):

- **forked** (default): a worker starts one fork server that imports the templates' libraries once
  (`forkserver`); every notebook gets a never-used kernel forked from it. The isolation of a new kernel (no
  in-place change of any module, class or default reaches the next notebook) at close to the cost of reuse.

- **audited**: a worker keeps one kernel, started with the templates' imports preloaded, and records a
  fingerprint of the interpreter's global state (`kernel_state`). Before each notebook it clears the namespace
  and compares the state with that fingerprint; the kernel is reused only when nothing differs, otherwise (and
  after any failure) it is replaced by a new one. A notebook therefore sees exactly the state of a new kernel
  with the same imports, whatever ran before it on that worker.
- **fresh**: papermill's own engine, a new kernel for every notebook (what papermill, nbclient, jupyter-cache
  and Quarto do). Slower; the reference the audited mode is tested against.

Both use jupyter_client's *async* client, so nbclient's liveness check and cell timeout work: a kernel that dies
raises DeadKernelError within seconds, and a cell that runs longer than the timeout (default 600 s, EVALKIT_CELL_
TIMEOUT or `--timeout`) raises CellTimeoutError. Both become a NotebookError naming the notebook.
"""

from __future__ import annotations

import ast
import json
import os
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from evalkit.settings import Settings, settings
from evalkit.execution.processes import WARM_UP, _importable, die_with_parent  # noqa: F401 — used and re-exported

ENGINE = "evalkit-audited"
MODES = ("forked", "audited", "fresh")
DEFAULT_TIMEOUT = Settings.model_fields["cell_timeout"].default
STARTUP_TIMEOUT = 60.0
RESET = "get_ipython().run_line_magic('reset', '-f'); __import__('gc').freeze()"


def mode_from_env() -> str:
    """EVALKIT_KERNELS (forked | audited | fresh; EVALKIT_FRESH_KERNELS=1 is the older spelling of fresh)."""
    return settings().kernel_mode


def timeout_from_env() -> float:
    """EVALKIT_CELL_TIMEOUT, validated (a bad value is refused by name, never silently replaced)."""
    return settings().cell_timeout


def template_imports(templates: list[Path]) -> list[str]:
    """The modules the templates import at top level: preloaded once per kernel, part of its baseline."""
    import jupytext

    names = set()
    for path in templates:
        for cell in jupytext.read(path).cells:
            if cell.cell_type != "code":
                continue
            try:
                tree = ast.parse("\n".join(line for line in cell.source.splitlines() if not line.startswith("%")))
            except SyntaxError:
                continue
            for node in tree.body:
                if isinstance(node, ast.Import):
                    names |= {a.name for a in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names.add(node.module)
                    names |= {f"{node.module}.{a.name}" for a in node.names}
    return sorted(names)


@lru_cache(maxsize=1)
def _engine() -> str:
    """Register the engine on first use (importing papermill costs half a second a no-op run should not pay)."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import Engine, papermill_engines
    from papermill.log import logger

    class AuditedKernelEngine(Engine):
        """papermill's nbclient engine on a kernel and async client it is given (nbclient would otherwise open
        a second client with the same session identity, which steals the first one's replies)."""

        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                     stderr_file=None, start_timeout=60, execution_timeout=None, km=None, kc=None,
                                     **kwargs):
            client = PapermillNotebookClient(nb_man, km=km, kernel_name=kernel_name, timeout=execution_timeout,
                                             startup_timeout=start_timeout, log=logger, log_output=log_output,
                                             stdout_file=stdout_file, stderr_file=stderr_file)
            client.kc = kc
            return client.execute()

    papermill_engines.register(ENGINE, AuditedKernelEngine)
    return ENGINE


@dataclass
class Outcome:
    """How one notebook's kernel was obtained: seconds spent starting one (0 if reused), and why a kernel was
    replaced (empty if it was not)."""

    startup: float = 0.0
    reused: bool = False
    replaced: list[str] = field(default_factory=list)


class KernelSession:
    """One worker's kernel: started, audited, reused or replaced; always shut down on close()."""

    def __init__(self, mode: str = "forked", preload: list[str] = (), timeout: float = DEFAULT_TIMEOUT):
        if mode not in MODES:
            raise ValueError(f"unknown kernel mode {mode!r}")
        self.mode, self.preload, self.timeout = mode, list(preload), timeout
        self.km = self.kc = None
        self._sockets = None
        self._forks = None  # forked mode: the worker's fork server

    # -- the async client, driven on the thread's persistent loop (the one nbclient uses too) --
    def _run(self, coro_fn, *args, **kw):
        from jupyter_core.utils import run_sync

        return run_sync(coro_fn)(*args, **kw)

    def _execute_code(self, code: str, timeout: float) -> tuple[str, dict]:
        out = []

        def hook(msg):
            if msg["msg_type"] == "stream":
                out.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                out.append("\n".join(msg["content"].get("traceback", [])))

        reply = self._run(self.kc.execute_interactive, code, timeout=timeout, store_history=False,
                          output_hook=hook, allow_stdin=False)
        return "".join(out), reply["content"]

    def _launch(self, cwd: str):
        """A new kernel on Unix sockets in a private folder: no TCP port that two kernels starting at the same
        moment could both pick (jupyter_client chooses free ports before the kernel binds them)."""
        import tempfile

        from jupyter_client import AsyncKernelManager

        if self._sockets is None:
            self._sockets = tempfile.mkdtemp(prefix="evalkit-kernel-")
        manager = AsyncKernelManager
        if self.mode == "forked":
            from evalkit.execution import forkserver

            if self._forks is None or self._forks.proc.poll() is not None:
                self._forks = forkserver.ForkServer(self.preload, self._sockets)
                os.environ[forkserver.ENV_SOCKET] = self._forks.path
            manager = forkserver.kernel_manager_class()
        km = manager(kernel_name="python3", transport="ipc",
                     ip=os.path.join(self._sockets, f"k{os.getpid()}-{time.monotonic_ns()}"))
        self._run(km.start_kernel, cwd=cwd)
        kc = km.client()
        kc.start_channels()
        try:
            self._run(kc.wait_for_ready, timeout=STARTUP_TIMEOUT)
        except RuntimeError:
            kc.stop_channels()
            try:
                self._run(km.shutdown_kernel, now=True)
            except Exception:  # already gone
                pass
            raise
        return km, kc

    def _start(self, cwd: str) -> float:
        t0 = time.perf_counter()
        self.close()
        for attempt in range(3):  # a kernel that dies while starting (a loaded machine) gets two more chances
            try:
                km, kc = self._launch(cwd)
                break
            except RuntimeError:
                if attempt == 2:
                    raise
        self.km, self.kc = km, kc
        imports = "".join(f"import {m}\n" for m in self.preload if _importable(m)) + WARM_UP
        text, content = self._execute_code(
            imports + RESET + "\n__import__('evalkit.execution.kernel_state', fromlist=['x']).baseline()\n",
            STARTUP_TIMEOUT)
        if content["status"] != "ok":
            self.close()
            raise RuntimeError(f"kernel preload failed: {content.get('ename')}: {content.get('evalue')}")
        return time.perf_counter() - t0

    def _alive(self) -> bool:
        return self.km is not None and bool(self._run(self.km.is_alive))

    def _audit(self, cwd: str) -> tuple[str, dict]:
        """Clear the namespace, set the working folder, compare the state with the baseline (printed JSON)."""
        return self._execute_code(RESET + "\nprint(__import__('evalkit.execution.kernel_state', fromlist=['x'])"
                                  f".audit({cwd!r}))", STARTUP_TIMEOUT)

    def prepare(self, cwd: str) -> tuple[dict, Outcome]:
        """papermill keyword arguments for the next notebook, run in `cwd`, on a kernel in a clean state."""
        if self.mode == "fresh":
            return {"cwd": cwd}, Outcome()
        if self.mode == "forked":  # a never-used kernel per notebook, forked from the pre-imported server
            t0 = time.perf_counter()
            self.close()
            for attempt in range(3):
                try:
                    self.km, self.kc = self._launch(cwd)
                    break
                except RuntimeError:
                    if attempt == 2:
                        raise
            return {"engine_name": _engine(), "km": self.km, "kc": self.kc}, Outcome(startup=time.perf_counter() - t0)
        outcome = Outcome()
        if self._alive():
            try:
                text, content = self._audit(cwd)
                verdict = json.loads(text.strip().splitlines()[-1]) if content["status"] == "ok" else \
                    {"clean": False, "changed": [f"audit failed: {content.get('ename')}"]}
            except (RuntimeError, TimeoutError, ValueError, IndexError) as e:
                verdict = {"clean": False, "changed": [f"audit failed: {type(e).__name__}"]}
            if verdict["clean"]:
                outcome.reused = True
                return {"engine_name": _engine(), "km": self.km, "kc": self.kc}, outcome
            outcome.replaced = verdict["changed"]
        elif self.km is not None:
            outcome.replaced = ["kernel died"]
        outcome.startup = self._start(cwd)
        self._audit(cwd)
        return {"engine_name": _engine(), "km": self.km, "kc": self.kc}, outcome

    def discard(self) -> None:
        """After a failure the kernel's state is unknown (or it is still busy with a runaway cell): replace it."""
        self.close()

    def shutdown(self) -> None:
        """The worker is done: its kernel stops and the folder of its sockets goes."""
        import shutil

        self.close()
        if self._forks is not None:
            self._forks.stop()
            self._forks = None
        if self._sockets is not None:
            shutil.rmtree(self._sockets, ignore_errors=True)
            self._sockets = None

    def close(self) -> None:
        if self.kc is not None:
            self.kc.stop_channels()
        if self.km is not None:
            try:
                self._run(self.km.shutdown_kernel, now=True)
            except Exception:  # already gone
                pass
        self.km = self.kc = None


# -- the worker process --------------------------------------------------------------------------------------

_SESSION: dict = {"session": None}


def init_worker(log_path: str, mode: str, preload: list[str], timeout: float) -> None:
    """Pool initialiser: kernels' chatter goes to a log file (kept when anything fails), one session per worker."""
    die_with_parent()
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 2)
    _SESSION["session"] = KernelSession(mode, preload, timeout)
    import atexit

    atexit.register(_SESSION["session"].shutdown)


def session() -> KernelSession:
    if _SESSION["session"] is None:  # called outside a pool
        import atexit

        _SESSION["session"] = KernelSession(mode_from_env(), (), timeout_from_env())
        atexit.register(_SESSION["session"].shutdown)
    return _SESSION["session"]
