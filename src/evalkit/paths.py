"""Where a project's files live. One place, so that tests can point the whole pipeline at a temporary copy."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from evalkit.errors import EvalkitError
from evalkit.settings import settings

MIRROR_ENV = "EVALKIT_DATA_MIRROR"
# `evalkit run` writes FIGURE_MARKER into a notebook's working folder, naming the folder (FIGURE_FOLDER/<notebook>)
# its figures go to as SVG files; the runner moves them beside the published notebook
FIGURE_MARKER = ".figures"
FIGURE_FOLDER = "abbildungen"


def find_root(start: Path | None = None) -> Path:
    """The project root: EVALKIT_ROOT, else the nearest folder upwards holding data/sources.yaml; neither is
    "not in an evalkit project", said as such (not as a missing catalogue further on)."""
    root = settings().root
    if root is not None:
        root = root.expanduser().resolve()
        if not (root / "data" / "sources.yaml").is_file():
            raise EvalkitError("not an evalkit project (no data/sources.yaml)", file=f"EVALKIT_ROOT={root}",
                               expected="the folder of an evalkit checkout")
        return root
    here = (start or Path.cwd()).resolve()
    for cand in (here, *here.parents):
        if (cand / "data" / "sources.yaml").is_file():
            return cand
    raise EvalkitError("not in an evalkit project: no data/sources.yaml here or in any folder above", file=here,
                       expected="a command run inside an evalkit checkout, or EVALKIT_ROOT set to one")


@dataclass(frozen=True)
class Project:
    """The folders of one evalkit project."""

    root: Path

    @classmethod
    def here(cls, root: str | Path | None = None) -> "Project":
        if root is None:
            return cls(find_root())
        path = Path(root).expanduser().resolve()
        if not (path / "data" / "sources.yaml").is_file():
            raise EvalkitError("not an evalkit project (no data/sources.yaml)", file=path,
                               expected="--root naming the folder of an evalkit checkout")
        return cls(path)

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
    value = explicit or settings().data_mirror
    return Path(value).expanduser().resolve() if value else None
