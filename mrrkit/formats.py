"""Rules that turn the rows of a subscription table into canonical lines, shared by every format.

A format says which of its columns plays which role (customer, start, trial end, end, amount,
interval, quantity, currency, status) and what each status means; :func:`subscription_draft`
applies the rules column-wide (vectorised) and records, for every row it cannot use, one reason.
The canonical and generic (any spreadsheet) formats live here; vendor exports in
:mod:`mrrkit.vendors`.

Money rules, whatever the format:

- ``mrr = amount x quantity / months per billing period`` (year = 12 months, quarter = 3,
  week = 12/52, day = 12/365), unless the file gives the monthly amount itself;
- cents columns are divided by 100 (by 1 for zero-decimal currencies such as JPY);
- a trial counts from its end: a line starts at the later of start and trial end;
- a negative amount, an end on or before the start, or a subscription cancelled before its trial
  ended is rejected with that reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import ExportError
from .headers import ROLE_SYNONYMS, attribute_name, guess_mapping, is_cents, normalise
from .parsing import parse_amounts, parse_dates, parse_intervals

__all__ = [
    "MAX_MRR",
    "ZERO_DECIMAL_CURRENCIES",
    "Columns",
    "Draft",
    "Reasons",
    "Rule",
    "canonical_draft",
    "cents_divisor",
    "column",
    "columns",
    "generic_draft",
    "is_canonical",
    "subscription_draft",
    "text",
]

#: ISO codes of currencies without minor units: their "cents" columns are already whole units.
ZERO_DECIMAL_CURRENCIES = frozenset(
    [
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    ]
)

_CANONICAL_ROLES = ("customer_id", "start", "end", "mrr")

#: Largest monthly amount a line may carry: beyond it a value is a typo (or an id in the wrong
#: column), and sums of such lines would overflow the engine's exact integer money.
MAX_MRR = 1e10


class Reasons:
    """One reason per rejected row; the first reason given to a row wins."""

    def __init__(self, n: int):
        self.ok = np.ones(n, dtype=bool)
        self.text = np.full(n, None, dtype=object)

    def reject(self, mask, reason) -> None:
        """Reject the rows of ``mask`` still kept; ``reason`` is a string or an array of strings
        aligned with the rows."""
        mask = np.asarray(mask, dtype=bool) & self.ok
        if not mask.any():
            return
        self.text[mask] = reason[mask] if isinstance(reason, np.ndarray) else reason
        self.ok &= ~mask


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
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Rule:
    """What a status means.

    ``action`` is ``"count"`` (paying; ends at the format's end columns if set), ``"until"``
    (paying until the end columns plus ``cols``, if set), ``"trial"`` (pays from the trial end,
    read from the trial columns plus ``cols``), ``"ended"`` (paid until the end columns plus
    ``cols``, which must be set) or ``"reject"`` (``reason`` says why).
    """

    action: str
    cols: tuple[str, ...] = ()
    reason: str = ""


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
    currency: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    attributes: dict[str, str] = field(default_factory=dict)


def text(col: pd.Series) -> pd.Series:
    """A column as stripped text with empty cells as ``""``."""
    if pd.api.types.is_float_dtype(col.dtype):
        # Whole numbers from a spreadsheet are identifiers or codes, not "12.0".
        v = col.to_numpy(dtype="float64", na_value=np.nan)
        out = pd.Series(
            [("" if np.isnan(x) else (str(int(x)) if x.is_integer() else repr(x))) for x in v],
            index=col.index,
            dtype="str",
        )
        return out
    if not pd.api.types.is_string_dtype(col.dtype) or col.dtype == object:
        col = col.astype("str")
    return col.fillna("").str.strip()


def column(headers, *candidates: str) -> str | None:
    """The first header equal, once normalised, to one of ``candidates``."""
    by_norm: dict[str, str] = {}
    for h in headers:
        by_norm.setdefault(normalise(h), h)
    for c in candidates:
        found = by_norm.get(normalise(c))
        if found is not None:
            return found
    return None


def columns(headers, *candidates: str) -> tuple[str, ...]:
    """Every header matching one of ``candidates``, in candidate order."""
    out = []
    for c in candidates:
        found = column(headers, c)
        if found is not None and found not in out:
            out.append(found)
    return tuple(out)


def _coalesce_dates(frame, cols, reasons: Reasons, what: str, notes: list[str]) -> pd.Series:
    out = None
    for h in cols:
        if out is not None and not out.isna().any():
            break  # later columns only fill gaps
        parsed = parse_dates(frame[h])
        if parsed.convention not in ("ISO dates (YYYY-MM-DD)", "empty", "dates"):
            notes.append(f"{h!r} read as {parsed.convention}")
        reasons.reject(parsed.bad, f"{what}: cannot read the date in {h!r}")
        out = parsed.values if out is None else out.fillna(parsed.values)
    if out is None:
        out = pd.Series(
            np.full(len(frame), np.datetime64("NaT"), "datetime64[s]"), index=frame.index
        )
    return out


def _coalesce_text(frame, cols) -> pd.Series | None:
    out = None
    for h in cols:
        t = text(frame[h])
        out = t if out is None else out.where(out != "", t)
    return out


def _amounts(
    frame, cols, reasons: Reasons, what: str, notes: list[str]
) -> tuple[np.ndarray, str | None]:
    """Coalesced amounts and the header they mostly came from."""
    out = None
    for h in cols:
        parsed = parse_amounts(frame[h])
        if parsed.convention == "decimal ','":
            notes.append(f"{h!r} read with a decimal comma")
        reasons.reject(parsed.bad, f"{what}: cannot read the number in {h!r}")
        v = parsed.values.to_numpy()
        out = v if out is None else np.where(np.isnan(out), v, out)
    return (np.full(len(frame), np.nan) if out is None else out), (cols[0] if cols else None)


def cents_divisor(currency: pd.Series | None, n: int) -> np.ndarray:
    """100 per row, 1 for zero-decimal currencies."""
    if currency is None:
        return np.full(n, 100.0)
    return np.where(currency.isin(ZERO_DECIMAL_CURRENCIES).to_numpy(), 1.0, 100.0)


def subscription_draft(
    frame: pd.DataFrame,
    cols: Columns,
    *,
    statuses: dict[str, Rule] | None = None,
    cents: bool | None = None,
    default_months: float | None = None,
    notes: list[str] | None = None,
) -> Draft:
    """Apply the shared subscription rules to a table.

    Parameters
    ----------
    frame : DataFrame
        The table, one subscription per row.
    cols : Columns
        Which headers play which role.
    statuses : dict, optional
        Normalised status (lower case, ``_`` for spaces) -> :class:`Rule`. None: no status
        column is read and every row counts.
    cents : bool, optional
        Whether amounts are in cents; None: decided per header (:func:`~mrrkit.headers.is_cents`).
    default_months : float, optional
        Billing period of rows without an interval; None: such rows are rejected.
    notes : list of str, optional
        Appended to, for the import report.
    """
    notes = [] if notes is None else notes
    n = len(frame)
    reasons = Reasons(n)
    index = frame.index

    customer = _coalesce_text(frame, cols.customer_id)
    if customer is None:
        customer = pd.Series([""] * n, index=index, dtype="str")
    reasons.reject((customer == "").to_numpy(), "missing customer id")

    start = _coalesce_dates(frame, cols.start, reasons, "start", notes)
    trial = _coalesce_dates(frame, cols.trial_end, reasons, "trial end", notes)
    end = _coalesce_dates(frame, cols.end, reasons, "end", notes)

    currency = _coalesce_text(frame, cols.currency)
    if currency is not None:
        currency = currency.str.upper()

    if statuses is not None:
        status = _coalesce_text(frame, cols.status)
        if status is None:
            status = pd.Series([""] * n, index=index, dtype="str")
        # Normalise the few distinct statuses, not the million rows.
        codes, raw_uniques = pd.factorize(status)
        uniques = [re.sub(r"[\s\-]+", "_", str(u).strip().lower()) for u in raw_uniques]
        actions = np.array(
            [statuses[u].action if u in statuses else "unknown" for u in uniques] + ["unknown"],
            dtype=object,
        )
        row_action = actions[codes]
        reasons.reject((status == "").to_numpy(), "missing status")
        for i, u in enumerate(uniques):
            at = codes == i
            rule = statuses.get(u)
            if rule is None:
                reasons.reject(at, f"unknown status {status[at].iloc[0]!r}")
            elif rule.action == "reject":
                reasons.reject(at, rule.reason)
            elif rule.cols:
                found = columns(list(frame.columns), *rule.cols)
                sub = Reasons(n)
                extra = _coalesce_dates(frame, found, sub, f"{u} date", notes)
                reasons.reject(at & ~sub.ok, sub.text)
                if rule.action == "trial":
                    trial = trial.where(~(at & trial.isna().to_numpy()), extra)
                else:
                    end = end.where(~(at & end.isna().to_numpy()), extra)
        is_trial = row_action == "trial"
        reasons.reject(is_trial & trial.isna().to_numpy(), "trialing without a trial end date")
        ended = row_action == "ended"
        missing_end = ended & end.isna().to_numpy()
        if missing_end.any():
            reasons.reject(
                missing_end,
                np.array([f"status {s!r} without an end date" for s in status], dtype=object),
            )

    # A trial counts from its end; a subscription cancelled before then never paid.
    has_trial = trial.notna().to_numpy()
    trial_later = has_trial & ~(trial <= start).to_numpy()  # also when start is missing
    never_paid = trial_later & end.notna().to_numpy() & (end <= trial).fillna(False).to_numpy()
    reasons.reject(never_paid, "cancelled before the trial ended (never paid)")
    start = start.where(~trial_later, trial)
    reasons.reject(start.isna().to_numpy(), "missing start date")

    # Money.
    money_notes: list[str] = []
    quantity = np.ones(n)
    if cols.mrr:
        mrr, header = _amounts(frame, cols.mrr, reasons, "mrr", money_notes)
        in_cents = is_cents(header) if cents is None else cents
        if in_cents:
            mrr = mrr / cents_divisor(currency, n)
            notes.append(f"{header!r} read in cents")
        reasons.reject(np.isnan(mrr), "missing MRR amount")
    else:
        amount, header = _amounts(frame, cols.amount, reasons, "amount", money_notes)
        in_cents = (header is not None and is_cents(header)) if cents is None else cents
        if in_cents:
            amount = amount / cents_divisor(currency, n)
            notes.append(f"{header!r} read in cents")
        reasons.reject(np.isnan(amount), "missing amount")
        if cols.interval:
            interval_col = _coalesce_text(frame, cols.interval)
            count_col = frame[cols.interval_count[0]] if cols.interval_count else None
            months = parse_intervals(interval_col, count_col)
            reasons.reject(
                months.bad,
                np.array([f"unknown billing interval {v!r}" for v in interval_col], dtype=object)
                if months.bad.any()
                else "",
            )
            months_v = months.values.to_numpy()
        else:
            months_v = np.full(n, np.nan)
        missing_interval = np.isnan(months_v)
        if default_months is not None:
            if missing_interval.any():
                notes.append(
                    f"{int((missing_interval & reasons.ok).sum())} row(s) without a billing interval "
                    f"read as billed every {default_months:g} month(s)"
                )
            months_v = np.where(missing_interval, default_months, months_v)
        else:
            reasons.reject(missing_interval, "missing billing interval")
        quantity = np.ones(n)
        if cols.quantity:
            q, _ = _amounts(frame, cols.quantity, reasons, "quantity", money_notes)
            reasons.reject(q < 0, "negative quantity")
            quantity = np.where(np.isnan(q), 1.0, q)
        with np.errstate(invalid="ignore", divide="ignore"):
            mrr = amount * quantity / months_v
    notes += money_notes
    reasons.reject(mrr < 0, "negative amount")
    reasons.reject(np.abs(mrr) > MAX_MRR, "amount too large (over 10 billion a month)")
    reasons.reject(~np.isfinite(mrr), "amount cannot be read")

    # Dates in order.
    backwards = (end < start).fillna(False).to_numpy()
    reasons.reject(backwards, "end date before start date")
    same_day = (end == start).fillna(False).to_numpy()
    reasons.reject(same_day, "ends the day it starts (never billed)")

    attributes = {}
    for name, h in cols.attributes.items():
        if h in frame.columns:
            attributes[name] = text(frame[h])
    if cols.quantity and "quantity" not in attributes:
        if cols.mrr:  # the monthly amount is given: quantity is only an attribute
            q, _ = _amounts(frame, cols.quantity, reasons, "quantity", notes)
            quantity = np.where(np.isnan(q), 1.0, q)
        attributes["quantity"] = pd.Series(quantity, index=index, dtype="float64")
    mapping = {
        role: getattr(cols, role)[0]
        for role in (
            "customer_id",
            "start",
            "trial_end",
            "end",
            "mrr",
            "amount",
            "interval",
            "interval_count",
            "quantity",
            "currency",
            "status",
        )
        if getattr(cols, role)
    }
    mapping.update({name: h for name, h in cols.attributes.items() if h in frame.columns})
    return Draft(
        customer_id=customer,
        start=start,
        end=end,
        mrr=np.asarray(mrr, dtype="float64"),
        reasons=reasons,
        currency=currency,
        attributes=attributes,
        mapping=mapping,
        notes=notes,
    )


# --------------------------------------------------------------------------------------------
# Canonical and generic files
# --------------------------------------------------------------------------------------------


def is_canonical(headers) -> bool:
    """Whether the headers are mrrkit's own (``customer_id, start, mrr`` and maybe ``end``)."""
    names = {str(h).strip().lower() for h in headers}
    return {"customer_id", "start", "mrr"} <= names


def canonical_draft(frame: pd.DataFrame) -> Draft:
    """mrrkit's own columns: ``customer_id, start, end, mrr`` plus attributes."""
    lower = {str(h).strip().lower(): h for h in frame.columns}
    mapping = {role: lower[role] for role in (*_CANONICAL_ROLES, "currency") if role in lower}
    return generic_draft(frame, mapping, exact=True)


_ROLE_NAMES = tuple(ROLE_SYNONYMS) + ("trial_end",)


def generic_draft(frame: pd.DataFrame, mapping: dict | None = None, exact: bool = False) -> Draft:
    """Any table: roles from ``mapping`` (canonical name -> header), else guessed from headers.

    Columns no role uses become attributes under their own header; ``plan``, ``product``,
    ``quantity``, ``currency`` and ``churn_reason`` are renamed to those canonical names.

    Raises
    ------
    ExportError
        A mapped header the file does not have, or no customer, start or money column.
    """
    headers = list(frame.columns)
    if exact:
        roles = dict(mapping or {})
    else:
        roles = guess_mapping(headers)
        if mapping:
            explicit = {k: v for k, v in mapping.items()}
            used = {v for v in explicit.values() if v is not None}
            roles = {k: v for k, v in roles.items() if v not in used and k not in explicit}
            roles.update({k: v for k, v in explicit.items() if v is not None})
            roles = {k: v for k, v in roles.items() if v is not None}
    missing = [h for h in roles.values() if h not in frame.columns]
    if missing:
        raise ExportError(
            f"the mapping names column(s) {missing} which the file does not have; "
            f"its columns are {headers}"
        )
    needs = [r for r in ("customer_id", "start") if r not in roles]
    if "mrr" not in roles and "amount" not in roles:
        needs.append("mrr (or amount + interval)")
    if needs:
        raise ExportError(
            f"no column found for {', '.join(needs)}; columns are {headers}. Expected headers "
            "such as customer_id/client/cliente, start/date de début/data inizio, "
            "mrr/mensualité/canone mensile or amount/montant/importo (+ interval), or a mapping"
        )
    notes: list[str] = []
    if "mrr" in roles:
        roles.pop("amount", None)
        roles.pop("interval", None)
        roles.pop("interval_count", None)
    attrs = {}
    for name in ("plan", "product", "churn_reason"):
        if name in roles:
            attrs[name] = roles[name]
    extra_roles = {k: v for k, v in roles.items() if k not in _ROLE_NAMES}
    attrs.update(extra_roles)
    used_headers = set(roles.values())
    for h in headers:
        if h not in used_headers and h not in attrs.values():
            name = attribute_name(h)
            attrs[name if name not in attrs and name not in _ROLE_NAMES else h] = h
    cols = Columns(
        customer_id=(roles["customer_id"],),
        start=(roles["start"],),
        trial_end=(roles["trial_end"],) if "trial_end" in roles else (),
        end=(roles["end"],) if "end" in roles else (),
        mrr=(roles["mrr"],) if "mrr" in roles else (),
        amount=(roles["amount"],) if "amount" in roles else (),
        interval=(roles["interval"],) if "interval" in roles else (),
        interval_count=(roles["interval_count"],) if "interval_count" in roles else (),
        quantity=(roles["quantity"],) if "quantity" in roles else (),
        currency=(roles["currency"],) if "currency" in roles else (),
        attributes=attrs,
    )
    draft = subscription_draft(frame, cols, default_months=1.0, notes=notes)
    return draft
