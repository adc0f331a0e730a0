"""Hypothesis property tests: the engine against the naive day-by-day reference, and invariants.

``reference.py`` (next to this file) recomputes everything from the rules of issue 2 by walking
each customer's days; here random lines are thrown at both. The strategy mixes overlapping add-on
lines, same-day plan switches (one line ends the day the next starts, sometimes at the same price),
gaps (churn then return), zero-length lines, running (open) lines, free lines at 0, several
customers with ids whose text order differs from their numeric order, and discounts (a negative
line inside a paid line, at most its amount, so MRR never goes negative: the engine refuses that).
Amounts come in three kinds:

* ``cents``: integer cents; every figure must match the reference to 1e-9;
* ``micros``: arbitrary floats on the engine's millionth grid; also to 1e-9;
* ``raw``: arbitrary floats. The engine documents that it rounds each line to a millionth of the
  currency unit, so money may differ from exact arithmetic by half a millionth per line and the
  tolerances grow with the number of lines (see :func:`tolerance`).

Inputs on which a day's change lies within a hair of the 1e-6 threshold are skipped
(``Reference.near_threshold``): there exact arithmetic and the documented rounding may both be
right and disagree, and the lead is settling that case in the engine separately.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, note, settings
from hypothesis import strategies as st
from tests.reference import MONTHLY_COLUMNS, Reference, default_as_of, month_number, period

import mrrkit

# Budget: the whole file runs in about 30 s on one core. The engine-vs-reference tests get the
# most examples; the ones that call the engine many times per example (each call costs a few ms
# of pandas overhead, even on ten lines) fewer.
PROPERTY = settings(max_examples=200, deadline=None)
SECONDARY = settings(max_examples=150, deadline=None)
METAMORPHIC = settings(max_examples=75, deadline=None)

# Lines start within ~3 years of the base: mostly 2023 (through the leap day of 2024); sometimes
# late 1969, so that days and months before the 1970 epoch (negative day numbers) are exercised.
BASES = (dt.date(2023, 1, 1),) * 9 + (dt.date(1969, 10, 1),)
# "10" sorts before "9" as text: customer order must be text order everywhere. Ids of up to 8
# bytes and longer ones take different paths in the engine.
IDS = ("a", "ab", "b", "9", "10", "Zoé", "customer-0042")
MONEY_COLUMNS = (
    "mrr",
    "new",
    "expansion",
    "contraction",
    "churn",
    "reactivation",
    "net_new",
    "arr",
    "arpa",
)
COUNT_COLUMNS = (
    "customers",
    "new_customers",
    "expanded_customers",
    "contracted_customers",
    "churned_customers",
    "reactivated_customers",
)
RATE_COLUMNS = tuple(c for c in MONTHLY_COLUMNS if c not in MONEY_COLUMNS + COUNT_COLUMNS)


def day(base: dt.date, offset: int) -> dt.date:
    return base + dt.timedelta(days=offset)


# --------------------------------------------------------------------------- strategy


# Strategies are built once: building them inside the draws costs more than drawing.
AMOUNTS = {
    "cents": st.integers(1, 500_000).map(lambda cents: cents / 100),
    "micros": st.floats(0.01, 1e5).map(lambda x: round(x, 6)),
    "raw": st.floats(0.5, 1e5),
}
AMOUNTS_OR_FREE = {mode: amount | st.just(0.0) for mode, amount in AMOUNTS.items()}
MODES = st.sampled_from(["cents", "cents", "micros", "raw"])
GAPS = st.sampled_from([0, 0, 1]) | st.integers(0, 90)  # 0 = same-day switch
LENGTHS = st.sampled_from([0, 1]) | st.integers(1, 150)  # 0 = zero-length line
ADD_ON_LENGTHS = st.none() | st.integers(0, 200)  # None = running
PRICES = st.sampled_from(["paid", "paid", "paid", "free", "same"])
AS_OF_KINDS = st.sampled_from(["default", "default", "on a date", "near a date", "anywhere"])
ONE_IN_4, ONE_IN_5 = st.integers(0, 3), st.integers(0, 4)
PICK = st.integers(0, 2**16)  # an index into a list drawn earlier (taken modulo its length)


def customer_lines(draw, customer: str, mode: str, base: dt.date) -> list:
    """A chain of consecutive lines (switches, gaps, trials, an open end), maybe a discount
    inside one of them, and overlapping add-ons."""
    amount = AMOUNTS[mode]
    out = []
    offset = draw(st.integers(0, 420))
    mrr = None
    for i in range(draw(st.integers(1, 4))):
        if i:
            offset += draw(GAPS)
        price = draw(PRICES)
        if price == "free":
            mrr = 0.0
        elif price == "paid" or mrr is None:
            mrr = draw(amount)
        # "same": switch to a line at the same price, which must net to nothing.
        if draw(ONE_IN_5) == 0:
            out.append((customer, day(base, offset), None, mrr))
            break
        length = draw(LENGTHS)
        out.append((customer, day(base, offset), day(base, offset + length), mrr))
        offset += length
    paid = [line for line in out if line[3] > 0]
    if paid and draw(ONE_IN_4) == 0:
        # A discount (negative line) inside a paid line of the chain, at most that line's amount
        # (the whole of it: MRR 0 while the line runs, a churn and a reactivation).
        _, start, end, mrr = paid[draw(PICK) % len(paid)]
        span = 200 if end is None else (end - start).days
        a = draw(PICK) % (span + 1)
        b = a + draw(PICK) % (span - a + 1)
        until = None if end is None and draw(st.booleans()) else start + dt.timedelta(days=b)
        out.append((customer, start + dt.timedelta(days=a), until, -min(draw(amount), mrr)))
    for _ in range(draw(st.integers(0, 2))):  # overlapping add-ons, some free, some running
        start = draw(st.integers(0, 600))
        length = draw(ADD_ON_LENGTHS)
        end = None if length is None else day(base, start + length)
        out.append((customer, day(base, start), end, draw(AMOUNTS_OR_FREE[mode])))
    return out


@dataclass
class Case:
    lines: list  # (customer_id, start, end | None, mrr)
    as_of: dt.date | None
    mode: str

    def frame(self, lines=None) -> pd.DataFrame:
        return lines_frame(self.lines if lines is None else lines)

    @property
    def as_of_arg(self):
        return None if self.as_of is None else self.as_of.isoformat()

    @property
    def effective_as_of(self) -> dt.date:
        return self.as_of if self.as_of is not None else default_as_of(self.lines)


def lines_frame(lines) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": pd.array([c for c, _, _, _ in lines], dtype="str"),
            "start": np.array([s for _, s, _, _ in lines], "datetime64[D]").astype("datetime64[s]"),
            "end": np.array([e for _, _, e, _ in lines], "datetime64[D]").astype("datetime64[s]"),
            "mrr": np.array([m for *_, m in lines], dtype="float64"),
            # An attribute column rides along and must change nothing.
            "plan": [f"plan-{i % 3}" for i in range(len(lines))],
        }
    )


@st.composite
def cases(draw, before_1970: bool = True) -> Case:
    mode = draw(MODES)
    base = draw(st.sampled_from(BASES if before_1970 else BASES[:1]))
    customers = draw(st.lists(st.sampled_from(IDS), min_size=1, max_size=5, unique=True))
    lines = [line for c in customers for line in customer_lines(draw, c, mode, base)]
    random.Random(draw(PICK)).shuffle(lines)  # the engine must not rely on the order
    dates = sorted({s for _, s, _, _ in lines} | {e for _, _, e, _ in lines if e is not None})
    how = draw(AS_OF_KINDS)
    if how == "default":
        as_of = None
    elif how == "on a date":  # a movement ON as_of counts
        as_of = dates[draw(PICK) % len(dates)]
    elif how == "near a date":
        as_of = dates[draw(PICK) % len(dates)] + dt.timedelta(days=draw(st.integers(-1, 1)))
    else:
        as_of = day(base, draw(st.integers(-10, 900)))
    return Case(lines, as_of, mode)


def reference_of(case: Case) -> Reference:
    ref = Reference(case.lines, case.as_of)
    # Too close to the 1e-6 threshold to call (see the module docstring); in raw mode also keep
    # every change >= 0.01 so that relative tolerances on ratios stay meaningful.
    assume(not ref.near_threshold)
    if case.mode == "raw":
        assume(all(abs(mv[3]) >= 0.01 for mv in ref.movements))
    note(f"lines={case.lines!r}\nas_of={case.as_of!r} (effective {ref.as_of})")
    return ref


def tolerance(case: Case) -> tuple[float, float]:
    """(atol for money, rtol for ratios)."""
    if case.mode == "raw":
        # Half a millionth of rounding per line; ratios over changes >= 0.01.
        n = len(case.lines)
        return n * 5e-7 + 1e-9, n * 1e-4
    return 1e-9, 1e-9


# --------------------------------------------------------------------------- comparisons


def engine_rows(mv: pd.DataFrame) -> list:
    return [
        (str(c), d.date(), str(k), a, b, f)
        for c, d, k, a, b, f in zip(
            mv["customer_id"],
            mv["date"],
            mv["kind"],
            mv["amount"],
            mv["mrr_before"],
            mv["mrr_after"],
        )
    ]


def assert_close(got, want, atol: float, rtol: float, what: str) -> None:
    got = np.asarray(got, dtype="float64")
    want = np.asarray(want, dtype="float64")
    assert got.shape == want.shape, (what, got.shape, want.shape)
    nan_got, nan_want = np.isnan(got), np.isnan(want)
    bad = (nan_got != nan_want) | ~(nan_got | np.isclose(got, want, atol=atol, rtol=rtol))
    where = np.flatnonzero(bad).tolist()
    assert not bad.any(), f"{what}: got {got[bad].tolist()} want {want[bad].tolist()} at {where}"


def assert_same_frame(got: pd.DataFrame, want: pd.DataFrame) -> None:
    """Identical frames (values, dtypes, index); cheap when they are, detailed when not.
    Movements: identical frames and as-of days."""
    if isinstance(got, mrrkit.Movements) or isinstance(want, mrrkit.Movements):
        assert got.as_of == want.as_of, (got.as_of, want.as_of)
        got, want = got.frame, want.frame
    same = (
        got.equals(want)
        and got.index.names == want.index.names
        and got.columns.names == want.columns.names
        and list(got.columns) == list(want.columns)
    )
    if not same:
        pd.testing.assert_frame_equal(got, want)


def assert_monthly_equal(got: pd.DataFrame, want: pd.DataFrame, case: Case) -> None:
    atol, rtol = tolerance(case)
    assert list(got.index) == list(want.index)
    assert set(got.columns) == set(want.columns)
    for c in COUNT_COLUMNS:
        assert got[c].astype("int64").tolist() == want[c].tolist(), c
    for c in MONEY_COLUMNS:
        assert_close(got[c], want[c], atol * (12 if c == "arr" else 1), 1e-12, c)
    for c in RATE_COLUMNS:
        assert_close(got[c], want[c], atol, rtol, c)


# --------------------------------------------------------------------------- engine == reference


@PROPERTY
@given(cases())
def test_movements_equal_the_reference(case):
    ref = reference_of(case)
    atol, _ = tolerance(case)
    mv = mrrkit.movements(case.frame(), as_of=case.as_of_arg)
    got = engine_rows(mv)
    assert [r[:3] for r in got] == [r[:3] for r in ref.movements]
    for g, w in zip(got, ref.movements):
        assert_close(g[3:], w[3:], atol, 0.0, f"amount/before/after of {g[:3]}")
    assert mv.as_of == pd.Timestamp(ref.as_of)


@PROPERTY
@given(cases())
def test_monthly_equals_the_reference(case):
    ref = reference_of(case)
    assert_monthly_equal(mrrkit.monthly(case.frame(), as_of=case.as_of_arg), ref.monthly(), case)


@PROPERTY
@given(cases())
def test_cohorts_equal_the_reference(case):
    ref = reference_of(case)
    atol, rtol = tolerance(case)
    for value in mrrkit.COHORT_VALUES:
        got = mrrkit.cohorts(case.frame(), value, as_of=case.as_of_arg)
        want = ref.cohorts(value)
        assert list(got.index) == list(want.index), value
        assert list(got.columns) == list(want.columns), value
        assert_close(got.to_numpy(), want.to_numpy(), atol, rtol, f"cohorts {value}")


@SECONDARY
@given(cases(), st.data())
def test_nrr_grr_equal_the_reference(case, data):
    ref = reference_of(case)
    _, rtol = tolerance(case)
    mv = mrrkit.movements(case.frame(), as_of=case.as_of_arg)
    last = ref.last_month
    first = min(month_number(s) for _, s, _, _ in case.lines) - 2
    for i in range(2):
        start = data.draw(st.integers(min(first, last), last), label="start")
        end = data.draw(st.integers(start, last), label="end")
        want_nrr, want_grr = ref.retention(start, end)
        s, e = str(period(start)), str(period(end))
        assert_close(mrrkit.nrr(mv, s, e), want_nrr, 0.0, rtol, f"nrr {s}..{e}")
        assert_close(mrrkit.grr(mv, s, e), want_grr, 0.0, rtol, f"grr {s}..{e}")
        if i == 0 and case.as_of is None:  # nrr() takes no as_of: lines only with the default
            assert_close(mrrkit.grr(case.frame(), s, e), want_grr, 0.0, rtol, "grr from lines")


@SECONDARY
@given(cases(), st.data())
def test_bridge_equals_the_reference(case, data):
    """mrr_bridge's amounts, distinct customers and movement counts are the reference's."""
    ref = reference_of(case)
    months = ref.months()
    assume(months)
    atol, _ = tolerance(case)
    mv = mrrkit.movements(case.frame(), as_of=case.as_of_arg)
    start = data.draw(st.sampled_from(months), label="start")
    end = data.draw(st.sampled_from([m for m in months if m >= start]), label="end")
    got = mrrkit.mrr_bridge(mv, str(period(start)), str(period(end)))
    want = ref.bridge(start, end)
    assert list(got.index) == list(want.index)
    assert got["customers"].tolist() == want["customers"].tolist()
    assert [None if pd.isna(x) else int(x) for x in got["movements"]] == want[
        "movements"].tolist()
    assert_close(got["amount"], want["amount"], 2 * atol, 1e-12, "bridge amounts")
    # The movements are those listed by movements_in; the customers, their distinct ids.
    for step in mrrkit.views.bridge.BRIDGE_STEPS:
        rows = mrrkit.views.bridge.movements_in(mv, str(period(start)), step, str(period(end)))
        assert got.at[step, "movements"] == len(rows)
        assert got.at[step, "customers"] == rows["customer_id"].nunique()
    if case.as_of is None:  # from the lines as well (their default as_of)
        assert_same_frame(mrrkit.mrr_bridge(case.frame(), str(period(start)), str(period(end))),
                          got)


@SECONDARY
@given(cases(), st.data())
def test_expansion_by_segment_equals_a_brute_force_count(case, data):
    """expansion_by_segment's customers and expanded customers (split into those paying at
    the start and those who joined or came back), counted customer by customer from the
    reference's movements and month ends."""
    ref = reference_of(case)
    months = ref.months()
    assume(months)
    atol, _ = tolerance(case)
    mv = mrrkit.movements(case.frame(), as_of=case.as_of_arg)
    start = data.draw(st.integers(months[0] - 2, ref.last_month - 1), label="start")
    end = data.draw(st.integers(start + 1, ref.last_month), label="end")
    # Two segments by id; some customers have no attribute at all.
    known = data.draw(st.lists(st.sampled_from(ref.customers), unique=True), label="known")
    attributes = pd.DataFrame({"seg": [f"s{len(c) % 2}" for c in known]},
                              index=pd.Index(known, dtype="str", name="customer_id"))
    got = mrrkit.expansion_by_segment(case.frame(), "seg", data=mv, start=str(period(start)),
                                      end=str(period(end)), attributes=attributes)
    want: dict[str, dict[str, float]] = {}
    for c in ref.customers:
        seg = attributes["seg"].get(c, "(missing)")
        row = want.setdefault(seg, dict.fromkeys(
            ("customers", "start_mrr", "expansion", "expanded_customers",
             "expanded_start_customers", "expanded_joined_customers"), 0))
        level = ref.month_end_mrr(c, start)
        grew = [mv[3] for mv in ref.movements if mv[0] == c and mv[2] == "expansion"
                and start < month_number(mv[1]) <= end]
        at_start = level > 1e-6
        row["customers"] += at_start
        row["start_mrr"] += level
        row["expansion"] += sum(grew)
        row["expanded_customers"] += bool(grew)
        row["expanded_start_customers"] += bool(grew) and at_start
        row["expanded_joined_customers"] += bool(grew) and not at_start
    assert sorted(got.index) == sorted(want)
    for seg, row in want.items():
        for col in ("customers", "expanded_customers", "expanded_start_customers",
                    "expanded_joined_customers"):
            assert got.at[seg, col] == row[col], (seg, col)
        assert_close(got.at[seg, "start_mrr"], row["start_mrr"], 2 * atol, 0.0, "start_mrr")
        assert_close(got.at[seg, "expansion"], row["expansion"], 2 * atol, 0.0, "expansion")
    assert (got["expanded_start_customers"] <= got["customers"]).all()


def test_cohorts_before_1970():
    lines = [("a", dt.date(1969, 12, 15), dt.date(1970, 2, 10), 10.0)]
    as_of = dt.date(1970, 2, 28)
    got = mrrkit.cohorts(lines_frame(lines), "mrr", as_of=as_of.isoformat())
    # Reference: cohort 1969-12, ages 0..2 = 10/10, 10/10, 0/10.
    want = Reference(lines, as_of).cohorts("mrr")
    assert want.to_numpy().tolist() == [[1.0, 1.0, 0.0]]
    pd.testing.assert_frame_equal(got, want, check_dtype=False)


# --------------------------------------------------------------------------- invariants


@SECONDARY
@given(cases())
def test_invariants(case):
    ref = reference_of(case)
    atol, _ = tolerance(case)
    df = case.frame()
    mv = mrrkit.movements(df, as_of=case.as_of_arg)
    t = mrrkit.monthly(mv)

    # Each customer's movements add up to its MRR at as_of, and chain before -> after.
    ids = mv["customer_id"].astype(str).to_numpy()
    amount, before, after = (mv[c].to_numpy() for c in ("amount", "mrr_before", "mrr_after"))
    for c in ref.customers:
        own = np.flatnonzero(ids == c)
        assert_close(amount[own].sum(), ref.final_mrr(c), atol, 0.0, f"sum of {c}'s amounts")
        if len(own):
            assert before[own[0]] == 0.0
            assert (before[own[1:]] == after[own[:-1]]).all()
            assert_close(after[own[-1]], ref.final_mrr(c), atol, 0.0, f"{c}'s last mrr_after")
    if len(t) == 0:
        return

    # mrr(M) = mrr(M-1) + net_new(M), exactly in the engine's unit (integer millionths); the
    # floats shown are those integers / 1e6, so a float sum may differ in the last bit.
    def micros(col):
        return np.rint(t[col].to_numpy() * 1e6).astype(np.int64)

    mrr, net = micros("mrr"), micros("net_new")
    assert mrr[0] == net[0]
    assert (mrr[1:] == mrr[:-1] + net[1:]).all()
    kinds = sum(micros(k) for k in ("new", "expansion", "contraction", "churn", "reactivation"))
    assert (kinds == net).all()

    # customers(M) = customers(M-1) + new + reactivated - churned (counts of movements).
    step = t["new_customers"] + t["reactivated_customers"] - t["churned_customers"]
    assert (t["customers"].to_numpy() == np.cumsum(step.to_numpy())).all()

    # GRR <= 1 and GRR <= NRR; both undefined on the same months (no base).
    nrr, grr = t["nrr"].to_numpy(), t["grr"].to_numpy()
    assert (np.isnan(nrr) == np.isnan(grr)).all()
    ok = ~np.isnan(grr)
    assert (grr[ok] <= 1 + 1e-12).all()
    assert (grr[ok] <= nrr[ok] + 1e-12).all()

    # quick ratio = gains / losses; undefined exactly when nothing was lost.
    losses = -(t["churn"] + t["contraction"]).to_numpy()
    gains = (t["new"] + t["expansion"] + t["reactivation"]).to_numpy()
    qr = t["quick_ratio"].to_numpy()
    assert (np.isnan(qr) == (losses == 0)).all()
    assert_close(qr[losses != 0] * losses[losses != 0], gains[losses != 0], 1e-6, 1e-9, "quick")

    # Cohorts: one row per month with a `new` movement; 1.0 at age 0 unless the cohort has
    # nobody paying at the end of its own month.
    by_mrr = mrrkit.cohorts(mv, "mrr")
    by_customers = mrrkit.cohorts(mv, "customers")
    new_months = sorted({d.to_period("M") for d in mv.frame.loc[mv["kind"] == "new", "date"]})
    assert list(by_mrr.index) == new_months
    for table in (by_mrr, by_customers):
        age0 = table[0].to_numpy()
        assert ((age0 == 1.0) | np.isnan(age0)).all()
    assert (np.isnan(by_mrr[0].to_numpy()) == np.isnan(by_customers[0].to_numpy())).all()

    # The functions agree with the monthly columns.
    i = len(t) - 1
    if i >= 1:
        s, e = str(t.index[i - 1]), str(t.index[i])
        assert_close(mrrkit.nrr(mv, s, e), nrr[i], 0.0, 1e-12, "nrr vs monthly")
        assert_close(mrrkit.grr(mv, s, e), grr[i], 0.0, 1e-12, "grr vs monthly")
        first = str(t.index[0])
        g, n = mrrkit.grr(mv, first, e), mrrkit.nrr(mv, first, e)
        if not np.isnan(g):
            assert g <= 1 + 1e-12 and g <= n + 1e-12


# --------------------------------------------------------------------------- metamorphic


@METAMORPHIC
@given(cases(), st.data())
def test_segment_of_movements_equals_lines_of_those_customers(case, data):
    df = case.frame()
    as_of = case.effective_as_of.isoformat()
    customers = sorted(set(df["customer_id"]))
    segment = data.draw(
        st.lists(st.sampled_from(customers), min_size=1, unique=True), label="segment"
    )
    mv = mrrkit.movements(df, as_of=as_of)
    mv_segment = mv[mv["customer_id"].isin(segment)]
    lines_segment = df[df["customer_id"].isin(segment)]
    assert_same_frame(mrrkit.monthly(mv_segment), mrrkit.monthly(lines_segment, as_of=as_of))
    assert_same_frame(
        mrrkit.cohorts(mv_segment, "mrr"), mrrkit.cohorts(lines_segment, "mrr", as_of=as_of)
    )


@METAMORPHIC
@given(cases(), st.data())
def test_movements_frame_and_lines_give_identical_views(case, data):
    df = case.frame()
    mv = mrrkit.movements(df, as_of=case.as_of_arg)
    assert_same_frame(mrrkit.monthly(mv), mrrkit.monthly(df, as_of=case.as_of_arg))
    value = data.draw(st.sampled_from(mrrkit.COHORT_VALUES), label="value")
    assert_same_frame(mrrkit.cohorts(mv, value), mrrkit.cohorts(df, value, as_of=case.as_of_arg))
    # The frame read back as it comes out of a CSV (text ids and kinds, rows in any order, no
    # attrs) gives the same tables.
    plain = mv.frame.assign(customer_id=mv["customer_id"].astype(str), kind=mv["kind"].astype(str))
    plain = plain.iloc[data.draw(st.permutations(range(len(plain))), label="rows")]
    plain.attrs = {}
    as_of = case.effective_as_of.isoformat()
    plain = mrrkit.Movements.from_frame(plain, as_of=as_of)
    assert_same_frame(mrrkit.monthly(plain), mrrkit.monthly(mv))
    assert_same_frame(mrrkit.cohorts(plain, value), mrrkit.cohorts(mv, value))
    # An earlier as_of applied to the movements cuts them as the lines would be cut.
    cut = case.effective_as_of - dt.timedelta(days=data.draw(st.integers(0, 200), label="back"))
    assert_same_frame(
        mrrkit.monthly(mv, as_of=cut.isoformat()), mrrkit.monthly(df, as_of=cut.isoformat())
    )


@settings(METAMORPHIC, max_examples=40)  # many calls per example; the paths do not vary much
@given(cases())
def test_callers_frames_are_never_mutated(case):
    df = case.frame()
    df_before = copy.deepcopy(df)
    mv = mrrkit.movements(df, as_of=case.as_of_arg)
    month = str(pd.Period(case.effective_as_of, freq="M"))
    default_month = str(pd.Period(default_as_of(case.lines), freq="M"))  # nrr() takes no as_of
    mrrkit.monthly(df, as_of=case.as_of_arg)
    mrrkit.cohorts(df, "arpa", as_of=case.as_of_arg)
    mrrkit.nrr(df, default_month, default_month)
    mrrkit.grr(df, default_month, default_month)
    assert_same_frame(df, df_before)

    mv_before = copy.deepcopy(mv)
    shuffled = mv.frame.iloc[::-1]  # an unsorted movements frame takes a different path
    shuffled_before = copy.deepcopy(shuffled)
    for data in (mv, mrrkit.Movements.from_frame(shuffled, as_of=mv.as_of)):
        mrrkit.monthly(data)
        mrrkit.cohorts(data, "customers")
        mrrkit.nrr(data, month, month)
    assert_same_frame(mv, mv_before)
    assert mv.as_of == mv_before.as_of
    assert_same_frame(shuffled, shuffled_before)


@METAMORPHIC
@given(cases(), st.randoms(use_true_random=False))
def test_row_order_of_the_lines_does_not_matter(case, rnd):
    shuffled = list(case.lines)
    rnd.shuffle(shuffled)
    as_of = case.effective_as_of.isoformat()  # the default as_of does not depend on order either
    got = mrrkit.movements(lines_frame(shuffled), as_of=case.as_of_arg)
    want = mrrkit.movements(case.frame(), as_of=case.as_of_arg)
    assert_same_frame(got, want)
    assert got.as_of == want.as_of == pd.Timestamp(as_of)
    # Sorted by customer then date (the other order a caller might hand in).
    by_customer = sorted(case.lines, key=lambda line: (line[0], line[1]))
    assert_same_frame(mrrkit.movements(lines_frame(by_customer), as_of=case.as_of_arg), want)


@METAMORPHIC
@given(cases(), st.data())
def test_how_the_columns_are_typed_does_not_matter(case, data):
    want = mrrkit.movements(case.frame(), as_of=case.as_of_arg)
    df = case.frame()
    ids = data.draw(st.sampled_from(["object", "categorical"]), label="customer_id")
    if ids == "object":
        df["customer_id"] = df["customer_id"].astype(object)
    else:  # categories in a random order, not the text order
        categories = data.draw(st.permutations(sorted(set(df["customer_id"]))), label="order")
        df["customer_id"] = pd.Categorical(df["customer_id"], categories=categories)
    dates = data.draw(st.sampled_from(["iso text", "datetime64[ns]"]), label="dates")
    for column in ("start", "end"):
        if dates == "iso text":
            text = df[column].dt.strftime("%Y-%m-%d")
            df[column] = text.astype(object).where(df[column].notna(), None)
        else:
            df[column] = df[column].astype("datetime64[ns]")
    assert_same_frame(mrrkit.movements(df, as_of=case.as_of_arg), want)


@METAMORPHIC
@given(cases(), st.data())
def test_splitting_a_line_into_two_contiguous_lines_changes_nothing(case, data):
    as_of = case.effective_as_of
    # A line can be split at a day strictly inside it and not after as_of (an open line split
    # later would move the default as_of).
    splittable = [
        i
        for i, (_, s, e, _) in enumerate(case.lines)
        if (e if e is not None else as_of + dt.timedelta(days=1)) - s >= dt.timedelta(days=2)
        and s < as_of
    ]
    assume(splittable)
    i = data.draw(st.sampled_from(splittable), label="line")
    c, s, e, m = case.lines[i]
    last = min(e - dt.timedelta(days=1) if e is not None else as_of, as_of)
    cut = s + dt.timedelta(days=data.draw(st.integers(1, (last - s).days), label="cut"))
    split = case.lines[:i] + [(c, s, cut, m), (c, cut, e, m)] + case.lines[i + 1 :]
    assert_same_frame(
        mrrkit.movements(lines_frame(split), as_of=case.as_of_arg),
        mrrkit.movements(case.frame(), as_of=case.as_of_arg),
    )
