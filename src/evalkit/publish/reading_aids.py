"""Reading aids: plain German sentences that say what a trend table shows, and no more."""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.publish.fmt import de


def reading_aid(name: str, rows: pd.DataFrame) -> str:
    """A plain German sentence per period: how the rate moved in the priority areas, the rest, and the gap."""
    parts = []
    for period, r in rows.groupby("period", sort=True):
        g = r.set_index("group")
        sp, ub, ab = g.loc["schwerpunkt"], g.loc["uebrige"], g.loc["abstand"]

        def verb(v):
            return "stieg" if v > 0 else "sank"

        sig = ab.lower > 0 or ab.upper < 0
        direction = "wuchs" if ab.slope > 0 else "schrumpfte"
        subject = name[:1].upper() + name[1:]
        parts.append(
            f"{period}: {subject} {verb(sp.slope)} in den Schwerpunkträumen um {de(abs(sp.slope), 2)} Prozentpunkte "
            f"pro Jahr (95-%-Intervall {de(sp.lower, 2)} bis {de(sp.upper, 2)}), im übrigen Stadtgebiet "
            f"{'ebenfalls ' if np.sign(sp.slope) == np.sign(ub.slope) else ''}um {de(abs(ub.slope), 2)} "
            f"({de(ub.lower, 2)} bis {de(ub.upper, 2)}). Der Abstand {direction} um {de(abs(ab.slope), 2)} "
            f"Prozentpunkte pro Jahr ({de(ab.lower, 2)} bis {de(ab.upper, 2)}) – "
            + ("das Intervall schließt null aus." if sig else "das Intervall schließt null ein: kein gesicherter "
               "Unterschied zwischen den Entwicklungen."))
    return "\n\n".join(parts)
