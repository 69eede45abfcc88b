"""Figures for the site: colour-blind-safe palettes, German number format on axes, and every figure emitted as
<figure> with an <img>, alt text and caption (so both Quarto and smalldocs show the same accessible markup)."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from evalkit.acquire import sources  # noqa: E402
from evalkit.paths import FIGURE_MARKER  # noqa: E402
from evalkit.publish.fmt import de, html_text, md  # noqa: E402

PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]  # Okabe-Ito

plt.rcParams.update({"figure.dpi": 96, "savefig.dpi": 96, "font.size": 9, "axes.prop_cycle":
                     matplotlib.cycler(color=PALETTE), "axes.spines.top": False, "axes.spines.right": False,
                     "svg.hashsalt": "evalkit", "svg.fonttype": "none"})


def german_formatter(decimals: int = 0) -> FuncFormatter:
    """Tick labels in German number format (axes and colour bars)."""
    return FuncFormatter(lambda v, _: de(v, decimals))


def german_axis(ax, axis="y", decimals=0):
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(german_formatter(decimals))


def figure_html(fig, caption: str, alt: str, credit: str | None = None) -> str:
    """The figure with caption, alt text and the project's credit line (data/sources.yaml)."""
    credit = sources.credit_line() if credit is None else credit
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return (f'<figure class="evalkit-figure"><img src="data:image/png;base64,{data}" alt="{html_text(alt)}" '
            f'style="max-width:100%"><figcaption>{html_text(caption)} <small>{html_text(credit)}</small>'
            f"</figcaption></figure>")




def figure_file(fig, folder: Path) -> str:
    """The figure as an SVG file named by its content (same figure, same name and bytes); returns the name."""
    import hashlib

    buf = io.BytesIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    data = buf.getvalue()
    name = f"abb-{hashlib.sha256(data).hexdigest()[:16]}.svg"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    return name


def figure_markdown(src: str, caption: str, alt: str, credit: str) -> str:
    """Quarto's figure syntax: caption (Markdown-inert), alt text and a cross-reference label."""
    label = "fig-" + Path(src).stem.removeprefix("abb-")
    alt_attr = " ".join(str(alt).split()).replace("\\", "/").replace('"', "”")
    return f'![{md(caption)} {md(credit)}]({src}){{#{label} fig-alt="{alt_attr}"}}'


def show(fig, caption: str, alt: str, credit: str | None = None):
    """Under `evalkit run`: the figure as an SVG file beside the notebook, shown with Quarto's figure syntax
    (caption, fig-alt, a label to cross-reference). Opened by hand (JupyterLab): inline, as before."""
    from IPython.display import HTML, Markdown, display

    marker = Path.cwd() / FIGURE_MARKER
    credit = sources.credit_line() if credit is None else credit
    if not marker.is_file():
        display(HTML(figure_html(fig, caption, alt, credit)))
        return
    folder = marker.read_text(encoding="utf-8").strip()
    name = figure_file(fig, Path.cwd() / folder)
    display(Markdown(figure_markdown(f"{folder}/{name}", caption, alt, credit)))


def trend_lines(series: dict, title: str, unit: str, years_marked=()):
    """Lines per group (dict name → DataFrame with year, value[, lower, upper]) with intervals as bands."""
    fig, ax = plt.subplots(figsize=(7, 3.4))
    for i, (name, df) in enumerate(series.items()):
        df = df.sort_values("year")
        ax.plot(df["year"], df["value"], marker="o", ms=3, label=name, color=PALETTE[i % len(PALETTE)])
        if "lower" in df and df["lower"].notna().any():
            ax.fill_between(df["year"], df["lower"], df["upper"], alpha=0.2, color=PALETTE[i % len(PALETTE)])
    for y in years_marked:
        ax.axvline(y, color="grey", lw=0.8, ls="--")
    return _year_axes(fig, ax, title, unit)


def _year_axes(fig, ax, title: str, unit: str):
    """Title, German numbers on the value axis, plain years on the time axis, a quiet legend."""
    ax.set_title(title)
    ax.set_ylabel(unit)
    german_axis(ax, "y", 1)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{int(v)}"))
    ax.legend(frameon=False, fontsize=8)
    return fig


def its_figure(series, title: str, unit: str, start: int):
    """Both groups' observed rates (points) and the interrupted time series' fitted segments (lines, broken at
    the plan start). `series`: year, group (evaluationsgruppe | uebrige), observed, fitted."""
    fig, ax = plt.subplots(figsize=(7, 3.4))
    labels = {"evaluationsgruppe": "Evaluationsgruppe", "uebrige": "übriges Stadtgebiet"}
    for i, (key, label) in enumerate(labels.items()):
        df = series[series["group"] == key].sort_values("year")
        colour = PALETTE[i]
        ax.plot(df["year"], df["observed"], "o", ms=3.5, color=colour, label=f"{label} (beobachtet)")
        for part in (df[df["year"] < start], df[df["year"] >= start]):
            ax.plot(part["year"], part["fitted"], "-", lw=1.6, color=colour)
    ax.axvline(start - 0.5, color="grey", lw=0.8, ls="--")
    return _year_axes(fig, ax, title, unit)


def event_study_figure(rows, title: str, reference: int, start: int):
    """The gap's change against the reference year per year (points) with 95 % intervals (bars): leads left of
    the plan start, the years after it right. `rows`: year, estimate, lower, upper."""
    fig, ax = plt.subplots(figsize=(7, 3.4))
    df = rows.sort_values("year")
    pre, post = df[df["year"] < start], df[df["year"] >= start]
    for part, colour, label in ((pre, PALETTE[4], "vor dem Planstart"), (post, PALETTE[0], "ab dem Planstart")):
        if part.empty:
            continue
        err = [(part["estimate"] - part["lower"]).fillna(0), (part["upper"] - part["estimate"]).fillna(0)]
        ax.errorbar(part["year"], part["estimate"], yerr=err, fmt="o", ms=4, capsize=2, color=colour, label=label)
    ax.axhline(0, color="black", lw=0.6)
    ax.axvline(start - 0.5, color="grey", lw=0.8, ls="--")
    ax.annotate(f"Bezug {reference}", (reference, 0), textcoords="offset points", xytext=(0, 8), ha="center",
                fontsize=7)
    return _year_axes(fig, ax, title, "Veränderung des Abstands (Pp.)")


def benchmark_figure(values: dict, real: dict, title: str, start: int):
    """Per outcome (rows): the benchmark groups' estimates (open circles) and the evaluation group's (filled)."""
    fig, ax = plt.subplots(figsize=(7, 0.55 * len(values) + 1.2))
    names = list(values)
    for i, name in enumerate(names):
        v = values[name]
        ax.plot(v, [i] * len(v), "o", mfc="none", color=PALETTE[4], ms=6,
                label="gleich ausgewählte Gruppen ohne Plan" if i == 0 else None)
        ax.plot([real[name]], [i], "D", color=PALETTE[0], ms=6, label=f"Evaluationsgruppe ab {start}" if i == 0 else None)
    ax.axvline(0, color="black", lw=0.6)
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    ax.set_title(title)
    ax.set_xlabel("Veränderung des Abstands (Pp., SDID)")
    german_axis(ax, "x", 1)
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    return fig
