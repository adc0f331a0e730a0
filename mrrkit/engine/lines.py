"""Canonical subscription lines: validation and the compact encoding the engine works on.

A *line* is one row ``customer_id, start, end, mrr``: the customer pays ``mrr`` per month on every
day ``d`` with ``start <= d < end`` (``end`` empty = still running). The optional dates of
:data:`LINE_DATES` say what happened to the line's subscription (a cancellation asked, a pause, a
renewal not paid); any other column is a customer attribute (see :func:`customer_attributes`).

Money is handled internally as integer *millionths* of the currency unit ("micros"). Sums of
integers are exact, so a plan switch that ends one line and starts another the same day nets out
to exactly zero and ``MRR(M) = MRR(M-1) + net_new(M)`` holds to the last digit. The rounding
(half a millionth at most per line) is far below a cent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "ENGINE_DATES",
    "LINE_COLUMNS",
    "LINE_DATES",
    "LINE_DISCOUNTS",
    "MICROS",
    "validate_lines",
    "customer_attributes",
]

#: The columns every canonical lines frame has.
LINE_COLUMNS = ("customer_id", "start", "end", "mrr")

#: Optional dates a line may carry (issue 14), each a datetime column, NaT where the row had none:
#: ``canceled_at`` (the cancellation was asked: the line may run on to the end of the paid
#: period), ``paused_at`` (a pause began or begins), ``resumes_at`` (the pause ends),
#: ``delinquent_since`` (the first renewal not paid). They describe the line, never the customer:
#: no attribute, no segment (:func:`customer_attributes` leaves them out), and the MRR never reads
#: them (the definitions that may, issue 15, choose from them).
LINE_DATES = ("canceled_at", "paused_at", "resumes_at", "delinquent_since")

#: Optional line amounts (issue 15): the discounts already taken off the line's ``mrr``, per
#: month, as positive amounts: ``recurring_discount`` lasts as long as the line (a "forever"
#: coupon, a negotiated price), ``one_time_discount`` for a limited time (a promotion, a
#: coupon for some months). Only another tool's definitions read them (``discounts``); they are
#: measures, never segments.
LINE_DISCOUNTS = ("recurring_discount", "one_time_discount")

#: Internal money unit: one currency unit is this many integer micros.
MICROS = 1_000_000

# Totals above this would overflow int64 micros (9.2e12 currency units); refuse rather than wrap.
_MAX_ABS_TOTAL = 9.0e12

_EPOCH = np.datetime64("1970-01-01", "D")

#: The days the engine computes on, both included: every line's ``start`` and the as-of day must
#: be in them. A date outside is a typo or a placeholder (``9999-01-01``, ``1678-01-01``) that
#: would stretch monthly tables and cohort grids over tens of thousands of months, so
#: :func:`validate_lines` refuses it with the column's name rather than compute for minutes. An
#: ``end`` after them is fine (``9999-12-31`` is a common "never") as long as the as-of day is
#: given or comes from other dates. The readers hold files to a narrower window
#: (:func:`mrrkit.io.window.date_window`: from 1990 to 10 years ahead by default).
ENGINE_DATES = (pd.Timestamp("1900-01-01"), pd.Timestamp("2199-12-31"))
_FIRST_DAY = int((np.datetime64("1900-01-01", "D") - _EPOCH).astype(np.int64))
_LAST_DAY = int((np.datetime64("2199-12-31", "D") - _EPOCH).astype(np.int64))
_OUTSIDE = (
    "outside {first} to {last}, the dates mrrkit computes on (mrrkit.engine.lines.ENGINE_DATES): a "
    "typo or a placeholder such as 9999-01-01 would make monthly tables and cohort grids of "
    "thousands of months"
)


def outside_engine_dates(days: np.ndarray) -> np.ndarray:
    """Which day numbers (days since 1970-01-01, as :class:`EncodedLines` holds them) are
    outside :data:`ENGINE_DATES`; the open-end sentinel counts as outside."""
    days = np.asarray(days)
    return (days < _FIRST_DAY) | (days > _LAST_DAY)


def outside_message(subject: str) -> str:
    """``subject`` is outside the engine's dates, and why that is refused."""
    first, last = (d.date() for d in ENGINE_DATES)
    return f"{subject} " + _OUTSIDE.format(first=first, last=last)


def _rows(mask: np.ndarray, limit: int = 5) -> str:
    """Human list of the first offending row positions (0-based, as in ``df.iloc``)."""
    idx = np.flatnonzero(mask)
    shown = ", ".join(str(i) for i in idx[:limit])
    more = f" and {len(idx) - limit} more" if len(idx) > limit else ""
    return f"{len(idx)} row(s) (positions {shown}{more})"


def _to_days(col: pd.Series, name: str, allow_missing: bool) -> np.ndarray:
    """Convert a date column to int64 days since 1970-01-01; missing -> INT64 max sentinel."""
    s = col
    if not pd.api.types.is_datetime64_any_dtype(s.dtype):
        if pd.api.types.is_numeric_dtype(s.dtype) and not s.isna().all():
            raise ValueError(
                f"column {name!r} holds numbers, not dates; convert it first "
                f"(e.g. pd.to_datetime(df[{name!r}], unit='s') for Unix timestamps)"
            )
        try:
            s = pd.to_datetime(s, format="ISO8601")
        except (ValueError, TypeError) as exc:
            raise ValueError(
                f"column {name!r} must hold dates (datetime64 or ISO 'YYYY-MM-DD' text): {exc}"
            ) from None
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        # A billing timestamp's calendar day is the day in its own zone; drop the zone, keep the day.
        s = s.dt.tz_localize(None)
    missing = s.isna().to_numpy()
    if missing.any() and not allow_missing:
        raise ValueError(f"column {name!r} has missing dates in {_rows(missing)}")
    # Straight to days (not via nanoseconds, which end in 2262: '9999-12-31' is a real end date).
    days = np.asarray(s.to_numpy()).astype("datetime64[D]")
    out = (days - _EPOCH).astype(np.int64)
    if missing.any():
        out[missing] = np.iinfo(np.int64).max
    return out


@dataclass(frozen=True)
class EncodedLines:
    """Lines reduced to arrays, customers numbered in sorted ``customer_id`` order.

    Attributes
    ----------
    customers : pandas str array of the distinct customer ids, sorted.
    code : int64 per line, index into ``customers``.
    start, end : int64 days since 1970-01-01; ``end`` is ``OPEN`` for a running line.
    mrr : int64 micros per line.
    """

    customers: pd.api.extensions.ExtensionArray
    code: np.ndarray
    start: np.ndarray
    end: np.ndarray
    mrr: np.ndarray

    OPEN = np.iinfo(np.int64).max


# Ids up to this many bytes are ranked as integers (see _id_words); longer ones by Arrow.
_MAX_WORD_ID_BYTES = 64

# _WORD_MASK[b] keeps the first b bytes of a big-endian 8-byte word.
_WORD_MASK = np.array(
    [((1 << (8 * b)) - 1) << (8 * (8 - b)) for b in range(9)], dtype=np.uint64
)


def _id_words(arr: pa.Array) -> list[np.ndarray] | None:
    """The ids as integer words whose lexicographic order is the ids' text order, or None.

    Each word holds 8 consecutive bytes of each id, zero-padded and read big-endian, so words
    compare as the bytes do; UTF-8 byte order is code point order, i.e. Python's str order.
    Padding makes "ab" and "ab\\x00" equal, so when lengths differ a last word, the length,
    breaks such ties (the shorter id comes first, as in text order). Ids over 64 bytes give None.
    """
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return None
    n = len(arr)
    offset_type = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    offsets = np.frombuffer(arr.buffers()[1], dtype=offset_type)[arr.offset : arr.offset + n + 1]
    lengths = np.diff(offsets).astype(np.int64)
    longest = int(lengths.max())
    if longest > _MAX_WORD_ID_BYTES:
        return None
    buffer = arr.buffers()[2]  # None when every id is empty
    data = np.frombuffer(buffer, dtype=np.uint8) if buffer else np.zeros(0, np.uint8)
    data = data[offsets[0] : offsets[-1]]
    same_length = bool((lengths == longest).all())
    if same_length:
        # Ids of one length lie back to back. A prefix they all share (such as "cus_") orders
        # nothing, so skip it; read the rest 8 bytes at a time through strided views.
        table = data.reshape(n, longest)
        skip = 0
        while skip < longest and not (table[:, skip] != table[0, skip]).any():
            skip += 1
        rest = longest - skip
        n_words = max(1, -(-rest // 8))
        source = data
        if skip + 8 * n_words > longest:  # the last word runs past the end of the last id
            source = np.zeros(len(data) + 8, np.uint8)
            source[: len(data)] = data
        return [
            np.ndarray((n,), dtype=">u8", buffer=source, offset=skip + 8 * j, strides=(longest,))
            .astype(np.uint64) & _WORD_MASK[min(rest - 8 * j, 8)]
            for j in range(n_words)
        ]
    n_words = max(1, -(-longest // 8))
    # Read 8 bytes at any byte offset through a view with a stride of one byte; the zero tail
    # keeps the last reads inside the buffer.
    padded = np.zeros(len(data) + 8, np.uint8)
    padded[: len(data)] = data
    at_byte = np.ndarray((len(data) + 1,), dtype=">u8", buffer=padded, strides=(1,))
    first = offsets[:-1] - offsets[0]
    words = []
    for j in range(n_words):
        word = at_byte[np.minimum(first + 8 * j, len(data))].astype(np.uint64)
        word &= _WORD_MASK[np.clip(lengths - 8 * j, 0, 8)]
        words.append(word)
    words.append(lengths.astype(np.uint64))
    return words


def _sort_rows(words: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Order of the rows by their words (lexicographically), and where each distinct row starts.

    Sorts by the first varying word, then re-sorts only the groups still tied whose next word
    differs: for ids that mostly differ early (random ids, UUIDs, numbers) that is a small part
    of the rows, so the cost is about one integer argsort.
    """
    n = len(words[0])
    words = [w for w in words if not (w == w[0]).all()]  # a word shared by all decides nothing
    new = np.zeros(n, bool)
    new[0] = True
    if not words:
        return np.arange(n), new
    head = words[0]
    # Exports are often ordered by customer: then the order is already there.
    order = np.arange(n) if bool((head[1:] >= head[:-1]).all()) else np.argsort(head)
    sorted_head = head[order]
    np.not_equal(sorted_head[1:], sorted_head[:-1], out=new[1:])
    for word in words[1:]:
        ordered = word[order]
        differs = np.empty(n, bool)
        differs[0] = False
        np.not_equal(ordered[1:], ordered[:-1], out=differs[1:])
        tied_but_differs = differs & ~new
        if tied_but_differs.any():
            group = np.cumsum(new) - 1  # tie group of each sorted position
            unsettled = np.zeros(int(group[-1]) + 1, bool)
            unsettled[group[tied_but_differs]] = True
            pos = np.flatnonzero(unsettled[group])  # whole groups, each a contiguous range
            regroup = np.lexsort((ordered[pos], group[pos]))
            order[pos] = order[pos[regroup]]
            ordered = word[order]
            np.not_equal(ordered[1:], ordered[:-1], out=differs[1:])
        new |= differs
    return order, new


def _encode_customers(col: pd.Series) -> tuple[np.ndarray, pd.api.extensions.ExtensionArray]:
    """Number customers 0..n-1 in sorted id order; fast path for input already sorted by id."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        col = col.astype("str")
    elif not pd.api.types.is_string_dtype(col.dtype) or col.dtype == object:
        col = col.astype("str")
    missing = col.isna().to_numpy()
    if missing.any():
        raise ValueError(f"column 'customer_id' has missing values in {_rows(missing)}")
    arr = pa.chunked_array(pa.array(col.array)) if not hasattr(col.array, "_pa_array") else col.array._pa_array
    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    n = len(arr)
    if n == 0:
        return np.zeros(0, np.int64), pd.array([], dtype="str")
    words = _id_words(arr)
    if words is not None:
        # Sorting integers is several times faster than hashing the strings and then sorting the
        # distinct ones with Arrow: 0.2 s instead of 0.6 s (short ids) or 1.8 s (Stripe-like
        # ids) for 2.3M lines.
        order, new = _sort_rows(words)
        code = np.empty(n, np.int64)
        code[order] = np.cumsum(new) - 1
        uniques = pd.array(arr.take(pa.array(order[new])), dtype="str")
        return code, uniques
    # Exports are often ordered by customer: then a linear scan numbers them, no hashing or sort.
    if n > 1 and pc.all(pc.less_equal(arr.slice(0, n - 1), arr.slice(1))).as_py():
        changed = pc.not_equal(arr.slice(1), arr.slice(0, n - 1)).to_numpy(zero_copy_only=False)
        code = np.empty(n, np.int64)
        code[0] = 0
        np.cumsum(changed, out=code[1:])
        first = np.flatnonzero(np.concatenate(([True], changed)))
        uniques = pd.array(arr.take(pa.array(first)), dtype="str")
        return code, uniques
    enc = pc.dictionary_encode(arr)
    order = pc.sort_indices(enc.dictionary).to_numpy()
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order))
    code = rank[enc.indices.to_numpy(zero_copy_only=False)]
    uniques = pd.array(enc.dictionary.take(pa.array(order)), dtype="str")
    return code, uniques


def validate_lines(lines: pd.DataFrame) -> EncodedLines:
    """Check a lines frame and encode it for the engine.

    Raises ``ValueError`` naming the column and the rows at fault: a missing column, a missing
    customer id or start date, a start outside :data:`ENGINE_DATES` (1900 to 2199), a
    non-numeric or missing ``mrr``, an ``end`` before ``start``, a column of :data:`LINE_DATES`
    that holds no dates. Times of day are ignored (a line runs over whole days). The caller's
    frame is not changed.

    Parameters
    ----------
    lines : DataFrame with columns ``customer_id, start, end, mrr``.

    Returns
    -------
    EncodedLines
    """
    if not isinstance(lines, pd.DataFrame):
        raise TypeError(f"lines must be a pandas DataFrame, got {type(lines).__name__}")
    missing_cols = [c for c in LINE_COLUMNS if c not in lines.columns]
    if missing_cols:
        raise ValueError(
            f"lines lack column(s) {missing_cols}; expected {list(LINE_COLUMNS)} "
            f"(got {list(lines.columns)})"
        )
    code, customers = _encode_customers(lines["customer_id"])
    start = _to_days(lines["start"], "start", allow_missing=False)
    far = outside_engine_dates(start)
    if far.any():
        example = _EPOCH + np.timedelta64(int(start[np.flatnonzero(far)[0]]), "D")
        raise ValueError(
            outside_message(f"column 'start' has dates (e.g. {example}) in {_rows(far)}")
            + "; correct or drop those lines (mrrkit.read_export rejects them)"
        )
    end = _to_days(lines["end"], "end", allow_missing=True)
    for name in LINE_DATES:
        if name in lines.columns and not _dates_or_empty(lines[name]):
            raise ValueError(
                f"column {name!r} must hold dates (datetime64, NaT where none), got dtype "
                f"{lines[name].dtype}: convert it with pd.to_datetime"
            )
    for name in LINE_DISCOUNTS:
        if name in lines.columns and not pd.api.types.is_numeric_dtype(lines[name].dtype):
            raise ValueError(
                f"column {name!r} must hold amounts (numbers, NaN where none), got dtype "
                f"{lines[name].dtype}: convert it with pd.to_numeric"
            )
    mrr_col = lines["mrr"]
    if len(mrr_col) == 0:
        mrr_col = mrr_col.astype("float64")  # pd.DataFrame(columns=[...]) has object columns
    if not pd.api.types.is_numeric_dtype(mrr_col.dtype) or pd.api.types.is_bool_dtype(mrr_col.dtype):
        raise ValueError(f"column 'mrr' must be numeric, got dtype {mrr_col.dtype}")
    mrr = mrr_col.to_numpy(dtype="float64", na_value=np.nan)
    bad = ~np.isfinite(mrr)
    if bad.any():
        raise ValueError(f"column 'mrr' has missing or infinite values in {_rows(bad)}")
    if np.abs(mrr).sum() > _MAX_ABS_TOTAL:
        raise ValueError("column 'mrr' sums to more than 9e12: amounts this large are not supported")
    backwards = end < start
    if backwards.any():
        raise ValueError(f"column 'end' is before 'start' in {_rows(backwards)}")
    # A line worth at most a millionth does nothing (the engine's unit is the millionth), so every
    # movement is at least a millionth and a customer at 1e-6 is not a paying customer.
    micros = np.where(np.abs(mrr) <= 1.0 / MICROS, 0, np.rint(mrr * MICROS)).astype(np.int64)
    return EncodedLines(customers=customers, code=code, start=start, end=end, mrr=micros)


def _dates_or_empty(col: pd.Series) -> bool:
    """Whether a column holds datetimes, or nothing at all (a column of missing values)."""
    return pd.api.types.is_datetime64_any_dtype(col.dtype) or bool(col.isna().all())


def customer_attributes(lines: pd.DataFrame) -> pd.DataFrame:
    """One row per customer with its attribute columns (every column but the line columns and
    the line dates of :data:`LINE_DATES`).

    Where a customer's lines disagree, the latest line wins: the one with the latest ``start``
    (ties: the one further down the frame), blanks included, so that a customer who came back
    after churning no longer shows the old ``churn_reason``.

    Parameters
    ----------
    lines : DataFrame
        Canonical lines (``customer_id, start, end, mrr`` plus attributes).

    Returns
    -------
    DataFrame indexed by ``customer_id`` (sorted), one column per attribute.

    Examples
    --------
    >>> import pandas as pd
    >>> lines = pd.DataFrame({
    ...     "customer_id": ["a", "a", "b"],
    ...     "start": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-02-01"]),
    ...     "end": pd.to_datetime(["2024-03-01", None, None]),
    ...     "mrr": [10.0, 20.0, 5.0],
    ...     "plan": ["basic", "pro", "basic"],
    ...     "canceled_at": pd.to_datetime([None, "2024-05-10", None]),  # a line date
    ... })
    >>> customer_attributes(lines)
                 plan
    customer_id
    a             pro
    b           basic
    """
    if "customer_id" not in lines.columns or "start" not in lines.columns:
        raise ValueError("lines need 'customer_id' and 'start' columns")
    attrs = [c for c in lines.columns if c not in LINE_COLUMNS and c not in LINE_DATES]
    ids = lines["customer_id"].astype("str")
    # Lines run over whole days: a time of day must not decide which same-day line is latest, so
    # order by (id as text, start day, row) -- the same id order as movements().
    day = _to_days(lines["start"], "start", allow_missing=True)
    order = np.lexsort((np.arange(len(lines)), day, ids.to_numpy()))
    last = np.ones(len(order), bool)
    sorted_ids = ids.to_numpy()[order]
    last[:-1] = sorted_ids[1:] != sorted_ids[:-1]
    pick = order[last]
    out = lines[attrs].iloc[pick]
    out.index = pd.Index(sorted_ids[last], dtype="str", name="customer_id")
    return out
