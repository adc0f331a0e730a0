"""Notes on how a file was read (``ExportResult.warnings``), each written from a template.

A :class:`Note` is the English sentence itself (a ``str``, as the readers always gave) that also
keeps the template it was written from and the values put into it, so that an application can
say it in another language from the values, never by parsing English. Every template the readers
use is listed in :data:`mrrkit.io.formats.WARNING_TEMPLATES` (the tests hold the readers to it).
"""

from __future__ import annotations

__all__ = ["Note", "note"]


def _written(value):
    """A value as the English sentence writes it: a list of names as ``'a', 'b'``."""
    if isinstance(value, (list, tuple)):
        return ", ".join(repr(v) for v in value)
    return value


class Note(str):
    """A note: the sentence ``template.format(**values)`` (lists written ``'a', 'b'``).

    Attributes
    ----------
    template : str
        One of :data:`mrrkit.io.formats.WARNING_TEMPLATES`.
    values : dict
        The values put into the template's placeholders, as given (numbers stay numbers, lists
        stay lists).

    Examples
    --------
    >>> n = Note("{count} row(s) read as {currency}", {"count": 3, "currency": "EUR"})
    >>> n, n == "3 row(s) read as EUR", n.values["count"]
    ('3 row(s) read as EUR', True, 3)
    >>> Note("columns {columns} replace", {"columns": ["plan", "country"]})
    "columns 'plan', 'country' replace"
    """

    template: str
    values: dict

    def __new__(cls, template: str, values: dict | None = None):
        values = dict(values or {})
        self = super().__new__(cls, template.format(**{k: _written(v) for k, v in values.items()}))
        self.template = template
        self.values = values
        return self

    def __reduce__(self):  # pickled (a cache, a session) with its template and values
        return (Note, (self.template, self.values))


def note(template: str, /, **values) -> Note:
    """The :class:`Note` of ``template`` with ``values``.

    >>> note("{column!r} read in cents", column="Amount")
    "'Amount' read in cents"
    """
    return Note(template, values)
