"""The measures section in words and tables, once for the site page and the PDF: the stated figures, their
coverage of the school list, and the need-ordered scenario. Every label comes from the data it describes."""

from __future__ import annotations

from urllib.parse import urlparse

import pandas as pd

from evalkit.analyses.measures import SITE_SCHEMA, school_type_label
from evalkit.publish.fmt import de, md, md_table, month_de

MEASURE_DE = {"KiFaZ": "Familienzentren (KiFaZ)", "Kita-Sozialarbeit": "Kita-Sozialarbeit in KiFaZ",
              "Schulsozialarbeit": "Schulsozialarbeit", "BVJ-Begleitung": "BVJ-Begleitung"}
# what a count counts, by measure and school type: "43 von 67 Grundschulen", never "43 von 67 Stellen"
UNIT_DE = {"Grundschule": "Grundschulen", "Oberschule": "Oberschulen", "Gymnasium": "Gymnasien",
           "Foerderschule": "Förderschulen", "Berufsschule": "Berufsschulzentren"}


def measure_label(measure) -> str:
    return MEASURE_DE.get(str(measure), str(measure))


def _count(v) -> str:
    return "–" if pd.isna(v) else de(v, 0)


def register_table(reg: pd.DataFrame, caption: str = "Zahlen zu den Maßnahmen laut Quelle") -> str:
    """Every stated figure (KiFaZ included) with its date, school type, count, the source's total and the
    source's own words. A figure the source gives without a number is "–", never 0."""
    view = pd.DataFrame({
        "Maßnahme": reg["measure"].map(measure_label), "Stand": reg["date"].map(month_de),
        "Schulart": reg["school_type"].map(lambda t: "–" if pd.isna(t) else school_type_label(t)),
        "Anzahl": reg["count"].map(_count), "Gesamt": reg["total"].map(_count),
        "Angabe der Quelle": reg["note"].fillna("–"),
        "Quelle": reg["source"].map(lambda u: urlparse(str(u)).netloc.removeprefix("www.") or "–")})
    return md_table(view, numeric={"Anzahl", "Gesamt"}, caption=caption)


def coverage_table(cov: pd.DataFrame) -> str:
    """The school measures against the source's total and against the municipal schools of the 2023 list."""
    view = pd.DataFrame({
        "Maßnahme": cov["measure"].map(measure_label), "Stand": cov["date"].map(month_de),
        "Schulart": cov["school_type"].map(school_type_label), "mit Maßnahme": cov["count"].map(_count),
        "laut Quelle": cov["total"].map(_count), "Schulliste 2023": cov["municipal"].map(_count),
        "% laut Quelle": cov["share_source"].map(lambda v: "–" if pd.isna(v) else de(v, 1)),
        "% der Schulliste": cov["share_list"].map(lambda v: "–" if pd.isna(v) else de(v, 1))})
    return md_table(view, numeric=set(view.columns[3:]),
                    caption="Abdeckung nach Schulart: Schulen mit der Maßnahme, die Zahl der Schulen laut Quelle "
                            "und die kommunalen Schulen der Schulliste 2023 (ohne freie Träger; die Liste mischt "
                            "Stände und ist unvollständig), und die Anteile daran")


def stated_sentence(sc: dict) -> str:
    """'Laut Quelle (Stand Januar 2021) gibt es Schulsozialarbeit an 43 von 67 Grundschulen.'"""
    return (f"Laut Quelle (Stand {month_de(sc['stated_date'])}) gibt es Schulsozialarbeit an {sc['stated_posts']} "
            f"von {sc['stated_total']} Grundschulen.")


def scenario_text(sc: dict, names: pd.Series) -> str:
    """The scenario and how much it depends on the schools without a known location."""
    text = (f"**Szenario, keine tatsächliche Verteilung.** Welche Grundschulen Schulsozialarbeit haben, ist nicht "
            f"öffentlich. {stated_sentence(sc)} Angenommen, diese Schulen lägen in den Ortsteilen mit dem höchsten "
            f"Bedarf: Von den {sc['located']} kommunalen Grundschulen mit bekannter Lage erhielten dann die "
            f"{sc['posts']} in den bedürftigsten Ortsteilen Schulsozialarbeit (derselbe Anteil "
            f"{sc['stated_posts']}/{sc['stated_total']}). Erreicht würden {len(sc['ortsteile'])} Ortsteile: "
            f"{', '.join(md(names[c]) for c in sc['ortsteile'])}. Dort leben "
            f"{de(sc['poor_children_share'], 1)} % der Kinder unter 15 Jahren im SGB-II-Bezug "
            f"({de(sc['poor_children'], 0)} von {de(sc['poor_children_total'], 0)}).\n\n")
    sens, pb = sc["sensitivity"], sc["placed_by"]
    text += (f"**Wie sicher ist diese Zahl?** Verortet sind {sc['located']} von "
             f"{sc['located'] + len(sc['unplaced'])} kommunalen Grundschulen: {pb.get('Koordinate', 0)} über die "
             f"Koordinate der Schulliste 2023, {pb.get('gleiche Adresse', 0)} über dieselbe Adresse und "
             f"{pb.get('Nachbaradresse', 0)} über eine benachbarte Hausnummer derselben Straße (Schuldatenbank 2017, "
             f"Schulliste 2023, OpenStreetMap-Kitas). Ohne Lage bleiben {len(sc['unplaced'])}: "
             f"{', '.join(md(n) for n in sc['unplaced']['name'])}. ")
    if sens["skipped"]:
        first = ("jedem" if len(sens["assumed"]) == len(sens["skipped"])
                 else f"den ersten {len(sens['assumed'])}")
        text += (f"Das Szenario übergeht {len(sens['skipped'])} Ortsteile ohne verortete Schule, obwohl sie vor dem "
                 f"zuletzt erreichten rangieren: {', '.join(md(names[c]) for c in sens['skipped'])}. Läge in {first} "
                 f"davon eine der nicht verorteten Schulen, erreichten die Stellen {len(sens['ortsteile'])} Ortsteile "
                 f"mit {de(sens['poor_children_share'], 1)} % der Kinder im SGB-II-Bezug statt "
                 f"{de(sc['poor_children_share'], 1)} %. Die Zahl hängt also an den fehlenden Schulstandorten.")
    else:
        text += "Kein Ortsteil vor dem zuletzt erreichten wird mangels verorteter Schule übergangen."
    return text


def site_register_columns() -> list[str]:
    """The columns of the non-public site register, from its schema (the methods page documents each)."""
    return list(SITE_SCHEMA.columns)
