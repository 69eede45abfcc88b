"""German number format for the site (1.234,5) and the Markdown that notebooks emit: tables, callouts, escaping."""

from __future__ import annotations

import html
import math
import re

import pandas as pd

# The sign German official tables use for a value that is not published (Zeichenerklärung on every page that
# shows it): small counts the source publishes as 0, and cells withheld by disclosure control.
ZEICHEN = "·"
ZEICHENERKLAERUNG = (f"Zeichenerklärung: {ZEICHEN} = Zahlenwert unbekannt oder geheim zu halten (kleine Zahl, "
                     "von der Quelle nicht veröffentlicht oder zum Schutz Einzelner unterdrückt); – = nichts "
                     "vorhanden oder keine Daten.")


def de(x, decimals: int = 1, signed: bool = False) -> str:
    """1234.5 → '1.234,5'; NaN → '–'."""
    if x is None or (isinstance(x, float) and math.isnan(x)) or pd.isna(x):
        return "–"
    if round(float(x), decimals) == 0:
        x = 0.0  # no "−0,0": a value that rounds to zero has no sign
    s = f"{x:+,.{decimals}f}" if signed else f"{x:,.{decimals}f}"
    # German: 1.234,5; negative numbers with the minus sign (U+2212), not a hyphen
    return s.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".").replace("-", "\u2212")


def decimals_for(unit: str) -> int:
    """Counts of people, euro amounts and square metres (from whole hectares) without decimals; rates, means and
    densities with one."""
    return 0 if unit.startswith("Personen") or "€" in unit or "Euro" in unit or unit.startswith("m²") else 1


def de_by_unit(values, units, signed: bool = False) -> list[str]:
    """Each value formatted with the decimals its unit calls for (key-figure and profile tables)."""
    return [de(v, decimals_for(u), signed) for v, u in zip(values, units)]


def rounded_change(now, before, unit: str):
    """The change of the unrounded values, rounded to its unit's decimals: 10,13 against 10,06 is +0,1, not the
    +0,0 the printed 10,1 and 10,1 suggest (as official statistics do; ROUNDING_NOTE says so under the table)."""
    if now is None or before is None or pd.isna(now) or pd.isna(before):
        return None
    return round(float(now) - float(before), decimals_for(unit))


ROUNDING_NOTE = ("Veränderungen sind aus den ungerundeten Werten berechnet und können daher von der Differenz der "
                 "gerundeten Werte abweichen.")


MONTHS = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
          "November", "Dezember"]


def month_de(iso) -> str:
    """'2021-01' → 'Januar 2021'; a bare year stays as it is (dates on pages in words, not ISO)."""
    text = str(iso)
    if len(text) >= 7 and text[4] == "-" and text[5:7].isdigit() and 1 <= int(text[5:7]) <= 12:
        return f"{MONTHS[int(text[5:7]) - 1]} {text[:4]}"
    return text


def day_de(iso: str) -> str:
    """'2026-11-27T09:14:37+00:00' → '27.11.2026' (a timestamp as a German date); 'unbekannt' without one."""
    return f"{iso[8:10]}.{iso[5:7]}.{iso[0:4]}" if len(iso) >= 10 else "unbekannt"


def year_label(y) -> int | str:
    return "–" if pd.isna(y) else int(y)


def _one_line(text) -> str:
    """A table cell on one line: runs of any other whitespace (line breaks too) become one space; no-break spaces
    (U+00A0, U+202F) stay, so that a caller can keep "3,6 → 3,2" together (`str.split()` would break them)."""
    return re.sub(r"[^\S\u00a0\u202f]+", " ", str(text)).strip(" ")


def md_table(df: pd.DataFrame, formats: dict | None = None, caption: str | None = None,
             numeric: set | None = None, markdown: set | None = None) -> str:
    """A Markdown pipe table with German-formatted numbers, right-aligned: one source that Quarto (and smalldocs)
    render as an HTML table on the site and as a Typst table in print. Every cell and heading is escaped (`md`),
    so data-derived text stays text, except the `markdown` columns: links the caller built from escaped parts.
    The dashes under each heading follow its column's longest text, which Pandoc uses for the relative column
    widths when the table wraps."""
    formats = formats or {}
    markdown = markdown or set()
    numeric = numeric or set(formats)

    def cell(c, v) -> str:
        text = formats[c](v) if c in formats else ("–" if v is None or (not isinstance(v, str) and pd.isna(v))
                                                   else str(v))
        return _one_line(text)

    heads = [str(c) for c in df.columns]
    body = [[cell(c, v) for c, v in zip(df.columns, row)] for row in df.itertuples(index=False, name=None)]
    width = [min(30, max([3, len(h)] + [len(r[i]) for r in body])) for i, h in enumerate(heads)]
    rule = ["-" * (w - 1) + ":" if c in numeric else ":" + "-" * (w - 1) for c, w in zip(df.columns, width)]
    lines = ["| " + " | ".join(map(md, heads)) + " |", "|" + "|".join(rule) + "|"]
    lines += ["| " + " | ".join(v if c in markdown else md(v) for c, v in zip(df.columns, r)) + " |" for r in body]
    if caption:
        lines += ["", f": {md(caption)}"]
    return "\n".join(lines) + "\n"


SYNTHETIC_LABEL = "Szenario / synthetisch – keine amtlichen Daten"


def synthetic(body: str) -> str:
    """A scenario or synthetic example as a Quarto callout with its label as the title, so that it reads as such in
    every format (site and print), not only where a stylesheet draws the label."""
    return f'::: {{.callout-warning .evalkit-synthetic title="{SYNTHETIC_LABEL}"}}\n{body.strip()}\n:::\n'


_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]{}#|!~$^@"})


def url_in_link(url: str) -> str:
    """A URL from a file as a Markdown link destination (`[text](<url>)`, also inside a table cell): characters that
    would end the destination or the cell (`<`, `>`, `|`, spaces, quotes, backslashes) are percent-encoded."""
    from urllib.parse import quote

    return quote(str(url).strip(), safe=":/?#[]@!$&'()*+,;=%~-._")


def md(text) -> str:
    """A data-derived string (an area name …) made inert in Markdown and HTML: markup shows as text."""
    return html.escape(str(text).translate(_MD_SPECIAL), quote=True)


def html_text(text) -> str:
    """A data-derived string for raw HTML (figure captions, alt texts): escaped, and braces as entities, so that
    neither a tag nor a Quarto shortcode ({{< … >}}) survives."""
    return html.escape(str(text), quote=True).replace("{", "&#123;").replace("}", "&#125;")


def yaml_str(text) -> str:
    """A data-derived string as a YAML scalar in front matter: Markdown-inert (Quarto reads titles as Markdown)
    and quoted so that no quote, colon or newline ends it (JSON strings are YAML double-quoted scalars)."""
    import json

    return json.dumps(md(" ".join(str(text).split())), ensure_ascii=False)


def year_ranges(years) -> str:
    """2018, 2019, 2020, 2022 → "2018–2020, 2022": consecutive years as one range, gaps as gaps."""
    ys = sorted({int(y) for y in years})
    runs, start = [], None
    for i, y in enumerate(ys):
        start = y if start is None else start
        if i + 1 == len(ys) or ys[i + 1] != y + 1:
            runs.append(f"{start}–{y}" if y != start else f"{y}")
            start = None
    return ", ".join(runs)


def band_text(lower, upper, unit: str = "") -> str:
    """A class band in words, exactly as the engine applies it: `from` inclusive, `to` exclusive."""
    u = f" {unit}" if unit else ""
    if lower is None and upper is None:
        return "alle Werte"
    if lower is None:
        return f"unter {de(upper, 1)}{u}"
    if upper is None:
        return f"ab {de(lower, 1)}{u}"
    return f"{de(lower, 1)} bis unter {de(upper, 1)}{u}"
