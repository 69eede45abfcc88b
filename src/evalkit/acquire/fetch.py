"""Acquire the registry's files into data/raw/, from the live sources or a mirror, and record their checksums.

Everything lands in a staging folder first, each file is checked (parsed, shaped as its kind requires, never an
HTML error page), and the set is moved into data/raw/ only when every file arrived and passed: a failed fetch
keeps the last good raw set and manifest, and says which source failed. Paths stay inside the mirror and
data/raw/ (no `..`, no symlink out of the mirror).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import requests

from evalkit.acquire.sources import Registry
from evalkit.errors import EvalkitError, FetchError
from evalkit.fileio import atomic_write_text, sha256_file, swap_dir

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


def inside(folder: Path, rel: str, source_id: str, what: str) -> Path:
    """folder/rel, resolved (symlinks followed), refused unless it stays inside folder."""
    root = folder.resolve()
    path = (root / rel).resolve()
    if not path.is_relative_to(root):
        raise FetchError(f"source {source_id!r}: {rel} leads outside {what} (to {path})", file=folder / rel,
                         expected=f"a file inside {what}")
    return path


def check_content(src, path: Path) -> None:
    """What arrived must be what the source publishes (an error page served with status 200 is not data)
    before it may replace the last good copy: parsed, and shaped as its kind requires."""
    data = path.read_bytes()
    if data[:512].removeprefix(b"\xef\xbb\xbf").lstrip().lower().startswith((b"<!doctype html", b"<html", b"<?xml", b"<head", b"<body")):
        raise FetchError(f"source {src.id!r} answered with an HTML page, not data", file=path,
                         expected=f"{src.kind} data as published at {src.url}")
    if not data:
        raise FetchError(f"source {src.id!r} answered with an empty file", file=path, expected="data")
    if src.kind in ("api", "geo"):
        try:
            doc = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise FetchError(f"source {src.id!r} is not valid JSON ({e})", file=path,
                             expected="a complete JSON document") from e
        if src.kind == "api":
            records = doc.get("daten", doc.get("data")) if isinstance(doc, dict) else None
            if not isinstance(records, list) or not records:
                raise FetchError(f"source {src.id!r} holds no records", file=path,
                                 expected='an object with a non-empty "daten" list')
            bad = next((i for i, r in enumerate(records) if not isinstance(r, dict)
                        or not {"name", "wert", "jahr", "ortsteil", "stadtbezirk"} <= r.keys()), None)
            if bad is not None:
                raise FetchError(f"source {src.id!r}: record {bad} lacks the API fields", file=path,
                                 expected="name, wert, jahr, stadtbezirk, ortsteil in every record")
        elif not (isinstance(doc, dict) and doc.get("type") == "FeatureCollection" and doc.get("features")):
            raise FetchError(f"source {src.id!r} is not a GeoJSON FeatureCollection with features", file=path,
                             expected="GeoJSON as the portal publishes it")
    else:
        try:
            text = data.decode(src.encoding)
        except (UnicodeDecodeError, LookupError) as e:
            raise FetchError(f"source {src.id!r} is not text in {src.encoding}", file=path,
                             expected=f"a CSV file in {src.encoding}") from e
        if len([line for line in text.splitlines() if line.strip()]) < 2:
            raise FetchError(f"source {src.id!r} has no data rows", file=path, expected="a header and rows")


def fetch(registry: Registry, raw_dir: Path, mirror: Path | None = None, log=print, validate=None) -> dict:
    """Fetch every source; return the manifest written to raw_dir/MANIFEST.json. `validate(staged_dir)` runs on
    the complete staged set before it replaces data/raw/ (the same validation `evalkit indicators` applies):
    whatever it refuses never replaces the last good set — fetching is one transaction."""
    if mirror is not None and not mirror.is_dir():
        raise FetchError("the data mirror is not a folder", file=mirror,
                         expected="a folder laid out as api/<id>.json, geo/…, facilities/…")
    raw_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".raw-", dir=raw_dir.parent))
    entries = []
    try:
        for src in registry.sources:
            target = inside(staging, src.path, src.id, "data/raw/")
            target.parent.mkdir(parents=True, exist_ok=True)
            if mirror is not None:
                origin = inside(mirror, src.path, src.id, "the mirror")  # a symlink out of the mirror is refused
                if not origin.is_file():
                    raise FetchError(f"the mirror has no file for source {src.id!r}", file=origin,
                                     expected=f"{src.path} inside the mirror")
                shutil.copyfile(origin, target)
                retrieved_from = str(origin)
            else:
                _download(src.url, target)
                retrieved_from = src.url
            check_content(src, target)
            entries.append({
                "id": src.id, "path": src.path, "source_url": src.url, "retrieved_from": retrieved_from,
                "sha256": sha256_file(target), "size": target.stat().st_size, "retrieved_at": _now(),
                "licence": src.licence, "credit": src.credit,
            })
            log(f"fetched {src.id:24s} {entries[-1]['size']:>10,d} bytes  {entries[-1]['sha256'][:12]}")
        manifest = {"mirror": str(mirror) if mirror else None, "files": sorted(entries, key=lambda e: e["path"])}
        atomic_write_text(staging / MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        if validate is not None:
            try:
                validate(staging)
            except EvalkitError as e:
                file = Path(str(e.file)) if e.file else None
                shown = raw_dir / file.relative_to(staging) if file and staging in file.parents else e.file
                raise FetchError(f"the fetched data do not validate, the last good set in {raw_dir} stays: "
                                 f"{e.message}", file=shown, record=e.record, expected=e.expected) from e
        swap_dir(staging, raw_dir)
        return manifest
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def load_manifest(raw_dir: Path) -> dict:
    manifest = read_manifest(raw_dir)
    if manifest is None:
        raise FetchError("no manifest of fetched data", file=raw_dir / MANIFEST, expected="run `evalkit fetch` first")
    return manifest


def read_manifest(raw_dir: Path) -> dict | None:
    """The manifest of fetched data, or None before the first fetch (pages then say so instead of failing)."""
    path = raw_dir / MANIFEST
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def verify_raw(raw_dir: Path) -> list[str]:
    """Files whose bytes no longer match the manifest (empty when all match)."""
    bad = []
    for e in load_manifest(raw_dir)["files"]:
        p = raw_dir / e["path"]
        if not p.is_file() or sha256_file(p) != e["sha256"]:
            bad.append(e["path"])
    return bad
