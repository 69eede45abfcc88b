"""Restricted inputs (not public): e.g. Hilfen zur Erziehung per Ortsteil. Placeholder for issue 4 scope."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def load_restricted_dir(folder: Path, areas: pd.DataFrame) -> pd.DataFrame | None:
    return None
