"""Credit lines (negative MRR: a proration for unused time, a net downgrade) kept only when the
charge they reduce is among the kept lines (:func:`reject_uncovered_credits`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..engine.lines import MICROS
from .drafts import Credits, Draft, Reasons
from .messages import note
from .money import months_between

__all__ = ["reject_uncovered_credits", "say_credit_notes"]


def _engine_micros(mrr: np.ndarray) -> np.ndarray:
    """MRR as the engine counts it (:func:`mrrkit.validate_lines`): integer millionths, a line
    worth at most a millionth being nothing; 0 for values that are not finite."""
    finite = np.isfinite(mrr)
    safe = np.where(finite, mrr, 0.0)
    return np.where(np.abs(safe) <= 1.0 / MICROS, 0, np.rint(safe * MICROS)).astype(np.int64)


def reject_uncovered_credits(
    customer: pd.Series, credits: Credits, start, end, mrr, reasons: Reasons
) -> tuple[np.ndarray, int]:
    """Reject each credit line (negative MRR: a proration for unused time, a net downgrade)
    whose charge is not among the kept lines.

    The charge a credit reduces is then not in the file (an export covers the invoices or
    transactions of a date range) or was rejected. Kept, such a credit would give the customer
    negative MRR, which the engine refuses, or (next to the new price's charge for the same
    days) a wrong history. A credit is kept when, on every day of its period, the lines of its
    customer's subscription that can carry it add up to at least the credit:

    - lines that started before it, or on its first day when ``credits.covers_same_day`` says
      they may (a regular charge may; the charge for the new price made by the same change may
      not: it replaces the reduced charge, it is not that charge);
    - when ``credits.plan`` names the credit's price, the check is made twice: on the lines of
      that price (the credit is for unused time on it) and on the whole subscription;
    - credits accepted before it (in date order) count against the same lines.

    A credit for the whole rest of a charge's period can come out a little larger than the
    charge: the vendor prorates by the second and rounds to the cent, the file's dates are read
    as days. A credit over by no more than that (one day of its period, plus half a cent over
    its months) is trimmed to the charge instead of rejected.

    Sums are made in the engine's integer millionths, so a kept credit never takes a customer
    below zero in :func:`mrrkit.engine.movements`. ``end`` NaT means open-ended.

    Returns
    -------
    mrr : ndarray
        ``mrr`` with the trimmed credits changed (a new array; the argument is left as it is).
    trimmed : int
        How many credits were trimmed.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> day = lambda *d: pd.Series(pd.to_datetime(list(d)))
    >>> reasons = Reasons(3)
    >>> starts = day("2024-01-01", "2024-01-15", "2024-01-15")
    >>> ends = day("2024-02-01", "2024-02-01", "2024-02-01")
    >>> customer = pd.Series(["c1", "c1", "c1"])
    >>> credits = Credits(pd.Series(["s1", "s1", "s2"]))
    >>> mrr, trimmed = reject_uncovered_credits(
    ...     customer, credits, starts, ends, np.array([30.0, -20.0, -5.0]), reasons)
    >>> reasons.ok.tolist(), trimmed
    ([True, True, False], 0)
    """
    mrr = np.array(mrr, dtype="float64")
    micros = _engine_micros(mrr)
    pending = np.flatnonzero(reasons.ok & (micros < 0))
    if not len(pending):
        return mrr, 0
    # One integer per (customer, subscription): factorising each column is much faster than
    # joining a million pairs of strings.
    customer_code, _ = pd.factorize(customer, use_na_sentinel=False)
    sub_code, sub_uniques = pd.factorize(credits.subscription, use_na_sentinel=False)
    group = customer_code.astype(np.int64) * max(len(sub_uniques), 1) + sub_code
    s = np.asarray(start, dtype="datetime64[D]")
    e = np.asarray(end, dtype="datetime64[D]")
    e = np.where(np.isnat(e), np.datetime64("9999-12-31"), e)
    # The kept rows of the groups with a credit, by group (in row order); from here on plain
    # Python values of those rows only (numpy scalars are slow one at a time).
    concerned = np.flatnonzero(reasons.ok & np.isin(group, group[pending]))
    concerned = concerned[np.argsort(group[concerned], kind="stable")]
    cuts = np.flatnonzero(np.diff(group[concerned])) + 1
    members = {int(group[rows[0]]): rows.tolist() for rows in np.split(concerned, cuts)}
    rows_of = concerned.tolist()
    first = dict(zip(rows_of, s[concerned].astype(np.int64).tolist()))
    last = dict(zip(rows_of, e[concerned].astype(np.int64).tolist()))
    value = dict(zip(rows_of, micros[concerned].tolist()))
    same_day = dict.fromkeys(rows_of, True)
    if credits.covers_same_day is not None:
        same_day = dict(zip(rows_of, np.asarray(credits.covers_same_day)[concerned].tolist()))
    plan = None
    if credits.plan is not None:
        plan = dict(zip(rows_of, credits.plan.astype("str").to_numpy(dtype=object)[concerned]))
    # How much a whole-rest-of-period credit may exceed its charge (see above), in millionths.
    with np.errstate(invalid="ignore", divide="ignore"):
        slack = np.abs(micros[pending]) / np.maximum((e[pending] - s[pending]).astype(np.int64), 1)
        slack += 0.005 * MICROS / months_between(s[pending], e[pending])
    open_ended = np.isnat(np.asarray(end, dtype="datetime64[D]")[pending])
    slack = dict(
        zip(pending.tolist(), np.where(open_ended | ~np.isfinite(slack), 0, slack).tolist())
    )
    waiting = set(pending.tolist())
    refused = []
    trimmed = 0
    for i in sorted(waiting, key=lambda i: (first[i], i)):
        waiting.discard(i)
        begins, ends = first[i], last[i]
        rows = [
            j
            for j in members[int(group[i])]
            if first[j] < ends
            and last[j] > begins
            and j != i
            and j not in waiting
            and (value[j] < 0 or first[j] < begins or (first[j] == begins and same_day[j]))
        ]
        checks = [rows]
        if plan is not None and plan[i] != "":
            checks.append([j for j in rows if plan[j] == plan[i]])
        carried = min(_lowest(rows_, i, first, last, value) for rows_ in checks)
        if carried + value[i] >= 0:
            continue
        if carried > 0 and carried + value[i] >= -slack[i]:
            value[i] = -carried
            mrr[i] = -carried / MICROS
            trimmed += 1
            continue
        # Out of the group: later credits no longer count it.
        members[int(group[i])].remove(i)
        refused.append(i)
    if refused:
        at = np.zeros(len(micros), dtype=bool)
        at[refused] = True
        reasons.reject(at, "uncovered_credit")
    return mrr, trimmed


def _lowest(rows: list[int], i: int, first: dict, last: dict, value: dict) -> int:
    """The least total of ``rows`` on any day of row ``i``'s period (it changes only on the days
    one of them starts or ends)."""
    begins, ends = first[i], last[i]
    days = {begins} | {d for j in rows for d in (first[j], last[j]) if begins < d < ends}
    return min(sum(value[j] for j in rows if first[j] <= d < last[j]) for d in days)


def say_credit_notes(draft: Draft) -> None:
    """Note how many credit notes (negative lines kept so far) the draft has, and how many
    refund a whole period (a charge of the same customer, days and amount: the two cancel out)
    rather than credit part of it.

    Examples
    --------
    >>> day = lambda *d: pd.Series(pd.to_datetime(list(d)))
    >>> draft = Draft(pd.Series(["a", "a", "a"]), day("2024-01-01", "2024-01-01", "2024-01-15"),
    ...               day("2024-02-01", "2024-02-01", "2024-02-01"), np.array([30.0, -30.0, -5.0]),
    ...               Reasons(3))
    >>> say_credit_notes(draft)
    >>> draft.notes[0].values
    {'count': 2, 'refunds': 1}
    """
    negative = draft.reasons.ok & (draft.mrr < 0)
    if not negative.any():
        return
    key = pd.DataFrame({"customer": draft.customer_id.to_numpy(), "start": draft.start.to_numpy(),
                        "end": draft.end.to_numpy(), "mrr": np.round(np.abs(draft.mrr), 6)})
    charges = key[draft.reasons.ok & (draft.mrr > 0)].drop_duplicates()
    refunds = key[negative].merge(charges, how="inner", on=["customer", "start", "end", "mrr"])
    draft.notes.append(note("credit_notes", count=int(negative.sum()), refunds=len(refunds)))
