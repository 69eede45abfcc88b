"""Acquire the registry's files into data/raw/, from the live sources or a mirror, and record their checksums.

Everything lands in a staging folder first and is moved into data/raw/ only when every file arrived, so a failed
fetch never leaves a mixture of old and new files behind.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import requests

from evalkit.acquire.sources import Registry
from evalkit.errors import FetchError
from evalkit.fileio import atomic_write_text, sha256_file

MANIFEST = "MANIFEST.json"
TIMEOUT_S = 30


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def _download(url: str, target: Path) -> None:
    try:
        with requests.get(url, stream=True, timeout=TIMEOUT_S) as r:
            r.raise_for_status()
            with open(target, "wb") as f:
                for chunk in r.iter_content(1 << 16):
                    f.write(chunk)
    except requests.RequestException as e:
        raise FetchError(
            f"could not download {url}: {e.__class__.__name__}",
            expected="network access to the source, or a data mirror: set EVALKIT_DATA_MIRROR=/path/to/mirror "
            "or pass --mirror /path/to/mirror (e.g. ../shared/data/leipzig)",
        ) from e


def fetch(registry: Registry, raw_dir: Path, mirror: Path | None = None, log=print) -> dict:
    """Fetch every source; return the manifest written to raw_dir/MANIFEST.json."""
    if mirror is not None and not mirror.is_dir():
        raise FetchError("the data mirror is not a folder", file=mirror,
                         expected="a folder laid out as api/<id>.json, geo/…, facilities/…")
    raw_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".raw-", dir=raw_dir.parent))
    entries = []
    try:
        for src in registry.sources:
            target = staging / src.path
            target.parent.mkdir(parents=True, exist_ok=True)
            if mirror is not None:
                origin = mirror / src.path
                if not origin.is_file():
                    raise FetchError(f"the mirror has no file for source {src.id!r}", file=origin,
                                     expected=f"{src.path} inside the mirror")
                shutil.copyfile(origin, target)
                retrieved_from = str(origin)
            else:
                _download(src.url, target)
                retrieved_from = src.url
            entries.append({
                "id": src.id, "path": src.path, "source_url": src.url, "retrieved_from": retrieved_from,
                "sha256": sha256_file(target), "size": target.stat().st_size, "retrieved_at": _now(),
                "licence": src.licence, "credit": src.credit,
            })
            log(f"fetched {src.id:24s} {entries[-1]['size']:>10,d} bytes  {entries[-1]['sha256'][:12]}")
        manifest = {"mirror": str(mirror) if mirror else None, "files": sorted(entries, key=lambda e: e["path"])}
        atomic_write_text(staging / MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        _swap_in(staging, raw_dir)
        return manifest
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _swap_in(staging: Path, raw_dir: Path) -> None:
    old = raw_dir.with_name(raw_dir.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if raw_dir.exists():
        raw_dir.rename(old)
    staging.rename(raw_dir)
    shutil.rmtree(old, ignore_errors=True)


def load_manifest(raw_dir: Path) -> dict:
    path = raw_dir / MANIFEST
    if not path.is_file():
        raise FetchError("no manifest of fetched data", file=path, expected="run `evalkit fetch` first")
    return json.loads(path.read_text(encoding="utf-8"))


def verify_raw(raw_dir: Path) -> list[str]:
    """Files whose bytes no longer match the manifest (empty when all match)."""
    bad = []
    for e in load_manifest(raw_dir)["files"]:
        p = raw_dir / e["path"]
        if not p.is_file() or sha256_file(p) != e["sha256"]:
            bad.append(e["path"])
    return bad
