"""Writes that never leave a half-written file behind: write beside the target, then rename over it."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from evalkit.errors import EvalkitError


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def atomic_write_bytes(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as e:  # a read-only or full folder: a clear message, the old file untouched
        raise EvalkitError(f"cannot write ({e.strerror})", file=path, expected="a writable folder") from e
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a published file follows the umask like open()
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def table_bytes(df: pd.DataFrame) -> bytes:
    """CSV bytes that are the same for the same frame on every run: fixed line ending, no index; text cells a
    spreadsheet would run as a formula are quoted (every download and result goes through here)."""
    return spreadsheet_safe(df).to_csv(index=False, lineterminator="\n").encode("utf-8")


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(df: pd.DataFrame) -> pd.DataFrame:
    """Text cells a spreadsheet would run as a formula (starting with = + - @, tab or CR) get a leading
    apostrophe (OWASP's CSV-injection rule); numbers stay numbers."""
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
            out[c] = out[c].map(lambda v: "'" + v if isinstance(v, str) and v.startswith(FORMULA_START) else v)
    return out


def write_table(path: Path, df: pd.DataFrame) -> None:
    atomic_write_bytes(path, table_bytes(df))


def read_table(path: Path, **kw) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"area_code": str, "ot_code": str, "sbz_code": str}, keep_default_na=True, **kw)


OLD_SUFFIX = ".old"


def swap_dir(new: Path, target: Path) -> None:
    """Put a complete staged folder in place of the old one: two renames, the old copy deleted last (data/raw/,
    a cycle's reports, the site). A run stopped between the renames leaves `<target>.old` to restore from."""
    old = target.with_name(target.name + OLD_SUFFIX)
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    new.rename(target)
    shutil.rmtree(old, ignore_errors=True)
