"""External programs (Quarto, Pandoc) run with a timeout: a hung or failing tool becomes an error that names it and
what it was working on, never a build that waits forever."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from evalkit.errors import EvalkitError
from evalkit.settings import Settings, settings

DEFAULT_TIMEOUT = Settings.model_fields["tool_timeout"].default  # a whole real-Quarto site takes minutes


def timeout_from_env() -> float:
    """EVALKIT_TOOL_TIMEOUT (validated: a value that is no positive number is refused, not replaced)."""
    return settings().tool_timeout


def run(cmd: list[str], *, error: type[EvalkitError], file: Path, expected: str, cwd: Path | None = None,
        input: str | None = None, env: dict | None = None, timeout: float | None = None,
        name: str | None = None) -> str:
    """Run `cmd`; its standard output on success, `error` (naming `file`) on a non-zero exit or timeout."""
    limit = timeout or timeout_from_env()
    name = name or Path(cmd[0]).name
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, input=input, timeout=limit,
                           env={**os.environ, **(env or {})})
    except subprocess.TimeoutExpired:
        raise error(f"{name} ran longer than the timeout of {limit:g} s and was stopped", file=file,
                    expected="a run within EVALKIT_TOOL_TIMEOUT seconds") from None
    except OSError as e:
        raise error(f"{name} could not be started: {e}", file=file, expected=expected) from None
    if r.returncode != 0:
        raise error(f"{name} failed (exit {r.returncode}): {(r.stderr or r.stdout).strip()[-2000:]}", file=file,
                    expected=expected)
    return r.stdout
