"""Segments: customers grouped by an attribute, and how each group compares with the rest.

A *segment* is a filter on customers (industry, company size, plan...), never on dates: the
movements of the chosen customers are kept whole, so every metric of a segment is the same metric
computed on fewer customers.

Statistics (period = months ``start..end``; the *base* is the end of month ``start - 1``):

- ``customers``, ``mrr``: paying customers (MRR > 0) and their MRR at the end of ``end``;
  ``mrr_share`` = the group's ``mrr`` / all groups' ``mrr``; ``arpa`` = ``mrr / customers``.
- ``churn_rate``: of the ``start_customers`` paying at the base, the share ``churned`` paying
  nothing at the end of ``end`` (a customer who left and came back within the period is retained).
- ``expansion_share``: of the same customers, the share ``expanded`` with at least one expansion
  movement dated in the period.
- ``nrr``, ``grr``: :func:`mrrkit.nrr` / :func:`mrrkit.grr` of the group from the base to the
  end of ``end``.
- Proportions get a Wilson score interval (:func:`~mrrkit.views.stats.wilson_interval`) and a
  test against the rest of the customers (:func:`~mrrkit.views.stats.proportion_test`: Pearson
  chi-square on the 2x2 table, Fisher's exact test when an expected count is below 5). NRR/GRR
  are ratios of sums, not proportions: their interval and test use the linearised
  (delta-method) standard error of a ratio estimator
  (:func:`~mrrkit.views.stats.ratio_interval`). p-values are not corrected for multiple
  comparisons.
- MRR lost by churn reason: the reason of a churn is the one recorded on the subscription lines
  that ended with it (:func:`churn_reasons`), not the customer's latest attribute, so a customer
  who left for "budget", came back and left again for "competitor" has one churn under each.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..engine.lines import LINE_COLUMNS, LINE_DATES, MICROS, EncodedLines, validate_lines
from ..engine.monthly import month_of, period
from ..engine.movements import CHURN, EXPANSION, MovementArrays, Movements, movements_of
from .retention import _month, mrr_at_month_end
from .stats import _ratio_test, proportion_test, ratio_interval, wilson_interval

__all__ = [
    "IDENTITY_COLUMNS",
    "MEASURE_COLUMNS",
    "MISSING",
    "NOTE_COLUMNS",
    "PREFERRED_DIMENSIONS",
    "SEGMENT_COLUMNS",
    "churn_by_reason",
    "churn_reason_by_month",
    "churn_reasons",
    "customer_mask",
    "filter_movements",
    "natural_key",
    "segment_columns",
    "segment_labels",
    "segment_table",
    "select_customers",
]

#: Label of customers with no value for an attribute.
MISSING = "(none)"

#: Line-level measures, never segments even with few values (a tier's usage limit has four).
MEASURE_COLUMNS = ("quantity", "usage", "usage_limit", "recurring_discount", "one_time_discount")

#: Attributes that name one customer (its name, its email), never segments whatever their
#: values: shown next to the customer's id and searched, never grouped by.
IDENTITY_COLUMNS = ("customer_name", "email")

#: Free text about a customer (what it wrote when it cancelled: Stripe's cancellation comment),
#: never a segment whatever its values: a few customers writing the same words make no group.
NOTE_COLUMNS = ("churn_comment",)

#: Attribute columns shown first, in this order, when present.
PREFERRED_DIMENSIONS = ("industry", "company_size", "channel", "churn_reason", "country", "plan")

_DIGITS = re.compile(r"(\d+)")


def natural_key(text: str) -> tuple:
    """Sort key that orders numbers inside text by value, ``MISSING`` last.

    Examples
    --------
    >>> sorted(["201-1000", "11-50", "1-10", "1000+", "51-200"], key=natural_key)
    ['1-10', '11-50', '51-200', '201-1000', '1000+']
    >>> sorted(["b", MISSING, "A"], key=natural_key)
    ['A', 'b', '(none)']
    """
    parts = _DIGITS.split(str(text).casefold())
    return (text == MISSING, tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts))


def _as_labels(col: pd.Series) -> pd.Series:
    """An attribute column as text labels, integral numbers without '.0', blanks as MISSING."""
    if pd.api.types.is_bool_dtype(col.dtype):
        text = col.astype("str")
    elif pd.api.types.is_numeric_dtype(col.dtype):
        values = col.to_numpy(dtype="float64", na_value=np.nan)
        finite = np.isfinite(values)
        if (values[finite] == np.round(values[finite])).all():
            text = col.astype("Int64").astype("str")
        else:
            text = col.astype("str")
        text = text.where(finite, None)
    else:
        text = col.astype("str")
    text = text.str.strip()
    return text.where(text.notna() & (text != "") & (text != "nan"), MISSING)


def segment_columns(attributes: pd.DataFrame, max_values: int = 50) -> list[str]:
    """The attribute columns that make sensible segments.

    A column qualifies when it has between 1 and ``max_values`` distinct non-blank values and is
    not id-like: with more than 12 distinct values, they must number less than half the customers
    that have one (so an account manager column of a small file is kept, a contact column of a
    large one skipped). Date columns are skipped, and so are numeric columns with more than 12
    distinct values (a quantity or an amount is a measure, not a category), and so are the line
    dates (:data:`~mrrkit.engine.lines.LINE_DATES`, whatever their type), the
    ``MEASURE_COLUMNS``, the ``IDENTITY_COLUMNS`` (``customer_name``, ``email``) and the
    ``NOTE_COLUMNS`` (``churn_comment``) whatever their values. ``PREFERRED_DIMENSIONS`` come
    first, then the rest alphabetically.

    Examples
    --------
    >>> a = pd.DataFrame({"plan": ["a", "b", "a", "b"], "contact": ["w", "x", "y", "z"],
    ...                   "email": ["w@a", "x@a", "y@a", "z@a"],
    ...                   "industry": ["x", "x", "y", None]})
    >>> segment_columns(a)
    ['industry', 'plan', 'contact']
    >>> segment_columns(a, max_values=3)
    ['industry', 'plan']
    """
    keep = []
    for name in attributes.columns:
        if (
            name in LINE_COLUMNS
            or name in LINE_DATES
            or name in MEASURE_COLUMNS
            or name in IDENTITY_COLUMNS
            or name in NOTE_COLUMNS
        ):
            continue
        col = attributes[name]
        if pd.api.types.is_datetime64_any_dtype(col.dtype):
            continue
        labels = _as_labels(col)
        present = labels[labels != MISSING]
        distinct = present.nunique()
        if distinct < 1 or distinct > max_values:
            continue
        if distinct > 12 and (
            distinct >= 0.5 * len(present)
            or (pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype))
        ):
            continue
        keep.append(name)
    preferred = [c for c in PREFERRED_DIMENSIONS if c in keep]
    return preferred + sorted((c for c in keep if c not in preferred), key=natural_key)


def segment_labels(attributes: pd.DataFrame, columns: Iterable[str] | None = None) -> pd.DataFrame:
    """Attribute columns as categorical text labels (categories in natural order, blanks as
    ``MISSING``), indexed like ``attributes``.

    Examples
    --------
    >>> a = pd.DataFrame({"size": ["11-50", "1-10", None], "qty": [2.0, 10.0, 2.0]},
    ...                  index=pd.Index(["a", "b", "c"], name="customer_id"))
    >>> labels = segment_labels(a)
    >>> list(labels["size"].cat.categories), labels["qty"].tolist()
    (['1-10', '11-50', '(none)'], ['2', '10', '2'])
    """
    columns = list(attributes.columns if columns is None else columns)
    out = {}
    for name in columns:
        text = _as_labels(attributes[name])
        cats = sorted(text.unique(), key=natural_key)
        out[name] = pd.Categorical(text, categories=cats)
    return pd.DataFrame(out, index=attributes.index)


def customer_mask(labels: pd.DataFrame, filters: Mapping[str, Iterable[str]]) -> np.ndarray:
    """Boolean array over the rows of ``labels``: does the customer pass every filter?
    (See :func:`select_customers`.)"""
    mask = np.ones(len(labels), bool)
    for name, chosen in filters.items():
        chosen = list(chosen or [])
        if not chosen:
            continue
        if name not in labels.columns:
            raise ValueError(f"cannot filter on {name!r}: not an attribute column {list(labels)}")
        col = labels[name]
        if isinstance(col.dtype, pd.CategoricalDtype):
            # Compare small integer codes, not strings: fast on hundreds of thousands of rows.
            wanted = np.flatnonzero(col.cat.categories.isin(chosen))
            mask &= np.isin(col.cat.codes.to_numpy(), wanted)
        else:
            mask &= col.isin(chosen).to_numpy()
    return mask


def select_customers(labels: pd.DataFrame, filters: Mapping[str, Iterable[str]]) -> pd.Index:
    """Ids of the customers whose label is among the chosen values of every filtered column.

    An empty or missing choice for a column means "no filter on it". Unknown columns raise.

    Examples
    --------
    >>> labels = segment_labels(pd.DataFrame({"plan": ["a", "b", "a"], "size": ["s", "s", "l"]},
    ...                         index=pd.Index(["x", "y", "z"], name="customer_id")))
    >>> list(select_customers(labels, {"plan": ["a"], "size": []}))
    ['x', 'z']
    >>> list(select_customers(labels, {"plan": ["a"], "size": ["s"]}))
    ['x']
    """
    return labels.index[customer_mask(labels, filters)]


def filter_movements(movements: Movements, customers) -> Movements:
    """The movements of some customers (a segment), as of the same day: every view of them is
    the same view computed on fewer customers.

    ``customers`` are ids, or a boolean array over :attr:`mrrkit.Movements.customers` (the
    sorted ids of the lines, as :func:`mrrkit.customer_attributes` indexes them): no string
    matching at all, for large books.

    Examples
    --------
    >>> lines = pd.DataFrame({"customer_id": ["a", "b"], "start": pd.to_datetime(["2024-01-01"] * 2),
    ...                       "end": pd.NaT, "mrr": [10.0, 20.0]})
    >>> from mrrkit import movements
    >>> filter_movements(movements(lines), ["b"])["amount"].tolist()
    [20.0]
    """
    if not isinstance(movements, Movements):
        raise TypeError(f"movements must be Movements (mrrkit.movements), got {type(movements).__name__}")
    m = movements.arrays
    if isinstance(customers, np.ndarray) and customers.dtype == bool:
        if len(customers) != len(m.customers):
            raise ValueError("a boolean customers mask needs one value per customer of the movements")
        keep_customer = customers
    else:
        # One membership test per customer (object hashing: much faster than Arrow-string isin),
        # then a lookup per row by customer number.
        wanted = np.asarray(pd.Index(customers).astype("str"), dtype=object)
        keep_customer = pd.Index(np.asarray(m.customers, dtype=object)).isin(wanted)
    return Movements(m.select(keep_customer[m.cust]), movements.definitions)


# --- the segment table -----------------------------------------------------------------------


def _same_customers(index: pd.Index, m: MovementArrays) -> bool:
    """Whether ``index`` lists exactly the customers of ``m``, in their order (the usual case:
    labels made from the same lines), so that no id needs to be looked up."""
    if len(index) != len(m.customers):
        return False
    try:
        return bool(index.equals(pd.Index(m.customers)))
    except TypeError:
        return False


def _group_codes(m: MovementArrays, groups: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Group number of every customer of ``m`` (customers without a label go to MISSING)."""
    if not isinstance(groups, pd.Series):
        raise ValueError("groups must be a Series of labels indexed by customer_id")
    if isinstance(groups.dtype, pd.CategoricalDtype) and _same_customers(groups.index, m):
        # Labels of the same customers in the same order (segment_labels of these lines): map
        # the few categories, not every customer.
        cat_text = _as_labels(pd.Series(groups.cat.categories, dtype=object)).to_numpy(dtype=object)
        codes = groups.cat.codes.to_numpy()
        present = np.unique(codes)
        used = [cat_text[c] for c in present if c >= 0] + ([MISSING] if (present < 0).any() else [])
        names = sorted(set(used), key=natural_key)
        position = {name: i for i, name in enumerate(names)}
        lookup = np.array([position.get(x, -1) for x in cat_text] or [0], dtype=np.int64)
        missing = names.index(MISSING) if MISSING in names else 0
        return np.where(codes >= 0, lookup[np.maximum(codes, 0)], missing).astype(np.int64), names
    labels = groups.copy()
    labels.index = labels.index.astype("str")
    if labels.index.has_duplicates:
        raise ValueError("groups has duplicated customer ids in its index")
    text = _as_labels(labels)
    aligned = text.reindex(pd.Index(np.asarray(m.customers, dtype=object), dtype="str"))
    aligned = aligned.fillna(MISSING)
    names = sorted(aligned.unique(), key=natural_key)
    codes = pd.Categorical(aligned, categories=names).codes.astype(np.int64)
    return codes, names


def _period_months(m: MovementArrays, start, end) -> tuple[int, int]:
    s, e = _month(start, "start"), _month(end, "end")
    if e < s:
        raise ValueError(f"end ({end}) is before start ({start})")
    as_of_month = int(month_of(np.array([m.as_of]))[0])
    if e > as_of_month:
        raise ValueError(f"end ({period(e)}) is after the data's as_of month ({period(as_of_month)})")
    return s, e


SEGMENT_COLUMNS = (
    "customers", "mrr", "mrr_share", "arpa",
    "start_customers", "churned", "churn_rate", "churn_low", "churn_high", "churn_vs_rest",
    "churn_p", "churn_test",
    "expanded", "expansion_share", "expansion_low", "expansion_high", "expansion_vs_rest",
    "expansion_p", "expansion_test",
    "start_mrr", "nrr", "nrr_low", "nrr_high", "nrr_vs_rest", "nrr_p",
    "grr", "grr_low", "grr_high", "grr_vs_rest", "grr_p",
    "expansion_mrr", "churned_mrr",
)


def segment_table(data, groups: pd.Series, start, end, confidence: float = 0.95,
                  definitions=None) -> pd.DataFrame:
    """Per group: size, MRR, churn, expansion and retention over months ``start..end``, each rate
    with its interval and a test of difference from the rest of the customers.

    Parameters
    ----------
    data : Movements or DataFrame
        :func:`mrrkit.movements` or canonical lines.
    groups : Series
        Label of each customer, indexed by ``customer_id`` (e.g. a column of
        :func:`segment_labels`); customers without a label form the ``MISSING`` group.
    start, end : month
        First and last month of the period; the base is the end of month ``start - 1``.
    confidence : float
        Of the intervals.
    definitions : Definitions or str, optional
        For lines: the definitions of their movements (:class:`mrrkit.Definitions`; movements
        keep theirs): churn and expansion are counted from the movements they classify.

    Returns
    -------
    DataFrame indexed by group label (natural order), columns ``SEGMENT_COLUMNS``:

    - ``customers``, ``mrr``, ``mrr_share``, ``arpa``: at the end of ``end``.
    - ``start_customers``: paying at the base; ``churned``: of those, paying nothing at the end
      of ``end``; ``churn_rate = churned / start_customers`` with Wilson ``churn_low/high``;
      ``churn_vs_rest``: the rate over the rest's rate; ``churn_p``/``churn_test``: see
      :func:`proportion_test`.
    - ``expanded``: of the ``start_customers``, those with an expansion movement in the period;
      ``expansion_share`` and its interval, ratio and test likewise.
    - ``start_mrr``: MRR at the base; ``nrr``/``grr``: :func:`mrrkit.nrr`/:func:`mrrkit.grr`
      from the base to the end of ``end``, with delta-method intervals (:func:`ratio_interval`);
      ``nrr_vs_rest``: difference from the rest in rate points; ``nrr_p``: z-test p-value.
    - ``expansion_mrr``: expansion movements dated in the period; ``churned_mrr``: MRR lost to
      churn movements dated in the period (positive).
    """
    m = movements_of(data, definitions=definitions).arrays
    s, e = _period_months(m, start, end)
    code, names = _group_codes(m, groups)
    k = len(names)
    base = mrr_at_month_end(m, s - 1) / MICROS
    final = mrr_at_month_end(m, e) / MICROS
    mon = month_of(m.day)
    in_period = (mon >= s) & (mon <= e)
    expanded = np.zeros(len(code), bool)
    expanded[m.cust[in_period & (m.kind == EXPANSION)]] = True
    amount = m.amount / MICROS
    exp_mrr = np.bincount(
        code[m.cust[in_period & (m.kind == EXPANSION)]],
        weights=amount[in_period & (m.kind == EXPANSION)], minlength=k,
    )
    churn_rows = in_period & (m.kind == CHURN)
    churn_mrr = -np.bincount(code[m.cust[churn_rows]], weights=amount[churn_rows], minlength=k)

    paying_end = final > 0
    at_base = base > 0
    churned = at_base & ~paying_end
    rows = {}
    total_mrr = final.sum()
    for g, name in enumerate(names):
        member = code == g
        rest = ~member
        n1, n2 = int((at_base & member).sum()), int((at_base & rest).sum())
        c1, c2 = int((churned & member).sum()), int((churned & rest).sum())
        x1, x2 = int((expanded & at_base & member).sum()), int((expanded & at_base & rest).sum())
        cust = int((paying_end & member).sum())
        mrr = float(final[member].sum())
        row = {
            "customers": cust,
            "mrr": mrr,
            "mrr_share": mrr / total_mrr if total_mrr else np.nan,
            "arpa": mrr / cust if cust else np.nan,
            "start_customers": n1,
        }
        for prefix, y1, y2 in (("churn", c1, c2), ("expansion", x1, x2)):
            rate = y1 / n1 if n1 else np.nan
            rest_rate = y2 / n2 if n2 else np.nan
            low, high = wilson_interval(y1, n1, confidence)
            p, test = proportion_test(y1, n1, y2, n2)
            with np.errstate(divide="ignore", invalid="ignore"):
                vs = rate / rest_rate if rest_rate else (np.nan if rate != rate or rate == 0 else np.inf)
            key = "churn_rate" if prefix == "churn" else "expansion_share"
            row.update({
                ("churned" if prefix == "churn" else "expanded"): y1,
                key: rate,
                f"{prefix}_low": low,
                f"{prefix}_high": high,
                f"{prefix}_vs_rest": vs,
                f"{prefix}_p": p,
                f"{prefix}_test": test,
            })
        g_base, r_base = at_base & member, at_base & rest
        row["start_mrr"] = float(base[g_base].sum())
        for name_, capped in (("nrr", False), ("grr", True)):
            end_g = np.minimum(final, base) if capped else final
            r1, se1, (lo, hi) = ratio_interval(end_g[g_base], base[g_base], confidence)
            r2, se2, _ = ratio_interval(end_g[r_base], base[r_base], confidence)
            row.update({
                name_: r1,
                f"{name_}_low": lo,
                f"{name_}_high": hi,
                f"{name_}_vs_rest": r1 - r2,
                f"{name_}_p": _ratio_test(r1, se1, r2, se2),
            })
        row["expansion_mrr"] = float(exp_mrr[g])
        row["churned_mrr"] = float(churn_mrr[g])
        rows[name] = row
    out = pd.DataFrame.from_dict(rows, orient="index", columns=list(SEGMENT_COLUMNS))
    out.index = pd.Index(out.index, dtype="str", name=groups.name or "segment")
    for col in ("customers", "start_customers", "churned", "expanded"):
        out[col] = out[col].astype("int64")
    for col in ("churn_test", "expansion_test"):
        out[col] = out[col].astype("str")
    out.attrs["start"], out.attrs["end"] = period(s), period(e)
    return out


def churn_reasons(lines: pd.DataFrame, data=None, column: str = "churn_reason") -> pd.Series:
    """The reason recorded with each churn: that of the subscription lines that ended with it.

    A churn is a day ``d`` on which a customer's MRR falls to 0, so lines of that customer end on
    ``d``. Its reason is read from those lines only: the ones with ``end == d``, billed before
    (``start < end``) and worth something (``mrr`` above a millionth). Lines with a blank reason
    are passed over; if the ending lines disagree, the reason of the largest one (by ``mrr``;
    ties: the line further down the frame) is the churn's. A churn whose ending lines carry no
    reason at all gets ``MISSING``. The customer's *latest* attribute plays no part: a customer
    who churned for "budget", came back and churned again for "competitor" has one churn under
    each reason. A reason set on every line of a customer (e.g. joined from a customers file)
    gives that reason to each of its churns.

    Parameters
    ----------
    lines : DataFrame
        Canonical lines with the ``column`` attribute.
    data : Movements, optional
        The :func:`mrrkit.movements` of ``lines`` (possibly filtered to some customers);
        computed from ``lines`` when omitted. Only its churn movements are used.
    column : str
        The lines' churn-reason column.

    Returns
    -------
    Series named ``column``, one text label per churn movement (blank -> ``MISSING``), indexed by
    a ``(customer_id, date)`` MultiIndex, in movement order: what :func:`churn_by_reason` and
    :func:`churn_reason_by_month` take.

    Examples
    --------
    >>> lines = pd.DataFrame({
    ...     "customer_id": ["a", "a", "a", "b"],
    ...     "start": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-05-01", "2024-01-01"]),
    ...     "end": pd.to_datetime(["2024-03-01", "2024-03-01", "2024-07-01", "2024-02-01"]),
    ...     "mrr": [10.0, 50.0, 20.0, 5.0],
    ...     "churn_reason": ["price", "budget", "competitor", None],
    ... })
    >>> churn_reasons(lines)
    customer_id  date
    a            2024-03-01        budget
                 2024-07-01    competitor
    b            2024-02-01        (none)
    Name: churn_reason, dtype: str
    """
    if column not in lines.columns:
        raise ValueError(
            f"lines have no {column!r} column to read churn reasons from (got {list(lines.columns)})"
        )
    enc = validate_lines(lines)
    m = movements_of(lines if data is None else data).arrays
    rows = np.flatnonzero(m.kind == CHURN)
    text = _as_labels(lines[column]).to_numpy(dtype=object)
    # Lines that can end a churn and carry a reason, keyed by (customer number, end day).
    usable = (enc.end != EncodedLines.OPEN) & (enc.start < enc.end) & (enc.mrr > 0) & (text != MISSING)
    pos = np.flatnonzero(usable)
    # The churn's customers numbered as the lines' customers (the ids are the same text).
    cust_map = _positions(m.customers, enc.customers)
    churn_code = cust_map[m.cust[rows]] if len(rows) else np.zeros(0, np.int64)
    churn_day = m.day[rows]
    reason = np.full(len(rows), MISSING, dtype=object)
    if len(pos) and len(rows):
        code, day, mrr = enc.code[pos], enc.end[pos], enc.mrr[pos]
        # Largest line last within each (customer, day), ties: the later row.
        order = np.lexsort((pos, mrr, day, code))
        code, day, pick = code[order], day[order], pos[order]
        last = np.append((code[1:] != code[:-1]) | (day[1:] != day[:-1]), True)
        code, day, pick = code[last], day[last], pick[last]
        lo = int(min(day.min(), churn_day.min()))
        span = int(max(day.max(), churn_day.max())) - lo + 1
        keys = code * span + (day - lo)
        wanted = churn_code * span + (churn_day - lo)
        at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
        found = (keys[at] == wanted) & (churn_code >= 0)
        reason[found] = text[pick[at[found]]]
    index = pd.MultiIndex.from_arrays(
        [
            pd.Index(np.asarray(m.customers, dtype=object)[m.cust[rows]], dtype="str"),
            pd.Index((np.datetime64("1970-01-01", "D") + churn_day.astype("timedelta64[D]"))
                     .astype("datetime64[s]")),
        ],
        names=["customer_id", "date"],
    )
    return pd.Series(reason, index=index, dtype="str", name=column)


def _arrow_text(values) -> pa.Array:
    """Text values as one Arrow string array (no copy when they already are Arrow strings)."""
    arr = getattr(getattr(values, "array", values), "_pa_array", None)
    if arr is None:
        arr = pa.array(np.asarray(values, dtype=object), type=pa.string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr.cast(pa.string())


def _positions(values, universe) -> np.ndarray:
    """Position of each of ``values`` in ``universe`` (distinct ids), -1 where absent; hashed by
    Arrow (a pandas lookup of 200,000 text ids costs ten times more).

    >>> _positions(pd.Index(["b", "z", "a"]), pd.array(["a", "b", "c"], dtype="str")).tolist()
    [1, -1, 0]
    """
    found = pc.index_in(_arrow_text(values), value_set=_arrow_text(universe))
    return np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)


def _reason_codes(m: MovementArrays, rows: np.ndarray, reasons: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Reason number of each churn movement ``rows`` (positions in ``m``) and the reason names.

    ``reasons`` is either :func:`churn_reasons` (one reason per churn, keyed by customer and
    date) or one reason per customer (indexed by ``customer_id``: every churn of a customer
    under that reason). A churn with no reason goes to ``MISSING``.
    """
    if not isinstance(reasons, pd.Series):
        raise ValueError("reasons must be a Series (see churn_reasons)")
    if not isinstance(reasons.index, pd.MultiIndex):
        code, names = _group_codes(m, reasons)
        return code[m.cust[rows]], names
    if reasons.index.nlevels != 2:
        raise ValueError("reasons by churn must be indexed by (customer_id, date)")
    text = _as_labels(reasons.reset_index(drop=True)).to_numpy(dtype=object)
    ids, dates = reasons.index.levels
    id_codes, date_codes = reasons.index.codes
    cust_map = _positions(ids, m.customers)
    day_of = (np.asarray(pd.DatetimeIndex(dates).to_numpy()).astype("datetime64[D]")
              - np.datetime64("1970-01-01", "D")).astype(np.int64)
    r_cust = cust_map[id_codes]
    r_day = day_of[date_codes]
    keep = r_cust >= 0  # reasons of customers not in these movements
    r_cust, r_day, r_text = r_cust[keep], r_day[keep], text[keep]
    c_cust, c_day = m.cust[rows], m.day[rows]
    label = np.full(len(rows), MISSING, dtype=object)
    if len(r_cust) and len(rows):
        lo = int(min(r_day.min(), c_day.min()))
        span = int(max(r_day.max(), c_day.max())) - lo + 1
        keys = r_cust * span + (r_day - lo)
        order = np.argsort(keys, kind="stable")
        keys, r_text = keys[order], r_text[order]
        wanted = c_cust * span + (c_day - lo)
        at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
        found = keys[at] == wanted
        label[found] = r_text[at[found]]
    names = sorted(set(text.tolist()) | set(label.tolist()), key=natural_key)
    codes = pd.Categorical(label, categories=names).codes.astype(np.int64)
    return codes, names


def churn_by_reason(data, reasons: pd.Series, start, end, groups: pd.Series | None = None):
    """MRR lost to churn movements dated in months ``start..end``, by churn reason.

    Parameters
    ----------
    reasons : Series
        The reason of each churn, :func:`churn_reasons` (the reason recorded on the lines that
        ended with it); or one reason per customer indexed by ``customer_id`` (then every churn
        of a customer counts under that one reason). Blank -> ``MISSING``.
    groups : Series, optional
        Customer labels as in :func:`segment_table`: then one row per group.

    Returns
    -------
    DataFrame, one column per reason (natural order), positive amounts; one row ``"all"`` or one
    row per group. The whole frame sums to minus the period's churn MRR.
    """
    m = movements_of(data).arrays
    s, e = _period_months(m, start, end)
    if groups is None:
        gcode, gnames = np.zeros(len(m.customers), np.int64), ["all"]
    else:
        gcode, gnames = _group_codes(m, groups)
    mon = month_of(m.day)
    rows = np.flatnonzero((m.kind == CHURN) & (mon >= s) & (mon <= e))
    rcode, rnames = _reason_codes(m, rows, reasons)
    slot = gcode[m.cust[rows]] * len(rnames) + rcode
    lost = -np.bincount(slot, weights=m.amount[rows] / MICROS, minlength=len(gnames) * len(rnames))
    out = pd.DataFrame(lost.reshape(len(gnames), len(rnames)), index=gnames, columns=rnames) + 0.0
    out.index.name = "segment" if groups is None else (groups.name or "segment")
    out.columns.name = reasons.name or "churn_reason"
    return out


def churn_reason_by_month(data, reasons: pd.Series, start, end) -> pd.DataFrame:
    """MRR lost to churn each month of ``start..end`` by churn reason (positive amounts).

    ``reasons`` as in :func:`churn_by_reason` (normally :func:`churn_reasons`).

    Returns
    -------
    DataFrame indexed by ``month`` (every month of the period), one column per reason. Each row
    sums to ``-monthly(data)["churn"]`` of that month.
    """
    m = movements_of(data).arrays
    s, e = _period_months(m, start, end)
    mon = month_of(m.day)
    rows = np.flatnonzero((m.kind == CHURN) & (mon >= s) & (mon <= e))
    rcode, rnames = _reason_codes(m, rows, reasons)
    nm = e - s + 1
    slot = (mon[rows] - s) * len(rnames) + rcode
    lost = -np.bincount(slot, weights=m.amount[rows] / MICROS, minlength=nm * len(rnames))
    out = pd.DataFrame(
        lost.reshape(nm, len(rnames)) + 0.0,
        index=pd.PeriodIndex.from_ordinals(np.arange(s, e + 1), freq="M", name="month"),
        columns=pd.Index(rnames, name=reasons.name or "churn_reason"),
    )
    return out
