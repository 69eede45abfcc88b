"""Small inline SVG graphics for the Ortsteil pages: a map of the 63 Ortsteile with a name and value on hover or
tap (one <title> per area) and line charts with an interval band.

Written as plain strings, not with matplotlib: 252 pages per build need a few hundred graphics, and a figure
from matplotlib costs about 80 ms; these cost under 1 ms, are a few kilobytes, scale with the page (viewBox),
need no JavaScript and are byte-identical on every run (no dates, no random ids).
"""

from __future__ import annotations

import html
import math
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from evalkit import reads
from evalkit.publish.fmt import de

GREY, LINE, HIGHLIGHT = "#d9d9d9", "#ffffff", "#b2182b"
# need classes from high to low (ColorBrewer OrRd, print-safe, ordered); Ortsteile not classed: grey
CLASS_COLOURS = ["#b30000", "#e34a33", "#fc8d59", "#fdcc8a", "#fef0d9"]
FLAGGED_COLOUR = "#bdbdbd"


def class_fills(index: pd.DataFrame, labels: list[str]) -> dict[str, str]:
    """area_code → colour of its need class (labels from high to low need); anything else grey."""
    colours = dict(zip(labels, CLASS_COLOURS))
    return {r.area_code: colours.get(r.need_class, FLAGGED_COLOUR) for r in index.itertuples()}


def class_legend(labels: list[str], flagged: str) -> str:
    """An HTML legend with the class names (a categorical legend, not a colour bar of codes)."""
    return legend([*zip(labels, CLASS_COLOURS), (flagged, FLAGGED_COLOUR)])


def legend(items: list[tuple[str, str]], lead: str = "") -> str:
    """An HTML legend: a swatch (any CSS background) and a label per item, after an optional lead (the unit)."""
    head = f'<span style="margin-right:1em">{_esc(lead)}:</span>' if lead else ""
    return (f'<div class="evalkit-legend" role="list">{head}' + "".join(
        f'<span role="listitem" style="margin-right:1em;white-space:nowrap"><span style="display:inline-block;'
        f'width:0.9em;height:0.9em;background:{c};border:1px solid #999;margin-right:0.3em;vertical-align:-0.1em">'
        f"</span>{_esc(label)}</span>" for label, c in items) + "</div>")


def figure(graphic: str, legend_html: str, caption: str) -> str:
    """A map with its legend and caption as one HTML block for a notebook page (the caption is escaped text)."""
    return (f'<div class="evalkit-svg-figure">{graphic}{legend_html}<p class="evalkit-caption">{_esc(caption)}</p>'
            "</div>")


# Okabe–Ito: distinguishable with colour-vision deficiencies (as the site's matplotlib palette)
SERIES_COLOURS = ["#0072B2", "#E69F00", "#555555", "#009E73"]


def _esc(text) -> str:
    return html.escape(str(text), quote=True)


@lru_cache(maxsize=2)
def ortsteil_paths(geojson: str, tolerance: float = 60.0, size: float = 600.0) -> tuple[dict, float, float]:
    """SVG path data per Ortsteil code, in the city's projection (ETRS89 / UTM 33N), simplified to `tolerance`
    metres and scaled to `size` units wide; and the drawing's width and height."""
    import geopandas as gpd

    gdf = gpd.read_file(geojson).to_crs(25833)
    gdf["geometry"] = gdf.geometry.simplify(tolerance, preserve_topology=True)
    minx, miny, maxx, maxy = gdf.total_bounds
    k = size / (maxx - minx)
    height = (maxy - miny) * k
    paths = {}
    for code, geom in zip(gdf["OT"].astype(str).str.zfill(2), gdf.geometry):
        polys = list(geom.geoms) if geom.geom_type == "MultiPolygon" else [geom]
        parts = []
        for poly in polys:
            for ring in [poly.exterior, *poly.interiors]:
                xy = np.asarray(ring.coords)
                pts = [f"{(x - minx) * k:.0f},{(maxy - y) * k:.0f}" for x, y in xy]
                parts.append("M" + "L".join(pts) + "Z")
        paths[code] = "".join(parts)
    return paths, size, round(height, 1)


def area_map(geojson: Path, titles: dict[str, str], fills: dict[str, str] | None = None,
             highlight: str | None = None, label: str = "Karte der Leipziger Ortsteile",
             max_width: int = 640, hatched: set | None = None) -> str:
    """The 63 Ortsteile as inline SVG: each area filled (default grey), the highlighted one red and outlined,
    `hatched` ones overlaid with diagonal lines (e.g. a small base), each with a <title> (shown on hover or tap,
    read by screen readers). Scales with the page up to `max_width` px."""
    reads.note(geojson)  # read natively (GDAL) and cached: invisible to the audit hook
    paths, w, h = ortsteil_paths(str(geojson))
    fills = fills or {}
    hatched = hatched or set()
    body = []
    for code in sorted(paths, key=lambda c: (c == highlight, c)):  # the highlighted area drawn last, on top
        fill = HIGHLIGHT if code == highlight else fills.get(code, GREY)
        stroke = ' stroke="#000" stroke-width="1.6"' if code == highlight else ""
        title = f"<title>{_esc(titles.get(code, code))}</title>"
        body.append(f'<path d="{paths[code]}" fill="{fill}"{stroke}>{title}</path>')
        if code in hatched:
            body.append(f'<path d="{paths[code]}" fill="url(#evalkit-hatch)" pointer-events="none"/>')
    defs = ('<defs><pattern id="evalkit-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
            'patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" stroke="#333" stroke-width="1"/>'
            "</pattern></defs>") if hatched else ""
    return (f'<svg class="evalkit-map" viewBox="0 0 {w:g} {h:g}" role="img" aria-label="{_esc(label)}" '
            f'style="width:100%;max-width:{max_width}px;height:auto" xmlns="http://www.w3.org/2000/svg">{defs}'
            f'<g stroke="{LINE}" stroke-width="0.6">{"".join(body)}</g></svg>')


# five classes of a value, light to dark (ColorBrewer PuBu, sequential, print- and colour-blind-safe)
VALUE_COLOURS = ["#f1eef6", "#bdc9e1", "#74a9cf", "#2b8cbe", "#045a8d"]


def classed(values: pd.Series, k: int = 5) -> tuple[list[float], pd.Series]:
    """Quantile classes (mapclassify): k classes of about equal size. A continuous colour ramp would suggest a
    precision that values from small areas do not have. Returns the upper bounds and each value's class."""
    import mapclassify

    v = values.dropna()
    k = max(1, min(k, v.nunique()))
    q = mapclassify.Quantiles(v.to_numpy(float), k=k)
    return [float(b) for b in q.bins], pd.Series(q.yb, index=v.index)


def value_legend(bins: list[float], unit: str, decimals: int, extra: list[tuple[str, str]]) -> str:
    """The classes in words ("bis 2,8", "über 2,8 bis 4,6" …) with their colours, and extra entries (label,
    CSS background)."""
    items, lower = [], None
    for i, b in enumerate(bins):
        text = f"bis {de(b, decimals)}" if lower is None else f"über {de(lower, decimals)} bis {de(b, decimals)}"
        items.append((text, VALUE_COLOURS[i + len(VALUE_COLOURS) - len(bins)]))
        lower = b
    return legend(items + extra, unit)


def _ticks(lo: float, hi: float, n: int = 4) -> list[float]:
    if not math.isfinite(lo) or not math.isfinite(hi) or hi <= lo:
        return [lo] if math.isfinite(lo) else []
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=10 * mag)
    start = math.ceil(lo / step) * step
    return [round(start + i * step, 10) for i in range(int((hi - start) / step + 1e-9) + 1)]


def line_chart(series: dict[str, pd.DataFrame], title: str, unit: str, decimals: int = 1,
               band_of: str | None = None, marked_years: set | None = None, width: int = 560,
               height: int = 220) -> str:
    """Lines per series (DataFrames with year, value; `band_of` also with lower, upper drawn as a band). Years in
    `marked_years` get an open circle on the banded line (e.g. a small denominator). German number format."""
    # plain arrays: pandas row access costs more than drawing (a page has four charts, a build 1,000)
    data = {}
    for k, v in series.items():
        if not len(v):
            continue
        yr, val = v["year"].to_numpy(float), v["value"].to_numpy(float)
        keep = ~np.isnan(val)
        if keep.any():
            order = np.argsort(yr[keep], kind="stable")
            cols = {c: v[c].to_numpy(float)[keep][order] for c in ("lower", "upper") if c in v.columns}
            data[k] = (yr[keep][order], val[keep][order], cols)
    if not data:
        return ""
    all_years = np.concatenate([d[0] for d in data.values()])
    y0, y1 = int(all_years.min()), int(all_years.max())
    vals = np.concatenate([d[1] for d in data.values()])
    if band_of in data and {"lower", "upper"} <= set(data[band_of][2]):
        b = data[band_of][2]
        vals = np.concatenate([vals, b["lower"][~np.isnan(b["lower"])], b["upper"][~np.isnan(b["upper"])]])
    lo, hi = float(np.nanmin(vals)), float(np.nanmax(vals))
    lo = min(lo, 0.0) if lo >= 0 and lo < 0.25 * hi else lo
    pad = (hi - lo) * 0.05 or 1.0
    lo, hi = lo - (pad if lo != 0 else 0), hi + pad
    left, right, top, bottom = 56, 12, 40, 26
    pw, ph = width - left - right, height - top - bottom

    def x(y):
        return left + (0 if y1 == y0 else (y - y0) / (y1 - y0) * pw)

    def yv(v):
        return top + (hi - v) / (hi - lo) * ph

    out = [f'<svg class="evalkit-chart" viewBox="0 0 {width} {height}" role="img" aria-label="{_esc(title)}" '
           f'style="width:100%;max-width:{width}px;height:auto" xmlns="http://www.w3.org/2000/svg" '
           'font-family="sans-serif" font-size="11">',
           f'<text x="{left}" y="14" font-weight="bold">{_esc(title)}</text>',
           f'<text x="{width - right}" y="14" text-anchor="end" fill="#555">{_esc(unit)}</text>']
    for t in _ticks(lo, hi):
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{yv(t):.1f}" y2="{yv(t):.1f}" stroke="#e5e5e5"/>'
                   f'<text x="{left - 4}" y="{yv(t) + 4:.1f}" text-anchor="end">{de(t, decimals)}</text>')
    step = max(1, round((y1 - y0) / 6))
    for yr in range(y0, y1 + 1, step):
        out.append(f'<text x="{x(yr):.1f}" y="{height - 8}" text-anchor="middle">{yr}</text>')
    legend_x = left
    for i, (name, (yrs, values, cols)) in enumerate(data.items()):
        colour = SERIES_COLOURS[i % len(SERIES_COLOURS)]
        if name == band_of and {"lower", "upper"} <= set(cols):
            ok = ~(np.isnan(cols["lower"]) | np.isnan(cols["upper"]))
            by, bl, bu = yrs[ok], cols["lower"][ok], cols["upper"][ok]
            if len(by) > 1:
                pts = [f"{x(a):.1f},{yv(u):.1f}" for a, u in zip(by, bu)] + \
                      [f"{x(a):.1f},{yv(lw):.1f}" for a, lw in zip(by[::-1], bl[::-1])]
                out.append(f'<polygon points="{" ".join(pts)}" fill="{colour}" fill-opacity="0.15" stroke="none">'
                           f"<title>95-%-Intervall {_esc(name)}</title></polygon>")
        pts = " ".join(f"{x(a):.1f},{yv(v):.1f}" for a, v in zip(yrs, values))
        out.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for a, v in zip(yrs, values):
            open_ = name == band_of and marked_years and int(a) in marked_years
            out.append(f'<circle cx="{x(a):.1f}" cy="{yv(v):.1f}" r="{3.5 if open_ else 2.5}" '
                       f'fill="{"#fff" if open_ else colour}" stroke="{colour}"><title>{_esc(name)} {int(a)}: '
                       f'{de(v, decimals)} {_esc(unit)}{" (kleiner Nenner)" if open_ else ""}</title></circle>')
        out.append(f'<rect x="{legend_x}" y="{top - 15}" width="10" height="3" fill="{colour}"/>'
                   f'<text x="{legend_x + 14}" y="{top - 11}">{_esc(name)}</text>')
        legend_x += 24 + 6.5 * len(name)
    out.append("</svg>")
    return "".join(out)


# the area against the city: shape says higher / similar / lower (works in greyscale), colour says better or worse
MARKERS = {"höher": "▲", "ähnlich": "●", "niedriger": "▼", None: "○"}
BETTER, WORSE, NEUTRAL = "#0072B2", "#D55E00", "#6b6b6b"  # Okabe-Ito blue, vermillion; grey


def verdict_colour(word: str | None, higher_is_worse: bool | None) -> str:
    if word not in ("höher", "niedriger") or higher_is_worse is None:
        return NEUTRAL
    return WORSE if (word == "höher") == higher_is_worse else BETTER


def _marker(kind: str | None, cx: float, cy: float, colour: str, title: str) -> str:
    t = f"<title>{_esc(title)}</title>"
    if kind == "höher":
        return f'<polygon points="{cx:.1f},{cy - 6:.1f} {cx - 6:.1f},{cy + 5:.1f} {cx + 6:.1f},{cy + 5:.1f}" fill="{colour}" stroke="#000" stroke-width="0.6">{t}</polygon>'
    if kind == "niedriger":
        return f'<polygon points="{cx:.1f},{cy + 6:.1f} {cx - 6:.1f},{cy - 5:.1f} {cx + 6:.1f},{cy - 5:.1f}" fill="{colour}" stroke="#000" stroke-width="0.6">{t}</polygon>'
    fill = "#fff" if kind is None else colour
    return f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="5" fill="{fill}" stroke="#000" stroke-width="0.6">{t}</circle>'


def spine_chart(rows: list[dict], label: str, width: int = 560) -> str:
    """One row per indicator: the range of all Ortsteile (light), their middle half (darker), the median (white
    tick), the city (black line) and the Ortsteil (marker: ▲ higher, ● similar, ▼ lower than the city, ○ not
    tested; blue better, vermillion worse). Each row has its own scale, from the lowest to the highest Ortsteil.
    rows: name, label (the value in words beside the name), min, q1, median, q3, max, own, city, verdict, colour,
    text (the hover and the table say it)."""
    left, right, row_h, top = 10, 10, 40, 4  # the name above its bar: nothing cut off, also at 390 px
    pw = width - left - right
    height = top + row_h * len(rows) + 36
    out = [f'<svg class="evalkit-spine" viewBox="0 0 {width} {height}" role="img" aria-label="{_esc(label)}" '
           f'style="width:100%;max-width:{width}px;height:auto" xmlns="http://www.w3.org/2000/svg" '
           'font-family="sans-serif" font-size="11">']
    for i, r in enumerate(rows):
        y = top + i * row_h + 26
        lo, hi = r["min"], r["max"]

        def x(v, lo=lo, hi=hi):
            return left + (0.5 if hi == lo else (v - lo) / (hi - lo)) * pw

        out.append(f'<text x="{left}" y="{y - 11:.1f}">{_esc(r["name"])}: {_esc(r["label"])}</text>')
        out.append(f'<rect x="{left}" y="{y - 7:.1f}" width="{pw}" height="14" fill="#e8e8e8">'
                   f"<title>{_esc(r['name'])}: alle Ortsteile von {de(lo, r['decimals'])} bis "
                   f"{de(hi, r['decimals'])}</title></rect>")
        out.append(f'<rect x="{x(r["q1"]):.1f}" y="{y - 7:.1f}" width="{max(1.0, x(r["q3"]) - x(r["q1"])):.1f}" '
                   f'height="14" fill="#b4b4b4"><title>mittlere Hälfte der Ortsteile: {de(r["q1"], r["decimals"])} '
                   f'bis {de(r["q3"], r["decimals"])}</title></rect>')
        out.append(f'<line x1="{x(r["median"]):.1f}" x2="{x(r["median"]):.1f}" y1="{y - 7:.1f}" y2="{y + 7:.1f}" '
                   'stroke="#fff" stroke-width="2"/>')
        if math.isfinite(r["city"]):
            out.append(f'<line x1="{x(r["city"]):.1f}" x2="{x(r["city"]):.1f}" y1="{y - 10:.1f}" y2="{y + 10:.1f}" '
                       f'stroke="#000" stroke-width="2"><title>Leipzig: {de(r["city"], r["decimals"])}</title></line>')
        if math.isfinite(r["own"]):
            out.append(_marker(r["verdict"], x(r["own"]), y, r["colour"], r["text"]))
    ly = top + row_h * len(rows) + 14
    out.append(f'<text x="{left}" y="{ly}" fill="#333">▲ höher · ● ähnlich · ▼ niedriger als Leipzig (95 %) · '
               '○ ohne Test</text>')
    out.append(f'<text x="{left}" y="{ly + 15}" fill="#333">schwarze Linie: Leipzig · grau: alle Ortsteile, '
               'dunkler die mittlere Hälfte, weiß der Median</text>')
    out.append("</svg>")
    return "".join(out)
