"""The one exception the import functions raise for a file that cannot be used at all."""

from __future__ import annotations

__all__ = ["ExportError"]


class ExportError(ValueError):
    """A billing export that cannot be used at all: empty, not tabular, no recognisable columns,
    or money in several currencies with no rates to convert them.

    Its message says what was expected and which formats were tried. Rows that are merely bad
    never raise it: they end up in ``ExportResult.rejected`` with a reason.

    Attributes
    ----------
    code : str or None
        What kind of refusal, for an application to say it in another language (for a file past
        one of the server's limits, one of :data:`mrrkit.io.limits.LIMIT_CODES`); ``None`` when
        only the message says it.
    values : dict
        The values the message is written from (``count``, ``limit``, ``variable``...).

    Examples
    --------
    >>> import pickle
    >>> exc = pickle.loads(pickle.dumps(ExportError("too wide", code="too_many_columns",
    ...                                             values={"count": 9})))
    >>> str(exc), exc.code, exc.values
    ('too wide', 'too_many_columns', {'count': 9})
    """

    def __init__(self, message: str = "", *, code: str | None = None, values: dict | None = None):
        super().__init__(message)
        self.code = code
        self.values = dict(values or {})

    def __reduce__(self):  # pickled (a child process's answer, a cache) with its code and values
        return (_rebuild, (str(self), self.code, self.values))


def _rebuild(message: str, code: str | None, values: dict) -> ExportError:
    return ExportError(message, code=code, values=values)
