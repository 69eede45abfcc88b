"""The environment variables evalkit reads, in one validated object (pydantic-settings): a value that is not what
its variable allows is refused by name ("EVALKIT_CELL_TIMEOUT='abc': …"), never replaced by a silent default.
Everything else evalkit does is set in the params files, `data/sources.yaml` and the catalogue."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from evalkit.errors import ConfigError

PREFIX = "EVALKIT_"


class Settings(BaseSettings):
    """One field per variable, named without the prefix (EVALKIT_CELL_TIMEOUT → cell_timeout)."""

    # an empty variable (EVALKIT_DATA_MIRROR=) means unset, as shells use it
    model_config = SettingsConfigDict(env_prefix=PREFIX, extra="ignore", validate_default=True, env_ignore_empty=True)

    root: Path | None = None  # the project (else the nearest folder upwards with data/sources.yaml)
    data_mirror: Path | None = None  # fetch from this mirror of the city's sources instead of the live URLs
    cycle: int | None = Field(None, ge=1990, le=2100)  # the cycle a template opened by hand in JupyterLab uses
    kernels: Literal["forked", "audited", "fresh"] = "forked"  # how each notebook gets its kernel
    fresh_kernels: bool = False  # older spelling of EVALKIT_KERNELS=fresh
    cell_timeout: float = Field(600.0, gt=0, le=86_400)  # seconds a notebook cell may run
    tool_timeout: float = Field(1800.0, gt=0, le=86_400)  # seconds Quarto, Pandoc or Typst may run
    timing: bool = False  # print per-notebook kernel start-up and run times (the benchmark)

    @property
    def kernel_mode(self) -> str:
        return "fresh" if self.fresh_kernels else self.kernels


def settings() -> Settings:
    """The current environment's settings (read anew each call: tests and `evalkit lab` change variables)."""
    try:
        return Settings()
    except ValidationError as e:
        import os

        err = e.errors()[0]
        name = PREFIX + str(err["loc"][0]).upper() if err.get("loc") else PREFIX + "*"
        field = Settings.model_fields.get(str(err["loc"][0])) if err.get("loc") else None
        raise ConfigError(f"{os.environ.get(name)!r} is not allowed: {err['msg']}", file=name,
                          expected=f"{field.annotation}".replace("typing.", "") if field else "a valid value") from None

