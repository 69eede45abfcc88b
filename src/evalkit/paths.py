"""Where a project's files live. One place, so that tests can point the whole pipeline at a temporary copy."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

MIRROR_ENV = "EVALKIT_DATA_MIRROR"


def find_root(start: Path | None = None) -> Path:
    """The project root: EVALKIT_ROOT, else the nearest folder upwards holding data/sources.yaml."""
    if os.environ.get("EVALKIT_ROOT"):
        return Path(os.environ["EVALKIT_ROOT"]).resolve()
    here = (start or Path.cwd()).resolve()
    for cand in (here, *here.parents):
        if (cand / "data" / "sources.yaml").is_file():
            return cand
    return here


@dataclass(frozen=True)
class Project:
    """The folders of one evalkit project."""

    root: Path

    @classmethod
    def here(cls, root: str | Path | None = None) -> "Project":
        return cls(Path(root).resolve() if root else find_root())

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def raw(self) -> Path:
        return self.data / "raw"

    @property
    def processed(self) -> Path:
        return self.data / "processed"

    @property
    def restricted(self) -> Path:
        return self.data / "restricted"

    @property
    def sources_file(self) -> Path:
        return self.data / "sources.yaml"

    @property
    def areas_file(self) -> Path:
        return self.data / "areas.csv"

    @property
    def catalogue_file(self) -> Path:
        return self.data / "indicators.yaml"

    @property
    def indicators_csv(self) -> Path:
        return self.processed / "indicators.csv"

    @property
    def params(self) -> Path:
        return self.root / "params"

    @property
    def notebooks(self) -> Path:
        return self.root / "notebooks"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def scratch(self) -> Path:
        """Where notebooks opened in JupyterLab write their tables: never published, git-ignored."""
        return self.root / "scratch"



def mirror_from_env(explicit: str | Path | None = None) -> Path | None:
    """The data mirror named on the command line, else by EVALKIT_DATA_MIRROR, else none."""
    value = explicit or os.environ.get(MIRROR_ENV)
    return Path(value).expanduser().resolve() if value else None
