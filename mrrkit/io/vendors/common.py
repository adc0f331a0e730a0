"""The :class:`Vendor` record every vendor module gives, and what their readers share."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import pandas as pd

from ..cells import text
from ..drafts import Draft, Rule
from ..headers import column

__all__ = [
    "RESERVED",
    "TRUE",
    "RefusedExport",
    "Vendor",
    "add_custom_fields",
    "coalesced",
    "has_all",
    "has_any",
    "named_headers",
]


@dataclass(frozen=True)
class Vendor:
    """A billing system's export that :func:`mrrkit.read_export` reads.

    A module of :mod:`mrrkit.io.vendors` that defines ``VENDOR = Vendor(...)`` adds the format:
    auto-detection tries it (in ``priority`` order), ``read_export(format=name)`` reads with it,
    and its notes and reasons are codes of :mod:`mrrkit.io.messages`.

    Attributes
    ----------
    name : str
        The format's name (``read_export(format=...)``, ``ExportResult.format``).
    label : str
        The export as its vendor calls it.
    detect : callable
        ``detect(headers) -> bool``: whether a file's headers are this export's.
    read : callable
        ``read(frame) -> Draft``: the table read with the vendor's rules.
    needs : str
        What ``detect`` looks for, said when a file asked to be read as this format is not.
    source : str
        The address of the vendor's page documenting the export (its columns, its statuses).
    priority : int
        Auto-detection tries vendors from the lowest priority up: an export whose headers
        another one's detector would also take comes first.
    periods : bool
        Whether each line is a billed service period (an invoice line, a transaction): its end
        is a period's end, never a "forever" placeholder
        (:func:`~mrrkit.io.window.apply_date_window`).
    statuses : mapping
        What each status of the export means (normalised status -> :class:`Rule`), for readers
        that follow statuses; empty for the others.
    """

    name: str
    label: str
    detect: Callable[[list], bool]
    read: Callable[[pd.DataFrame], Draft]
    needs: str
    source: str
    priority: int
    periods: bool = False
    statuses: Mapping[str, Rule] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class RefusedExport:
    """A billing system's export that mrrkit recognises and refuses: it holds no subscription
    periods, and read as a plain table it would be read as something it is not.

    ``refusal`` is the code of :data:`~mrrkit.io.messages.REFUSALS` that says why and which
    export to upload instead (its one value: ``columns``).
    """

    name: str
    label: str
    detect: Callable[[list], bool]
    refusal: str
    source: str


#: Names a metadata key or custom field cannot take as an attribute: the line's own columns.
RESERVED = {"customer_id", "start", "end", "mrr", "currency", "quantity"}

#: How exports write a true flag.
TRUE = ("true", "1", "yes", "t", "y")


def has_all(headers, *names) -> bool:
    """Whether every name is a header (compared normalised).

    >>> has_all(["Customer ID", "status"], "customer id", "Status"), has_all(["a"], "a", "b")
    (True, False)
    """
    return all(column(headers, n) is not None for n in names)


def has_any(headers, *names) -> bool:
    """Whether one of the names is a header (compared normalised)."""
    return any(column(headers, n) is not None for n in names)


def coalesced(frame: pd.DataFrame, cols: tuple[str, ...]) -> pd.Series:
    """The first non-blank cell of ``cols`` on each row, as text ("" where all are blank).

    >>> frame = pd.DataFrame({"a": ["x", ""], "b": ["y", "z"]})
    >>> coalesced(frame, ("a", "b")).tolist()
    ['x', 'z']
    """
    out = text(frame[cols[0]])
    for col in cols[1:]:
        out = out.where(out != "", text(frame[col]))
    return out


def named_headers(headers, *named: tuple[str, ...]) -> dict[str, str]:
    """For each ``(name, *candidates)``, the first header matching one of the candidates, under
    ``name`` (a name no header matches is left out).

    >>> named_headers(["Plan", "Email"], ("plan", "Plan Nickname", "Plan"), ("product", "Product"))
    {'plan': 'Plan'}
    """
    found = {}
    for name, *candidates in named:
        header = column(headers, *candidates)
        if header is not None:
            found[name] = header
    return found


def add_custom_fields(
    attributes: dict[str, str], headers, pattern: re.Pattern, name: Callable = str.strip
) -> None:
    """Add each header matching ``pattern`` (custom fields, metadata keys) as the attribute
    ``name(<its first group>)``; a field named like a line's own column or another attribute
    keeps its header as its name.

    >>> attributes = {"plan": "Plan"}
    >>> add_custom_fields(attributes, ["plan (metadata)", "seats (metadata)", "Plan"],
    ...                   re.compile(r"^(.*\\S)\\s*\\(metadata\\)$"))
    >>> attributes
    {'plan': 'Plan', 'plan (metadata)': 'plan (metadata)', 'seats': 'seats (metadata)'}
    """
    for header in headers:
        found = pattern.match(str(header))
        if found:
            key = name(found.group(1))
            taken = key in attributes or key.lower() in RESERVED
            attributes[str(header) if taken else key] = header
