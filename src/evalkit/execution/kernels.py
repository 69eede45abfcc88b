"""One warm Jupyter kernel per runner worker, reused from one notebook to the next.

Starting a kernel costs about a second and connecting a new client about 0.2 s (ZeroMQ's subscription
handshake), against a few hundredths of a second for most of our cells. So each worker process keeps one
kernel and one connected client, clears the namespace (`%reset -f`) before every notebook, and hands both
to papermill through a small engine. Imported modules stay loaded; variables do not.
EVALKIT_FRESH_KERNELS=1 falls back to papermill's default: a new kernel per notebook.
"""

from __future__ import annotations

import os
import time
from functools import lru_cache

ENGINE = "evalkit-warm"
# Clear the namespace, then freeze what survives (loaded modules) out of the garbage collector's sight: the
# reset's full collection would otherwise walk every object of pandas, matplotlib … again, 0.25 s per notebook.
RESET = "get_ipython().run_line_magic('reset', '-f'); __import__('gc').freeze()"
_STATE: dict = {"km": None, "kc": None, "cwd": None}


@lru_cache(maxsize=1)
def _engine() -> str:
    """Register the engine on first use: importing papermill costs half a second that a warm `evalkit run`
    with nothing to execute should not pay."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import Engine, papermill_engines
    from papermill.log import logger

    class WarmKernelEngine(Engine):
        """papermill's nbclient engine, but on a kernel and client it is given (papermill itself takes only
        `km`, and nbclient would open a second client with the same session identity, which steals the
        first's replies)."""

        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                     stderr_file=None, start_timeout=60, execution_timeout=None, km=None, kc=None,
                                     **kwargs):
            client = PapermillNotebookClient(nb_man, km=km, kernel_name=kernel_name, timeout=execution_timeout,
                                             startup_timeout=start_timeout, log=logger, log_output=log_output,
                                             stdout_file=stdout_file, stderr_file=stderr_file)
            client.kc = kc
            return client.execute()

    papermill_engines.register(ENGINE, WarmKernelEngine)
    return ENGINE


def init_worker(log_path: str, cwd: str) -> None:
    """Pool initialiser: kernels' own chatter goes to a log file, not the user's terminal."""
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 2)
    _STATE["cwd"] = cwd


def warm_kernel() -> tuple[dict, float]:
    """papermill keyword arguments for the next notebook, and the seconds spent starting a kernel (0 if reused)."""
    if os.environ.get("EVALKIT_FRESH_KERNELS"):
        return {}, 0.0
    km, kc = _STATE["km"], _STATE["kc"]
    if km is not None and km.is_alive():
        reply = kc.execute_interactive(RESET, timeout=60, store_history=False, output_hook=lambda msg: None)
        if reply["content"]["status"] == "ok":
            return {"engine_name": _engine(), "km": km, "kc": kc}, 0.0
    return _start()


def _start() -> tuple[dict, float]:
    from multiprocessing import util

    from jupyter_client import KernelManager

    t0 = time.perf_counter()
    if _STATE["km"] is not None:  # died or could not be reset: replace it
        _STATE["kc"].stop_channels()
        _STATE["km"].shutdown_kernel(now=True)
    km = KernelManager(kernel_name="python3")
    km.start_kernel(cwd=_STATE["cwd"])
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    util.Finalize(km, km.shutdown_kernel, kwargs={"now": True}, exitpriority=10)
    _STATE.update(km=km, kc=kc)
    return {"engine_name": _engine(), "km": km, "kc": kc}, time.perf_counter() - t0
