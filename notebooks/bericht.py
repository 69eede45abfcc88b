# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [raw]
# ---
# pagetitle: "Evaluation der Integrierten Kinder- und Jugendhilfeplanung Leipzig – Zyklus {cycle}"
# lang: de-DE
# papersize: a4
# fontsize: 10pt
# section-numbering: "1.1"
# number-sections: true
# toc: false
# format:
#   typst:
#     keep-typ: false
#     pdf-standard: ua-1
# ---

# %% tags=["parameters"]
#| echo: false
project_root = None  # None: $EVALKIT_ROOT, else the nearest folder upwards with data/sources.yaml
output_dir = None  # the cycle's tables, written by its other notebooks (`evalkit run` runs this one after them)
cycle = None  # None: $EVALKIT_CYCLE (set by `evalkit lab --cycle`), else the latest cycle

# %%
#| echo: false
# The committee's report: every section comes from the tables the cycle's other notebooks saved, through the
# same package functions as the site. `evalkit run` typesets this notebook's saved outputs as the PDF (Quarto's
# Typst route when Quarto is installed, else Pandoc and Typst) with the manifest's provenance as the last
# section. Its Markdown cells would be part of the PDF, so this note is a comment.
from evalkit.cycles.context import load_context
from evalkit.publish import report_doc

ctx = load_context(project_root, cycle, output_dir)
tables = report_doc.Tables(ctx)
# cover and contents, summary, key figures, priority areas, trends, measures, data quality, sources
for section in report_doc.SECTIONS:
    for block in section(ctx, tables):
        report_doc.show(block)
