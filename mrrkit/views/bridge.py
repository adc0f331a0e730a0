"""The MRR bridge (waterfall) of a period, and what is behind any figure, for reconciling.

The bridge from the MRR at the end of month ``start - 1`` to the MRR at the end of month ``end``:
``start MRR + new + expansion + reactivation + contraction + churn = end MRR`` exactly (the
monthly table's identity ``mrr(M) = mrr(M-1) + net_new(M)`` summed over the period).

Every figure of the monthly table and of the bridge can be taken apart:

- a movement amount or count: :func:`movements_in` (the movements of a month and kind);
- an MRR or customer level: :func:`paying_customers` (who pays at a month end, and how much);
- a movement itself: :func:`movement_lines` (the subscription lines that started or ended that
  day, whose changes add up to its amount).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..engine.lines import ENGINE_DATES, LINE_COLUMNS, MICROS, EncodedLines, validate_lines
from ..engine.monthly import month_of, monthly
from ..engine.movements import KINDS, Movements, frame_rows, movements_of
from .retention import _month, mrr_at_month_end
from .segments import _positions

__all__ = ["BRIDGE_STEPS", "movement_lines", "movements_in", "mrr_bridge", "paying_customers"]

_EPOCH = np.datetime64("1970-01-01", "D")

#: Steps of the bridge, in drawing order (gains, then losses).
BRIDGE_STEPS = ("new", "expansion", "reactivation", "contraction", "churn")


def mrr_bridge(data, start, end) -> pd.DataFrame:
    """Start MRR, the five movement totals and end MRR of months ``start..end``, with how many
    customers and how many movements are behind each.

    Parameters
    ----------
    data : Movements or DataFrame
        :func:`mrrkit.movements` (of a segment or not) or canonical lines. A
        :func:`mrrkit.monthly` table is refused: it counts movements, not customers.
    start, end : month
        First and last month of the period (``start <= end``).

    Returns
    -------
    DataFrame indexed by ``step`` (``start``, ``BRIDGE_STEPS``..., ``end``):

    - ``amount``: the MRR at the end of month ``start - 1`` (0 when ``start`` is the first month)
      and at the end of month ``end``; for a step, the sum of its movements dated in the period
      (the monthly table's column summed over the months), so that ``start + new + expansion +
      reactivation + contraction + churn = end``;
    - ``customers``: for ``start`` and ``end``, the customers paying then (MRR > 0); for a step,
      the number of *distinct* customers with at least one movement of that kind dated in the
      period: a customer who expands in March and again in June counts once. So a step never
      counts more customers than there are customers in the data, but the steps' customers do
      not add up (one customer can expand, then churn);
    - ``movements``: for a step, the number of its movements dated in the period (the monthly
      table's ``*_customers`` counts summed over the months: what :func:`movements_in` lists);
      missing (``<NA>``) for ``start`` and ``end``, which are levels, not movements.

    Raises
    ------
    ValueError
        When ``end`` is before ``start`` or the period is outside the data's months.
    TypeError
        When ``data`` is a monthly table.

    Examples
    --------
    Customer ``a`` expands twice (February and March), ``b`` churns in March, ``c`` is new in
    February:

    >>> lines = pd.DataFrame({
    ...     "customer_id": ["a", "a", "a", "b", "c"],
    ...     "start": pd.to_datetime(["2024-01-10", "2024-02-05", "2024-03-01", "2024-01-20",
    ...                              "2024-02-15"]),
    ...     "end": pd.to_datetime([None, None, None, "2024-03-10", None]),
    ...     "mrr": [100.0, 20.0, 30.0, 50.0, 80.0],
    ... })
    >>> mrr_bridge(lines, "2024-02", "2024-03")
                  amount  customers  movements
    step
    start          150.0          2       <NA>
    new             80.0          1          1
    expansion       50.0          1          2
    reactivation     0.0          0          0
    contraction      0.0          0          0
    churn          -50.0          1          1
    end            230.0          2       <NA>
    """
    if isinstance(data, pd.DataFrame) and "net_new" in data.columns and "mrr" in data.columns:
        raise TypeError(
            "mrr_bridge needs lines or movements, not a monthly table: the monthly table counts "
            "movements, and the bridge counts distinct customers"
        )
    mv = movements_of(data)
    m = mv.arrays
    table = monthly(mv)
    s, e = _period(table, start, end)
    # Movements of the period counted per (customer, kind): a kind's movements are the sum over
    # its customers, its distinct customers those with at least one.
    mon = month_of(m.day)
    pick = (mon >= s.ordinal) & (mon <= e.ordinal)
    per = np.bincount(m.cust[pick].astype(np.int64) * len(KINDS) + m.kind[pick],
                      minlength=len(m.customers) * len(KINDS)).reshape(-1, len(KINDS))
    return bridge_frame(table, s, e, np.count_nonzero(per, axis=0), per.sum(axis=0))


def _period(table: pd.DataFrame, start, end) -> tuple[pd.Period, pd.Period]:
    """The months ``start..end``, checked against the monthly ``table``'s."""
    s, e = pd.Period(start, freq="M"), pd.Period(end, freq="M")
    if e < s:
        raise ValueError(f"end ({e}) is before start ({s})")
    if table.empty or s < table.index[0] or e > table.index[-1]:
        span = "no months" if table.empty else f"{table.index[0]} to {table.index[-1]}"
        raise ValueError(f"period {s} to {e} is outside the data ({span})")
    return s, e


def bridge_frame(table: pd.DataFrame, start, end, customers, moves) -> pd.DataFrame:
    """The frame of :func:`mrr_bridge` from the monthly ``table`` and, per kind (in
    :data:`mrrkit.KINDS` order), the distinct ``customers`` with a movement of it dated in the
    period and the number of those ``moves``: the pandas engine and :mod:`mrrkit.sql` count
    those their own way, the frame is made once."""
    s, e = _period(table, start, end)
    rows = table.loc[s:e]
    before = s - 1
    start_mrr = float(table.at[before, "mrr"]) if before in table.index else 0.0
    start_customers = int(table.at[before, "customers"]) if before in table.index else 0
    steps = ["start", *BRIDGE_STEPS, "end"]
    amount = [start_mrr, *(float(rows[step].sum()) for step in BRIDGE_STEPS),
              float(table.at[e, "mrr"])]
    count = [start_customers, *(int(customers[KINDS.index(k)]) for k in BRIDGE_STEPS),
             int(table.at[e, "customers"])]
    moved = [None, *(int(moves[KINDS.index(k)]) for k in BRIDGE_STEPS), None]
    out = pd.DataFrame(
        {
            "amount": np.array(amount, dtype="float64"),
            "customers": np.array(count, dtype="int64"),
            "movements": pd.array(moved, dtype="Int64"),
        },
        index=pd.Index(steps, name="step"),
    )
    out.attrs["start"], out.attrs["end"] = s, e
    return out


def movements_in(data, month, kind: str | None = None, end=None) -> pd.DataFrame:
    """The movements dated in ``month`` (or in months ``month..end``) of one ``kind``: the rows
    (of :attr:`mrrkit.Movements.frame`, with their row numbers) whose amounts sum to that cell
    of the monthly table and whose count is its ``*_customers``.

    Examples
    --------
    >>> from mrrkit import movements
    >>> lines = pd.DataFrame({"customer_id": ["a", "b"], "mrr": [10.0, 20.0],
    ...                       "start": pd.to_datetime(["2024-01-03", "2024-02-01"]),
    ...                       "end": pd.to_datetime(["2024-02-10", None])})
    >>> movements_in(movements(lines), "2024-02", "churn")[["customer_id", "amount"]]
      customer_id  amount
    1           a   -10.0
    """
    if kind is not None and kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    first = pd.Period(month, freq="M")
    last = first if end is None else pd.Period(end, freq="M")
    m = movements_of(data).arrays
    mon = month_of(m.day)
    keep = (mon >= first.ordinal) & (mon <= last.ordinal)
    if kind is not None:
        keep &= m.kind == KINDS.index(kind)
    return frame_rows(m, np.flatnonzero(keep))


def paying_customers(data, month) -> pd.DataFrame:
    """The customers paying at the end of ``month`` (at as_of within its month) and their MRR.

    They add up to the monthly table's ``mrr`` of that month and number its ``customers``; the
    customers paying at the end of ``month - 1`` are those behind its start MRR.

    Parameters
    ----------
    data : Movements or DataFrame
        :func:`mrrkit.movements` or canonical lines (of a segment or not).
    month : month-like

    Returns
    -------
    DataFrame indexed by ``customer_id`` (id order) with ``mrr`` (> 0); empty before the data.

    Examples
    --------
    >>> lines = pd.DataFrame({"customer_id": ["a", "b", "b"], "mrr": [10.0, 20.0, 5.0],
    ...                       "start": pd.to_datetime(["2024-01-03", "2024-01-10", "2024-02-01"]),
    ...                       "end": pd.to_datetime(["2024-02-10", None, None])})
    >>> paying_customers(lines, "2024-01")
                  mrr
    customer_id
    a            10.0
    b            20.0
    >>> paying_customers(lines, "2024-02")["mrr"].tolist()
    [25.0]
    """
    m = movements_of(data).arrays
    level = mrr_at_month_end(m, _month(month, "month"))
    paying = np.flatnonzero(level > 0)
    ids = pd.Index(np.asarray(m.customers, dtype=object)[paying], dtype="str", name="customer_id")
    out = pd.DataFrame({"mrr": level[paying] / MICROS}, index=ids)
    out.attrs["as_of"] = pd.Timestamp(_EPOCH + np.timedelta64(int(m.as_of), "D"))
    return out


def movement_lines(lines: pd.DataFrame, movements: pd.DataFrame) -> pd.DataFrame:
    """The subscription lines behind each movement: the lines of its customer that start or end
    on its day.

    A movement is the net change of a customer's MRR on a day, so its ``amount`` is exactly the
    sum of ``change`` over its lines: ``+mrr`` for a line that starts that day, ``-mrr`` for one
    that ends (a same-day plan switch shows one line ending and one starting). Lines that start
    and end on the same day (never billed) and lines worth at most a millionth change nothing and
    are left out.

    Parameters
    ----------
    lines : DataFrame
        The canonical lines the movements were computed from (only the movements' customers'
        lines matter: passing just those is enough).
    movements : Movements or DataFrame
        The :func:`mrrkit.movements` of ``lines``, or some rows of their frame (e.g.
        :func:`movements_in`, ``mv[mv.kind == "churn"]``).

    Returns
    -------
    DataFrame, one row per (movement, line), in movement order then line order: ``customer_id``,
    ``date``, ``kind`` (the movement's), ``event`` (``"start"`` or ``"end"``), ``line`` (the line's
    position in ``lines``), the line's ``start``, ``end`` and ``mrr``, ``change`` (``+mrr`` or
    ``-mrr``), then the line's other columns (plan, product...).

    Examples
    --------
    >>> from mrrkit import movements
    >>> lines = pd.DataFrame({"customer_id": ["a", "a"], "mrr": [10.0, 25.0],
    ...                       "start": pd.to_datetime(["2024-01-01", "2024-02-01"]),
    ...                       "end": pd.to_datetime(["2024-02-01", None]),
    ...                       "plan": ["basic", "pro"]})
    >>> mv = movements(lines)
    >>> movement_lines(lines, mv[mv["kind"] == "expansion"])[["date", "event", "line", "change", "plan"]]
            date  event  line  change   plan
    0 2024-02-01    end     0   -10.0  basic
    1 2024-02-01  start     1    25.0    pro
    """
    enc = validate_lines(lines)
    if isinstance(movements, pd.DataFrame):  # rows of a frame: their as-of day does not matter
        movements = Movements.from_frame(movements, None if len(movements) else ENGINE_DATES[0])
    m = movements_of(movements).arrays
    # Each line's start and end as events of its customer: (customer, day, change, position).
    live = (enc.start < enc.end) & (enc.mrr != 0)
    pos = np.flatnonzero(live)
    ends = pos[enc.end[pos] != EncodedLines.OPEN]
    ev_pos = np.concatenate([pos, ends])
    ev_code = enc.code[ev_pos]
    ev_day = np.concatenate([enc.start[pos], enc.end[ends]])
    ev_sign = np.concatenate([np.ones(len(pos), np.int8), -np.ones(len(ends), np.int8)])
    # The movements' customers numbered as the lines' customers (same ids as text).
    cust_map = _positions(m.customers, enc.customers)
    mv_code = cust_map[m.cust] if len(m) else np.zeros(0, np.int64)
    take_mv = np.zeros(0, np.int64)
    take_ev = np.zeros(0, np.int64)
    if len(ev_pos) and len(m):
        lo = int(min(ev_day.min(), m.day.min()))
        span = int(max(ev_day.max(), m.day.max())) - lo + 1
        ev_key = ev_code * span + (ev_day - lo)
        order = np.lexsort((ev_pos, ev_key))
        ev_key = ev_key[order]
        mv_key = np.where(mv_code >= 0, mv_code * span + (m.day - lo), -1)
        left = np.searchsorted(ev_key, mv_key, side="left")
        right = np.searchsorted(ev_key, mv_key, side="right")
        count = np.where(mv_code >= 0, right - left, 0)
        take_mv = np.repeat(np.arange(len(m)), count)
        first = np.repeat(left - np.concatenate(([0], np.cumsum(count)[:-1])), count)
        take_ev = order[first + np.arange(len(take_mv))]
    line = ev_pos[take_ev]
    sign = ev_sign[take_ev].astype("float64")
    line_mrr = enc.mrr[line] / MICROS
    out = pd.DataFrame({
        "customer_id": pd.array(np.asarray(m.customers, dtype=object)[m.cust[take_mv]], dtype="str"),
        "date": (_EPOCH + m.day[take_mv].astype("timedelta64[D]")).astype("datetime64[s]"),
        "kind": pd.Categorical.from_codes(m.kind[take_mv], categories=list(KINDS)),
        "event": np.where(sign > 0, "start", "end"),
        "line": line.astype(np.int64),
        "start": lines["start"].iloc[line].to_numpy(),
        "end": lines["end"].iloc[line].to_numpy() if "end" in lines.columns else pd.NaT,
        "mrr": line_mrr,
        "change": sign * line_mrr,
    })
    out["event"] = out["event"].astype("str")
    for col in lines.columns:
        if col not in LINE_COLUMNS:
            out[col] = lines[col].iloc[line].to_numpy()
    return out
