"""Expansion analysis (seed 000): where extra MRR from existing customers comes from, and where
there is room left for more.

Monthly views work on movements (or lines); the split of each expansion into upsell, cross-sell
and price increase, the top-plan list and the tier-limit list need the lines themselves, with
their ``plan`` / ``product`` / ``quantity`` (and ``usage`` / ``usage_limit``) columns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..engine.lines import LINE_COLUMNS, MICROS, _to_days, customer_attributes
from .metrics import expansion_growth_rate, expansion_rate
from ..engine.monthly import month_of, monthly, period
from ..engine.movements import EXPANSION, NEW, movements, movements_of
from .retention import _month, mrr_at_month_end

__all__ = [
    "EXPANSION_KINDS",
    "expansion_breakdown",
    "expansion_breakdown_by_month",
    "expansion_by_cohort",
    "expansion_by_segment",
    "expansion_summary",
    "near_tier_limit",
    "split_by_month",
    "top_plan_customers",
]

#: Parts an expansion is split into by :func:`expansion_breakdown`.
EXPANSION_KINDS = ("upsell", "cross_sell", "price_increase", "other")
#: Labels of blank ``product`` and ``plan`` cells in :func:`top_plan_customers`.
NO_PRODUCT = "(no product)"
NO_PLAN = "(no plan)"

_EPOCH = np.datetime64("1970-01-01", "D")
_OPEN = np.iinfo(np.int64).max


def _day(ts) -> int:
    return int((np.datetime64(pd.Timestamp(ts).date(), "D") - _EPOCH).astype(np.int64))


def expansion_summary(data) -> pd.DataFrame:
    """Expansion month by month, with its growth and its weight in MRR growth.

    Parameters
    ----------
    data : Movements or DataFrame
        :func:`mrrkit.movements`, canonical lines, or a :func:`mrrkit.monthly` table.

    Returns
    -------
    DataFrame indexed by month:

    - ``expansion``: expansion MRR of the month; ``expanded_customers`` (when available);
    - ``expansion_rate``: ``expansion / mrr(M-1)`` (:func:`mrrkit.expansion_rate`);
    - ``expansion_growth_rate``: ``expansion(M) / expansion(M-1) - 1``
      (:func:`mrrkit.expansion_growth_rate`);
    - ``net_new``: net new MRR of the month;
    - ``expansion_share_of_added``: ``expansion / (new + expansion + reactivation)``, the share
      of the MRR added that came from existing customers spending more (NaN when nothing added);
    - ``expansion_share_of_net_new``: ``expansion / net_new`` when net new MRR is positive
      (NaN otherwise: a share of a loss means nothing; above 1 when churn ate part of it);
    - ``net_negative_churn``: expansion exceeds the MRR lost to churn and contraction
      (``expansion > -(churn + contraction)``, reactivations not counted) on a positive base.

    Examples
    --------
    >>> import pandas as pd
    >>> lines = pd.DataFrame({
    ...     "customer_id": ["a", "a", "b"],
    ...     "start": pd.to_datetime(["2024-01-01", "2024-02-10", "2024-01-01"]),
    ...     "end": pd.to_datetime([None, None, "2024-02-20"]),
    ...     "mrr": [100.0, 60.0, 50.0],
    ... })
    >>> expansion_summary(lines)[["expansion", "net_new", "net_negative_churn"]]
             expansion  net_new  net_negative_churn
    month
    2024-01        0.0    150.0               False
    2024-02       60.0     10.0                True
    """
    if isinstance(data, pd.DataFrame) and "net_new" in data.columns and "mrr" in data.columns:
        table = data
    else:
        table = monthly(data)
    added = table["new"] + table["expansion"] + table["reactivation"]
    lost = -(table["churn"] + table["contraction"])
    prev = table["mrr"].shift(1)
    out = pd.DataFrame(index=table.index)
    out["expansion"] = table["expansion"]
    if "expanded_customers" in table.columns:
        out["expanded_customers"] = table["expanded_customers"]
    out["expansion_rate"] = expansion_rate(table)
    out["expansion_growth_rate"] = expansion_growth_rate(table)
    out["net_new"] = table["net_new"]
    out["expansion_share_of_added"] = table["expansion"] / added.where(added > 0)
    out["expansion_share_of_net_new"] = table["expansion"] / table["net_new"].where(
        table["net_new"] > 0
    )
    out["net_negative_churn"] = (table["expansion"] > lost) & (prev > 0)
    return out


def expansion_by_cohort(data, as_of=None) -> pd.DataFrame:
    """Expansion MRR by acquisition cohort and age, relative to the cohort's starting MRR.

    Cell ``(cohort, age)`` = the expansion movements of the cohort's customers dated in month
    ``cohort + age`` / the cohort's MRR at the end of its acquisition month (the base of
    :func:`mrrkit.views.cohorts` ``"mrr"``). NaN after as_of's month or on a zero base. Summing a row
    gives the expansion the cohort has generated per unit of starting MRR.

    Examples
    --------
    >>> import pandas as pd
    >>> lines = pd.DataFrame({
    ...     "customer_id": ["a", "a", "b"],
    ...     "start": pd.to_datetime(["2024-01-05", "2024-03-01", "2024-01-20"]),
    ...     "end": pd.to_datetime([None, None, None]),
    ...     "mrr": [100.0, 50.0, 100.0],
    ... })
    >>> expansion_by_cohort(lines, as_of="2024-03-31")
    age        0    1     2
    cohort
    2024-01  0.0  0.0  0.25
    """
    m = movements_of(data, as_of).arrays
    last = int(month_of(np.array([m.as_of]))[0])
    mon = month_of(m.day)
    is_new = m.kind == NEW
    cohort_of = np.full(len(m.customers), -1, np.int64)
    cohort_of[m.cust[is_new]] = mon[is_new]
    row_cohort = cohort_of[m.cust] if len(m) else np.zeros(0, np.int64)
    member = row_cohort >= 0
    age = mon[member] - row_cohort[member]
    amount = m.amount[member].astype(np.int64)
    exp = m.kind[member] == EXPANSION
    return cohort_expansion_table(last, row_cohort[member], age,
                                  np.where(age == 0, amount, 0), np.where(exp, amount, 0))


def cohort_expansion_table(last: int, cohort, age, base_micros, expansion_micros) -> pd.DataFrame:
    """:func:`expansion_by_cohort`'s table from sums per (cohort, age) cell, in any order
    (repeated cells add up): the movements' amounts at age 0 (the cohort's base) and the
    expansions', in integer micros; ``last`` is as_of's month ordinal. What a database
    computes as well (:func:`mrrkit.sql.expansion_by_cohort`)."""
    cohort = np.asarray(cohort, np.int64)
    if not len(cohort):
        empty = pd.DataFrame(index=pd.PeriodIndex([], freq="M", name="cohort"))
        empty.columns.name = "age"
        return empty
    months = np.unique(cohort)
    width = last - int(months[0]) + 1
    ci = np.searchsorted(months, cohort)
    base = np.zeros(len(months), np.int64)
    np.add.at(base, ci, np.asarray(base_micros, np.int64))
    sums = np.zeros((len(months), width), np.int64)
    np.add.at(sums, (ci, np.asarray(age, np.int64)), np.asarray(expansion_micros, np.int64))
    base = base.astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        table = np.where(base[:, None] > 0, sums / base[:, None], np.nan)
    table[np.arange(width)[None, :] > (last - months)[:, None]] = np.nan
    return pd.DataFrame(
        table,
        index=pd.PeriodIndex.from_ordinals(months, freq="M", name="cohort"),
        columns=pd.RangeIndex(width, name="age"),
    )


def expansion_by_segment(lines: pd.DataFrame, attribute: str, data=None, start=None,
                         end=None, attributes: pd.DataFrame | None = None) -> pd.DataFrame:
    """Expansion over a period by value of a customer attribute (plan, industry, size...).

    The period runs from the end of month ``start`` to the end of month ``end`` (default: the
    12 months ending with as_of's month), as in :func:`mrrkit.cs_tailwind`. ``attributes`` is
    :func:`mrrkit.customer_attributes` of ``lines`` if the caller has it already (it is computed
    otherwise).

    Returns
    -------
    DataFrame indexed by attribute value:

    - ``customers``: customers paying at the end of ``start``; ``start_mrr``: their MRR then;
    - ``expansion``: expansion movements of the segment's customers dated in months
      ``start+1..end``, including those of customers acquired (or back) meanwhile;
    - ``expanded_customers``: distinct customers with at least one such movement, split into
      ``expanded_start_customers`` (those among ``customers``, paying at the end of ``start``:
      never more than ``customers``) and ``expanded_joined_customers`` (those not paying then:
      acquired, or returned after a churn, during the period), so that ``expanded_customers =
      expanded_start_customers + expanded_joined_customers``;
    - ``expansion_rate``: ``expansion / start_mrr`` (NaN on a zero base);
    - ``share_of_expansion``: of the total over all segments.

    Sorted by expansion, largest first.

    Examples
    --------
    ``a`` (paying at the end of January) and ``b`` (new in March) expand; ``c`` does not:

    >>> import pandas as pd
    >>> lines = pd.DataFrame({
    ...     "customer_id": ["a", "a", "b", "b", "c"],
    ...     "start": pd.to_datetime(["2024-01-05", "2024-04-01", "2024-03-02", "2024-05-10",
    ...                              "2024-01-10"]),
    ...     "end": pd.to_datetime([None, None, None, None, None]),
    ...     "mrr": [100.0, 20.0, 50.0, 10.0, 80.0],
    ...     "size": ["small", "small", "small", "small", "small"],
    ... })
    >>> got = expansion_by_segment(lines, "size", start="2024-01", end="2024-06")
    >>> got.loc["small", ["customers", "expanded_customers", "expanded_start_customers",
    ...                   "expanded_joined_customers"]].tolist()
    [2, 2, 1, 1]
    >>> got.loc["small", ["start_mrr", "expansion", "expansion_rate"]].tolist()
    [180.0, 30.0, 0.16666666666666666]
    """
    attrs = customer_attributes(lines) if attributes is None else attributes
    if attribute not in attrs.columns:
        raise ValueError(
            f"lines have no attribute column {attribute!r}; available: {list(attrs.columns)}"
        )
    m = movements_of(lines if data is None else data).arrays
    last = int(month_of(np.array([m.as_of]))[0])
    e_month = last if end is None else _month(end, "end")
    s_month = e_month - 12 if start is None else _month(start, "start")
    if e_month <= s_month:
        raise ValueError(f"end ({period(e_month)}) must be after start ({period(s_month)})")
    ids = pd.Index(m.customers, dtype="str")
    seg = attrs[attribute].reindex(ids).astype("str").fillna("(missing)").to_numpy()
    start_mrr = mrr_at_month_end(m, s_month)
    mon = month_of(m.day)
    pick = (m.kind == EXPANSION) & (mon > s_month) & (mon <= e_month)
    exp_by_cust = np.zeros(len(ids), np.int64)
    np.add.at(exp_by_cust, m.cust[pick], m.amount[pick].astype(np.int64))
    at_start = start_mrr > 0
    expanded = exp_by_cust > 0
    frame = pd.DataFrame(
        {
            "segment": seg,
            "customers": at_start.astype(np.int64),
            "start_micros": start_mrr,
            "expansion_micros": exp_by_cust,
            "expanded_customers": expanded.astype(np.int64),
            "expanded_start_customers": (expanded & at_start).astype(np.int64),
            "expanded_joined_customers": (expanded & ~at_start).astype(np.int64),
        }
    )
    return segment_expansion_table(frame, attribute, s_month, e_month)


def segment_expansion_table(sums: pd.DataFrame, attribute: str, s_month: int,
                            e_month: int) -> pd.DataFrame:
    """:func:`expansion_by_segment`'s table from sums per segment (rows in any order, repeated
    segments add up): ``segment``, ``customers``, ``start_micros``, ``expansion_micros``,
    ``expanded_customers``, ``expanded_start_customers``, ``expanded_joined_customers`` (money
    in integer micros). What a database computes as well
    (:func:`mrrkit.sql.expansion_by_segment`)."""
    out = sums.groupby("segment", sort=True).sum()
    for col in ("customers", "expanded_customers", "expanded_start_customers",
                "expanded_joined_customers", "start_micros", "expansion_micros"):
        out[col] = out[col].astype("int64")
    out.insert(1, "start_mrr", out.pop("start_micros") / MICROS)
    out.insert(2, "expansion", out.pop("expansion_micros") / MICROS)
    out["expansion_rate"] = out["expansion"] / out["start_mrr"].where(out["start_mrr"] > 0)
    total = out["expansion"].sum()
    out["share_of_expansion"] = out["expansion"] / total if total > 0 else np.nan
    out.index.name = attribute
    out = out.sort_values("expansion", ascending=False, kind="stable")
    out.attrs["start"] = period(s_month)
    out.attrs["end"] = period(e_month)
    return out


# --------------------------------------------------------------------------- line-level views


def _line_table(lines: pd.DataFrame, as_of=None, running: bool = False) -> pd.DataFrame:
    """Lines reduced to what the line-level views need: text id, day numbers, paying only.

    ``running``: only the lines running on ``as_of`` (default: the latest date in the lines),
    chosen before any text column is touched (most lines of a long history are not running:
    the views that read running lines only skip copying the others); ``attrs["products"]``
    then lists the products of every paying line. The day used is in ``attrs["day"]``.
    """
    missing = [c for c in LINE_COLUMNS if c not in lines.columns]
    if missing:
        raise ValueError(f"lines lack column(s) {missing}")
    start = _to_days(lines["start"], "start", allow_missing=False)
    end = _to_days(lines["end"], "end", allow_missing=True)
    mrr = pd.to_numeric(lines["mrr"]).to_numpy(dtype="float64")
    paying = (np.abs(mrr) > 1.0 / MICROS) & (end > start)
    day = _default_as_of(start[paying], end[paying]) if as_of is None else _day(as_of)
    every_product = None
    if running and "product" in lines.columns:
        # What every paying line sells (a customer may miss one that is not running today).
        codes, names = pd.factorize(lines["product"], use_na_sentinel=True)
        present = _sorted_unique(codes[paying].astype(np.int64))
        every_product = [str(names[c]) for c in present if c >= 0]
        every_product += [NO_PRODUCT] if len(present) and present[0] < 0 else []
    if running:
        paying &= (start <= day) & (day < end)
    keep = np.flatnonzero(paying)

    def kept(column: pd.Series) -> pd.Series:
        # Text stays in its own (Arrow) storage: a round trip through Python strings took
        # 0.2 s on 700,000 lines.
        return column.iloc[keep].reset_index(drop=True)

    out = pd.DataFrame({"customer_id": kept(lines["customer_id"].astype("str")),
                        "start": start[keep], "end": end[keep], "mrr": mrr[keep]})
    for col in ("plan", "product", "quantity", "usage", "usage_limit"):
        if col in lines.columns:
            out[col] = kept(lines[col])
    out.attrs["day"] = day
    if every_product is not None:
        out.attrs["products"] = every_product
    return out


def _default_as_of(start: np.ndarray, end: np.ndarray) -> int:
    """The latest start or (closed) end day of the paying lines (0 when there are none)."""
    if not len(start):
        return 0
    ends = end[end != _OPEN]
    return int(max(start.max(), ends.max() if len(ends) else start.max()))


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)`` of an integer array by sorting (NumPy 2.4's hash-based
    ``np.unique`` is ~10x slower on a few 100,000 integers).

    >>> _sorted_unique(np.array([5, 1, 5, 3])).tolist()
    [1, 3, 5]
    """
    values = np.sort(values)
    return values[np.concatenate(([True], values[1:] != values[:-1]))] if len(values) else values


def _group_text(keys: np.ndarray, codes: np.ndarray, names) -> pd.Series:
    """Per key, the distinct names (``names[code]``) sorted and joined with ", "; a Series
    indexed by key. ``names`` must be sorted (as from ``pd.factorize(..., sort=True)``), so
    sorting codes sorts names."""
    if len(keys) == 0:
        return pd.Series([], dtype="str")
    width = int(codes.max()) + 1
    pairs = _sorted_unique(keys.astype(np.int64) * width + codes)
    k, c = pairs // width, pairs % width
    starts = np.flatnonzero(np.concatenate(([True], k[1:] != k[:-1])))
    ends = np.append(starts[1:], len(k))
    names = np.array([str(x) for x in names], dtype=object)
    # Most groups hold one name: take those directly, join only the others.
    text = names[c[starts]]
    for g in np.flatnonzero(ends - starts > 1):
        text[g] = ", ".join(names[c[starts[g]:ends[g]]])
    return pd.Series(text, index=k[starts], dtype="str")


def expansion_breakdown(lines: pd.DataFrame, data=None, as_of=None) -> pd.DataFrame:
    """Split every expansion movement into upsell, cross-sell, price increase and other.

    For an expansion on day ``d``, the customer's paying lines running on day ``d - 1``
    (before) and on day ``d`` (after) are grouped by ``product`` and compared:

    - ``cross_sell``: MRR after of products the customer did not have the day before (an add-on
      or a new product);
    - ``upsell``: MRR change of products it had, whose plan or quantity changed (a higher plan,
      more seats);
    - ``price_increase``: MRR change of products it had with the same plan and quantity;
    - ``other``: MRR before of products it dropped (negative), and, when the lines have neither
      ``plan`` nor ``quantity``, every change on products it had.

    The four parts add up to the movement's amount. Without a ``product`` column every line is
    one product (no cross-sell can be seen). ``kind`` is the part with the largest amount.

    Parameters
    ----------
    lines : DataFrame
        Canonical lines with some of ``plan``, ``product``, ``quantity``.
    data : Movements, optional
        Their :func:`mrrkit.movements`, if already computed.
    as_of : date-like, optional

    Returns
    -------
    DataFrame, one row per expansion movement: ``customer_id, date, amount, upsell,
    cross_sell, price_increase, other, kind, plan_before, plan_after`` (plans as sorted text).

    Examples
    --------
    >>> import pandas as pd
    >>> lines = pd.DataFrame({
    ...     "customer_id": ["a", "a", "a"],
    ...     "start": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-03-01"]),
    ...     "end": pd.to_datetime(["2024-03-01", None, None]),
    ...     "mrr": [100.0, 150.0, 30.0],
    ...     "plan": ["basic", "pro", "reports"],
    ...     "product": ["core", "core", "reports"],
    ... })
    >>> expansion_breakdown(lines)[["amount", "upsell", "cross_sell", "kind"]]
       amount  upsell  cross_sell    kind
    0    80.0    50.0        30.0  upsell
    """
    table, events, sums, plans = _event_parts(lines, data, as_of)
    columns = ["customer_id", "date", "amount", *EXPANSION_KINDS, "kind", "plan_before",
               "plan_after"]
    if events.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in columns})
    has_plan = "plan" in table.columns
    if has_plan:
        plan_before, plan_after = (text.reindex(events["event"]) for text in plans)
    else:
        plan_before = plan_after = pd.Series(np.nan, index=events["event"])
    out = events[["customer_id", "date", "amount"]].copy()
    for k in EXPANSION_KINDS:
        out[k] = sums[k].to_numpy() / MICROS
    values = out[list(EXPANSION_KINDS)].to_numpy()
    out["kind"] = pd.Categorical.from_codes(
        np.argmax(values, axis=1), categories=list(EXPANSION_KINDS)
    )
    out["plan_before"] = plan_before.to_numpy()
    out["plan_after"] = plan_after.to_numpy()
    out.attrs["has_plan"] = has_plan
    out.attrs["has_quantity"] = "quantity" in table.columns
    out.attrs["has_product"] = "product" in table.columns
    return out


def _event_parts(lines: pd.DataFrame, data, as_of):
    """The line table, the expansion events, each event's parts (:data:`EXPANSION_KINDS`) in
    integer micros (as exact floats) and the plans before and after each (text per event)."""
    table = _line_table(lines)
    events = _expansion_events(lines, data, as_of)
    if events.empty:
        return table, events, None, None
    has_plan = "plan" in table.columns
    has_qty = "quantity" in table.columns
    tab, plan_names = _coded_lines(table)
    j = events[["event", "customer_id", "day"]].merge(tab, on="customer_id", how="inner")
    n_products = int(tab["product_code"].max()) + 1 if len(tab) else 1
    # One integer key per (event, product): groupbys on it stay in compiled code.
    j["key"] = j["event"].to_numpy() * n_products + j["product_code"].to_numpy()
    day = j["day"].to_numpy()
    before = ((j["start"].to_numpy() <= day - 1) & (day - 1 < j["end"].to_numpy()))
    after = ((j["start"].to_numpy() <= day) & (day < j["end"].to_numpy()))
    both = _products_before_after(j, before, after, plan_names)
    piece = _split_changes(both, can_tell=has_plan or has_qty)
    piece_event = both.index.to_numpy() // n_products
    sums = piece.groupby(piece_event).sum().reindex(events["event"], fill_value=0.0)
    plans = None
    if has_plan:
        plans = tuple(_group_text(j["event"].to_numpy()[mask], j["plan_code"].to_numpy()[mask],
                                  plan_names) for mask in (before, after))
    return table, events, sums, plans


def split_by_month(lines: pd.DataFrame, data=None, as_of=None) -> pd.DataFrame:
    """:func:`expansion_breakdown_by_month` of :func:`expansion_breakdown`, its parts summed in
    integer micros (exact, whatever the order): what a database computes as well
    (:func:`mrrkit.sql.expansion_split`)."""
    _, events, sums, _ = _event_parts(lines, data, as_of)
    if events.empty:
        return split_of_months(pd.DataFrame({"month": pd.Series(dtype="int64"),
                                             **{k: pd.Series(dtype="int64")
                                                for k in EXPANSION_KINDS}}))
    month = month_of(events["day"].to_numpy())
    micros = pd.DataFrame({k: np.rint(sums[k].to_numpy()).astype(np.int64)
                           for k in EXPANSION_KINDS})
    micros.insert(0, "month", month)
    return split_of_months(micros)


def split_of_months(rows: pd.DataFrame) -> pd.DataFrame:
    """The monthly split from rows of ``month`` (ordinal) and the parts in integer micros (in
    any order, repeated months add up): ``upsell, cross_sell, price_increase, other`` and
    ``total``, indexed by month."""
    sums = rows.groupby("month", sort=True)[list(EXPANSION_KINDS)].sum().astype(np.int64)
    out = sums / MICROS
    out["total"] = sums.sum(axis=1) / MICROS
    out.index = pd.PeriodIndex.from_ordinals(sums.index.to_numpy(np.int64), freq="M",
                                             name="month")
    out.columns.name = None
    return out


def _expansion_events(lines: pd.DataFrame, data, as_of) -> pd.DataFrame:
    """The expansion movements to split, numbered: ``event, customer_id, date, day, amount``."""
    if data is None:
        mv = movements(lines, as_of)
    else:
        mv = movements_of(data)
        if as_of is not None:  # an as_of after the movements' own changes nothing
            mv = mv.until(min(pd.Timestamp(as_of).normalize(), mv.as_of))
    m = mv.arrays
    rows = np.flatnonzero(m.kind == EXPANSION)
    day = m.day[rows]
    return pd.DataFrame(
        {
            "event": np.arange(len(rows)),
            "customer_id": np.asarray(m.customers, dtype=object)[m.cust[rows]],
            "date": (_EPOCH + day.astype("timedelta64[D]")).astype("datetime64[s]"),
            "day": day,
            "amount": m.amount[rows] / MICROS,
        }
    )


def _coded_lines(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.Index]:
    """The line table with ``product_code``, ``plan_code`` (numbers in name order) and a numeric
    ``quantity`` (0 without one), and the plan names."""
    tab = table.copy()
    products = tab["product"].astype("str") if "product" in tab.columns else "(all)"
    tab["product_code"] = pd.factorize(pd.Series(products, index=tab.index), sort=True)[0]
    plans = tab["plan"].astype("str") if "plan" in tab.columns else pd.Series("", index=tab.index)
    tab["plan_code"], plan_names = pd.factorize(plans.fillna(""), sort=True)
    tab["quantity"] = (pd.to_numeric(tab["quantity"], errors="coerce").fillna(0.0)
                       if "quantity" in tab.columns else 0.0)
    # MRR in integer micros (exact as floats): every sum of them is exact, in any order.
    tab["mrr"] = np.rint(tab["mrr"].to_numpy() * MICROS)
    return tab[["customer_id", "start", "end", "mrr", "quantity", "product_code",
                "plan_code"]], plan_names


def _products_before_after(j: pd.DataFrame, before: np.ndarray, after: np.ndarray,
                           plan_names) -> pd.DataFrame:
    """Per (event, product) key: MRR, quantity and plans the day before (``_b``) and the day of
    the event (``_a``); missing on a side where the customer did not have the product."""
    parts = []
    for side, mask in (("b", before), ("a", after)):
        sub = j[mask]
        agg = sub.groupby("key")[["mrr", "quantity"]].sum()
        agg["plan"] = _group_text(sub["key"].to_numpy(), sub["plan_code"].to_numpy(), plan_names)
        agg.columns = [f"{c}_{side}" for c in agg.columns]
        parts.append(agg)
    return parts[0].join(parts[1], how="outer")


def _split_changes(both: pd.DataFrame, can_tell: bool) -> pd.DataFrame:
    """Each product's change split into :data:`EXPANSION_KINDS` (see
    :func:`expansion_breakdown`); ``can_tell``: the lines have a plan or a quantity."""
    had = both["mrr_b"].notna().to_numpy()
    has = both["mrr_a"].notna().to_numpy()
    mrr_b = both["mrr_b"].fillna(0.0).to_numpy()
    mrr_a = both["mrr_a"].fillna(0.0).to_numpy()
    delta = mrr_a - mrr_b
    common = had & has
    changed = ((both["plan_b"] != both["plan_a"]) | (both["quantity_b"] != both["quantity_a"]))
    changed = changed.to_numpy()
    return pd.DataFrame(
        {
            "upsell": np.where(common & changed & can_tell, delta, 0.0),
            "cross_sell": np.where(~had & has, mrr_a, 0.0),
            "price_increase": np.where(common & ~changed & can_tell, delta, 0.0),
            "other": np.where(had & ~has, -mrr_b, 0.0)
            + np.where(common & (not can_tell), delta, 0.0),
        },
    )


def expansion_breakdown_by_month(breakdown: pd.DataFrame) -> pd.DataFrame:
    """Monthly sums of :func:`expansion_breakdown`'s parts (``upsell, cross_sell,
    price_increase, other``) and ``total``, indexed by month."""
    if breakdown.empty:
        out = pd.DataFrame({c: pd.Series(dtype="float64") for c in (*EXPANSION_KINDS, "total")})
        out.index = pd.PeriodIndex([], freq="M", name="month")
        return out
    month = pd.PeriodIndex(pd.DatetimeIndex(breakdown["date"]), freq="M", name="month")
    out = breakdown[list(EXPANSION_KINDS)].groupby(month).sum()
    out["total"] = out.sum(axis=1)
    return out


def _running(table: pd.DataFrame, day: int) -> pd.DataFrame:
    return table[(table["start"] <= day) & (day < table["end"])]


def top_plan_customers(lines: pd.DataFrame, top_plan=None, as_of=None) -> pd.DataFrame:
    """Customers already on the top plan: no room to expand by upgrading.

    The top plan of each product is its highest-priced plan: the largest median MRR per unit of
    ``quantity`` (per line when there is no ``quantity``) over all the product's lines.
    ``top_plan`` (a plan name or a collection of names) overrides that choice for every product.

    A customer is *at the top plan* when every line it pays for on ``as_of`` (default: the
    latest date in the lines) is on a top plan. ``missing_products`` lists the products it does
    not have (cross-sell room); ``no_room`` is True when there are none left either.

    Returns
    -------
    DataFrame indexed by ``customer_id``: ``mrr``, ``plans``, ``products``,
    ``missing_products`` (text, comma-separated), ``no_room``. Sorted by MRR, largest first.
    """
    if "plan" not in lines.columns:
        raise ValueError("lines have no 'plan' column: the top plan cannot be found")
    # With the top plans given, only the lines running on ``as_of`` are read (and the products
    # of all); the top plans' prices need every line.
    table = _line_table(lines, as_of, running=top_plan is not None)
    day = table.attrs["day"]
    if "product" not in table.columns:
        table["product"] = "(all)"
        table.attrs["products"] = ["(all)"]
    # A blank product is a product of its own; a blank plan is never a top plan (labelled so that
    # every value is text and sorts).
    table["product"] = table["product"].astype("str").fillna(NO_PRODUCT)
    table["plan"] = table["plan"].astype("str").fillna(NO_PLAN)
    every_product = (table["product"].unique() if top_plan is None
                     else table.attrs["products"])
    if top_plan is None:
        qty = (
            pd.to_numeric(table["quantity"], errors="coerce") if "quantity" in table.columns
            else pd.Series(1.0, index=table.index)
        )
        unit = (table["mrr"] / qty.where(qty > 0)).where(table["plan"] != NO_PLAN)
        price = unit.groupby([table["product"], table["plan"]]).median().dropna()
        top = set(price.groupby(level="product").idxmax())
    else:
        names = {top_plan} if isinstance(top_plan, str) else set(top_plan)
        top = {(p, n) for p in every_product for n in names}
    # A blank product is nothing a customer could buy: never listed as missing.
    products = sorted(p for p in every_product if p != NO_PRODUCT)
    run = _running(table, day) if top_plan is None else table
    columns = ["mrr", "plans", "products", "missing_products", "no_room"]
    if run.empty:
        # Typed columns: an untyped empty ``no_room`` used as a mask would select columns.
        out = pd.DataFrame({
            "mrr": pd.Series(dtype="float64"), "plans": pd.Series(dtype="str"),
            "products": pd.Series(dtype="str"), "missing_products": pd.Series(dtype="str"),
            "no_room": pd.Series(dtype="bool"),
        }, index=pd.Index([], name="customer_id", dtype="str"))
        out.attrs["top_plans"] = sorted(f"{p}: {n}" for p, n in top)
        return out
    # (product, plan) in ``top``, tested once per distinct pair (not per line) by the same isin.
    prod_codes, prod_names = pd.factorize(run["product"], use_na_sentinel=False)
    plan_codes, plan_names = pd.factorize(run["plan"], use_na_sentinel=False)
    pairs = pd.Series([(p, n) for p in prod_names for n in plan_names], dtype=object)
    wanted = pairs.isin(top).to_numpy(dtype=bool)
    on_top = pd.Series(wanted[prod_codes * len(plan_names) + plan_codes], index=run.index)
    # MRR summed in integer micros: exact, in any order (a database sums them alike).
    micros = np.rint(run["mrr"].to_numpy() * MICROS).astype(np.int64)
    summary = run.assign(on_top=on_top, micros=micros).groupby("customer_id", sort=True).agg(
        micros=("micros", "sum"), all_top=("on_top", "all"))
    summary["mrr"] = summary.pop("micros") / MICROS
    # Only the customers at the top need their plans and products spelled out.
    summary = summary[summary["all_top"] & (summary["mrr"] > 0)]
    # (Positions rather than ``isin``, which takes each Arrow text to Python: 90 ms on 200,000.)
    cust = pd.Index(summary.index).get_indexer(run["customer_id"])
    run, cust = run[cust >= 0], cust[cust >= 0]
    for name in ("plan", "product"):
        codes, names = pd.factorize(run[name], sort=True)
        text = _group_text(cust, codes, names)
        summary[f"{name}s"] = text.reindex(np.arange(len(summary))).to_numpy()
    summary = summary[summary["all_top"] & (summary["mrr"] > 0)]
    owned = summary["products"].str.split(", ")
    summary["missing_products"] = [
        ", ".join(p for p in products if p not in set(have)) for have in owned
    ]
    summary["no_room"] = summary["missing_products"] == ""
    out = summary[columns].sort_values("mrr", ascending=False, kind="stable")
    out.attrs["top_plans"] = sorted(f"{p}: {n}" for p, n in top)
    return out


def near_tier_limit(lines: pd.DataFrame, threshold: float = 0.8, as_of=None,
                    usage: str = "usage", limit: str = "usage_limit") -> pd.DataFrame:
    """Customers close to their tier's usage limit: the natural next upsell (seed 000).

    A running line (on ``as_of``, default the latest date in the lines) is near its limit when
    ``usage / usage_limit >= threshold`` (limit > 0). Without the usage columns the result is
    empty and ``attrs["note"]`` says why.

    Returns
    -------
    DataFrame, one row per such line: ``customer_id, plan (if any), mrr, usage, usage_limit,
    usage_share``, sorted by ``usage_share``, highest first (then by customer id, plan, MRR).
    """
    if not (0 < threshold <= 10):
        raise ValueError(f"threshold must be a share of the limit such as 0.8, got {threshold!r}")
    columns = ["customer_id", "plan", "mrr", usage, limit, "usage_share"]
    missing = [c for c in (usage, limit) if c not in lines.columns]
    if missing:
        out = pd.DataFrame({c: pd.Series(dtype="float64") for c in columns})
        out.attrs["note"] = (
            f"the lines have no {' or '.join(repr(c) for c in missing)} column: add usage and "
            "usage limit per line to see customers near their tier limit"
        )
        return out
    keep = lines[list(LINE_COLUMNS)].copy()
    keep["plan"] = lines["plan"] if "plan" in lines.columns else np.nan
    keep["_usage"] = pd.to_numeric(lines[usage], errors="coerce")
    keep["_limit"] = pd.to_numeric(lines[limit], errors="coerce")
    run = _line_table(keep.rename(columns={"_usage": "usage", "_limit": "usage_limit"}), as_of,
                      running=True)
    lim = run["usage_limit"].astype("float64")
    share = run["usage"].astype("float64") / lim.where(lim > 0)
    near = run[share >= threshold]
    out = pd.DataFrame(
        {
            "customer_id": near["customer_id"].to_numpy(),
            "plan": near["plan"].to_numpy() if "plan" in near.columns else np.nan,
            "mrr": near["mrr"].to_numpy(),
            usage: near["usage"].to_numpy(dtype="float64"),
            limit: near["usage_limit"].to_numpy(dtype="float64"),
            "usage_share": share[share >= threshold].to_numpy(),
        }
    )
    # Ties in customer id, plan and MRR order (a database table has no row order to keep).
    return out.sort_values(["usage_share", "customer_id", "plan", "mrr"],
                           ascending=[False, True, True, True], kind="stable",
                           na_position="last").reset_index(drop=True)
