"""The Expansion views on movements and lines that stay in the database.

Each is a query of sums whose result is small (a row per cohort and age, per segment, per month
and part of expansion), finished by the pandas engine's own functions
(:func:`mrrkit.views.expansion.cohort_expansion_table`,
:func:`mrrkit.views.expansion.segment_expansion_table`,
:func:`mrrkit.views.expansion.split_by_month`); the listings (customers at the top plan, lines
near their tier limit) come back as their first rows in order with their totals.
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

from ..engine.movements import EXPANSION, NEW
from ..views.expansion import (
    EXPANSION_KINDS,
    cohort_expansion_table,
    segment_expansion_table,
)
from ..views.retention import _month
from .forecast import _month_number
from .lines import MICROS_COLUMN
from .movements import _int64
from .views import _labels_query, _movements_of

__all__ = ["expansion_by_cohort", "expansion_by_segment", "expansion_split"]


def expansion_by_cohort(data, as_of=None, definitions=None) -> pd.DataFrame:
    """:func:`mrrkit.expansion_by_cohort` computed in the database (one query, a row per cohort
    and age): each cohort's expansion by age over its MRR at the end of its first month.

    ``as_of``: the last day counted (not after the movements' own)."""
    mv = _movements_of(data, None, definitions)
    day = mv.as_of if as_of is None else min(pd.Timestamp(as_of).normalize(), mv.as_of)
    t = mv.micros
    t = t.filter(t.day <= ibis.date(day.date()))
    t = t.mutate(mon=_month_number(t.day))
    whole = ibis.window(group_by=t.customer_id)
    # A customer's cohort: the month of its latest "new" movement (as the pandas engine's).
    t = t.mutate(cohort=t.mon.max(where=t.kind == NEW).over(whole))
    t = t.filter(t.cohort.notnull())
    t = t.mutate(age=t.mon - t.cohort, amount=t.after - t.before)
    rows = t.group_by(["cohort", "age"]).aggregate(
        base=_int64(ibis.ifelse(t.age == 0, t.amount, 0).sum()),
        expansion=_int64(ibis.ifelse(t.kind == EXPANSION, t.amount, 0).sum()),
    ).to_pandas()
    return cohort_expansion_table(pd.Period(day, freq="M").ordinal, rows["cohort"].to_numpy(np.int64),
                                  rows["age"].to_numpy(np.int64),
                                  rows["base"].to_numpy(np.int64),
                                  rows["expansion"].to_numpy(np.int64))


def expansion_by_segment(data, attribute, start=None, end=None,
                         definitions=None) -> pd.DataFrame:
    """:func:`mrrkit.expansion_by_segment` computed in the database (one query, a row per
    segment value): customers and MRR at the end of month ``start``, the expansion of months
    ``start+1..end`` and the customers who expanded, per value of ``attribute``.

    ``attribute``: a column of the lines (a customer's latest line decides), or a table of
    ``segment_customer, segment``. A customer without a value is ``"(missing)"``, as there.
    """
    mv = _movements_of(data, None, definitions)
    last = pd.Period(mv.as_of, freq="M").ordinal
    e_month = last if end is None else _month(end, "end")
    s_month = e_month - 12 if start is None else _month(start, "start")
    if e_month <= s_month:
        raise ValueError(f"end ({pd.Period(ordinal=e_month, freq='M')}) must be after start "
                         f"({pd.Period(ordinal=s_month, freq='M')})")
    name = attribute if isinstance(attribute, str) else None
    labels = _labels_query(mv.lines, attribute) if isinstance(attribute, str) else attribute
    t = mv.micros
    t = t.filter(t.day <= ibis.date(pd.Period(ordinal=e_month, freq="M").end_time.date()))
    mon = _month_number(t.day)
    next_mon = _month_number(t.next_day).fill_null(10**6)
    at_start = (mon <= s_month) & (next_mon > s_month)
    grown = (t.kind == EXPANSION) & (mon > s_month)
    per = t.group_by("customer_id").aggregate(
        start=_int64(ibis.ifelse(at_start, t.after, 0).sum()),
        expansion=_int64(ibis.ifelse(grown, t.after - t.before, 0).sum()))
    per = per.left_join(labels, per.customer_id == labels.segment_customer)
    paying, expanded = per.start > 0, per.expansion > 0
    rows = per.group_by("segment").aggregate(
        customers=_int64(paying.sum()),
        start_micros=_int64(per.start.sum()),
        expansion_micros=_int64(per.expansion.sum()),
        expanded_customers=_int64(expanded.sum()),
        expanded_start_customers=_int64((expanded & paying).sum()),
        expanded_joined_customers=_int64((expanded & ~paying).sum()),
    ).to_pandas()
    # The values as the pandas engine writes them (text, "(missing)" without one).
    rows["segment"] = rows["segment"].astype("str").fillna("(missing)")
    return segment_expansion_table(rows, name or "segment", s_month, e_month)



def expansion_split(data, lines: ibis.Table | None = None, definitions=None) -> pd.DataFrame:
    """:func:`mrrkit.views.expansion.split_by_month` computed in the database (one query, a row
    per month): every expansion movement split into upsell, cross-sell, price increase and other
    by comparing the customer's paying lines running the day before and the day of it, product
    by product (:func:`mrrkit.expansion_breakdown`'s rules), the parts summed by month.

    ``lines``: the lines the plans, products and quantities are read from (default: the
    movements' own; pass the source's lines when the movements follow other definitions, which
    adjust theirs, as the pandas engine reads the source's).
    """
    from ..views.expansion import split_of_months

    mv = _movements_of(data, None, definitions)
    lines = mv.lines if lines is None else lines
    has_plan, has_qty = "plan" in lines.columns, "quantity" in lines.columns
    t = mv.micros
    events = t.filter(t.kind == EXPANSION).select(
        event_customer=t.customer_id, event_day=t.day, month=_month_number(t.day))
    # The paying lines (as the pandas engine's line table keeps them).
    paying = lines.filter((lines.mrr.abs() > 1e-6)
                          & (lines.end.isnull() | (lines.end > lines.start)))
    columns = {
        "customer_id": paying.customer_id, "start": paying.start, "end": paying.end,
        "micros": paying[MICROS_COLUMN],
        "product": (paying["product"].cast("string") if "product" in lines.columns
                    else ibis.literal("(all)")),
        "plan": paying["plan"].cast("string").fill_null("") if has_plan else ibis.literal(""),
        "quantity": (paying["quantity"].try_cast("float64").fill_null(0.0) if has_qty
                     else ibis.literal(0.0)),
    }
    paying = paying.select(**columns)
    j = events.inner_join(paying, events.event_customer == paying.customer_id)
    day_before = j.event_day - ibis.interval(days=1)
    before = (j.start <= day_before) & (j.end.isnull() | (day_before < j.end))
    after = (j.start <= j.event_day) & (j.end.isnull() | (j.event_day < j.end))
    j = j.mutate(before=before, after=after).filter(before | after)
    keys = ["event_customer", "event_day", "month", "product"]
    # Per plan first: a plan on one side only tells the plans changed (the pandas engine
    # compares each side's sorted plan names).
    by_plan = j.group_by([*keys, "plan"]).aggregate(
        mrr_b=_int64(ibis.ifelse(j.before, j.micros, 0).sum()),
        mrr_a=_int64(ibis.ifelse(j.after, j.micros, 0).sum()),
        qty_b=ibis.ifelse(j.before, j.quantity, 0.0).sum(),
        qty_a=ibis.ifelse(j.after, j.quantity, 0.0).sum(),
        had=j.before.any(), has=j.after.any())
    p = by_plan.group_by(keys).aggregate(
        mrr_b=_int64(by_plan.mrr_b.sum()), mrr_a=_int64(by_plan.mrr_a.sum()),
        qty_b=by_plan.qty_b.sum(), qty_a=by_plan.qty_a.sum(),
        had=by_plan.had.any(), has=by_plan.has.any(),
        plans_differ=(by_plan.had != by_plan.has).any())
    can_tell = has_plan or has_qty
    common = p.had & p.has
    changed = p.plans_differ | (p.qty_b != p.qty_a)
    delta = p.mrr_a - p.mrr_b
    zero = ibis.literal(0, "int64")
    parts = {
        "upsell": ibis.ifelse(common & changed, delta, zero) if can_tell else zero,
        "cross_sell": ibis.ifelse(~p.had & p.has, p.mrr_a, zero),
        "price_increase": ibis.ifelse(common & ~changed, delta, zero) if can_tell else zero,
        "other": (ibis.ifelse(p.had & ~p.has, -p.mrr_b, zero)
                  + (zero if can_tell else ibis.ifelse(common, delta, zero))),
    }
    p = p.mutate(**{k: _int64(v) for k, v in parts.items()})
    rows = p.group_by("month").aggregate(
        **{k: _int64(p[k].sum()) for k in EXPANSION_KINDS}).to_pandas()
    # Months whose expansions had no line to compare still have their row (zeros).
    months = events.select("month").distinct().to_pandas()
    zeros = pd.DataFrame({"month": months["month"].to_numpy(np.int64),
                          **{k: np.zeros(len(months), np.int64) for k in EXPANSION_KINDS}})
    return split_of_months(pd.concat([rows, zeros], ignore_index=True))
