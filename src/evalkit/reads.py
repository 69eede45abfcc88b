"""Which input files a notebook actually read, so that a notebook re-executes when, and only when, one of them
changed. `evalkit run` puts an empty `.reads` file in the notebook's working folder; `record()` (called by
`load_context`) then lists in it every file under data/ that the kernel opens (a Python audit hook sees
every `open`, whichever library calls it), every folder it lists, and every path evalkit itself looks up or reads
through native code or a cache (`note`). Opened by hand, in JupyterLab, nothing is recorded."""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

from evalkit.fileio import sha256_file

LOG_NAME = ".reads"
INPUT_DIRS = ("data",)  # parameters count through the fingerprint: only the parts a notebook uses
_state: dict = {"root": None, "log": None, "seen": set(), "busy": False}


def record(root: Path) -> bool:
    """Start recording for this kernel if `evalkit run` asked for it (a `.reads` file in the working folder)."""
    log = Path.cwd() / LOG_NAME
    if not log.is_file():
        _state.update(root=None, log=None)
        return False
    _state.update(root=Path(root).resolve(), log=log, seen=set())
    if not _state.get("hooked"):
        sys.addaudithook(_hook)
        _state["hooked"] = True
    return True


def note(path, kind: str = "file") -> None:
    """Record a path read or looked up (also one that does not exist: its appearance must count)."""
    root, log = _state["root"], _state["log"]
    if root is None or _state["busy"]:
        return
    try:
        p = Path(os.fsdecode(path))
        p = (p if p.is_absolute() else Path.cwd() / p).resolve()
        rel = p.relative_to(root)
    except (TypeError, ValueError, OSError):
        return
    if not rel.parts or rel.parts[0] not in INPUT_DIRS:
        return
    entry = f"{kind}\t{rel.as_posix()}"
    if entry in _state["seen"]:
        return
    _state["seen"].add(entry)
    _state["busy"] = True  # the log's own open must not be recorded
    try:
        with open(log, "a", encoding="utf-8") as f:
            f.write(entry + "\n")
    finally:
        _state["busy"] = False


def _hook(event: str, args: tuple) -> None:
    if _state["root"] is None or _state["busy"]:
        return
    if event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
        mode = args[1] if len(args) > 1 else "r"
        if isinstance(mode, str) and ("w" in mode or "a" in mode or "x" in mode) and "+" not in mode:
            return  # a write is an output, not an input
        note(args[0])
    elif event in ("os.listdir", "os.scandir") and args and isinstance(args[0], (str, bytes, os.PathLike)):
        note(args[0], "dir")


def read_log(folder: Path) -> list[str] | None:
    """The entries a notebook recorded in its working folder (a folder ends in "/"); None without a log."""
    log = folder / LOG_NAME
    if not log.is_file():
        return None
    out = set()
    for line in log.read_text(encoding="utf-8").splitlines():
        kind, _, path = line.partition("\t")
        if path:
            out.add(path + "/" if kind == "dir" else path)
    return sorted(out)


def state_of(root: Path, entries, cache: dict | None = None) -> dict[str, str]:
    """What each recorded entry is now: a file's SHA-256, a folder's listing (hashed), or "absent"."""
    cache = {} if cache is None else cache
    out = {}
    for e in entries:
        if e not in cache:
            p = root / e.rstrip("/")
            if e.endswith("/"):
                names = sorted(x.name for x in p.iterdir()) if p.is_dir() else None
                cache[e] = "absent" if names is None else hashlib.sha256("\n".join(names).encode()).hexdigest()
            else:
                cache[e] = sha256_file(p) if p.is_file() else "absent"
        out[e] = cache[e]
    return out
