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


def mirror_copy(mirror: Path, tmp_path: Path) -> Path:
    import shutil

    copy = tmp_path / "mirror"
    shutil.copytree(mirror, copy)
    return copy


@pytest.mark.parametrize("garbage, message", [
    (b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>", "answered with an HTML page"),
    (b'{"daten": [{"name": "Einw', "is not valid JSON"),
    (b'{"daten": []}', "holds no records"),
    (b"", "empty file"),
])
def test_garbage_from_a_source_never_replaces_good_data(mirror, tmp_path, garbage, message):
    reg = load_registry(REPO / "data" / "sources.yaml")
    raw = tmp_path / "raw"
    fetch(reg, raw, mirror, log=lambda *_: None)
    before = {p.relative_to(raw): p.read_bytes() for p in sorted(raw.rglob("*")) if p.is_file()}
    bad = mirror_copy(mirror, tmp_path)
    (bad / "api" / "sgb2.json").write_bytes(garbage)
    with pytest.raises(FetchError, match=f"source 'sgb2'.*{message}|{message}.*sgb2"):
        fetch(reg, raw, bad, log=lambda *_: None)
    assert {p.relative_to(raw): p.read_bytes() for p in sorted(raw.rglob("*")) if p.is_file()} == before


def test_html_page_over_http_is_refused(mirror, tmp_path):
    """The live path: a server answering 200 with an error page for one source."""
    bad = mirror_copy(mirror, tmp_path)
    (bad / "geo" / "ortsteile.geojson").write_text("<html><body>Wartungsarbeiten</body></html>")
    handler = functools.partial(Quiet, directory=str(bad))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        reg = load_registry(registry_pointing_at(f"http://127.0.0.1:{server.server_address[1]}", tmp_path))
        with pytest.raises(FetchError, match="answered with an HTML page"):
            fetch(reg, tmp_path / "raw", None, log=lambda *_: None)
    finally:
        server.shutdown()
    assert not (tmp_path / "raw").exists()


@pytest.mark.parametrize("path", ["../../../x.json", "/etc/passwd", "api/../../x.json", ".hidden/x.json"])
def test_attack_source_path_outside_raw_is_refused(tmp_path, path):
    from evalkit.errors import DataError

    raw = yaml.safe_load((REPO / "data" / "sources.yaml").read_text(encoding="utf-8"))
    raw["sources"][0]["path"] = path
    p = tmp_path / "sources.yaml"
    p.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DataError, match="must stay inside data/raw/"):
        load_registry(p)


def test_attack_symlink_out_of_the_mirror_is_refused(mirror, tmp_path):
    secret = tmp_path / "secret.json"
    secret.write_text('{"daten": [{"name": "x", "wert": "1", "jahr": "2020", "ortsteil": null, '
                      '"stadtbezirk": null}]}')
    bad = mirror_copy(mirror, tmp_path)
    (bad / "api" / "sgb2.json").unlink()
    (bad / "api" / "sgb2.json").symlink_to(secret)
    reg = load_registry(REPO / "data" / "sources.yaml")
    with pytest.raises(FetchError, match="leads outside the mirror"):
        fetch(reg, tmp_path / "raw", bad, log=lambda *_: None)
    assert not (tmp_path / "raw").exists()


def _thousands(path: Path) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    for r in doc["daten"]:
        try:
            if float(str(r["wert"]).replace(",", ".")) >= 1000:
                r["wert"] = f"{int(float(str(r['wert']).replace(',', '.'))):,}".replace(",", ".")
        except ValueError:
            pass
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


@pytest.mark.parametrize("spoil, message", [
    (lambda m: (m / "facilities/schulen_2023.csv").write_bytes(
        b"\xef\xbb\xbf<!DOCTYPE html><html><body>503 Service Unavailable</body></html>"), "answered with an HTML page"),
    (lambda m: _thousands(m / "api/einwohner.json"), "the fetched data do not validate"),
    (lambda m: (m / "facilities/horte_2018.csv").write_text(
        "titel;ort\nHort A;Leipzig\nHort B;Leipzig\n", encoding="utf-8"), "Hort list has no column"),
])
def test_a_new_raw_set_replaces_the_old_only_after_it_validates(fetched_project, mirror, tmp_path, capsys, spoil,
                                                                message):
    """The same validation `evalkit indicators` applies (and the facility lists' columns) runs on the staged set:
    what it refuses never lands in data/raw/, and `evalkit fetch` exits non-zero naming the file."""
    import shutil

    from evalkit.cli import main

    root = tmp_path / "proj"
    shutil.copytree(fetched_project, root)
    raw = root / "data/raw"
    before = {p.relative_to(raw): p.read_bytes() for p in sorted(raw.rglob("*")) if p.is_file()}
    bad = mirror_copy(mirror, tmp_path)
    spoil(bad)
    rc = main(["--root", str(root), "fetch", "--mirror", str(bad)])
    err = capsys.readouterr().err
    assert rc == 2 and message in err and "evalkit fetch: error:" in err
    assert {p.relative_to(raw): p.read_bytes() for p in sorted(raw.rglob("*")) if p.is_file()} == before
