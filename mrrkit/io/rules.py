"""The rules that turn the rows of a subscription table into a draft, shared by every
subscription format (the canonical one, any spreadsheet, Stripe, Chargebee, Recurly, Paddle,
Baremetrics).

A format says which of its columns plays which role (:class:`~mrrkit.io.drafts.Columns`:
customer, start, trial end, end, amount, interval, quantity, currency, status) and what each
status means (:class:`~mrrkit.io.drafts.Rule`); :func:`subscription_draft` applies the rules
column-wide (vectorised) and gives every row it cannot use one reason:

- ``mrr = amount x quantity / months per billing period`` (:mod:`mrrkit.io.money`), unless the
  file gives the monthly amount itself; a missing interval is taken from the current billing
  period, the plan's other subscriptions or the plan's name;
- a trial counts from its end: a line starts at the later of start and trial end;
- a negative amount, an end on or before the start, or a subscription cancelled before its trial
  ended is rejected with that reason.
"""

from __future__ import annotations


import numpy as np
import pandas as pd

from ..engine.lines import LINE_DATES
from .cells import text
from .dates import SILENT_CONVENTIONS, DateColumns
from .drafts import MEANINGS, SINCE, Columns, Credits, Draft, Reasons, Rule
from .ends import decide_ends
from .headers import columns, is_cents
from .messages import REASONS, TERMS, Note, note, placeholders
from .meanings import value_key
from .money import MAX_MRR, cents_divisor, months_in_name, snap_months
from .parse import bad_interval_counts, parse_amounts, parse_intervals

__all__ = [
    "coalesce_dates",
    "coalesce_text",
    "money_in_units",
    "read_amounts",
    "subscription_draft",
]

#: The roles a draft's mapping reports, in order.
_MAPPED_ROLES = (
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


def coalesce_dates(
    frame: pd.DataFrame,
    cols,
    reasons: Reasons,
    field: str,
    notes: list[Note],
    dates: DateColumns | None = None,
    status: str | None = None,
) -> pd.Series:
    """The dates of ``cols``, later columns filling the gaps of earlier ones; a cell that is no
    date rejects its row ("<field>: cannot read the date in ...", or the date of ``status``), and
    each column read in a convention worth saying gets a note."""
    dates = dates if dates is not None else DateColumns(frame)
    out = None
    for h in cols:
        if out is not None and not out.isna().any():
            break  # later columns only fill gaps
        parsed = dates.get(h)
        if parsed.convention not in SILENT_CONVENTIONS:
            notes.append(note("date_convention", column=h, convention=parsed.convention))
        if status is None:
            reasons.reject(parsed.bad, "bad_date", field=field, column=h)
        else:
            reasons.reject(parsed.bad, "bad_status_date", status=status, column=h)
        out = parsed.values if out is None else out.fillna(parsed.values)
    if out is None:
        out = pd.Series(
            np.full(len(frame), np.datetime64("NaT"), "datetime64[s]"), index=frame.index
        )
    return out


def coalesce_text(frame: pd.DataFrame, cols) -> pd.Series | None:
    """The text of ``cols``, later columns filling the blanks of earlier ones (None: no column)."""
    out = None
    for h in cols:
        t = text(frame[h])
        out = t if out is None else out.where(out != "", t)
    return out


def read_amounts(
    frame: pd.DataFrame, cols, reasons: Reasons, field: str, notes: list[Note]
) -> tuple[np.ndarray, str | None]:
    """Coalesced amounts and the header they mostly came from; a cell that is no number rejects
    its row ("<field>: cannot read the number in ...")."""
    out = None
    for h in cols:
        parsed = parse_amounts(frame[h])
        if parsed.convention == "decimal ','":
            notes.append(note("decimal_comma", column=h))
        reasons.reject(parsed.bad, "bad_number", field=field, column=h)
        v = parsed.values.to_numpy()
        out = v if out is None else np.where(np.isnan(out), v, out)
    return (np.full(len(frame), np.nan) if out is None else out), (cols[0] if cols else None)


def money_in_units(
    frame: pd.DataFrame, cols, reasons: Reasons, currency, cents, notes, money_notes
) -> np.ndarray:
    """Coalesced amounts of ``cols`` in currency units (a cents header divided as
    :func:`~mrrkit.io.money.cents_divisor` says); NaN where no column has a number."""
    values, header = read_amounts(frame, cols, reasons, "amount", money_notes)
    if is_cents(header) if cents is None else cents:
        values = values / cents_divisor(currency, len(frame))
        notes.append(note("cents", column=header))
    return values


def subscription_draft(
    frame: pd.DataFrame,
    cols: Columns,
    *,
    statuses: dict[str, Rule] | None = None,
    cents: bool | None = None,
    default_months: float | None = None,
    notes: list[Note] | None = None,
    last: pd.Timestamp | None = None,
    credits: bool = False,
    reasons: Reasons | None = None,
) -> Draft:
    """Apply the shared subscription rules to a table.

    Parameters
    ----------
    frame : DataFrame
        The table, one subscription per row.
    cols : Columns
        Which headers play which role.
    statuses : dict, optional
        Normalised status (lower case, ``_`` for spaces) -> :class:`~mrrkit.io.drafts.Rule`.
        None: no status column is read and every row counts.
    cents : bool, optional
        Whether amounts are in cents; None: decided per header
        (:func:`~mrrkit.io.headers.is_cents`).
    default_months : float, optional
        Billing period of rows without an interval; None: such rows are rejected.
    notes : list of Note, optional
        Appended to, for the import report.
    last : Timestamp, optional
        The latest date read: later ends ("never") tell nothing of the ends' convention.
    credits : bool
        Whether a negative amount is a credit note (its draft's ``credits`` set: kept only when
        its customer's charges cover it, :func:`mrrkit.io.credits.reject_uncovered_credits`)
        rather than a "negative amount" rejection.
    reasons : Reasons, optional
        Rows the format has rejected already (first reasons win): one-off lines.

    Examples
    --------
    >>> frame = pd.DataFrame({"who": ["a", "", "c"], "from": ["2024-01-01"] * 3,
    ...                       "price": ["30", "10", "-5"], "every": ["quarter", "month", "month"]})
    >>> cols = Columns(customer_id=("who",), start=("from",), amount=("price",),
    ...                interval=("every",))
    >>> draft = subscription_draft(frame, cols)
    >>> draft.mrr[draft.reasons.ok].tolist(), draft.reasons.of_rows(~draft.reasons.ok).tolist()
    ([10.0], ['missing customer id', 'negative amount'])
    """
    notes = [] if notes is None else notes
    n = len(frame)
    reasons = Reasons(n) if reasons is None else reasons
    customer = coalesce_text(frame, cols.customer_id)
    if customer is None:
        customer = pd.Series([""] * n, index=frame.index, dtype="str")
    reasons.reject((customer == "").to_numpy(), "missing_customer")

    rule_dates = [
        h for rule in (statuses or {}).values() for h in columns(list(frame.columns), *rule.cols)
    ]
    # The convention is told by the main date columns (later ones of a role only fill gaps and
    # are parsed only if needed).
    main_dates = [c[0] for c in (cols.start, cols.trial_end, cols.end) if c]
    dates = DateColumns(frame, [*main_dates, *rule_dates])
    start = coalesce_dates(frame, cols.start, reasons, "start", notes, dates)
    trial = coalesce_dates(frame, cols.trial_end, reasons, "trial end", notes, dates)
    end = coalesce_dates(frame, cols.end, reasons, "end", notes, dates)
    end, end_convention = decide_ends(start, end, customer, cols.end_convention, notes, last)
    currency = coalesce_text(frame, cols.currency)
    if currency is not None:
        currency = currency.str.upper()
    meaning = key = None
    if statuses is not None:
        trial, end, meaning, key = _statuses(frame, cols, statuses, reasons, trial, end, notes,
                                             dates)
    line_dates = _line_dates(frame, cols, statuses, key, dates)
    # A trial counts from its end; a subscription cancelled before then never paid.
    has_trial = trial.notna().to_numpy()
    trial_later = has_trial & ~(trial <= start).to_numpy()  # also when start is missing
    never_paid = trial_later & end.notna().to_numpy() & (end <= trial).fillna(False).to_numpy()
    reasons.reject(never_paid, "never_paid")
    start = start.where(~trial_later, trial)
    reasons.reject(start.isna().to_numpy(), "missing_start")

    money_notes: list[Note] = []
    deducted, parts = _deductions(frame, cols, reasons, currency, cents, notes, money_notes)
    if cols.mrr:
        mrr = _given_mrr(frame, cols, reasons, currency, cents, notes, money_notes) - deducted
        quantity, months = np.ones(n), np.ones(n)
    else:
        period = (start, end) if cols.amount_covers_period else None
        mrr, quantity, months = _mrr_of_amounts(
            frame, cols, reasons, currency, cents, default_months, trial, dates, notes,
            money_notes, deducted, period,
        )
    notes += money_notes
    # A credit note covers a period: a negative amount without an end is none.
    reasons.reject((mrr < 0) & (end.isna().to_numpy() if credits else True), "negative_amount")
    reasons.reject(np.abs(mrr) > MAX_MRR, "too_large")
    reasons.reject(~np.isfinite(mrr), "bad_amount")
    # Dates in order.
    reasons.reject((end < start).fillna(False).to_numpy(), "end_before_start")
    reasons.reject((end == start).fillna(False).to_numpy(), "same_day")
    attributes = _attributes(frame, cols, quantity, reasons, notes)
    if "discount" in parts:
        # The discount taken off each line, a month's worth: lasting as long as its row (the
        # table says no more), so a recurring one (mrrkit.engine.lines.LINE_DISCOUNTS).
        with np.errstate(invalid="ignore", divide="ignore"):
            monthly = np.where(parts["discount"] != 0, parts["discount"] / months, 0.0)
        attributes["recurring_discount"] = pd.Series(monthly, index=frame.index, dtype="float64")
    if meaning is not None:
        # What each row's status means for MRR: a customer attribute, as its plan is.
        attributes["billing_status"] = meaning
    return Draft(
        customer_id=customer,
        start=start,
        end=end,
        mrr=np.asarray(mrr, dtype="float64"),
        reasons=reasons,
        currency=currency,
        attributes=attributes,
        mapping=_mapping(frame, cols),
        notes=notes,
        end_convention=end_convention,
        credits=Credits(customer) if credits else None,
        line_dates=line_dates,
    )


def _statuses(frame, cols: Columns, statuses, reasons, trial, end, notes, dates):
    """Apply what each status means: rejections, and the trial ends and ends some statuses read
    from columns of their own (a cancellation date). The trial ends, the ends and each row's
    meaning (:data:`~mrrkit.io.drafts.MEANINGS`; ``""`` for a missing or unknown status); a note
    per meaning found says which statuses have it and how many rows."""
    n = len(frame)
    status = coalesce_text(frame, cols.status)
    if status is None:
        status = pd.Series([""] * n, index=frame.index, dtype="str")
    # Normalise the few distinct statuses, not the million rows.
    codes, raw_uniques = pd.factorize(status)
    uniques = [value_key(u) for u in raw_uniques]
    actions = np.array(
        [statuses[u].action if u in statuses else "unknown" for u in uniques] + ["unknown"],
        dtype=object,
    )
    row_action = actions[codes]
    if "" not in statuses:  # (a table read through a mapping may say what a blank means)
        reasons.reject((status == "").to_numpy(), "missing_status")
    for i, u in enumerate(uniques):
        at = codes == i
        rule = statuses.get(u)
        if rule is None:
            reasons.reject(at, "unknown_status", status=raw_uniques[i])
        elif rule.action == "reject":
            # (a reason that quotes the status, as a table's never-paid one does, is given it)
            quotes = "status" in placeholders(REASONS[rule.reason])
            reasons.reject(at, rule.reason, **({"status": raw_uniques[i]} if quotes else {}))
        elif rule.cols:
            found = columns(list(frame.columns), *rule.cols)
            own = Reasons(n)
            extra = coalesce_dates(frame, found, own, "", notes, dates, status=u)
            reasons.reject_as(at, own)
            if rule.action == "trial":
                trial = trial.where(~(at & trial.isna().to_numpy()), extra)
            else:
                end = end.where(~(at & end.isna().to_numpy()), extra)
    reasons.reject((row_action == "trial") & trial.isna().to_numpy(), "trial_no_end")
    missing_end = (row_action == "ended") & end.isna().to_numpy()
    reasons.reject(missing_end, "no_end", status=status)
    meanings = np.array([statuses[u].meaning if u in statuses else "" for u in uniques] + [""],
                        dtype=object)
    _say_meanings(codes, raw_uniques, meanings, notes)
    key = np.array([*uniques, ""], dtype=object)[codes]
    return trial, end, pd.Series(meanings[codes], index=frame.index, dtype="str"), key


def _say_meanings(codes, raw_uniques, meanings, notes) -> None:
    """One note per meaning found: its statuses as the file writes them, and its rows."""
    counts = np.bincount(codes[codes >= 0], minlength=len(raw_uniques))
    for meaning in MEANINGS:
        found = [i for i in range(len(raw_uniques)) if meanings[i] == meaning and counts[i]]
        if found:
            notes.append(note("status_meaning", count=int(counts[found].sum()),
                              statuses=[str(raw_uniques[i]) for i in found],
                              meaning=TERMS["meaning"][meaning]))


def _line_dates(frame, cols: Columns, statuses, key, dates) -> dict[str, pd.Series]:
    """The line dates the format reads (:attr:`~mrrkit.io.drafts.Columns.dates`, and attributes
    named like one: mrrkit's own files), then the ``since`` columns of the statuses where a
    row has none. A cell that is no date is an empty date: the row's MRR never depends on it."""
    h = list(frame.columns)
    wanted = dict(cols.dates)
    for name, header in cols.attributes.items():
        if name in LINE_DATES and name not in wanted:
            wanted[name] = (header,)
    out = {}
    for name, headers in wanted.items():
        found = columns(h, *headers)
        if found:
            out[name] = _dates_of(frame, found, dates)
    for u, rule in (statuses or {}).items():
        found = columns(h, *rule.since)
        if not found:
            continue
        # The column is there whenever the file can say it (the same columns for every file of
        # a format), filled on the rows of this status only.
        name = SINCE[rule.meaning]
        current = out.get(name, pd.Series(pd.NaT, index=frame.index, dtype="datetime64[s]"))
        at = (key == u) & current.isna().to_numpy()  # (key: each row's status, as rules spell it)
        out[name] = current.where(~at, _dates_of(frame, found, dates)) if at.any() else current
    return out


def _dates_of(frame, headers, dates: DateColumns) -> pd.Series:
    """The dates of ``headers``, later ones filling the gaps; NaT where none is a date."""
    out = None
    for header in headers:
        values = dates.get(header).values
        out = values if out is None else out.fillna(values)
    return out.astype("datetime64[s]")



def _given_mrr(frame, cols: Columns, reasons, currency, cents, notes, money_notes) -> np.ndarray:
    """The monthly amounts the file gives."""
    mrr, header = read_amounts(frame, cols.mrr, reasons, "mrr", money_notes)
    if is_cents(header) if cents is None else cents:
        mrr = mrr / cents_divisor(currency, len(frame))
        notes.append(note("cents", column=header))
    reasons.reject(np.isnan(mrr), "missing_mrr")
    return mrr


def _deductions(frame, cols: Columns, reasons, currency, cents, notes, money_notes
                ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """What each row's money leaves out (tax, discount, shipping, one-off charges: the
    ``deduct`` columns, in currency units; 0 where a cell is empty), in all and by role, each
    column said in a note with the number of rows it changed."""
    total, parts = np.zeros(len(frame)), {}
    for role, headers in cols.deduct.items():
        if not headers:
            continue
        word = TERMS["field"][role]
        values, header = read_amounts(frame, headers, reasons, word, money_notes)
        if is_cents(header) if cents is None else cents:
            values = values / cents_divisor(currency, len(frame))
        values = np.nan_to_num(values)
        changed = int(((values != 0) & reasons.ok).sum())
        notes.append(note("deducted", column=header, field=word, count=changed))
        total = total + values
        parts[role] = values
    return total, parts


def _mrr_of_amounts(
    frame, cols: Columns, reasons, currency, cents, default_months, trial, dates, notes,
    money_notes, deducted=0.0, period=None,
) -> tuple[np.ndarray, np.ndarray]:
    """The monthly amounts of amounts per billing period: ``(amount x quantity + add-ons, or the
    period's total, less ``deducted``) / months per period``; the quantities and the months
    per period. With
    ``period`` (start and end of each row), the amount is the whole period's: months are its
    length."""
    n = len(frame)
    amount, header = read_amounts(frame, cols.amount, reasons, "amount", money_notes)
    if (header is not None and is_cents(header)) if cents is None else cents:
        amount = amount / cents_divisor(currency, n)
        notes.append(note("cents", column=header))
    total = None
    if cols.total:  # a row with its total needs no unit amount
        total = money_in_units(frame, cols.total, reasons, currency, cents, notes, money_notes)
        reasons.reject(np.isnan(amount) & np.isnan(total), "missing_amount")
    else:
        reasons.reject(np.isnan(amount), "missing_amount")
    if period is None:
        months = _months(frame, cols, reasons, default_months, trial, dates, notes)
    else:
        months = snap_months(period[0].to_numpy(), period[1].to_numpy())
        reasons.reject(period[1].isna().to_numpy(), "missing_period")
        used = int((reasons.ok & ~np.isnan(months)).sum())
        notes.append(note("amount_per_period", column=cols.amount[0], count=used))
    quantity = np.ones(n)
    if cols.quantity:
        q, _ = read_amounts(frame, cols.quantity, reasons, "quantity", money_notes)
        reasons.reject(q < 0, "negative_quantity")
        quantity = np.where(np.isnan(q), 1.0, q)
    with np.errstate(invalid="ignore", divide="ignore"):
        period_amount = amount * quantity
    if cols.add_on:
        add_on = money_in_units(frame, cols.add_on, reasons, currency, cents, notes, money_notes)
        period_amount = period_amount + np.nan_to_num(add_on)
    if total is not None:
        period_amount = np.where(np.isnan(total), period_amount, total)
    period_amount = period_amount - deducted
    with np.errstate(invalid="ignore", divide="ignore"):
        return period_amount / months, quantity, months


def _months(frame, cols: Columns, reasons, default_months, trial, dates, notes) -> np.ndarray:
    """Months per billing period of each row: its interval (and interval count), else inferred
    (:func:`_infer_months`), else ``default_months`` (said in a note) or rejected."""
    n = len(frame)
    if cols.interval:
        interval = coalesce_text(frame, cols.interval)
        count = frame[cols.interval_count[0]] if cols.interval_count else None
        parsed = parse_intervals(interval, count)
        if parsed.bad.any() and count is not None:
            # A count of 0, -1 or 1.5 is said as such (with its column), not as an unknown
            # interval word; a row whose word is unknown too is said to have that.
            bad_count = parsed.bad & bad_interval_counts(count) & ~parse_intervals(interval).bad
            reasons.reject(
                bad_count, "bad_interval_count", value=text(count), column=cols.interval_count[0]
            )
        reasons.reject(parsed.bad, "unknown_interval", value=interval)
        months = parsed.values.to_numpy()
    else:
        months = np.full(n, np.nan)
    missing = np.isnan(months) & reasons.ok
    if missing.any():
        months = _infer_months(frame, cols, months, missing, trial, dates, notes)
        missing = np.isnan(months)
    if default_months is None:
        reasons.reject(missing, "missing_interval")
        return months
    assumed = missing & reasons.ok
    if assumed.any():
        plans = coalesce_text(frame, cols.plan)
        named = [] if plans is None else [p for p in pd.unique(plans[assumed])[:5] if p]
        values = dict(count=int(assumed.sum()), months=default_months)
        notes.append(
            note("interval_assumed_plans", plans=named, **values)
            if named
            else note("interval_assumed", **values)
        )
    return np.where(missing, default_months, months)


def _infer_months(frame, cols: Columns, months, missing, trial, dates, notes) -> np.ndarray:
    """Fill missing billing intervals: from the row's current billing period (unless that period
    is its trial), then from the usual interval of its plan, then from words in the plan's name
    (``basic-USD-Yearly``)."""
    months = months.copy()
    plans = coalesce_text(frame, cols.plan)
    if cols.period_start and cols.period_end:
        ignored = Reasons(len(frame))  # (the period only tells the interval)
        ps = coalesce_dates(frame, cols.period_start, ignored, "start", [], dates)
        pe = coalesce_dates(frame, cols.period_end, ignored, "end", [], dates)
        in_trial = (pe <= trial).fillna(False).to_numpy()
        from_period = snap_months(ps.to_numpy(), pe.to_numpy())
        from_period[in_trial] = np.nan
        use = missing & ~np.isnan(from_period)
        if use.any():
            months[use] = from_period[use]
            notes.append(
                note(
                    "interval_from_period",
                    count=int(use.sum()),
                    start=cols.period_start[0],
                    end=cols.period_end[0],
                )
            )
        known = ~np.isnan(from_period)
        rest = missing & np.isnan(months)
        if plans is not None and known.any() and rest.any():
            counts = pd.DataFrame(
                {"plan": plans[known].to_numpy(), "m": from_period[known]}
            ).value_counts()  # most frequent (plan, interval) first
            usual = counts.reset_index().drop_duplicates("plan").set_index("plan")["m"]
            fill = plans.map(usual).to_numpy(dtype="float64", na_value=np.nan)
            use = rest & ~np.isnan(fill)
            if use.any():
                months[use] = fill[use]
                notes.append(note("interval_from_plan", count=int(use.sum())))
    rest = missing & np.isnan(months)
    if plans is not None and rest.any():
        codes, uniques = pd.factorize(plans)
        by_name = np.array([months_in_name(u) for u in uniques] + [np.nan])
        fill = by_name[codes]
        use = rest & ~np.isnan(fill)
        if use.any():
            months[use] = fill[use]
            notes.append(
                note("interval_from_name", count=int(use.sum()), example=plans[use].iloc[0])
            )
    return months


def _attributes(frame, cols: Columns, quantity, reasons, notes) -> dict[str, pd.Series]:
    """The attribute columns of the lines (plan, product, metadata...) and the quantity."""
    attributes = {}
    for name, h in cols.attributes.items():
        if h in frame.columns and name not in LINE_DATES:  # (dates of the line: _line_dates)
            attributes[name] = text(frame[h])
    if cols.quantity and "quantity" not in attributes:
        if cols.mrr:  # the monthly amount is given: quantity is only an attribute
            q, _ = read_amounts(frame, cols.quantity, reasons, "quantity", notes)
            quantity = np.where(np.isnan(q), 1.0, q)
        attributes["quantity"] = pd.Series(quantity, index=frame.index, dtype="float64")
    return attributes


def _mapping(frame, cols: Columns) -> dict[str, str]:
    """Role -> the header read for it (the first of its columns), attributes included."""
    mapping = {role: getattr(cols, role)[0] for role in _MAPPED_ROLES if getattr(cols, role)}
    mapping.update({role: h[0] for role, h in cols.deduct.items() if h})
    mapping.update({name: h for name, h in cols.attributes.items() if h in frame.columns})
    return mapping
