"""The renderer's interface text in German. Quarto translates its own with `lang: de` (its _language-de.yml), so
`evalkit site` leaves a Quarto site as it is; smalldocs writes English words into every page and its script, and
`germanise` replaces those exact strings after rendering, in the wording of Quarto's _language-de.yml."""

from __future__ import annotations

from pathlib import Path

# exact fragments as the renderers write them → German (attribute values and element text, never page content)
HTML = {
    'placeholder="Search" aria-label="Search"': 'placeholder="Suchen" aria-label="Suchen"',
    'placeholder="Filter" aria-label="Filter listings"': 'placeholder="Filtern" aria-label="Einträge filtern"',
    'aria-label="Order by"': 'aria-label="Sortieren nach"',
    '<option value="">Default</option>': '<option value="">Voreinstellung</option>',
    ">Title - Ascending</option>": ">Titel – aufsteigend</option>",
    ">Title - Descending</option>": ">Titel – absteigend</option>",
    ">Date - Ascending</option>": ">Datum – älteste zuerst</option>",
    ">Date - Descending</option>": ">Datum – neueste zuerst</option>",
    'title="Toggle dark mode"': 'title="Dunkles Farbschema umschalten"',
    'aria-label="Toggle navigation"': 'aria-label="Navigation ein- und ausblenden"',
    'aria-label="Toggle section"': 'aria-label="Abschnitt ein- und ausblenden"',
    'aria-label="Toggle sidebar navigation"': 'aria-label="Seitennavigation ein- und ausblenden"',
    'title="Copy to Clipboard"': 'title="In den Arbeitsspeicher kopieren"',
    '<div class="callout-title-container flex-fill">Note</div>': '<div class="callout-title-container flex-fill">Hinweis</div>',
    '<div class="callout-title-container flex-fill">Tip</div>': '<div class="callout-title-container flex-fill">Tipp</div>',
    '<div class="callout-title-container flex-fill">Warning</div>':
        '<div class="callout-title-container flex-fill">Warnhinweis</div>',
    '<div class="callout-title-container flex-fill">Important</div>':
        '<div class="callout-title-container flex-fill">Wichtig!</div>',
    '<div class="callout-title-container flex-fill">Caution</div>':
        '<div class="callout-title-container flex-fill">Achtung</div>',
}
SCRIPT = {
    '<div class="search-none">No results</div>': '<div class="search-none">Keine Ergebnisse.</div>',
    'btn.title = "Copy to Clipboard"': 'btn.title = "In den Arbeitsspeicher kopieren"',
}
# what must not remain anywhere in the built site, by the renderer that built it (the test reads every page):
# Quarto's own German (lang: de) keeps "Filter" as the listing's placeholder, smalldocs must not show it
ENGLISH = {
    "smalldocs": ['placeholder="Search"', ">Default</option>", 'aria-label="Order by"', 'placeholder="Filter"',
                  '<div class="callout-title-container flex-fill">Note</div>', "No results", "Copy to Clipboard"],
    "quarto": ['placeholder="Search"', ">Default</option>", 'aria-label="Order by"',
               '<div class="callout-title-container flex-fill">Note</div>', "No results", "Copy to Clipboard"],
}


def _replace(path: Path, table: dict[str, str]) -> None:
    text = path.read_text(encoding="utf-8")
    new = text
    for en, de in table.items():
        new = new.replace(en, de)
    if new != text:
        path.write_text(new, encoding="utf-8")


def germanise(site: Path) -> None:
    """Translate the interface text of a rendered site in place (before it replaces the published one)."""
    for page in site.rglob("*.html"):
        _replace(page, HTML)
    for script in site.rglob("*.js"):
        if "site_libs" in script.parts:
            _replace(script, {**SCRIPT, **HTML})
