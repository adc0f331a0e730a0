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
from .stats import (  # noqa: F401 - ratio_interval: imported from here too
    _ratio_test,
    proportion_test,
    ratio_interval,
    ratio_interval_of_sums,
    wilson_interval,
)

__all__ = [
    "IDENTITY_COLUMNS",
    "MEASURE_COLUMNS",
    "MISSING",
    "NOTE_COLUMNS",
    "PREFERRED_DIMENSIONS",
    "SEGMENT_COLUMNS",
    "SEGMENT_SUMS",
    "churn_by_reason",
    "churn_reason_by_month",
    "churn_reasons",
    "customer_mask",
    "filter_movements",
    "lost_by_month_table",
    "lost_by_reason_table",
    "natural_key",
    "segment_columns",
    "segment_labels",
    "segment_sums",
    "segment_table",
    "segment_table_of_sums",
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

#: What :func:`segment_table` is made of: per group, sums over its customers that add up over
#: customers (counts, and money in integer micros), so that a database can compute them
#: (:func:`mrrkit.sql.segment_table`) and :func:`segment_table_of_sums` finish both engines' the
#: same way. ``base`` is a customer's MRR at the end of month ``start - 1``, ``final`` at the end
#: of ``end``, ``kept = min(final, base)``; the ``start_*``, ``end_*`` and ``kept_*`` sums are
#: over the customers paying at the base (``base > 0``), the second moments (``*_sq``, products)
#: give the ratio intervals of NRR and GRR exactly.
SEGMENT_SUMS = (
    "customers",        # final > 0
    "mrr",              # sum of final
    "start_customers",  # base > 0
    "churned",          # base > 0 and final <= 0
    "expanded",         # base > 0 and an expansion movement in the period
    "start_mrr",        # sum of base
    "end_mrr",          # sum of final
    "kept_mrr",         # sum of kept
    "start_sq",         # sum of base * base
    "end_start",        # sum of final * base
    "end_sq",           # sum of final * final
    "kept_start",       # sum of kept * base
    "kept_sq",          # sum of kept * kept
    "expansion_mrr",    # expansion movements dated in the period, every customer
    "churned_mrr",      # minus the churn movements dated in the period, every customer
)

_LIMB = 21
#: Rows summed in int64 at a time: a sum of three products of 21-bit limbs is below 2**44.
_CHUNK = 1 << 18


def _limbs(x: np.ndarray) -> list[np.ndarray]:
    mask = (1 << _LIMB) - 1
    return [(x >> (_LIMB * i)) & mask for i in range(3)]


def _group_products(code: np.ndarray, x: np.ndarray, y: np.ndarray, k: int) -> list[int]:
    """``sum(x * y)`` per group ``code`` (``0..k-1``) of int64 arrays, exact (Python ints): a
    product of two MRRs in micros passes int64 from 3,037 currency units, and a float sum would
    depend on the order of the customers, which a database does not keep. The absolute values
    are cut into 21-bit limbs, whose products are summed in int64 by chunks of rows."""
    sign = np.sign(x) * np.sign(y)
    slot = code.astype(np.int64) * 2 + (sign < 0)
    xs, ys = _limbs(np.abs(x).astype(np.int64)), _limbs(np.abs(y).astype(np.int64))
    terms = [sum(xs[i] * ys[s - i] for i in range(3) if 0 <= s - i < 3) for s in range(5)]
    totals = [0] * (2 * k)
    for lo in range(0, len(slot), _CHUNK):
        part = slot[lo:lo + _CHUNK]
        for s, term in enumerate(terms):
            sums = np.zeros(2 * k, np.int64)
            np.add.at(sums, part, term[lo:lo + _CHUNK])
            for g in np.flatnonzero(sums):
                totals[g] += int(sums[g]) << (_LIMB * s)
    return [totals[2 * g] - totals[2 * g + 1] for g in range(k)]


def _group_sum(code: np.ndarray, values: np.ndarray, k: int) -> np.ndarray:
    out = np.zeros(k, np.int64)
    np.add.at(out, code, values.astype(np.int64))
    return out


def segment_sums(data, groups: pd.Series, start, end, definitions=None) -> pd.DataFrame:
    """The sums :func:`segment_table` is made of (:data:`SEGMENT_SUMS`), per group.

    Parameters are those of :func:`segment_table`.

    Returns
    -------
    DataFrame indexed by group label (natural order, named as ``groups``), one column per
    :data:`SEGMENT_SUMS`, Python integers (counts, integer micros); ``attrs`` hold the period.

    Examples
    --------
    >>> from mrrkit import movements
    >>> lines = pd.DataFrame({"customer_id": ["a", "b"], "mrr": [10.0, 20.0],
    ...                       "start": pd.to_datetime(["2024-01-01", "2024-01-01"]),
    ...                       "end": pd.to_datetime([None, "2024-03-01"])})
    >>> groups = pd.Series(["x", "y"], index=pd.Index(["a", "b"], name="customer_id"))
    >>> segment_sums(movements(lines), groups, "2024-02", "2024-03")[
    ...     ["start_customers", "churned", "start_mrr", "churned_mrr"]]
            start_customers churned start_mrr churned_mrr
    segment
    x                     1       0  10000000           0
    y                     1       1  20000000    20000000
    """
    m = movements_of(data, definitions=definitions).arrays
    s, e = _period_months(m, start, end)
    code, names = _group_codes(m, groups)
    k = len(names)
    base = mrr_at_month_end(m, s - 1)
    final = mrr_at_month_end(m, e)
    mon = month_of(m.day)
    in_period = (mon >= s) & (mon <= e)
    expansion_rows = in_period & (m.kind == EXPANSION)
    churn_rows = in_period & (m.kind == CHURN)
    expanded = np.zeros(len(code), bool)
    expanded[m.cust[expansion_rows]] = True
    amount = m.after - m.before
    at_base = base > 0
    paying_end = final > 0
    kept = np.minimum(final, base)
    b_code = code[at_base]
    b, f, c = base[at_base], final[at_base], kept[at_base]
    sums = {
        "customers": np.bincount(code[paying_end], minlength=k),
        "mrr": _group_sum(code, final, k),
        "start_customers": np.bincount(b_code, minlength=k),
        "churned": np.bincount(code[at_base & ~paying_end], minlength=k),
        "expanded": np.bincount(code[at_base & expanded], minlength=k),
        "start_mrr": _group_sum(b_code, b, k),
        "end_mrr": _group_sum(b_code, f, k),
        "kept_mrr": _group_sum(b_code, c, k),
        "start_sq": _group_products(b_code, b, b, k),
        "end_start": _group_products(b_code, f, b, k),
        "end_sq": _group_products(b_code, f, f, k),
        "kept_start": _group_products(b_code, c, b, k),
        "kept_sq": _group_products(b_code, c, c, k),
        "expansion_mrr": _group_sum(code[m.cust[expansion_rows]], amount[expansion_rows], k),
        "churned_mrr": -_group_sum(code[m.cust[churn_rows]], amount[churn_rows], k),
    }
    out = pd.DataFrame({name: pd.Series([int(v) for v in sums[name]], dtype=object)
                        for name in SEGMENT_SUMS})
    out.index = pd.Index(names, dtype="str", name=groups.name or "segment")
    out.attrs["start"], out.attrs["end"] = period(s), period(e)
    return out


def segment_table_of_sums(sums: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """:func:`segment_table` from its sums (:func:`segment_sums`, or a database's
    :func:`mrrkit.sql.segment_table`): every rate, interval and test, the same for both engines.

    Each group is compared with the rest: the sums of every other group.
    """
    as_int = {name: [int(v) for v in sums[name]] for name in SEGMENT_SUMS}
    total = {name: sum(values) for name, values in as_int.items()}
    rows = {}
    for g, label in enumerate(sums.index):
        own = {name: values[g] for name, values in as_int.items()}
        rest = {name: total[name] - own[name] for name in SEGMENT_SUMS}
        n1, n2 = own["start_customers"], rest["start_customers"]
        cust = own["customers"]
        mrr = own["mrr"] / MICROS
        row = {
            "customers": cust,
            "mrr": mrr,
            "mrr_share": own["mrr"] / total["mrr"] if total["mrr"] else np.nan,
            "arpa": mrr / cust if cust else np.nan,
            "start_customers": n1,
        }
        for prefix, count in (("churn", "churned"), ("expansion", "expanded")):
            y1, y2 = own[count], rest[count]
            rate = y1 / n1 if n1 else np.nan
            rest_rate = y2 / n2 if n2 else np.nan
            low, high = wilson_interval(y1, n1, confidence)
            p, test = proportion_test(y1, n1, y2, n2)
            with np.errstate(divide="ignore", invalid="ignore"):
                vs = rate / rest_rate if rest_rate else (np.nan if rate != rate or rate == 0 else np.inf)
            key = "churn_rate" if prefix == "churn" else "expansion_share"
            row.update({
                count: y1,
                key: rate,
                f"{prefix}_low": low,
                f"{prefix}_high": high,
                f"{prefix}_vs_rest": vs,
                f"{prefix}_p": p,
                f"{prefix}_test": test,
            })
        row["start_mrr"] = own["start_mrr"] / MICROS
        for name, end in (("nrr", "end"), ("grr", "kept")):
            r1, se1, (lo, hi) = ratio_interval_of_sums(
                n1, own[f"{end}_mrr"], own["start_mrr"], own[f"{end}_sq"],
                own[f"{end}_start"], own["start_sq"], confidence)
            r2, se2, _ = ratio_interval_of_sums(
                n2, rest[f"{end}_mrr"], rest["start_mrr"], rest[f"{end}_sq"],
                rest[f"{end}_start"], rest["start_sq"], confidence)
            row.update({
                name: r1,
                f"{name}_low": lo,
                f"{name}_high": hi,
                f"{name}_vs_rest": r1 - r2,
                f"{name}_p": _ratio_test(r1, se1, r2, se2),
            })
        row["expansion_mrr"] = own["expansion_mrr"] / MICROS
        row["churned_mrr"] = own["churned_mrr"] / MICROS
        rows[label] = row
    out = pd.DataFrame.from_dict(rows, orient="index", columns=list(SEGMENT_COLUMNS))
    out.index = pd.Index(list(sums.index), dtype="str", name=sums.index.name or "segment")
    for col in ("customers", "start_customers", "churned", "expanded"):
        out[col] = out[col].astype("int64")
    for col in ("churn_test", "expansion_test"):
        out[col] = out[col].astype("str")
    for name in ("start", "end"):
        if name in sums.attrs:
            out.attrs[name] = sums.attrs[name]
    return out


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
    return segment_table_of_sums(segment_sums(data, groups, start, end, definitions), confidence)


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
    lost = -_group_sum(slot, m.after[rows] - m.before[rows], len(gnames) * len(rnames))
    return lost_by_reason_table(lost.reshape(len(gnames), len(rnames)), gnames, rnames,
                                "segment" if groups is None else (groups.name or "segment"),
                                reasons.name or "churn_reason")


def lost_by_reason_table(lost: np.ndarray, groups: list[str], reasons: list[str],
                         name: str = "segment", column: str = "churn_reason") -> pd.DataFrame:
    """:func:`churn_by_reason`'s frame from the MRR lost per group and reason in integer micros
    (``lost[group, reason]``, positive), as both engines sum it."""
    out = pd.DataFrame(np.asarray(lost, np.int64) / MICROS + 0.0, index=groups, columns=reasons)
    out.index.name = name
    out.columns.name = column
    return out


def lost_by_month_table(lost: np.ndarray, first: int, reasons: list[str],
                        column: str = "churn_reason") -> pd.DataFrame:
    """:func:`churn_reason_by_month`'s frame from the MRR lost per month (from the month ordinal
    ``first``) and reason in integer micros (``lost[month, reason]``, positive)."""
    lost = np.asarray(lost, np.int64)
    return pd.DataFrame(
        lost / MICROS + 0.0,
        index=pd.PeriodIndex.from_ordinals(np.arange(first, first + lost.shape[0]), freq="M",
                                           name="month"),
        columns=pd.Index(reasons, name=column),
    )


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
    lost = -_group_sum(slot, m.after[rows] - m.before[rows], nm * len(rnames))
    return lost_by_month_table(lost.reshape(nm, len(rnames)), s, rnames,
                               reasons.name or "churn_reason")
