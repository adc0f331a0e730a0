"""What a format makes of a table before the lines are final: a :class:`Draft`, one candidate
line per row, and the :class:`Reasons` of the rows it rejects.

Every format (the canonical one, any spreadsheet, each vendor of :mod:`mrrkit.io.vendors`)
turns a table into a draft; :func:`mrrkit.read_export` then holds it to the dates read, converts
its money and keeps the rows no reason rejected.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .messages import Note, Reason

__all__ = ["MEANINGS", "SINCE", "Columns", "Credits", "Draft", "Reasons", "Rule"]


class Reasons:
    """Which rows are rejected and why: one :class:`~mrrkit.io.messages.Reason` per rejected
    row, the first one given to a row winning.

    The reasons are kept once each (``given``), the rows pointing at them (``which``): a million
    rows rejected for a handful of reasons hold a handful of messages.

    Examples
    --------
    >>> reasons = Reasons(4)
    >>> reasons.reject(np.array([True, False, False, False]), "missing_customer")
    >>> status = pd.Series(["active", "frozen", "frozen", "odd"])
    >>> reasons.reject(np.array([True, True, True, False]), "unknown_status", status=status)
    >>> reasons.ok.tolist()
    [False, False, False, True]
    >>> [str(r) for r in reasons.of_rows(~reasons.ok)], len(reasons.given)
    (['missing customer id', "unknown status 'frozen'", "unknown status 'frozen'"], 2)
    """

    def __init__(self, n: int):
        #: Rows still kept.
        self.ok = np.ones(n, dtype=bool)
        #: The reason of each row: a position in ``given``, -1 for a kept row.
        self.which = np.full(n, -1, dtype=np.int32)
        #: The distinct reasons given.
        self.given: list[Reason] = []
        self._position: dict[tuple[str, str], int] = {}

    def _at(self, found: Reason) -> int:
        key = (found.key, str(found))
        if key not in self._position:
            self._position[key] = len(self.given)
            self.given.append(found)
        return self._position[key]

    def _positions(self, at: np.ndarray, key: str, values: dict) -> np.ndarray | int:
        """The reason of each row of ``at`` (positions): one reason, or one per distinct
        combination of the values given row by row (arrays or Series aligned with the rows)."""
        per_row = [k for k, v in values.items() if isinstance(v, (pd.Series, np.ndarray))]
        if not per_row:
            return self._at(Reason(key, values))
        # One code per distinct combination of the rows' values (a handful for a million rows).
        cells = {k: _objects(values[k])[at] for k in per_row}
        combined = np.zeros(len(at), dtype=np.int64)
        for k in per_row:
            codes, distinct = pd.factorize(cells[k], use_na_sentinel=False)
            combined = combined * len(distinct) + codes
        _, first, inverse = np.unique(combined, return_index=True, return_inverse=True)
        found = np.array(
            [self._at(Reason(key, {**values, **{k: cells[k][i] for k in per_row}})) for i in first],
            dtype=np.int32,
        )
        return found[inverse]

    def reject(self, mask, key: str, /, **values) -> None:
        """Reject the rows of ``mask`` still kept, for the reason ``key`` (a code of
        :data:`~mrrkit.io.messages.REASONS`) with ``values``; a value given as an array or a
        Series aligned with the rows is that row's value."""
        mask = np.asarray(mask, dtype=bool) & self.ok
        if not mask.any():
            return
        at = np.flatnonzero(mask)
        self.which[at] = self._positions(at, key, values)
        self.ok[at] = False

    def reject_all(self, mask, key: str, /, **values) -> None:
        """Reject the rows of ``mask`` for this reason, whatever reason they had (an empty row
        is said to be empty, not to lack a customer)."""
        mask = np.asarray(mask, dtype=bool)
        self.ok[mask] = True
        self.reject(mask, key, **values)

    def reject_as(self, mask, other: Reasons) -> None:
        """Reject the rows of ``mask`` still kept that ``other`` rejects, with its reasons."""
        mask = np.asarray(mask, dtype=bool) & self.ok & ~other.ok
        if not mask.any():
            return
        at = np.flatnonzero(mask)
        mine = np.array([self._at(r) for r in other.given], dtype=np.int32)
        self.which[at] = mine[other.which[at]]
        self.ok[at] = False

    def coded(self, code: str) -> np.ndarray:
        """Rows rejected for a reason of ``code``.

        >>> reasons = Reasons(2)
        >>> reasons.reject(np.array([False, True]), "negative_amount")
        >>> reasons.coded("negative_amount").tolist(), reasons.coded("missing_amount").tolist()
        ([False, True], [False, False])
        """
        positions = [i for i, r in enumerate(self.given) if r.code == code]
        return np.isin(self.which, positions) if positions else np.zeros(len(self.ok), bool)

    def of_rows(self, mask) -> np.ndarray:
        """The reasons of the (rejected) rows of ``mask``, as an object array."""
        given = np.empty(len(self.given), dtype=object)
        given[:] = self.given
        return given[self.which[np.asarray(mask, dtype=bool)]]

    def copy(self) -> Reasons:
        """An independent copy (the same reasons, arrays of its own)."""
        out = Reasons(0)
        out.ok, out.which = self.ok.copy(), self.which.copy()
        out.given, out._position = list(self.given), dict(self._position)
        return out


def _objects(values) -> np.ndarray:
    """Values given row by row as Python objects (a cell ``'x'``, never ``np.str_('x')``)."""
    if isinstance(values, pd.Series):
        return values.to_numpy(dtype=object)
    return np.asarray(values).astype(object)


@dataclass(eq=False)
class Credits:
    """What the credit lines of a format (negative MRR) may reduce: see
    :func:`mrrkit.io.credits.reject_uncovered_credits`."""

    #: The subscription of each row (a credit only reduces its own subscription's charges).
    subscription: pd.Series
    #: The price or plan of each row ("" when unknown): a credit for unused time on a price
    #: reduces that price's charges. None: the file does not say.
    plan: pd.Series | None = None
    #: Rows that may carry a credit starting on their own first day (a regular charge), as
    #: opposed to the charge a plan change creates next to its credit. None: every row.
    covers_same_day: np.ndarray | None = None


@dataclass(eq=False)
class Draft:
    """What a format makes of a table: one candidate line per row, and the rows' fate."""

    customer_id: pd.Series
    start: pd.Series
    end: pd.Series
    mrr: np.ndarray
    reasons: Reasons
    currency: pd.Series | None = None
    attributes: dict[str, pd.Series] = field(default_factory=dict)
    mapping: dict[str, str] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)
    #: For formats with credit lines (negative MRR): what a credit may reduce, checked by
    #: :func:`~mrrkit.io.credits.reject_uncovered_credits` once every other rejection
    #: (currencies included) is known. None: the format has no credits (its negative amounts
    #: are rejected).
    credits: Credits | None = None
    #: Notes for a file without currency column read without a reporting currency (with one,
    #: ``read_export`` says the amounts are read in it).
    no_currency_notes: list[Note] = field(default_factory=list)
    #: How the end dates were read (``"inclusive"``, ``"exclusive"``; None: no row has one).
    end_convention: str | None = None
    #: The dates of :data:`mrrkit.engine.lines.LINE_DATES` the rows carry (``canceled_at``...),
    #: NaT where a row has none; only those the format reads.
    line_dates: dict[str, pd.Series] = field(default_factory=dict)

    def copy(self) -> Draft:
        """A copy that can be finished (converted, rejected further) without changing this one:
        the reasons and notes are its own, the columns shared (they are replaced, never
        changed in place)."""
        return dataclasses.replace(self, reasons=self.reasons.copy(), notes=list(self.notes))


#: What a status can mean for MRR (issue 14): paying; in a free trial (paying from its end);
#: paused; delinquent (a renewal not paid); ended; never paid (no period was ever paid).
MEANINGS = ("paying", "trial", "paused", "delinquent", "ended", "never_paid")

#: The line date (:data:`mrrkit.engine.lines.LINE_DATES`) a status's ``since`` columns give.
SINCE = {"paused": "paused_at", "delinquent": "delinquent_since"}

#: The meaning of each action when a rule does not name one.
_ACTION_MEANING = {"count": "paying", "until": "paying", "trial": "trial", "ended": "ended",
                   "reject": "never_paid"}


@dataclass(frozen=True)
class Rule:
    """What a status means.

    ``action`` is ``"count"`` (paying; ends at the format's end columns if set), ``"until"``
    (paying until the end columns plus ``cols``, if set), ``"trial"`` (pays from the trial end,
    read from the trial columns plus ``cols``), ``"ended"`` (paid until the end columns plus
    ``cols``, which must be set) or ``"reject"`` (``reason``, a code of
    :data:`~mrrkit.io.messages.REASONS`, says why).

    ``meaning`` is what the status means for MRR, one of :data:`MEANINGS` (by default the
    action's: a paused subscription is ``Rule("ended", cols, meaning="paused")``, paid until
    its pause). The rows of the status carry it as their ``billing_status``.

    ``since`` names columns holding the day the status's state began, for a ``paused`` or
    ``delinquent`` meaning: the row's ``paused_at`` or ``delinquent_since``
    (:data:`SINCE`) where the format's own column for it (:attr:`Columns.dates`) is empty.
    Stripe's ``unpaid`` is ``Rule("ended", ("Current Period Start",), meaning="delinquent",
    since=("Current Period Start",))``: paid until the renewal it did not pay, delinquent since.

    >>> Rule("count").meaning, Rule("count", meaning="delinquent").meaning
    ('paying', 'delinquent')
    """

    action: str
    cols: tuple[str, ...] = ()
    reason: str = ""
    meaning: str = ""
    since: tuple[str, ...] = ()

    def __post_init__(self):
        if self.action not in _ACTION_MEANING:
            raise ValueError(f"unknown status action {self.action!r}")
        if not self.meaning:
            object.__setattr__(self, "meaning", _ACTION_MEANING[self.action])
        elif self.meaning not in MEANINGS:
            raise ValueError(f"unknown status meaning {self.meaning!r}: one of {MEANINGS}")
        if self.since and self.meaning not in SINCE:
            raise ValueError(f"a {self.meaning!r} status has no start date to read (since)")


@dataclass
class Columns:
    """Headers playing each role; tuples are coalesced left to right (first non-empty wins)."""

    customer_id: tuple[str, ...] = ()
    start: tuple[str, ...] = ()
    trial_end: tuple[str, ...] = ()
    end: tuple[str, ...] = ()
    mrr: tuple[str, ...] = ()
    amount: tuple[str, ...] = ()
    interval: tuple[str, ...] = ()
    interval_count: tuple[str, ...] = ()
    quantity: tuple[str, ...] = ()
    #: Amounts added to ``amount x quantity`` for the billing period (add-ons); an empty cell
    #: adds nothing.
    add_on: tuple[str, ...] = ()
    #: The whole recurring amount of the billing period (quantity and add-ons already in it):
    #: used where a row has it, else ``amount x quantity + add_on``.
    total: tuple[str, ...] = ()
    currency: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    #: The current billing period (start, end): where a file has no interval column, the length
    #: of this period gives the interval.
    period_start: tuple[str, ...] = ()
    period_end: tuple[str, ...] = ()
    #: Plan identifiers: rows whose interval cannot be read take their plan's usual interval.
    plan: tuple[str, ...] = ()
    attributes: dict[str, str] = field(default_factory=dict)
    #: Amounts MRR leaves out, subtracted from the money of the same row: role (``tax``,
    #: ``discount``, ``shipping``, ``one_off``) -> headers. An empty cell subtracts nothing.
    deduct: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: Whether ``amount`` is the price of the row's whole period (start to end: an invoice
    #: line), spread over that period's months, rather than a price per billing period.
    amount_covers_period: bool = False
    #: Line dates (:data:`mrrkit.engine.lines.LINE_DATES`) -> the headers giving them, coalesced;
    #: a cell that is no date leaves the line's date empty (it never rejects the row).
    dates: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: What the end dates are (:mod:`mrrkit.io.ends`): ``"exclusive"`` (the first day not paid:
    #: mrrkit's own, and every vendor's documented ends), ``"inclusive"`` (the last day paid) or
    #: ``"auto"`` (told by the file).
    end_convention: str = "exclusive"

