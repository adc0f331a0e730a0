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

__all__ = [
    "EXPANSION_SUMS",
    "default_top_plans",
    "expansion_by_cohort",
    "expansion_by_segment",
    "expansion_of_sums",
    "expansion_split",
    "expansion_sums_query",
    "near_tier_limit",
    "plan_names",
    "top_plan_customers",
]


#: The kinds of sums the Expansion views are finished from (:func:`expansion_sums_query`).
EXPANSION_SUMS = ("cohorts", "segments", "split")


def expansion_by_cohort(data, as_of=None, definitions=None) -> pd.DataFrame:
    """:func:`mrrkit.expansion_by_cohort` computed in the database (one query, a row per cohort
    and age): each cohort's expansion by age over its MRR at the end of its first month.

    ``as_of``: the last day counted (not after the movements' own)."""
    mv = _movements_of(data, None, definitions)
    rows = expansion_sums_query("cohorts", mv, as_of=as_of).to_pandas()
    return expansion_of_sums("cohorts", rows, _day(mv, as_of))


def expansion_by_segment(data, attribute, start=None, end=None,
                         definitions=None) -> pd.DataFrame:
    """:func:`mrrkit.expansion_by_segment` computed in the database (one query, a row per
    segment value): customers and MRR at the end of month ``start``, the expansion of months
    ``start+1..end`` and the customers who expanded, per value of ``attribute``.

    ``attribute``: a column of the lines (a customer's latest line decides), or a table of
    ``segment_customer, segment``. A customer without a value is ``"(missing)"``, as there.
    """
    mv = _movements_of(data, None, definitions)
    rows = expansion_sums_query("segments", mv, segment=attribute, start=start,
                                end=end).to_pandas()
    return expansion_of_sums("segments", rows, mv.as_of, start=start, end=end,
                             name=attribute if isinstance(attribute, str) else None)


def expansion_split(data, lines: ibis.Table | None = None, definitions=None) -> pd.DataFrame:
    """:func:`mrrkit.views.expansion.split_by_month` computed in the database (one query, a row
    per month): every expansion movement split into upsell, cross-sell, price increase and other
    by comparing the customer's paying lines running the day before and the day of it, product
    by product (:func:`mrrkit.expansion_breakdown`'s rules), the parts summed by month.

    ``lines``: the lines the plans, products and quantities are read from (default: the
    movements' own; pass the source's lines when the movements follow other definitions, which
    adjust theirs, as the pandas engine reads the source's).
    """
    mv = _movements_of(data, None, definitions)
    rows = expansion_sums_query("split", mv, lines=lines).to_pandas()
    return expansion_of_sums("split", rows, mv.as_of)


def expansion_sums_query(kind: str, data, *, as_of=None, segment=None, start=None, end=None,
                         lines: ibis.Table | None = None, definitions=None) -> ibis.Table:
    """The query of the sums one Expansion view is finished from, for a caller that keeps its
    result (the app's store); :func:`expansion_of_sums` finishes them.

    ``kind``:

    * ``"cohorts"`` (:func:`expansion_by_cohort` at ``as_of``): a row per cohort and age,
      ``base`` and ``expansion`` in integer micros;
    * ``"split"`` (:func:`expansion_split`, plans and products read from ``lines``): a row per
      month with expansions, its ``events`` and the four parts in integer micros;
    * ``"segments"`` (:func:`expansion_by_segment` of attribute ``segment`` between ``start``
      and ``end``): a row per label.

    For ``"cohorts"`` and ``"split"``, ``segment`` (a column of the lines or a table of
    ``segment_customer, segment``) adds a ``segment`` column: the rows add up over customers,
    so the sums of some labels are the sums of their rows.

    Examples
    --------
    The expansion split per industry adds up to every customer's:

    >>> import ibis
    >>> import mrrkit, mrrkit.sql
    >>> con = ibis.duckdb.connect()
    >>> lines = mrrkit.sql.lines_table(con.create_table("lines", mrrkit.load_sample()))
    >>> mv = mrrkit.sql.movements(lines, as_of="2026-10-31")
    >>> rows = expansion_sums_query("split", mv, segment="industry").to_pandas()
    >>> sorted(rows.columns)[:4], rows["segment"].nunique()
    (['cross_sell', 'events', 'month', 'other'], 10)
    >>> split = expansion_of_sums("split", rows, mv.as_of)
    >>> bool((split == expansion_split(mv)).all().all())
    True
    """
    if kind not in EXPANSION_SUMS:
        raise ValueError(f"kind must be one of {list(EXPANSION_SUMS)}, got {kind!r}")
    mv = _movements_of(data, None, definitions)
    if kind == "segments":
        if segment is None:
            raise ValueError("the expansion by segment needs the segment (a column or labels)")
        s_month, e_month = _segment_months(mv.as_of, start, end)
        return _segment_sums(mv, _segment_table(mv, segment), s_month, e_month)
    labels = None if segment is None else _segment_table(mv, segment)
    if kind == "cohorts":
        return _cohort_sums(mv, _day(mv, as_of), labels)
    return _split_sums(mv, mv.lines if lines is None else lines, labels)


def expansion_of_sums(kind: str, rows: pd.DataFrame, as_of, start=None, end=None,
                      name: str | None = None) -> pd.DataFrame:
    """The view of :func:`expansion_sums_query`'s rows (any of them: some labels' rows make
    those labels' view), as the pandas engine's function returns it. ``as_of``: the day the
    cohorts were counted to (``"cohorts"``) or the movements' (``"segments"``: the period's
    default end); ``start``, ``end``, ``name``: the segments' period and attribute."""
    from ..views.expansion import split_of_months

    if kind == "cohorts":
        return cohort_expansion_table(pd.Period(pd.Timestamp(as_of), freq="M").ordinal,
                                      rows["cohort"].to_numpy(np.int64),
                                      rows["age"].to_numpy(np.int64),
                                      rows["base"].to_numpy(np.int64),
                                      rows["expansion"].to_numpy(np.int64))
    if kind == "segments":
        s_month, e_month = _segment_months(pd.Timestamp(as_of), start, end)
        # The values as the pandas engine writes them (text, "(missing)" without one).
        rows = rows.assign(segment=rows["segment"].astype("str").fillna("(missing)"))
        return segment_expansion_table(rows, name or "segment", s_month, e_month)
    if kind == "split":
        # Months whose expansions had no line to compare still have their row (zeros).
        parts = rows[["month", *EXPANSION_KINDS]].astype("int64")
        return split_of_months(parts)
    raise ValueError(f"kind must be one of {list(EXPANSION_SUMS)}, got {kind!r}")


def _day(mv, as_of) -> pd.Timestamp:
    """The last day counted: ``as_of``, not after the movements' own."""
    return mv.as_of if as_of is None else min(pd.Timestamp(as_of).normalize(), mv.as_of)


def _segment_table(mv, segment) -> ibis.Table:
    return _labels_query(mv.lines, segment) if isinstance(segment, str) else segment


def _segment_months(as_of: pd.Timestamp, start, end) -> tuple[int, int]:
    """The segments' months as ordinals: ``end`` (default: ``as_of``'s month) and ``start``
    (default: 12 months before)."""
    last = pd.Period(as_of, freq="M").ordinal
    e_month = last if end is None else _month(end, "end")
    s_month = e_month - 12 if start is None else _month(start, "start")
    if e_month <= s_month:
        raise ValueError(f"end ({pd.Period(ordinal=e_month, freq='M')}) must be after start "
                         f"({pd.Period(ordinal=s_month, freq='M')})")
    return s_month, e_month


def _labelled(t: ibis.Table, customer: str, labels: ibis.Table | None) -> tuple[ibis.Table, list]:
    """Rows ``t`` with their customer's label (``segment``) when ``labels`` are given."""
    if labels is None:
        return t, []
    t = t.left_join(labels, t[customer] == labels.segment_customer).drop("segment_customer")
    return t, ["segment"]


def _cohort_sums(mv, day: pd.Timestamp, labels) -> ibis.Table:
    t = mv.micros
    t = t.filter(t.day <= ibis.date(day.date()))
    t = t.mutate(mon=_month_number(t.day))
    whole = ibis.window(group_by=t.customer_id)
    # A customer's cohort: the month of its latest "new" movement (as the pandas engine's).
    t = t.mutate(cohort=t.mon.max(where=t.kind == NEW).over(whole))
    t = t.filter(t.cohort.notnull())
    t = t.mutate(age=t.mon - t.cohort, amount=t.after - t.before)
    t, keys = _labelled(t, "customer_id", labels)
    return t.group_by([*keys, "cohort", "age"]).aggregate(
        base=_int64(ibis.ifelse(t.age == 0, t.amount, 0).sum()),
        expansion=_int64(ibis.ifelse(t.kind == EXPANSION, t.amount, 0).sum()),
    )


def _segment_sums(mv, labels: ibis.Table, s_month: int, e_month: int) -> ibis.Table:
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
    return per.group_by("segment").aggregate(
        customers=_int64(paying.sum()),
        start_micros=_int64(per.start.sum()),
        expansion_micros=_int64(per.expansion.sum()),
        expanded_customers=_int64(expanded.sum()),
        expanded_start_customers=_int64((expanded & paying).sum()),
        expanded_joined_customers=_int64((expanded & ~paying).sum()),
    )


def _split_sums(mv, lines: ibis.Table, labels) -> ibis.Table:
    has_plan, has_qty = "plan" in lines.columns, "quantity" in lines.columns
    t = mv.micros
    events = t.filter(t.kind == EXPANSION).select(
        event_customer=t.customer_id, event_day=t.day, month=_month_number(t.day))
    events, keys = _labelled(events, "event_customer", labels)
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
    event = ["event_customer", "event_day", "month", *keys, "product"]
    # Per plan first: a plan on one side only tells the plans changed (the pandas engine
    # compares each side's sorted plan names).
    by_plan = j.group_by([*event, "plan"]).aggregate(
        mrr_b=_int64(ibis.ifelse(j.before, j.micros, 0).sum()),
        mrr_a=_int64(ibis.ifelse(j.after, j.micros, 0).sum()),
        qty_b=ibis.ifelse(j.before, j.quantity, 0.0).sum(),
        qty_a=ibis.ifelse(j.after, j.quantity, 0.0).sum(),
        had=j.before.any(), has=j.after.any())
    p = by_plan.group_by(event).aggregate(
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
    sums = p.group_by(["month", *keys]).aggregate(
        **{k: _int64(p[k].sum()) for k in EXPANSION_KINDS})
    # Every month with expansions has its row, zeros where none had a line to compare.
    counts = events.group_by(["month", *keys]).aggregate(events=_int64(events.count()))
    on = [counts.month == sums.month]
    if keys:  # (NULL labels too: the blank customers' rows meet)
        on.append(counts.segment.identical_to(sums.segment))
    rows = counts.left_join(sums, on)
    return rows.select("month", *keys, "events",
                       **{k: _int64(rows[k].fill_null(0)) for k in EXPANSION_KINDS})


# --------------------------------------------------------------------------- plans and listings


def _text(lines: ibis.Table, name: str, blank: str | None = None) -> ibis.Value:
    """A line column as text (``blank`` for a missing value, when given)."""
    value = lines[name].cast("string")
    return value if blank is None else value.fill_null(blank)


def _quantity(lines: ibis.Table, default: float | None) -> ibis.Value:
    """``quantity`` as a number (NULL where it is not one), or ``default`` without the column."""
    if "quantity" in lines.columns:
        return lines["quantity"].try_cast("float64")
    return ibis.literal(default, "float64")


def plan_names(lines: ibis.Table) -> list[str]:
    """The lines' plans (text, blanks left out), sorted."""
    if "plan" not in lines.columns:
        return []
    plans = lines.select(plan=_text(lines, "plan")).distinct().to_pandas()["plan"]
    return sorted(str(p) for p in plans.dropna())


def _median_prices(lines: ibis.Table, quantity_default, keys: list[str]) -> pd.DataFrame:
    """The median MRR per unit of quantity by ``keys`` (``product``, ``plan``), NULLs and
    non-positive quantities left out."""
    qty = lines.qty
    unit = lines.mrr.cast("float64") / ibis.ifelse(qty > 0, qty, ibis.null("float64"))
    t = lines.mutate(unit=unit)
    rows = t.group_by(keys).aggregate(price=t.unit.median()).to_pandas()
    return rows[rows["price"].notna()].sort_values(keys, kind="stable")


def default_top_plans(lines: ibis.Table, family) -> list[str]:
    """The plans of the highest-priced family, as :func:`ui.views.default_top_plans` picks them
    on a frame: the plan with the highest median MRR per unit on the product with the most MRR,
    and every plan whose ``family(plan)`` is the same. Small results only (a row per product,
    per plan)."""
    if "plan" not in lines.columns:
        return []
    t = lines.select(
        plan=_text(lines, "plan"),
        product=_text(lines, "product") if "product" in lines.columns else ibis.literal(""),
        mrr=lines.mrr, micros=lines[MICROS_COLUMN], qty=_quantity(lines, 1.0))
    sums = t.filter(t["product"].notnull()).group_by("product").aggregate(
        micros=_int64(t.micros.sum())).to_pandas()
    if sums.empty:
        return []
    sums = sums.sort_values("product", kind="stable")
    main = sums["product"].iloc[int(np.argmax(sums["micros"].to_numpy()))]
    chosen = t.filter((t["product"] == main) & t.plan.notnull())
    price = _median_prices(chosen, 1.0, ["plan"])
    if price.empty:
        return []
    top = price["plan"].iloc[int(np.argmax(price["price"].to_numpy()))]
    wanted = family(top)
    return sorted(p for p in plan_names(lines) if family(p) == wanted)


def _paying_lines(lines: ibis.Table) -> ibis.Table:
    """The lines that pay (as the pandas engine's line table keeps them): worth more than a
    millionth, at least a day long."""
    return lines.filter((lines.mrr.abs() > 1e-6)
                        & (lines.end.isnull() | (lines.end > lines.start)))


def _running(lines: ibis.Table, day) -> ibis.Table:
    d = ibis.date(pd.Timestamp(day).date())
    return lines.filter((lines.start <= d) & (lines.end.isnull() | (d < lines.end)))


def top_plan_customers(lines: ibis.Table, top_plan=None, as_of=None,
                       limit: int = 1000) -> pd.DataFrame:
    """:func:`mrrkit.top_plan_customers` computed in the database: the customers whose every
    line running on ``as_of`` is on a top plan, the ``limit`` with the most MRR (ties by id).

    Returns
    -------
    The pandas engine's frame for those rows; ``attrs`` hold ``customers`` (all at the top),
    ``no_room`` (those of them with no product left to buy), ``no_room_mrr`` (their MRR) and
    ``top_plans``.
    """
    from ..views.expansion import NO_PLAN, NO_PRODUCT

    day = pd.Timestamp(as_of) if as_of is not None else None
    t = _paying_lines(lines)
    has_product = "product" in lines.columns
    t = t.select(
        customer_id=t.customer_id, start=t.start, end=t.end, mrr=t.mrr,
        micros=t[MICROS_COLUMN], qty=_quantity(t, 1.0),
        product=_text(t, "product", NO_PRODUCT) if has_product else ibis.literal("(all)"),
        plan=_text(t, "plan", NO_PLAN))
    if day is None:
        row = t.aggregate(first=t.start.max(), last=t.end.max()).to_pandas().iloc[0]
        day = max(pd.Timestamp(d) for d in row if not pd.isna(d))
    every = sorted(str(p) for p in t.select("product").distinct().to_pandas()["product"])
    products = [p for p in every if p != NO_PRODUCT]
    if top_plan is None:
        priced = t.filter(t.plan != NO_PLAN)
        price = _median_prices(priced, 1.0, ["product", "plan"])
        top = set()
        for product, group in price.groupby("product", sort=True):
            top.add((product, group["plan"].iloc[int(np.argmax(group["price"].to_numpy()))]))
    else:
        names = {top_plan} if isinstance(top_plan, str) else set(top_plan)
        top = {(p, n) for p in every for n in names}
    run = _running(t, day)
    if top:
        pairs = ibis.memtable(pd.DataFrame(sorted(top), columns=["top_product", "top_plan"]))
        run = run.left_join(pairs, [run["product"] == pairs.top_product,
                                    run.plan == pairs.top_plan])
        on_top = run.top_plan.notnull()
    else:
        on_top = ibis.literal(False)
    per = run.group_by("customer_id").aggregate(
        micros=_int64(run.micros.sum()), all_top=on_top.all(),
        owned=run["product"].nunique(where=run["product"] != NO_PRODUCT))
    per = per.filter(per.all_top & (per.micros > 0))
    per = per.mutate(no_room=per.owned == len(products))
    totals = per.aggregate(
        customers=_int64(per.count()), no_room=_int64(per.no_room.sum()),
        no_room_micros=_int64(ibis.ifelse(per.no_room, per.micros, 0).sum())).to_pandas()
    first = per.order_by([per.micros.desc(), per.customer_id]).limit(int(limit)).select(
        "customer_id", "micros").to_pandas()
    shown = _running(t, day)
    shown = shown.filter(shown.customer_id.isin(list(first["customer_id"]))).select(
        "customer_id", "product", "plan").to_pandas() if len(first) else None
    out = pd.DataFrame({"mrr": first["micros"].to_numpy(np.int64) / 1e6},
                       index=pd.Index(first["customer_id"].astype("str"), name="customer_id",
                                      dtype="str"))
    if shown is not None:
        groups = shown.groupby("customer_id")
        plans = groups["plan"].agg(lambda v: ", ".join(sorted(set(map(str, v)))))
        owned = groups["product"].agg(lambda v: sorted(set(map(str, v))))
        out["plans"] = pd.array(plans.reindex(out.index).to_numpy(), dtype="str")
        out["products"] = pd.array([", ".join(v) for v in owned.reindex(out.index)], dtype="str")
        out["missing_products"] = pd.array(
            [", ".join(p for p in products if p not in set(v)) for v in owned.reindex(out.index)],
            dtype="str")
    else:
        for name in ("plans", "products", "missing_products"):
            out[name] = pd.Series(dtype="str")
    out["no_room"] = (out["missing_products"] == "").astype(bool)
    row = totals.iloc[0]
    out.attrs["customers"] = int(row["customers"])
    out.attrs["no_room"] = int(row["no_room"]) if not pd.isna(row["no_room"]) else 0
    out.attrs["no_room_mrr"] = (int(row["no_room_micros"]) if not pd.isna(row["no_room_micros"])
                                else 0) / 1e6
    out.attrs["top_plans"] = sorted(f"{p}: {n}" for p, n in top)
    return out


def near_tier_limit(lines: ibis.Table, threshold: float = 0.8, as_of=None,
                    limit: int = 1000) -> pd.DataFrame:
    """:func:`mrrkit.near_tier_limit` computed in the database: the ``limit`` lines running on
    ``as_of`` with the highest share of their usage limit at or above ``threshold`` (ties by
    customer id, plan, MRR), with ``attrs`` ``lines``, ``customers`` (distinct) and ``mrr``
    (their sum) over all of them."""
    if not (0 < threshold <= 10):
        raise ValueError(f"threshold must be a share of the limit such as 0.8, got {threshold!r}")
    t = _running(_paying_lines(lines), as_of)
    usage = t["usage"].try_cast("float64")
    cap = t["usage_limit"].try_cast("float64")
    share = usage / ibis.ifelse(cap > 0, cap, ibis.null("float64"))
    t = t.select(customer_id=t.customer_id,
                 plan=_text(t, "plan") if "plan" in lines.columns else ibis.null("string"),
                 mrr=t.mrr.cast("float64"), micros=t[MICROS_COLUMN], usage=usage,
                 usage_limit=cap, usage_share=share)
    near = t.filter(t.usage_share >= threshold)
    totals = near.aggregate(lines=_int64(near.count()), customers=near.customer_id.nunique(),
                            micros=_int64(near.micros.sum())).to_pandas().iloc[0]
    rows = near.order_by([near.usage_share.desc(), near.customer_id,
                          near.plan.asc(nulls_first=False), near.mrr]).limit(int(limit))
    out = rows.drop("micros").to_pandas()
    out["customer_id"] = out["customer_id"].astype("str")
    if "plan" not in lines.columns:
        out["plan"] = np.nan
    for name in ("mrr", "usage", "usage_limit", "usage_share"):
        out[name] = out[name].astype("float64")
    out.attrs["lines"] = int(totals["lines"])
    out.attrs["customers"] = int(totals["customers"])
    out.attrs["mrr"] = (0 if pd.isna(totals["micros"]) else int(totals["micros"])) / 1e6
    return out
