"""MRR movements at event level: every day a customer's MRR changes, and why.

Rules (ChartMogul-style, not month snapshots):

* A customer's MRR on day ``d`` is the sum of its lines with ``start <= d < end``.
* A *movement* is a day on which that sum changes. All changes of the same day net out first, so a
  plan switch that ends one line and starts another the same day is a single ``expansion`` or
  ``contraction``, never ``churn`` + ``new``.
* From MRR before -> after: ``0 -> >0`` is ``new`` the first time the customer ever pays and
  ``reactivation`` after that; ``>0 -> 0`` is ``churn``; a rise or fall while paying is
  ``expansion`` or ``contraction``.
* Zero-length lines and net changes smaller than a millionth of the currency unit do nothing.
* Movements after ``as_of`` are ignored (one *on* ``as_of`` counts); ``as_of`` defaults to the
  latest start or end date in the data.

:func:`movements` returns a :class:`Movements`: the movements as arrays (:class:`MovementArrays`,
what every view computes on), their as-of day, and their pandas frame when it is read. Views
take it (or lines) through :func:`movements_of`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .lines import (
    MICROS,
    EncodedLines,
    _rows,
    outside_engine_dates,
    outside_message,
    validate_lines,
)

__all__ = [
    "KINDS",
    "MOVEMENT_COLUMNS",
    "MovementArrays",
    "Movements",
    "default_as_of",
    "movements",
    "movements_of",
]

#: Movement kinds, in the order used for the ``kind`` categorical.
KINDS = ("new", "expansion", "contraction", "churn", "reactivation")
NEW, EXPANSION, CONTRACTION, CHURN, REACTIVATION = range(5)

#: Columns of the frame :func:`movements` returns.
MOVEMENT_COLUMNS = ("customer_id", "date", "kind", "amount", "mrr_before", "mrr_after")

_EPOCH = np.datetime64("1970-01-01", "D")
_KIND_DTYPE = pd.CategoricalDtype(list(KINDS), ordered=False)


@dataclass(frozen=True)
class MovementArrays:
    """Movements as arrays, sorted by customer then day: what every view computes on.

    ``cust`` numbers customers in sorted id order (an index into ``customers``); ``day`` counts
    days since 1970-01-01; ``kind`` indexes :data:`KINDS`; money (``before``, ``after``) is in
    integer micros (see :mod:`mrrkit.engine.lines`); ``as_of`` is a day number.
    """

    customers: object  # str array, indexed by ``cust``
    cust: np.ndarray
    day: np.ndarray
    kind: np.ndarray  # int8, index into KINDS
    before: np.ndarray
    after: np.ndarray
    as_of: int  # day number

    @property
    def amount(self) -> np.ndarray:
        return self.after - self.before

    def __len__(self) -> int:
        return len(self.day)

    def until(self, as_of_day: int) -> MovementArrays:
        """The movements up to ``as_of_day`` (a day number not after ``as_of``): the movements
        the same lines give as of that day, since a movement depends only on earlier ones."""
        if as_of_day > self.as_of:
            raise ValueError(
                f"as_of {_day_to_timestamp(as_of_day).date()} is after the as_of these movements "
                f"were computed with ({_day_to_timestamp(self.as_of).date()}): recompute "
                "movements from the lines"
            )
        if as_of_day == self.as_of:
            return self
        if len(self) == 0 or self.day.max() <= as_of_day:  # no array to copy
            return self.select(slice(None), as_of_day)
        return self.select(self.day <= as_of_day, as_of_day)

    def select(self, rows, as_of_day: int | None = None) -> MovementArrays:
        """The movements at ``rows`` (positions in order, a boolean mask or a slice), same
        customers; as of ``as_of_day`` if given."""
        return MovementArrays(self.customers, self.cust[rows], self.day[rows], self.kind[rows],
                              self.before[rows], self.after[rows],
                              self.as_of if as_of_day is None else as_of_day)


def _to_day(value) -> int:
    ts = pd.Timestamp(value)
    if ts is pd.NaT:
        raise ValueError("as_of must be a date, got a missing value")
    return int((np.datetime64(ts.date(), "D") - _EPOCH).astype(np.int64))


def _as_of_day(value) -> int:
    """The as-of day asked for, which must be among the engine's dates."""
    day = _to_day(value)
    if outside_engine_dates(np.array([day])).any():
        raise ValueError(outside_message(f"as_of {_EPOCH + np.timedelta64(day, 'D')} is"))
    return day


def _day_to_timestamp(day: int) -> pd.Timestamp:
    return pd.Timestamp(_EPOCH + np.timedelta64(int(day), "D"))


def _arrays_from_lines(enc: EncodedLines, as_of) -> MovementArrays:
    start, end, mrr, code = enc.start, enc.end, enc.mrr, enc.code
    open_ = end == EncodedLines.OPEN
    if as_of is None:
        if len(start) == 0:
            raise ValueError("lines are empty: there is nothing to compute")
        closed_max = end[~open_].max() if (~open_).any() else start.max()
        as_of_day = int(max(start.max(), closed_max))
        far = ~open_ & outside_engine_dates(end)
        if far.any():  # the latest date would be a "never" such as 9999-12-31
            example = _EPOCH + np.timedelta64(int(end[np.flatnonzero(far)[0]]), "D")
            raise ValueError(
                outside_message(f"column 'end' has dates (e.g. {example}) in {_rows(far)}")
                + "; as_of defaults to the latest date: give as_of, or write no end (NaT) for "
                "lines that never end"
            )
    else:
        as_of_day = _as_of_day(as_of)
    # A line acts only if it lasts at least a day, is worth something and starts by as_of.
    acts = (mrr != 0) & (open_ | (end > start)) & (start <= as_of_day)
    # Row numbers rather than boolean masks: gathering by index is 2-4x faster than boolean
    # indexing when the mask mixes True and False, and each mask serves three arrays.
    live = np.flatnonzero(acts)
    ends = np.flatnonzero(acts & ~open_ & (end <= as_of_day))
    ev_cust = np.concatenate((code[live], code[ends]))
    ev_day = np.concatenate((start[live], end[ends]))
    ev_delta = np.concatenate((mrr[live], -mrr[ends]))
    if len(ev_day) == 0:
        return _empty_arrays(enc.customers, as_of_day)

    # One int64 key per (customer, day) so a single sort groups and orders the events.
    lo = int(ev_day.min())
    span = int(ev_day.max()) - lo + 1
    key = ev_cust * span  # in place from here on: fewer fresh arrays of millions of rows
    key += ev_day
    key -= lo
    key, order = _sort_with_order(key)
    delta = ev_delta[order]
    first = np.empty(len(key), bool)
    first[0] = True
    np.not_equal(key[1:], key[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    net = np.add.reduceat(delta, starts)
    ukey = key[starts]
    keep = net != 0  # same-day changes that cancel out are no movement
    net = net[keep]
    ukey = ukey[keep]
    cust, day = np.divmod(ukey, span)
    day += lo

    n = len(net)
    if n == 0:
        return _empty_arrays(enc.customers, as_of_day)
    cust_first = np.empty(n, bool)
    cust_first[0] = True
    np.not_equal(cust[1:], cust[:-1], out=cust_first[1:])
    # Integer cumulative sums are exact, so one global cumsum minus each customer's offset gives
    # every customer's running MRR without a per-group loop.
    csum = np.cumsum(net)
    grp = np.flatnonzero(cust_first)
    # Each customer's offset (the total before its first row), spread over its rows as the
    # cumulative sum of the jumps at customer starts: 3-4x faster than np.repeat.
    jump = np.zeros(n, np.int64)
    jump[grp] = np.diff(csum[grp] - net[grp], prepend=0)
    after = csum - np.cumsum(jump)
    before = after - net
    negative = after < 0
    if negative.any():
        i = int(np.flatnonzero(negative)[0])
        raise ValueError(
            f"customer {enc.customers[cust[i]]!r} would have negative MRR "
            f"({after[i] / MICROS:.2f}) on {_day_to_timestamp(day[i]).date()}: check 'mrr' "
            f"(negative lines such as discounts must not exceed the customer's other lines)"
        )
    return MovementArrays(
        customers=enc.customers,
        cust=cust,
        day=day,
        kind=_classify(before, after, cust_first),
        before=before,
        after=after,
        as_of=as_of_day,
    )


def _sort_with_order(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``key`` sorted (non-negative int64) and the order that sorts it."""
    n = len(key)
    # Sorting plain integers (vectorised quicksort) is 3-10x faster than argsort on any order of
    # lines but one already grouped by customer and date (where it loses ~0.05 s per 4M events):
    # carry each event's position in the low bits of its key, when both fit in 63 bits.
    bits = max(int(n - 1).bit_length(), 1)
    if int(key.max()) < 1 << (63 - bits):
        packed = key << bits
        packed |= np.arange(n, dtype=np.int64)
        packed.sort()
        order = packed & ((1 << bits) - 1)
        packed >>= bits
        return packed, order
    order = np.argsort(key, kind="stable")
    return key[order], order


def _kind_of_case(case: int) -> int:
    """Kind for a case number: bit 1 = MRR rises, 2 = from 0, 4 = customer's first, 8 = to 0."""
    if case & 8:
        return CHURN
    if case & 2:
        # A customer's first movement always starts from 0: that is its `new` movement.
        return NEW if case & 4 else REACTIVATION
    return EXPANSION if case & 1 else CONTRACTION


_KIND_BY_CASE = np.array([_kind_of_case(case) for case in range(16)], np.int8)


def _classify(before: np.ndarray, after: np.ndarray, cust_first: np.ndarray) -> np.ndarray:
    # One case number per movement and a table lookup: about 4x faster than masked writes.
    case = (after > before).view(np.uint8)
    case |= (before == 0).view(np.uint8) << 1
    case |= cust_first.view(np.uint8) << 2
    case |= (after == 0).view(np.uint8) << 3
    return _KIND_BY_CASE[case]


def _empty_arrays(customers, as_of_day: int) -> MovementArrays:
    z = np.zeros(0, np.int64)
    return MovementArrays(customers, z, z, np.zeros(0, np.int8), z, z, as_of_day)


def _arrays_from_frame(frame: pd.DataFrame, as_of) -> MovementArrays:
    """The arrays of a movements frame (see :meth:`Movements.from_frame`)."""
    missing = [c for c in MOVEMENT_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"movements frame lacks column(s) {missing}")
    if as_of is not None:
        as_of_day = _as_of_day(as_of)
    elif len(frame):
        as_of_day = _to_day(frame["date"].max())
    else:
        raise ValueError("movements frame is empty and no as_of is given: nothing to compute")

    day = (np.asarray(frame["date"].to_numpy()).astype("datetime64[D]") - _EPOCH).astype(np.int64)
    if frame["customer_id"].isna().any() or frame["date"].isna().any():
        raise ValueError("movements frame has missing 'customer_id' or 'date' values")
    cust, customers = _customer_codes(frame["customer_id"])
    n = len(day)
    if n > 1:
        same = cust[1:] == cust[:-1]
        if (cust[1:] < cust[:-1]).any() or (same & (day[1:] < day[:-1])).any():
            order = np.lexsort((day, cust))
            return _arrays_from_frame(frame.iloc[order], as_of)
    # Usually every movement is on or before as_of: then skip copying all six columns.
    keep = slice(None) if n == 0 or day.max() <= as_of_day else day <= as_of_day
    before = np.rint(frame["mrr_before"].to_numpy(dtype="float64") * MICROS).astype(np.int64)
    after = np.rint(frame["mrr_after"].to_numpy(dtype="float64") * MICROS).astype(np.int64)
    kind = frame["kind"]
    if isinstance(kind.dtype, pd.CategoricalDtype) and list(kind.cat.categories) == list(KINDS):
        kind_code = kind.cat.codes.to_numpy().astype(np.int8)
    else:
        text = kind.astype("str")
        unknown = ~text.isin(KINDS)
        if unknown.any():
            bad = sorted(set(text[unknown].fillna("<missing>")))
            raise ValueError(f"column 'kind' has unknown values {bad}; expected {list(KINDS)}")
        kind_code = pd.Categorical(text, categories=list(KINDS)).codes.astype(np.int8)
    return MovementArrays(
        customers=customers,
        cust=cust[keep],
        day=day[keep],
        kind=kind_code[keep],
        before=before[keep],
        after=after[keep],
        as_of=as_of_day,
    )


def _sorted_ids_dtype(customers) -> pd.CategoricalDtype:
    """Categorical dtype over customer ids that are distinct and sorted by construction."""
    categories = pd.Index(customers, dtype="str")
    # The public constructor re-checks that the ids are distinct by hashing each one as a Python
    # object (~0.1 s per million customers); they are, so take pandas' own no-check path.
    from_fastpath = getattr(pd.CategoricalDtype, "_from_fastpath", None)
    if from_fastpath is None:
        return pd.CategoricalDtype(categories)
    return from_fastpath(categories, ordered=False)


def _in_text_order(categories: pd.Index) -> bool:
    """Whether string categories are strictly increasing as text (so codes are sorted ranks)."""
    if not pd.api.types.is_string_dtype(categories.dtype) or categories.dtype == object:
        return False
    # Compared in Arrow, not via Index.is_monotonic_increasing, which first copies every id into
    # a Python object (~0.1 s per million customers).
    text = pa.array(categories.array)
    if len(text) < 2:
        return True
    return bool(pc.all(pc.greater(text.slice(1), text.slice(0, len(text) - 1))).as_py())


def _customer_codes(ids: pd.Series) -> tuple[np.ndarray, object]:
    """Customer numbers (in sorted id order) and the sorted distinct ids of a customer_id column."""
    if isinstance(ids.dtype, pd.CategoricalDtype) and not ids.cat.ordered:
        cats = ids.cat.categories
        if _in_text_order(cats):
            return ids.cat.codes.to_numpy().astype(np.int64), cats.array
    codes, uniques = pd.factorize(ids.astype("str"), sort=True)
    return codes.astype(np.int64), pd.array(uniques, dtype="str")


def _frame_of(m: MovementArrays) -> pd.DataFrame:
    """The movements frame of movement arrays (see :attr:`Movements.frame`)."""
    # Categorical ids: one small code per row instead of a string, and the codes carry the
    # customer order, so that filtering and grouping stay cheap on millions of rows.
    ids = pd.Categorical.from_codes(m.cust, dtype=_sorted_ids_dtype(m.customers), validate=False)
    return pd.DataFrame(
        {
            "customer_id": ids,
            "date": (_EPOCH + m.day.astype("timedelta64[D]")).astype("datetime64[s]"),
            "kind": pd.Categorical.from_codes(m.kind, dtype=_KIND_DTYPE),
            "amount": m.amount / MICROS,
            "mrr_before": m.before / MICROS,
            "mrr_after": m.after / MICROS,
        }
    )


def frame_rows(m: MovementArrays, rows: np.ndarray) -> pd.DataFrame:
    """Rows ``rows`` (positions) of the movements frame, indexed by them, built alone (not
    from the whole frame)."""
    out = _frame_of(m.select(rows))
    out.index = pd.Index(rows, dtype="int64")
    return out


def _column(name: str, doc: str) -> property:
    return property(lambda self: self._table()[name], doc=doc)


class Movements:
    """Every change of a customer's MRR, classified, as of one day: what every view takes.

    Made by :func:`movements` (from lines), :func:`mrrkit.filter_movements` (some customers'),
    :meth:`until` (an earlier as-of day) or :meth:`from_frame` (a frame saved or made
    elsewhere); immutable. The engine's arrays are built once, when the movements are computed;
    the pandas frame the first time it is read.

    Reading it as a frame: :attr:`frame` is the DataFrame ``customer_id, date, kind, amount,
    mrr_before, mrr_after`` (one row per customer-day on which the customer's MRR changes,
    sorted by customer then date). Its columns are attributes too, indexing reads them
    (``mv["kind"]`` is a Series), and pandas' own methods read it (``mv.head()``,
    ``mv.groupby("kind")``, ``mv.to_csv(...)`` give what they give on the frame); a boolean
    mask keeps those rows as Movements (``mv[mv.kind == "churn"]``, as of the same day: keep
    whole customers, :func:`mrrkit.filter_movements`, for a segment whose figures add up).
    ``len(mv)`` counts movements. A notebook shows the frame under a one-line summary.

    Attributes
    ----------
    as_of : Timestamp
        The day the movements stop at: a movement after it is not counted (one on it is).
    definitions : Definitions or None
        The definitions the movements follow (:class:`mrrkit.Definitions`); None: mrrkit's own.
    arrays : MovementArrays
        The engine's arrays (customers numbered, days, kind codes, money in integer micros).

    Examples
    --------
    >>> lines = pd.DataFrame({
    ...     "customer_id": ["a", "a", "b"],
    ...     "start": pd.to_datetime(["2024-01-10", "2024-03-01", "2024-02-01"]),
    ...     "end": pd.to_datetime(["2024-03-01", None, "2024-04-15"]),
    ...     "mrr": [100.0, 150.0, 40.0],
    ... })
    >>> mv = movements(lines)
    >>> mv
    Movements as of 2024-04-15: 4 movements of 2 customers
      customer_id       date       kind  amount  mrr_before  mrr_after
    0           a 2024-01-10        new   100.0         0.0      100.0
    1           a 2024-03-01  expansion    50.0       100.0      150.0
    2           b 2024-02-01        new    40.0         0.0       40.0
    3           b 2024-04-15      churn   -40.0        40.0        0.0
    >>> len(mv), mv.as_of
    (4, Timestamp('2024-04-15 00:00:00'))
    >>> mv[mv.kind == "churn"]
    Movements as of 2024-04-15: 1 movement of 1 customer
      customer_id       date   kind  amount  mrr_before  mrr_after
    0           b 2024-04-15  churn   -40.0        40.0        0.0
    >>> len(mv.until("2024-03-31"))
    3
    """

    __iter__ = None  # indexing reads columns, so iterating would guess: read mv.frame instead

    def __init__(self, arrays: MovementArrays, definitions=None):
        set_ = super().__setattr__
        set_("arrays", arrays)
        set_("as_of", _day_to_timestamp(arrays.as_of))
        set_("definitions", definitions)
        set_("_frame", None)
        set_("_digest", None)

    def __setattr__(self, name, value):
        raise AttributeError("Movements are immutable: derive new ones (filter_movements, until)")

    __delattr__ = __setattr__

    # Pickled as its arrays (the frame is rebuilt when read): a cache stores less, and a hasher
    # walking __reduce__ (Streamlit's st.cache_data) sees arrays it samples, not a frame (and
    # the ids as a Series, which it hashes; it cannot hash a bare pandas array).
    def __reduce__(self):
        a = self.arrays
        ids = pd.Series(a.customers, copy=False)
        return (Movements._restore,
                (ids, a.cust, a.day, a.kind, a.before, a.after, a.as_of, self.definitions))

    @classmethod
    def _restore(cls, ids, cust, day, kind, before, after, as_of, definitions):
        arrays = MovementArrays(ids.array, cust, day, kind, before, after, as_of)
        return cls(arrays, definitions)

    def _table(self) -> pd.DataFrame:
        frame = self._frame
        if frame is None:
            # Two threads may both build it; either frame is the same, one is kept.
            frame = _frame_of(self.arrays)
            super().__setattr__("_frame", frame)
        return frame

    @property
    def frame(self) -> pd.DataFrame:
        """The movements as a DataFrame (a copy-on-write copy: changing it changes nothing here)."""
        return self._table().copy(deep=False)

    customer_id = _column("customer_id", "The ``customer_id`` column: categorical of the ids.")
    date = _column("date", "The ``date`` column: the day of each movement.")
    kind = _column("kind", "The ``kind`` column: categorical of :data:`KINDS`.")
    amount = _column("amount", "The ``amount`` column: ``mrr_after - mrr_before``.")
    mrr_before = _column("mrr_before", "The ``mrr_before`` column: MRR the day before.")
    mrr_after = _column("mrr_after", "The ``mrr_after`` column: MRR from that day on.")

    @property
    def customers(self) -> pd.Index:
        """Every customer of the lines (sorted ids), with movements or not: the categories of
        ``customer_id``, the order of :func:`mrrkit.customer_attributes`' index."""
        return pd.Index(self.arrays.customers, dtype="str", name="customer_id")

    @property
    def digest(self) -> str:
        """A digest of the content (every movement, the customers, as_of, the definitions): equal
        movements have equal digests, whatever made them. Computed once, when first read
        (about 40 ms per million movements): a cache key for derived views."""
        if self._digest is None:
            super().__setattr__("_digest", _digest_of(self.arrays, self.definitions))
        return self._digest

    def __len__(self) -> int:
        return len(self.arrays)

    def __getattr__(self, name: str):
        # Only for names not found otherwise: pandas' own (head, groupby, loc, to_csv...) read
        # the frame, a copy of it (so that even an inplace method changes nothing here).
        if name.startswith("_") or not hasattr(pd.DataFrame, name):
            raise AttributeError(f"'Movements' object has no attribute {name!r}")
        return getattr(self.frame, name)

    def __getitem__(self, key):
        rows = _row_mask(key, len(self))
        if rows is None:
            return self._table()[key]
        return Movements(self.arrays.select(rows), self.definitions)

    def until(self, as_of) -> Movements:
        """The movements up to an earlier day ``as_of`` (the same as :func:`movements` of the
        lines with that ``as_of``: a movement depends only on earlier ones)."""
        return Movements(self.arrays.until(_as_of_day(as_of)), self.definitions)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, as_of=None) -> Movements:
        """Movements from a frame with their six columns (:attr:`frame`, saved and read back, or
        made by other tools: SQL, a spreadsheet), in any row order.

        ``as_of`` defaults to the latest ``date``; movements after it are left out. ``kind`` is
        taken as given (a text or categorical column of :data:`KINDS`), not recomputed.
        """
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
        return cls(_arrays_from_frame(frame, as_of))

    def _summary(self) -> str:
        n, k = len(self), len(np.unique(self.arrays.cust))
        return (f"Movements as of {self.as_of.date()}: {n:,} movement{'s' * (n != 1)} of "
                f"{k:,} customer{'s' * (k != 1)}")

    def __repr__(self) -> str:
        return f"{self._summary()}\n{self._table()!r}"

    def _repr_html_(self) -> str:
        table = self._table()._repr_html_()
        return f"<p>{self._summary()}</p>\n{table}"


def _row_mask(key, n: int) -> np.ndarray | None:
    """``key`` as a boolean mask over ``n`` movements, or None when it is no boolean mask (a
    column name or a list of them)."""
    if not isinstance(key, (pd.Series, np.ndarray, pd.api.extensions.ExtensionArray)):
        return None
    if not pd.api.types.is_bool_dtype(key.dtype):
        return None
    if isinstance(key, pd.Series) and not key.index.equals(pd.RangeIndex(n)):
        raise IndexError("a boolean Series selecting movements must have their row numbers as "
                         "index (as a comparison of their columns has)")
    if len(key) != n:
        raise IndexError(f"a boolean mask selecting movements needs {n} values, got {len(key)}")
    return np.asarray(key, dtype=bool)


def _digest_of(m: MovementArrays, definitions) -> str:
    h = hashlib.blake2b(digest_size=16)
    h.update(repr((m.as_of, len(m), len(m.customers), definitions)).encode())
    ids = pa.array(m.customers, type=pa.large_string())
    offsets = np.frombuffer(ids.buffers()[1], np.int64)[ids.offset : ids.offset + len(ids) + 1]
    h.update(np.diff(offsets).tobytes())
    if len(ids):
        h.update(memoryview(ids.buffers()[2])[int(offsets[0]) : int(offsets[-1])])
    for values in (m.cust, m.day, m.kind, m.before, m.after):
        h.update(np.ascontiguousarray(values).tobytes())
    return h.hexdigest()


def _looks_like_movements(frame: pd.DataFrame) -> bool:
    return all(c in frame.columns for c in MOVEMENT_COLUMNS) and "start" not in frame.columns


def movements_of(data, as_of=None, definitions=None) -> Movements:
    """``data`` as movements: :class:`Movements` as they are (up to ``as_of`` when given), or a
    lines DataFrame's movements, computed (under ``definitions``). What every view calls on its
    ``data`` argument (a view calling another may pass its :class:`MovementArrays`).

    Raises
    ------
    ValueError
        Movements made under other definitions than ``definitions`` (when given): a figure
        never mixes two.
    """
    if isinstance(data, MovementArrays):
        data = Movements(data)
    if isinstance(data, Movements):
        if definitions is not None and own_definitions(definitions) != data.definitions:
            raise ValueError(
                "these movements were computed under other definitions than the ones asked: "
                "compute movements(lines, definitions=...) again")
        return data if as_of is None else data.until(as_of)
    if isinstance(data, pd.DataFrame):
        if _looks_like_movements(data):
            raise TypeError(
                "data is a movements DataFrame: pass the Movements that movements() returned "
                "(to keep some customers, mrrkit.filter_movements), or read a frame back with "
                "mrrkit.Movements.from_frame(frame)"
            )
        return movements(data, as_of, definitions)
    raise TypeError(
        f"data must be canonical lines (a DataFrame) or Movements, got {type(data).__name__}"
    )


def movements(lines: pd.DataFrame, as_of=None, definitions=None) -> Movements:
    """Every change of a customer's MRR, classified.

    Parameters
    ----------
    lines : DataFrame
        Canonical subscription lines: ``customer_id``, ``start`` (inclusive), ``end`` (exclusive,
        empty = running), ``mrr``. Other columns are ignored here.
    as_of : date-like, optional
        Ignore movements after this day. Defaults to the latest start or end date in ``lines``.
    definitions : Definitions or str, optional
        Another tool's definitions (:class:`mrrkit.Definitions`, or a preset's name such as
        ``"chartmogul"``): where its lines end (:func:`mrrkit.engine.adjust.adjust_lines`), how
        its movements are classified (:func:`mrrkit.engine.reclassify.redefine`); the
        movements keep them (:attr:`Movements.definitions`) and every view computed from them
        follows them. None: mrrkit's own.

    Returns
    -------
    Movements
        Its :attr:`~Movements.frame` has ``customer_id, date, kind, amount, mrr_before,
        mrr_after``, one row per customer-day on which the customer's MRR changes, sorted by
        customer then date. ``customer_id`` is a categorical of the (string) ids, sorted, so that
        filtering and grouping stay cheap on millions of rows; ``kind`` is a categorical of
        ``new, expansion, contraction, churn, reactivation``; ``amount = mrr_after -
        mrr_before`` (negative for churn and contraction). :attr:`~Movements.as_of` is the as-of
        day. Every view (:func:`mrrkit.monthly`, :func:`mrrkit.cohorts`...) takes it.

    Raises
    ------
    ValueError
        A missing column, missing ids/starts/amounts, ``end`` before ``start``, or a customer
        whose MRR would go negative; the message names the column and rows.

    Examples
    --------
    A plan switch on the same day is one expansion, not churn + new:

    >>> import pandas as pd
    >>> lines = pd.DataFrame({
    ...     "customer_id": ["acme", "acme"],
    ...     "start": pd.to_datetime(["2024-01-15", "2024-03-15"]),
    ...     "end": pd.to_datetime(["2024-03-15", "2024-06-15"]),
    ...     "mrr": [100.0, 150.0],
    ... })
    >>> movements(lines)[["date", "kind", "amount"]]
            date       kind  amount
    0 2024-01-15        new   100.0
    1 2024-03-15  expansion    50.0
    2 2024-06-15      churn  -150.0
    """
    if not isinstance(lines, pd.DataFrame):
        raise TypeError(f"lines must be a pandas DataFrame, got {type(lines).__name__}")
    definitions = own_definitions(definitions)
    if definitions is None:  # mrrkit's own: the lines as they are
        return Movements(_arrays_from_lines(validate_lines(lines), as_of))
    from .adjust import adjust_lines  # (they build on this module)
    from .reclassify import redefine

    adjusted = lines
    if not definitions.moves_lines:
        encoded = validate_lines(lines)
    else:
        if as_of is None:  # the day the lines as given stop at, before any end moves
            as_of = _day_to_timestamp(_arrays_from_lines(validate_lines(lines), None).as_of)
        try:
            adjusted = adjust_lines(lines, definitions, as_of)
        except (TypeError, ValueError):
            validate_lines(lines)  # says what is wrong with them, naming the column
            raise
        encoded = validate_lines(adjusted)
    arrays = redefine(_arrays_from_lines(encoded, as_of), definitions)
    if definitions.pauses == "state":
        from .reclassify import pauses_as_a_state

        arrays = pauses_as_a_state(arrays, adjusted, definitions.grain == "month")
    return Movements(arrays, definitions)


def own_definitions(definitions):
    """``definitions`` checked: a :class:`~mrrkit.engine.definitions.Definitions` (a preset's
    name is one), None for mrrkit's own (``Definitions()`` too, so that default movements stay
    exactly as they were)."""
    from .definitions import Definitions

    if definitions is None:
        return None
    if isinstance(definitions, str):
        definitions = Definitions.preset(definitions)
    if not isinstance(definitions, Definitions):
        raise TypeError("definitions must be a mrrkit.Definitions or a preset's name, got "
                        f"{type(definitions).__name__}")
    return None if definitions == Definitions() else definitions


def default_as_of(lines: pd.DataFrame, today, exported=None) -> pd.Timestamp:
    """The day figures are shown at when nobody chose one: the export's day, else ``today``.

    A file is a picture of the billing system on the day it was taken: a subscription with no
    end is still running that day, and an end date after it is *scheduled* (a cancellation at
    the end of a paid period), not a churn yet. So the default is the day the vendor says the
    file was exported (``exported``) when it says so, else ``today`` -- never the latest date in
    the file, which for a file with renewals or scheduled ends is in the future (every month up
    to it would look like pure churn) and for an old file hides subscriptions still running.

    A day before the first start in ``lines`` (data dated after ``today``, such as a demo or a
    test file) would show nothing: the lines' latest date is used then, as
    :func:`movements` does without ``as_of``.

    Parameters
    ----------
    lines : DataFrame
        Canonical lines (``start``, ``end``).
    today : date-like
        The current day (injected, so that the result is reproducible).
    exported : date-like, optional
        The day the file was taken, when its vendor writes one.

    Returns
    -------
    Timestamp
        A day (midnight).

    Examples
    --------
    >>> lines = pd.DataFrame({"customer_id": ["a", "b"],
    ...                       "start": pd.to_datetime(["2026-01-10", "2026-02-01"]),
    ...                       "end": pd.to_datetime(["2027-03-01", None]), "mrr": [10.0, 20.0]})
    >>> default_as_of(lines, today="2026-12-06")  # the 2027 end is scheduled, not churn yet
    Timestamp('2026-12-06 00:00:00')
    >>> default_as_of(lines, today="2026-12-06", exported="2026-12-04")
    Timestamp('2026-12-04 00:00:00')
    >>> default_as_of(lines, today="2025-06-30")  # before any data: the lines' own last day
    Timestamp('2027-03-01 00:00:00')
    """
    for column in ("start", "end"):
        if column not in lines.columns:
            raise ValueError(f"lines need a {column!r} column to choose an as-of day")
    day = pd.Timestamp(exported if exported is not None else today).normalize()
    if day is pd.NaT:
        raise ValueError("today must be a date, got a missing value")
    starts = pd.to_datetime(lines["start"])
    if starts.notna().any() and day >= starts.min().normalize():
        return day
    latest = pd.concat([starts, pd.to_datetime(lines["end"])]).max()
    return day if latest is pd.NaT else pd.Timestamp(latest).normalize()
