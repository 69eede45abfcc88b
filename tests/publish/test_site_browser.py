"""The built site in a real browser (Debian's headless Chromium via Playwright): every page loads, every internal
link resolves, every figure shows an image with alt text. Screenshots land in tests/screenshots/ for a human eye."""

import functools
import http.server
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[1] / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server(built_project):
    handler = functools.partial(Quiet, directory=str(built_project / "_site"))
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed (./tasks test installs it)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def test_every_page_loads_links_resolve_and_figures_have_images(built_project, server, browser):
    site = built_project / "_site"
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html") if "site_libs" not in p.parts)
    # start, data, methods, imprint, indicators; per cycle 7 pages, index and provenance; with the newest cycle
    # the 17 area profiles and the 63 Ortsteil pages, each across all cycles
    assert len(pages) == 5 + 4 * 9 + 17 + 63
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    broken, missing_img, checked_links = [], [], set()
    for rel in pages:
        url = f"{server}/{rel}"
        resp = page.goto(url)
        assert resp and resp.status == 200, rel
        assert page.locator("html").get_attribute("lang") == "de", rel
        for fig in page.locator("figure").all():
            img = fig.locator("img")
            if img.count() == 0:
                missing_img.append(rel)
                continue
            ok = img.first.evaluate("i => i.complete && i.naturalWidth > 0")
            alt = img.first.get_attribute("alt") or ""
            cap = fig.locator("figcaption").inner_text() if fig.locator("figcaption").count() else ""
            if not ok or len(alt) < 10 or not cap:
                missing_img.append(f"{rel}: ok={ok} alt={alt[:30]!r} caption={cap[:30]!r}")
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"):
            target = urljoin(url, href)
            if urlparse(target).netloc != urlparse(server).netloc:
                continue
            path = urlparse(target).path
            if path in checked_links:
                continue
            checked_links.add(path)
            local = site / path.lstrip("/")
            if local.is_dir():
                local = local / "index.html"
            if not local.is_file():
                broken.append(f"{rel} → {href}")
    assert not broken, broken[:20]
    assert not missing_img, missing_img[:20]
    assert len(checked_links) > 50


def test_key_pages_content_and_screenshots(built_project, server, browser):
    SHOTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    shots = {"start": "index.html", "zyklus-2022": "reports/2022/index.html",
             "uebersicht-2024": "reports/2024/uebersicht.html", "karten-2022": "reports/2022/ortsteile.html",
             "profil-grünau": "reports/2024/profile/planungsraum-Gruenau.html",
             "datenqualitaet-2022": "reports/2022/datenqualitaet.html", "provenienz-2022": "reports/2022/provenienz.html",
             "indikatoren": "reports/indikatoren.html", "schwerpunktraeume-2022": "reports/2022/schwerpunktraeume.html",
             "trends-2022": "reports/2022/trends.html", "massnahmen-2022": "reports/2022/massnahmen.html"}
    for name, rel in shots.items():
        page.goto(f"{server}/{rel}")
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    page.goto(f"{server}/index.html")
    text = page.inner_text("body")
    for c in ("2018", "2020", "2022", "2024"):
        assert f"Evaluationszyklus {c}" in text
    assert "Stadt Leipzig, Amt für Statistik und Wahlen" in text and "OpenStreetMap" in text
    page.goto(f"{server}/reports/2022/uebersicht.html")
    body = page.inner_text("body")
    assert re.search(r"\d{1,3}\.\d{3}", body), "German thousands separator expected"
    assert re.search(r"\d+,\d", body), "German decimal comma expected"
    page.goto(f"{server}/reports/2024/uebersicht.html")
    fits = page.eval_on_selector_all(
        "main table", "ts => ts.map(t => t.scrollWidth <= t.parentElement.clientWidth + 1)")
    assert fits and fits[0], "the key-figure table is cut off at the page's edge"
    page.goto(f"{server}/reports/2022/provenienz.html")
    body = page.inner_text("body")
    assert "Git-Commit" in body and "data/processed/indicators.csv" in body
    csv = page.request.get(f"{server}/reports/2022/downloads/indikatoren-2022.csv")
    assert csv.status == 200 and csv.text().startswith("indicator,level,area_code,area_name,year")
    xlsx = page.request.get(f"{server}/reports/2022/downloads/indikatoren-2022.xlsx")
    assert xlsx.status == 200 and xlsx.body()[:2] == b"PK"
    # an older cycle lists the area profiles, which stand with the newest cycle and show every cycle
    page.goto(f"{server}/reports/2018/index.html")
    page.click("text=Planungsraum Grünau")
    assert page.url.endswith("/reports/2024/profile/planungsraum-Gruenau.html")
    assert page.title().startswith("Planungsraum Grünau")
    assert "Profil über die Evaluationszyklen 2018, 2020, 2022, 2024" in page.inner_text("body")


def test_scenario_boxes_are_visibly_labelled(built_project, server, browser):
    """Every synthetic or scenario element is a callout whose visible title says so (text, not a stylesheet's
    decoration, so that print shows it too), drawn with the dashed scenario border."""
    page = browser.new_page()
    page.goto(f"{server}/reports/2022/massnahmen.html")
    labels = page.eval_on_selector_all(".evalkit-synthetic", "els => els.map(e => e.innerText)")
    assert len(labels) == 2 and all(x.startswith("Szenario / synthetisch – keine amtlichen Daten") for x in labels), labels
    borders = page.eval_on_selector_all(".evalkit-synthetic", "els => els.map(e => getComputedStyle(e).borderTopStyle)")
    assert borders == ["dashed", "dashed"], borders
    table_text = page.inner_text("main") if page.locator("main").count() else page.inner_text("body")
    assert "Förderschule" in table_text and "Foerderschule" not in table_text  # ids stay ASCII, the site says it in German
    boxes = page.locator(".evalkit-synthetic")
    assert all(boxes.nth(i).is_visible() for i in range(boxes.count()))
    page.goto(f"{server}/reports/2022/schwerpunktraeume.html")
    body = page.inner_text("body")
    assert "eigene Berechnung" in body and "nicht öffentlich" in body


def test_ortsteil_page_at_desktop_and_phone_width(built_project, server, browser):
    """Screenshots of an Ortsteil page at 1366 and 390 px; at both, no table is wider than its column, the
    map names an Ortsteil on hover, and the site search finds the Ortsteil by name."""
    SHOTS.mkdir(exist_ok=True)
    for width in (1366, 390):
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.goto(f"{server}/reports/2024/ortsteil/62.html")
        page.screenshot(path=str(SHOTS / f"ortsteil-62-2024-{width}px.png"), full_page=True)
        assert page.title().startswith("Grünau-Mitte")
        too_wide = page.eval_on_selector_all(
            "main table", "ts => ts.filter(t => t.scrollWidth > t.parentElement.clientWidth + 1).length")
        assert too_wide == 0, f"a table is wider than the page at {width} px"
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
        body = page.inner_text("body")
        assert "Kinder im SGB-II-Bezug" in body and "39,4" in body  # the numbers are on screen, not only names
        assert page.locator("svg.evalkit-map path title").count() == 63
        assert page.locator("svg.evalkit-chart").count() == 4
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.goto(f"{server}/index.html")
    box = page.locator("input[type=search]").first
    assert box.get_attribute("placeholder") == "Suchen"
    box.fill("Grünau-Mitte")
    page.wait_for_selector(".search-result", timeout=5000)
    hrefs = page.eval_on_selector_all(".search-result", "as => as.map(a => a.getAttribute('href'))")
    assert any(h.endswith("reports/2024/ortsteil/62.html") or "ortsteil/62.html" in h for h in hrefs), hrefs
    page.goto(f"{server}/reports/2024/ortsteilprofile.html")
    links = page.eval_on_selector_all("a[href^='ortsteil/']", "as => as.length")
    assert links >= 63


def test_cycle_page_links_its_pdf_and_reviewer_files(built_project, server, browser):
    page = browser.new_page()
    page.goto(f"{server}/reports/2024/index.html")
    href = page.get_attribute("a[href$='bericht-2024.pdf']", "href")
    assert href
    pdf = page.request.get(f"{server}/reports/2024/{href}")
    assert pdf.status == 200 and pdf.body()[:4] == b"%PDF"
    for rel in ("manifest.json", "uebersicht.ipynb", "tabellen/its.csv"):
        r = page.request.get(f"{server}/reports/2024/{rel}")
        assert r.status == 200, rel
    excel = page.request.get(f"{server}/reports/2024/downloads/indikatoren-2024-excel.csv")
    body = excel.body()
    assert body[:3] == b"\xef\xbb\xbf"  # BOM: German Excel reads UTF-8 ("Süd", not "SÃ¼d")
    head = body[3:].decode("utf-8").splitlines()[0]
    assert head.startswith("Indikator;Einheit;Ebene;Gebietscode;Gebiet;Jahr;Zähler;Nenner;Wert")
    assert re.search(r";\d+,\d{4};", body.decode("utf-8-sig")), "decimal comma in the Excel CSV"


def test_every_cycle_table_is_readable_at_phone_and_desktop_width(built_project, server, browser):
    """The notebooks' Markdown tables on every kind of cycle page: none wider than its column, and no number cut
    off inside its cell (a clipped interval reads as a different number), at 390 and 1366 px."""
    pages = ["uebersicht", "ortsteile", "datenqualitaet", "schwerpunktraeume", "trends", "massnahmen",
             "profile/planungsraum-Gruenau", "ortsteil/62"]
    for width in (390, 1366):
        page = browser.new_page(viewport={"width": width, "height": 900})
        for rel in pages:
            page.goto(f"{server}/reports/2024/{rel}.html")
            assert page.locator("main table").count() > 0 or rel == "trends", rel
            too_wide = page.eval_on_selector_all(
                "main table", "ts => ts.filter(t => t.scrollWidth > t.parentElement.clientWidth + 1).length")
            clipped = page.eval_on_selector_all(
                "main table td[style*='right']",
                "cs => cs.filter(c => c.scrollWidth > c.clientWidth + 1).map(c => c.innerText)")
            assert too_wide == 0 and not clipped, (rel, width, too_wide, clipped[:5])
