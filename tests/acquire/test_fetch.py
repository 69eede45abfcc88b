"""Fetching: from a mirror, over HTTP from a local server, and failing without either."""

import functools
import http.server
import json
import threading
from pathlib import Path

import pytest
import yaml

from evalkit.acquire.fetch import fetch, load_manifest, verify_raw
from evalkit.acquire.sources import load_registry
from evalkit.errors import FetchError
from evalkit.fileio import sha256_file

REPO = Path(__file__).resolve().parents[2]


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def http_mirror(mirror):
    handler = functools.partial(Quiet, directory=str(mirror))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def registry_pointing_at(base: str, tmp_path: Path) -> Path:
    raw = yaml.safe_load((REPO / "data" / "sources.yaml").read_text(encoding="utf-8"))
    for s in raw["sources"]:
        s["url"] = f"{base}/{s['path']}"
    p = tmp_path / "sources.yaml"
    p.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return p


def test_fetch_from_mirror_writes_manifest(mirror, tmp_path):
    reg = load_registry(REPO / "data" / "sources.yaml")
    manifest = fetch(reg, tmp_path / "raw", mirror, log=lambda *_: None)
    assert len(manifest["files"]) == len(reg.sources)
    on_disk = load_manifest(tmp_path / "raw")
    for entry in on_disk["files"]:
        f = tmp_path / "raw" / entry["path"]
        assert entry["sha256"] == sha256_file(mirror / entry["path"]) == sha256_file(f)
        assert entry["size"] == f.stat().st_size
        assert entry["source_url"].startswith("http") and entry["retrieved_at"]
    assert verify_raw(tmp_path / "raw") == []


def test_fetch_over_http_from_local_server(http_mirror, mirror, tmp_path):
    reg = load_registry(registry_pointing_at(http_mirror, tmp_path))
    manifest = fetch(reg, tmp_path / "raw", None, log=lambda *_: None)
    for entry in manifest["files"]:
        assert entry["retrieved_from"].startswith("http://127.0.0.1")
        assert entry["sha256"] == sha256_file(mirror / entry["path"])
    json.loads((tmp_path / "raw" / "api" / "einwohner.json").read_text(encoding="utf-8"))


def test_no_network_no_mirror_says_how_to_set_one(tmp_path):
    reg = load_registry(registry_pointing_at("http://127.0.0.1:9", tmp_path))  # port 9: nothing listens
    with pytest.raises(FetchError) as e:
        fetch(reg, tmp_path / "raw", None, log=lambda *_: None)
    assert "EVALKIT_DATA_MIRROR" in str(e.value) and "--mirror" in str(e.value)


def test_failed_fetch_keeps_previous_raw(mirror, tmp_path):
    reg = load_registry(REPO / "data" / "sources.yaml")
    fetch(reg, tmp_path / "raw", mirror, log=lambda *_: None)
    before = (tmp_path / "raw" / "MANIFEST.json").read_bytes()
    broken = tmp_path / "broken-mirror"
    broken.mkdir()
    with pytest.raises(FetchError, match="the mirror has no file for source 'einwohner'"):
        fetch(reg, tmp_path / "raw", broken, log=lambda *_: None)
    assert (tmp_path / "raw" / "MANIFEST.json").read_bytes() == before
    assert verify_raw(tmp_path / "raw") == []


def test_edited_raw_file_is_detected(mirror, tmp_path):
    reg = load_registry(REPO / "data" / "sources.yaml")
    fetch(reg, tmp_path / "raw", mirror, log=lambda *_: None)
    with open(tmp_path / "raw" / "api" / "sgb2.json", "ab") as f:
        f.write(b" ")
    assert verify_raw(tmp_path / "raw") == ["api/sgb2.json"]
