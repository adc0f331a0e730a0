"""The one exception the import functions raise for a file that cannot be used at all."""

from __future__ import annotations

__all__ = ["ExportError"]


class ExportError(ValueError):
    """A billing export that cannot be used at all: empty, not tabular, no recognisable columns,
    or money in several currencies with no rates to convert them.

    Its message says what was expected and which formats were tried. Rows that are merely bad
    never raise it: they end up in ``ExportResult.rejected`` with a reason.
    """
