"""The errors users see: each names the file, the record and what was expected (as papermill's exceptions.py)."""

from __future__ import annotations


class EvalkitError(Exception):
    """Base class: a message a user can act on, never a bare traceback."""

    def __init__(self, message: str, *, file: object = None, record: object = None, expected: str | None = None):
        self.message, self.file, self.record, self.expected = message, file, record, expected
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ": ".join(str(p) for p in (self.file, f"record {self.record}" if self.record is not None else None) if p)
        text = f"{where}: {self.message}" if where else self.message
        return f"{text} (expected: {self.expected})" if self.expected else text


class DataError(EvalkitError):
    """Input data that does not have the shape or values the pipeline needs."""


class FetchError(EvalkitError):
    """A source that could not be retrieved."""


class ParamsError(EvalkitError):
    """A cycle's parameter file that does not validate."""


class NotebookError(EvalkitError):
    """A notebook that failed while executing."""


class VerifyError(EvalkitError):
    """A re-executed cycle that does not reproduce its recorded results."""


class DisclosureError(EvalkitError):
    """Restricted data that would leave the package without disclosure control."""


class ConfigError(EvalkitError):
    """An environment variable whose value evalkit cannot use."""


class SiteError(EvalkitError):
    """A site build that failed; the last good site stays in place."""
