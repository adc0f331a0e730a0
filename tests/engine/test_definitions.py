"""Switchable definitions (issue 15): every switch against the naive reference
(``tests/reference_definitions.py``), properties per switch, and mrrkit's own definitions
changing nothing."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from tests.engine.test_properties import (
    Case,
    assert_close,
    assert_monthly_equal,
    cases,
    engine_rows,
    lines_frame,
)
from tests.reference import default_as_of
from tests.reference_definitions import DefinedReference

import mrrkit
from mrrkit import Definitions
from mrrkit.engine.definitions import SOURCES

PROPERTY = settings(max_examples=120, deadline=None)

SWITCHES = st.builds(
    Definitions,
    reactivation_window=st.one_of(st.none(), st.integers(0, 400)),
    reactivation_as=st.sampled_from(["reactivation", "new", "expansion"]),
    grain=st.sampled_from(["event", "month"]),
    churn_at=st.sampled_from(["end", "request"]),
    pauses=st.sampled_from(["zero", "keep", "state"]),
    delinquency=st.one_of(st.sampled_from(["as_read", "keep"]), st.integers(0, 120)),
    churn_rate_base=st.sampled_from(["start", "average", "start_plus_new"]),
    same_month_churn=st.sampled_from(["count", "exclude", "ignore"]),
    quick_ratio_reactivation=st.booleans(),
    retention=st.sampled_from(["customers", "movements"]),
    discounts=st.sampled_from(["all", "recurring", "none"]),
)


@st.composite
def defined_cases(draw):
    """Reference cases (cents) whose lines carry a status and the dates the switches read: a
    paused or delinquent line ended by its state (the date is its end) or not, a cancellation
    request before or after its end."""
    case = draw(cases(before_1970=False).filter(lambda c: c.mode == "cents"))
    extras = []
    for _, s, e, m in case.lines:
        kind = draw(st.sampled_from(["", "", "paused", "delinquent", "cancelled"]))
        x = {}
        if m <= 0:  # (a discount line: its subscription's status is on the paid line)
            kind = ""
        if kind in ("paused", "delinquent") and e is not None:
            x["billing_status"] = kind
            at = e if draw(st.booleans()) else s + dt.timedelta(days=draw(st.integers(0, 90)))
            x["paused_at" if kind == "paused" else "delinquent_since"] = at
        elif kind == "cancelled":
            x["canceled_at"] = s + dt.timedelta(days=draw(st.integers(-5, 400)))
        if m > 0 and draw(st.booleans()):  # discounts taken off a paid line, in cents
            x["recurring_discount"] = draw(st.integers(0, 500)) / 100
            x["one_time_discount"] = draw(st.integers(0, 500)) / 100
        extras.append(x)
    return case, extras


def frame_of(case: Case, extras) -> pd.DataFrame:
    frame = lines_frame(case.lines)
    frame["billing_status"] = pd.array([x.get("billing_status") for x in extras], dtype="str")
    for name in ("canceled_at", "paused_at", "delinquent_since"):
        frame[name] = np.array([x.get(name) for x in extras], "datetime64[D]").astype(
            "datetime64[s]")
    for name in mrrkit.LINE_DISCOUNTS:
        frame[name] = np.array([x.get(name, np.nan) for x in extras], dtype="float64")
    return frame


@PROPERTY
@given(defined_cases(), SWITCHES)
def test_every_switch_matches_the_naive_reference(case_extras, definitions):
    case, extras = case_extras
    lines = [(c, s, e, m, x) for (c, s, e, m), x in zip(case.lines, extras)]
    as_of = case.as_of or default_as_of(case.lines)
    try:
        mv = mrrkit.movements(frame_of(case, extras), as_of=as_of, definitions=definitions)
    except ValueError as exc:
        # Only lines refused as given (negative MRR under mrrkit's own definitions): a paid line
        # ended earlier ends the discount lines it carried (test below).
        assert "negative MRR" in str(exc)
        with pytest.raises(ValueError, match="negative MRR"):
            mrrkit.movements(frame_of(case, extras), as_of=as_of)
        assume(False)
    ref = DefinedReference(lines, definitions, as_of)
    assume(not ref.near_threshold)
    rows = engine_rows(mv.frame)
    assert [r[:3] for r in rows] == [r[:3] for r in ref.movements]
    for g, w in zip(rows, ref.movements):
        assert_close(g[3:], w[3:], 1e-9, 0.0, f"amount/before/after of {g[:3]}")
    got, want = mrrkit.monthly(mv), ref.monthly()
    assert_monthly_equal(got, want, case)


@PROPERTY
@given(defined_cases(), st.one_of(st.sampled_from(sorted(mrrkit.DEFINITION_PRESETS)), SWITCHES))
def test_no_definition_gives_negative_mrr_to_lines_valid_as_given(case_extras, definitions):
    """A definition that ends paid lines earlier (a request, a delinquency) ends the negative
    lines they carried too: lines the engine takes as given never turn negative under a preset
    or any switches."""
    case, extras = case_extras
    as_of = case.as_of or default_as_of(case.lines)
    frame = frame_of(case, extras)
    try:
        mrrkit.movements(frame, as_of=as_of)
    except ValueError:
        assume(False)  # (refused as given: nothing a definition could mend)
    before = frame.copy()
    mv = mrrkit.movements(frame, as_of=as_of, definitions=definitions)
    assert (mv.frame["mrr_after"] >= 0).all() and (mv.frame["mrr_before"] >= 0).all()
    pd.testing.assert_frame_equal(frame, before)  # (the caller's frame untouched)


def test_a_discount_line_ends_with_the_subscription_it_offsets():
    """A customer paying 100 with a 20 discount line cancels on March 10 (the subscription runs
    to December): under Stripe's ``churn_at="request"`` both end on March 10, a churn of 80,
    0 MRR after (not -20); the naive reference agrees."""
    d = dt.date
    lines = [("a", d(2024, 1, 1), d(2024, 12, 1), 100.0, {"canceled_at": d(2024, 3, 10)}),
             ("a", d(2024, 1, 1), d(2024, 12, 1), -20.0, {}),
             ("b", d(2024, 1, 1), None, 20.0, {}),
             ("b", d(2024, 2, 1), d(2024, 8, 1), 30.0, {"billing_status": "delinquent",
                                                       "delinquent_since": d(2024, 4, 1)}),
             ("b", d(2024, 2, 1), d(2024, 8, 1), -40.0, {})]
    frame = pd.DataFrame({
        "customer_id": [x[0] for x in lines],
        "start": pd.to_datetime([x[1] for x in lines]),
        "end": pd.to_datetime([x[2] for x in lines]),
        "mrr": [x[3] for x in lines],
        "billing_status": pd.array([x[4].get("billing_status") for x in lines], dtype="str"),
        "canceled_at": pd.to_datetime([x[4].get("canceled_at") for x in lines]),
        "delinquent_since": pd.to_datetime([x[4].get("delinquent_since") for x in lines]),
    })
    as_of = d(2024, 12, 31)
    stripe = dataclasses.replace(Definitions.preset("stripe"), delinquency=30)
    mv = mrrkit.movements(frame, as_of=as_of, definitions=stripe)
    got = engine_rows(mv.frame)
    ref = DefinedReference(lines, stripe, as_of)
    assert [r[:3] for r in got] == [r[:3] for r in ref.movements]
    for g, w in zip(got, ref.movements):
        assert_close(g[3:], w[3:], 1e-9, 0.0, f"amount/before/after of {g[:3]}")
    table = mv.frame.set_index(["customer_id", "date"])
    assert table.loc[("a", pd.Timestamp("2024-03-10")), "amount"] == -80.0
    assert table.loc[("a", pd.Timestamp("2024-03-10")), "mrr_after"] == 0.0
    # b: 20 + 30 - 40 = 10 from February; delinquent from April (30 days on as_of): the 30 line
    # ends on April 1 and the -40 credit with it, so 20 from April 1 (+10), not -20.
    assert table.loc[("b", pd.Timestamp("2024-04-01")), "mrr_after"] == 20.0
    assert (mv.frame["mrr_after"] >= 0).all()


@PROPERTY
@given(defined_cases())
def test_mrrkits_own_definitions_change_nothing(case_extras):
    case, extras = case_extras
    frame = frame_of(case, extras)
    plain = mrrkit.movements(frame, as_of=case.as_of_arg)
    own = mrrkit.movements(frame, as_of=case.as_of_arg, definitions="mrrkit")
    assert own.definitions is None and own.digest == plain.digest
    pd.testing.assert_frame_equal(mrrkit.monthly(own), mrrkit.monthly(plain))
    assert "definitions" not in mrrkit.monthly(own).attrs


@PROPERTY
@given(defined_cases())
def test_with_a_window_of_zero_days_nobody_reactivates(case_extras):
    case, extras = case_extras
    frame = frame_of(case, extras)
    mv = mrrkit.movements(frame, as_of=case.as_of_arg,
                          definitions=Definitions(reactivation_window=0))
    assert not (mv.frame["kind"] == "reactivation").any()
    # Every return became new: as many rises from 0 as mrrkit's new and reactivations.
    own = mrrkit.movements(frame, as_of=case.as_of_arg).frame
    assert (mv.frame["kind"] == "new").sum() == own["kind"].isin(["new", "reactivation"]).sum()


@PROPERTY
@given(defined_cases())
def test_month_snapshots_keep_every_month_end_mrr_and_move_once_a_month(case_extras):
    case, extras = case_extras
    frame = frame_of(case, extras)
    events = mrrkit.movements(frame, as_of=case.as_of_arg)
    months = mrrkit.movements(frame, as_of=case.as_of_arg, definitions=Definitions(grain="month"))
    a, b = mrrkit.monthly(events), mrrkit.monthly(months)
    common = a.index.intersection(b.index)
    np.testing.assert_allclose(a.loc[common, "mrr"], b.loc[common, "mrr"], atol=1e-9)
    per = months.frame.assign(month=months.frame["date"].dt.to_period("M"))
    assert not per.duplicated(["customer_id", "month"]).any()


@PROPERTY
@given(defined_cases())
def test_kept_pauses_never_drop_mrr_at_a_pause(case_extras):
    case, extras = case_extras
    frame = frame_of(case, extras)
    kept = mrrkit.movements(frame, as_of=case.as_of_arg, definitions=Definitions(pauses="keep"))
    fell = kept.frame[kept.frame["amount"] < 0]
    paused = {i for i, ((c, s, e, m), x) in enumerate(zip(case.lines, extras))
              if x.get("billing_status") == "paused" and x.get("paused_at") == e}
    for c, d in zip(fell["customer_id"], fell["date"].dt.date):
        ending = [i for i, (cc, s, e, m) in enumerate(case.lines)
                  if cc == c and e == d and s < e and m != 0]
        if ending and all(i in paused for i in ending):
            raise AssertionError(f"{c} lost MRR on {d}, where only its pause ended a line")


@PROPERTY
@given(defined_cases())
def test_reactivations_reported_as_expansion_keep_the_customers_and_the_mrr(case_extras):
    case, extras = case_extras
    frame = frame_of(case, extras)
    own = mrrkit.monthly(mrrkit.movements(frame, as_of=case.as_of_arg))
    as_expansion = mrrkit.monthly(mrrkit.movements(
        frame, as_of=case.as_of_arg, definitions=Definitions(reactivation_as="expansion")))
    pd.testing.assert_series_equal(own["customers"], as_expansion["customers"])
    pd.testing.assert_series_equal(own["mrr"], as_expansion["mrr"])
    assert (as_expansion["reactivation"] == 0).all()
    np.testing.assert_allclose(as_expansion["expansion"], own["expansion"] + own["reactivation"])


def test_definitions_are_checked_and_movements_never_mix_two():
    with pytest.raises(ValueError, match="grain"):
        Definitions(grain="weekly")
    with pytest.raises(ValueError, match="delinquency"):
        Definitions(delinquency=-3)
    with pytest.raises(ValueError, match="no preset"):
        Definitions.preset("excel")
    lines = mrrkit.load_sample()
    mv = mrrkit.movements(lines, definitions="chartmogul")
    assert mv.definitions == Definitions.preset("chartmogul")
    with pytest.raises(ValueError, match="other definitions"):
        mrrkit.monthly(mv, definitions="baremetrics")
    assert mrrkit.monthly(mv).attrs["definitions"].name == "chartmogul"
    # A segment keeps them.
    some = mrrkit.filter_movements(mv, mv.customers[:10])
    assert some.definitions == mv.definitions


def test_every_preset_names_its_sources():
    for name, switches in SOURCES.items():
        preset = Definitions.preset(name)
        assert preset.name == name
        for switch, (value, source) in switches.items():
            assert getattr(preset, switch) == value
            assert source.startswith(("http", "same page", "not published", "seed",
                                      "ProfitWell's")), (name, switch)


def test_a_preset_changed_by_hand_is_custom():
    assert dataclasses.replace(Definitions.preset("stripe"), grain="month").name == "custom"


def test_every_view_takes_the_definitions_and_equals_it_on_their_movements():
    """Issue 15: "everything takes it": for lines, each view's ``definitions=`` computes the
    movements under them, giving what the same view gives on those movements."""
    lines = mrrkit.load_sample()
    chosen = Definitions.preset("maxio")
    mv = mrrkit.movements(lines, definitions=chosen)
    labels = mrrkit.segment_labels(mrrkit.customer_attributes(lines), ["industry"])["industry"]
    pd.testing.assert_frame_equal(mrrkit.monthly(lines, definitions=chosen), mrrkit.monthly(mv))
    pd.testing.assert_frame_equal(mrrkit.cohorts(lines, definitions=chosen), mrrkit.cohorts(mv))
    assert mrrkit.nrr(lines, "2025-10", "2026-10", definitions=chosen) == mrrkit.nrr(
        mv, "2025-10", "2026-10")
    pd.testing.assert_frame_equal(mrrkit.kpis(lines, "2026-10", definitions=chosen),
                                  mrrkit.kpis(mv, "2026-10"))
    pd.testing.assert_frame_equal(
        mrrkit.segment_table(lines, labels, "2025-11", "2026-10", definitions=chosen),
        mrrkit.segment_table(mv, labels, "2025-11", "2026-10"))
    pd.testing.assert_frame_equal(mrrkit.forecast(lines, 6, n_boot=0, definitions=chosen),
                                  mrrkit.forecast(mv, 6, n_boot=0))
    # Reactivations counted as new change the customers' new business: the forecast moves.
    assert not mrrkit.forecast(lines, 6, n_boot=0, definitions="maxio").equals(
        mrrkit.forecast(lines, 6, n_boot=0))
