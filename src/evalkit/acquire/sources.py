"""The source registry (data/sources.yaml): what to fetch, from where, under which licence."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from evalkit.errors import DataError
from evalkit.validation import validate_model
from evalkit.yamlio import load_yaml


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("path")
    @classmethod
    def _inside(cls, v: str) -> str:
        """A source's path is a relative path below data/raw/ (and below the mirror): no `..`, no absolute path."""
        p = PurePosixPath(v)
        if not v or p.is_absolute() or ".." in p.parts or "\\" in v or any(part.startswith(".") for part in p.parts):
            raise ValueError(f"path {v!r} must stay inside data/raw/ (relative, no '..', no hidden parts)")
        return v

    id: str
    kind: Literal["api", "geo", "facilities", "legacy"]
    title: str
    url: str
    path: str
    licence: str
    licence_url: str
    credit: str
    kategorie: int | None = None
    rubrik: int | None = None
    encoding: str = "utf-8"


class Attribution(BaseModel):
    """One credit as the site and the PDF print it."""

    model_config = ConfigDict(extra="forbid")

    credit: str
    licence: str
    short: str
    url: str
    covers: str


class Registry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    attribution: list[Attribution] = Field(min_length=1)
    credits: dict[str, dict]
    sources: list[Source]

    def credit_line(self) -> str:
        """'Daten und Ortsteilgeometrie: Stadt Leipzig, … (dl-de/by-2-0); Kita-Standorte: … (ODbL); …; eigene
        Berechnungen.' — the one line under every figure, map, download and page."""
        return "; ".join(f"{a.covers}: {a.credit} ({a.short})" for a in self.attribution) + "; eigene Berechnungen."

    def get(self, source_id: str) -> Source:
        for s in self.sources:
            if s.id == source_id:
                return s
        raise KeyError(source_id)

    def of_kind(self, kind: str) -> list[Source]:
        return [s for s in self.sources if s.kind == kind]


def load_registry(path: Path) -> Registry:
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"), path)
    except (OSError, yaml.YAMLError) as e:
        raise DataError(f"cannot read the source registry: {e}", file=path) from e
    reg = validate_model(Registry, raw, path, "a registry entry with id, kind, title, url, path, licence, "
                                              "licence_url, credit")
    ids = [s.id for s in reg.sources]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise DataError(f"duplicate source id {dupes[0]!r}", file=path, expected="unique ids")
    return reg


_IN_USE: dict = {}


def use(path: Path) -> None:
    """The registry of the project a kernel works on (`load_context` sets it): figures and maps credit from it."""
    _IN_USE["path"] = Path(path)


def credit_line(path: Path | None = None) -> str:
    """The credit line of `path`'s registry, else of the one in use, else of the project found from here."""
    if path is None:
        path = _IN_USE.get("path")
    if path is None:
        from evalkit.paths import find_root

        path = find_root() / "data" / "sources.yaml"
    st = Path(path).stat()
    return _line(str(path), st.st_mtime_ns, st.st_size)


@lru_cache(maxsize=4)
def _line(path: str, mtime_ns: int, size: int) -> str:
    return load_registry(Path(path)).credit_line()
