"""Fresh kernels at the cost of a fork: a server process imports the templates' libraries once, and every notebook
gets a kernel forked from it. Nothing a notebook does — an in-place change of a module's dict, a class attribute,
a patched pandas method, a function default — can reach the next notebook, because the next one runs in another
process forked from the untouched server (the isolation of a new kernel; only the imports are shared, as bytes of
memory copied on write).

Two entry points (`python -m evalkit.execution.forkserver …`):
- `serve SOCKET PRELOAD_JSON`: import the modules, warm up, then fork one kernel per request on a Unix socket.
- `launch CONNECTION_FILE`: what jupyter_client starts as "the kernel process": asks the server for a kernel,
  forwards signals to it (an interrupt reaches the running cell) and lives exactly as long as it; the forked kernel
  in turn exits when its launcher is gone (also after SIGKILL), so no kernel outlives the runner.

The server must not create a ZeroMQ context or threads before forking; imports do neither.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import threading
import time

ENV_SOCKET = "EVALKIT_FORK_SERVER"


def _recv_line(conn: socket.socket) -> bytes:
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk:
            break
        buf += chunk
    return buf


def _child(request: dict) -> None:
    """In the forked process: become a kernel on the given connection file."""
    import random

    launcher = int(request["launcher"])

    def watch():  # the kernel's lifetime is its launcher's (jupyter_client only knows the launcher's pid)
        while True:
            try:
                os.kill(launcher, 0)
            except ProcessLookupError:
                os._exit(0)
            time.sleep(0.2)

    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    random.seed(0)  # the same stream for every notebook (as the audited mode gives)
    np = sys.modules.get("numpy")
    if np is not None:
        np.random.seed(0)
    if request.get("cwd"):
        os.chdir(request["cwd"])
    for k, v in request.get("env", {}).items():
        os.environ[k] = v
    threading.Thread(target=watch, daemon=True).start()
    from ipykernel.kernelapp import IPKernelApp

    IPKernelApp.launch_instance(argv=["-f", request["connection_file"]])
    os._exit(0)


def serve(path: str, preload: list[str]) -> None:
    import importlib

    from evalkit.execution.processes import WARM_UP, _importable

    for m in preload:
        if _importable(m):
            importlib.import_module(m)
    exec(compile(WARM_UP, "<warm-up>", "exec"), {})  # noqa: S102 — evalkit's own constant
    import ipykernel.kernelapp  # noqa: F401 — imported once here, not in every kernel

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # forked kernels are reaped by the system
    parent = os.getppid()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(16)
    server.settimeout(1.0)
    print("ready", flush=True)
    while True:
        if os.getppid() != parent:  # the worker is gone
            os._exit(0)
        try:
            conn, _ = server.accept()
        except socket.timeout:
            continue
        request = json.loads(_recv_line(conn))
        pid = os.fork()
        if pid == 0:
            server.close()
            conn.close()
            _child(request)
        conn.sendall(f"{pid}\n".encode())
        conn.close()


def launch(connection_file: str) -> None:
    from evalkit.execution.processes import die_with_parent

    die_with_parent()  # the launcher dies with its worker (even by kill -9), and its kernel with it
    parent = os.getppid()
    path = os.environ[ENV_SOCKET]
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.connect(path)
    keep = ("JPY_PARENT_PID", "PYTHONHASHSEED")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    conn.sendall((json.dumps({"connection_file": connection_file, "launcher": os.getpid(), "cwd": os.getcwd(),
                              "env": env}) + "\n").encode())
    kernel = int(_recv_line(conn).strip())
    conn.close()

    def forward(signum, _frame):
        try:
            os.kill(kernel, signum)
        except ProcessLookupError:
            pass
        if signum != signal.SIGINT:
            os._exit(0)

    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, forward)
    while True:
        try:
            os.kill(kernel, 0)
        except ProcessLookupError:
            os._exit(0)
        if os.getppid() != parent:
            forward(signal.SIGTERM, None)
        time.sleep(0.1)


class ForkServer:
    """One worker's server process: started with the preload, stopped with the worker."""

    def __init__(self, preload: list[str], folder: str):
        import subprocess

        self.path = os.path.join(folder, f"fork-{os.getpid()}.sock")
        if os.path.exists(self.path):
            os.unlink(self.path)
        self.proc = subprocess.Popen([sys.executable, "-m", "evalkit.execution.forkserver", "serve", self.path,
                                      json.dumps(list(preload))], stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if line.strip() != "ready":
            self.proc.kill()
            raise RuntimeError("the kernel fork server did not start")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
        if os.path.exists(self.path):
            os.unlink(self.path)


def kernel_manager_class():
    """An AsyncKernelManager whose "kernel process" is the launcher of a forked kernel."""
    from jupyter_client import AsyncKernelManager

    class ForkedKernelManager(AsyncKernelManager):
        def format_kernel_cmd(self, extra_arguments=None):
            return [sys.executable, "-m", "evalkit.execution.forkserver", "launch", self.connection_file]

    return ForkedKernelManager


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2], json.loads(sys.argv[3]))
    elif sys.argv[1] == "launch":
        launch(sys.argv[2])
