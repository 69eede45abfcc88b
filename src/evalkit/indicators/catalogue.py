"""The indicator catalogue (data/indicators.yaml), validated by a declared model."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from evalkit.errors import DataError
from evalkit.validation import validate_model
from evalkit.yamlio import load_yaml

Kind = Literal["count", "rate", "ratio", "mean", "survey"]


# the three goals of the IKJHP 2020–2025: equal chances for all young people, strong families, meaningful leisure
GOALS = ("Chancengerechtigkeit", "Starke Familien", "Sinnvolle Freizeit")
Goal = Literal["Chancengerechtigkeit", "Starke Familien", "Sinnvolle Freizeit"]


class Indicator(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    definition: str
    kind: Kind
    numerator: str
    denominator: str | None = None
    scale: float = 1.0
    unit: str
    higher_is_worse: bool | None
    goals: list[Goal] = Field(min_length=1)
    role: Literal["Kontext", "Ergebnis"]
    focus: str
    sources: list[str]
    check: str | None = None
    restricted: bool = False
    # a source that lists what it knows (OpenStreetMap): an Ortsteil with none listed has no value, not 0
    zero_is_unrecorded: bool = False
    # how an Ortsteil is compared with the city: shares by their Wilson interval, ratios of counted things (Kitas,
    # children) by the Poisson interval of the count; sums, areas and survey means are not tested
    comparison: Literal["wilson", "poisson", "none"] | None = None

    @property
    def comparison_interval(self) -> str:
        return self.comparison or ("wilson" if self.kind == "rate" else "none")
    plausible: tuple[float | None, float | None] | None = None  # [min, max] of a value; default by kind
    source_credit: str  # from the catalogue's `defaults:` unless the indicator names its own
    licence: str

    @model_validator(mode="after")
    def _denominator_fits_kind(self):
        needs = self.kind in ("rate", "ratio", "mean")
        if needs and not self.denominator:
            raise ValueError(f"kind {self.kind!r} needs a denominator")
        if not needs and self.denominator:
            raise ValueError(f"kind {self.kind!r} takes no denominator")
        return self

    @property
    def plausible_range(self) -> tuple[float, float]:
        """Shares lie in 0…scale (0–100 %), everything else is ≥ 0, unless the catalogue says more."""
        lo, hi = self.plausible or (None, None)
        default_hi = self.scale if self.kind == "rate" else float("inf")
        return (0.0 if lo is None else lo, default_hi if hi is None else hi)

    @property
    def levels(self) -> tuple[str, ...]:
        """Surveys are published per Ortsteil only; everything else aggregates to every level."""
        return ("ortsteil",) if self.kind == "survey" else ("ortsteil", "stadtbezirk", "planungsraum", "stadt")


class Defaults(BaseModel):
    """What every indicator has unless it says otherwise (the credit and licence of its source)."""

    model_config = ConfigDict(extra="forbid")

    source_credit: str
    licence: str


class Suppression(BaseModel):
    """The rule that reads the source's zeros as "not published (< t)" (evalkit.acquire.suppression)."""

    model_config = ConfigDict(extra="forbid")

    min_expected: float = Field(3.0, gt=0)


class Catalogue(BaseModel):
    model_config = ConfigDict(extra="forbid")

    defaults: Defaults
    whole_counts: list[str] = []
    suppression: Suppression = Suppression()
    indicators: list[Indicator]

    @model_validator(mode="before")
    @classmethod
    def _apply_defaults(cls, raw):
        if isinstance(raw, dict) and isinstance(raw.get("defaults"), dict) and isinstance(raw.get("indicators"), list):
            raw = dict(raw, indicators=[{**raw["defaults"], **i} if isinstance(i, dict) else i
                                        for i in raw["indicators"]])
        return raw

    def ids(self) -> list[str]:
        return [i.id for i in self.indicators]

    def get(self, indicator_id: str) -> Indicator:
        for i in self.indicators:
            if i.id == indicator_id:
                return i
        raise KeyError(indicator_id)


def load_catalogue(path: Path) -> Catalogue:
    try:
        raw = load_yaml(Path(path).read_text(encoding="utf-8"), path)
    except (OSError, yaml.YAMLError) as e:
        raise DataError(f"cannot read the indicator catalogue: {e}", file=path) from e

    def record_of(loc):
        if loc[:1] == ["indicators"] and len(loc) > 1 and isinstance(loc[1], int):
            entry = raw["indicators"][loc[1]]
            return entry.get("id", loc[1]) if isinstance(entry, dict) else loc[1]
        return None

    cat = validate_model(Catalogue, raw, path, "an indicator as described at the top of data/indicators.yaml",
                         record_of)
    ids = cat.ids()
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise DataError(f"duplicate indicator id {dupes[0]!r}", file=path, expected="unique ids")
    return cat
