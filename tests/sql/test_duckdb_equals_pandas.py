"""mrrkit.sql on DuckDB equals the pandas engine (issue 16): the same random lines as the pandas
engine's own properties (``tests/engine/test_properties.py``, ``test_definitions.py``), every
movement, every monthly column, every cohort cell, NRR/GRR and the per-segment monthly tables
identical (not close: both engines sum the same integer micros and finish the views with the
same functions)."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from tests.engine.test_definitions import SWITCHES, defined_cases, frame_of
from tests.engine.test_properties import assert_same_frame, cases

import mrrkit
import mrrkit.sql
import mrrkit.views.cohort_tables
from mrrkit import Definitions

# 30 examples a run (was 45): with every page on a warehouse tested, a fresh-clone `make test`
# took 9 min 23 s of its 10; each run draws new ones.
PROPERTY = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def sql_lines(con, frame: pd.DataFrame):
    return mrrkit.sql.lines_table(con.create_table("lines", frame, overwrite=True))


def pandas_or_error(compute):
    """The pandas engine's result, or the ValueError it raises (the SQL one must raise too)."""
    try:
        return compute(), None
    except ValueError as exc:
        return None, exc


def same_movements(sql_mv, pandas_mv) -> None:
    got = sql_mv.to_pandas()
    assert got.as_of == pandas_mv.as_of
    assert got.definitions == pandas_mv.definitions
    # The pandas movements know every customer of the lines (some with no movement); compare
    # the rows, ids as text.
    want = pandas_mv.frame.astype({"customer_id": "str"})
    pd.testing.assert_frame_equal(got.frame.astype({"customer_id": "str"}), want)


def same_views(con, frame: pd.DataFrame, as_of, definitions=None, data=None) -> None:
    """Movements, the monthly table, a cohort table and NRR/GRR between two month ends equal
    (one cohort value and one pair of months per example, drawn: each query costs ~50 ms of
    Ibis compiling, so an example checks one of each)."""
    mv, error = pandas_or_error(lambda: mrrkit.movements(frame, as_of=as_of,
                                                         definitions=definitions))
    lines = sql_lines(con, frame)
    if error is not None:
        with pytest.raises(ValueError, match="negative MRR"):
            mrrkit.sql.monthly(lines, as_of=as_of, definitions=definitions)
        return
    smv = mrrkit.sql.movements(lines, as_of=as_of, definitions=definitions)
    same_movements(smv, mv)
    table = mrrkit.monthly(mv)
    assert_same_frame(mrrkit.sql.monthly(smv), table)
    value = data.draw(st.sampled_from(mrrkit.COHORT_VALUES), label="cohort value")
    assert_same_frame(mrrkit.sql.cohorts(smv, value), mrrkit.cohorts(mv, value))
    if len(table) == 0:
        return
    months = list(table.index)
    start = data.draw(st.sampled_from(months), label="start")
    end = data.draw(st.sampled_from([m for m in months if m >= start]), label="end")
    for sql_ratio, pandas_ratio in ((mrrkit.sql.nrr, mrrkit.nrr), (mrrkit.sql.grr, mrrkit.grr)):
        got, want = sql_ratio(smv, start, end), pandas_ratio(mv, start, end)
        assert got == want or (np.isnan(got) and np.isnan(want)), (start, end, got, want)


@PROPERTY
@given(cases(), st.data())
def test_mrrkits_own_definitions_equal_the_pandas_engine(duckdb, case, data):
    same_views(duckdb, case.frame(), case.as_of_arg, data=data)


@PROPERTY
@given(defined_cases(), SWITCHES, st.data())
def test_every_switch_equals_the_pandas_engine(duckdb, case_extras, definitions, data):
    case, extras = case_extras
    same_views(duckdb, frame_of(case, extras), case.as_of_arg, definitions, data)


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cases(), st.sampled_from(sorted(mrrkit.DEFINITION_PRESETS)), st.data())
def test_segment_monthly_tables_equal_the_pandas_engine_per_segment(duckdb, case, preset, data):
    frame = case.frame()
    # One segment per customer here (a customer's latest line decides; the ties are tested
    # below): some customers with none.
    ids = sorted(set(frame["customer_id"]))
    label = {c: data.draw(st.sampled_from(["SMB", "Mid-market", None]), label=c) for c in ids}
    frame["size"] = pd.array([label[c] for c in frame["customer_id"]], dtype="str")
    mv, error = pandas_or_error(lambda: mrrkit.movements(frame, as_of=case.as_of_arg,
                                                         definitions=preset))
    assume(error is None)
    got = mrrkit.sql.segment_monthly(sql_lines(duckdb, frame), "size", as_of=case.as_of_arg,
                                     definitions=preset)
    labels = mrrkit.segment_labels(mrrkit.customer_attributes(frame), ["size"])["size"]
    seen = []
    for name in labels.cat.categories:
        part = mrrkit.filter_movements(mv, labels.index[labels == name])
        if len(part) == 0:
            continue
        seen.append(name)
        assert_same_frame(got.loc[name], mrrkit.monthly(part))
    assert list(got.index.get_level_values("segment").unique()) == seen


def test_a_customers_segment_is_its_latest_line(duckdb):
    frame = pd.DataFrame({
        "customer_id": ["a", "a", "b", "b"],
        "start": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-01-01", "2024-02-01"]),
        "end": pd.to_datetime(["2024-03-01", None, "2024-02-01", None]),
        "mrr": [10.0, 20.0, 5.0, 7.0],
        "plan": ["basic", "pro", "pro", None],
    })
    got = mrrkit.sql.segment_monthly(sql_lines(duckdb, frame), "plan")
    assert list(got.index.get_level_values("segment").unique()) == ["pro", mrrkit.MISSING]
    assert got.loc["pro", "mrr"].tolist() == [10.0, 10.0, 20.0]
    assert got.loc[mrrkit.MISSING, "mrr"].tolist() == [5.0, 7.0, 7.0]


def test_segment_lines_keep_whole_customers_by_their_latest_label(duckdb):
    frame = pd.DataFrame({
        "customer_id": ["a", "a", "b", "c"],
        "start": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-01-01", "2024-01-05"]),
        "end": pd.to_datetime(["2024-03-01", None, None, None]),
        "mrr": [10.0, 20.0, 5.0, 3.0],
        "plan": ["basic", "pro", "basic", None],
    })
    lines = sql_lines(duckdb, frame)
    picked = mrrkit.sql.segment_lines(lines, {"plan": ["pro"]})
    assert sorted(picked.to_pandas()["customer_id"]) == ["a", "a"]  # both of a's lines
    picked = mrrkit.sql.segment_lines(lines, {"plan": ["basic", mrrkit.MISSING]})
    assert sorted(picked.to_pandas()["customer_id"]) == ["b", "c"]
    assert mrrkit.sql.segment_lines(lines, {"plan": []}) is lines


def test_rounding_to_micros_is_numpys_half_to_even(duckdb):
    amounts = [0.0000025, 0.0000035, -0.0000025, 1e-6, -1e-6, 1.0000005, 2.675, 1234567.891234]
    t = ibis.memtable(pd.DataFrame({"x": amounts}))
    got = duckdb.to_pandas(t.select(m=mrrkit.sql.micros(t.x)))["m"].tolist()
    x = np.array(amounts)
    want = np.where(np.abs(x) <= 1e-6, 0, np.rint(x * 1e6)).astype(np.int64).tolist()
    assert got == want


@pytest.mark.parametrize(("change", "message"), [
    ({"customer_id": [None, "b"]}, "column 'customer_id' has missing values in 1 row"),
    ({"start": pd.to_datetime([None, "2024-01-01"])}, "column 'start' has missing dates"),
    ({"start": pd.to_datetime(["1800-01-01", "2024-01-01"])}, "outside 1900-01-01"),
    ({"mrr": [np.nan, 1.0]}, "column 'mrr' has missing or infinite values in 1 row"),
    ({"end": pd.to_datetime(["2023-01-01", None])}, "column 'end' is before 'start' in 1 row"),
    ({"mrr": ["10", "20"]}, "column 'mrr' must be numeric"),
])
def test_bad_lines_are_refused_naming_the_column(duckdb, change, message):
    frame = pd.DataFrame({"customer_id": ["a", "b"],
                          "start": pd.to_datetime(["2024-01-01", "2024-01-01"]),
                          "end": pd.to_datetime([None, None]), "mrr": [1.0, 2.0]})
    frame = frame.assign(**change)
    with pytest.raises(ValueError, match=message):
        sql_lines(duckdb, frame)


def test_a_mapping_renames_the_tables_columns_and_missing_ones_are_named(duckdb):
    frame = pd.DataFrame({"account": ["a"], "from": pd.to_datetime(["2024-01-01"]),
                          "to": pd.to_datetime([None]), "amount": [12.5]})
    t = duckdb.create_table("mapped", frame, overwrite=True)
    with pytest.raises(ValueError, match=r"lines lack column\(s\) \['customer_id', 'start'"):
        mrrkit.sql.lines_table(t)
    with pytest.raises(ValueError, match="does not have"):
        mrrkit.sql.lines_table(t, {"customer_id": "acct"})
    lines = mrrkit.sql.lines_table(t, {"customer_id": "account", "start": "from", "end": "to",
                                       "mrr": "amount"})
    assert mrrkit.sql.monthly(lines)["mrr"].tolist() == [12.5]


def test_movements_of_other_definitions_never_mix(duckdb):
    frame = pd.DataFrame({"customer_id": ["a"], "start": pd.to_datetime(["2024-01-01"]),
                          "end": pd.to_datetime([None]), "mrr": [1.0]})
    mv = mrrkit.sql.movements(sql_lines(duckdb, frame), definitions="chartmogul")
    with pytest.raises(ValueError, match="other definitions"):
        mrrkit.sql.monthly(mv, definitions="baremetrics")
    with pytest.raises(ValueError, match="as of"):
        mrrkit.sql.monthly(mv, as_of="2023-01-01")
    assert mrrkit.sql.monthly(mv, definitions="chartmogul").attrs["definitions"].name == "chartmogul"


def test_a_credit_ends_with_the_cancelled_line_it_offsets(duckdb):
    # Maxio churns at the cancellation request (2024-03-10): the -20 credit inside the cancelled
    # line ends with it, so the customer churns to 0, never to -20 (mrrkit.engine.adjust).
    frame = pd.DataFrame({"customer_id": ["a", "a", "b"],
                          "start": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-01"]),
                          "end": pd.to_datetime(["2024-06-01", "2024-06-01", None]),
                          "mrr": [100.0, -20.0, 5.0],
                          "canceled_at": pd.to_datetime(["2024-03-10", None, None])})
    got = mrrkit.sql.monthly(sql_lines(duckdb, frame), definitions="maxio")
    assert got["churn"].tolist() == [0.0, 0.0, -80.0, 0.0, 0.0, 0.0]
    assert_same_frame(got, mrrkit.monthly(frame, definitions="maxio"))


@pytest.mark.parametrize("preset", ["mrrkit", "chartmogul", "baremetrics", "stripe"])
def test_the_headline_kpis_equal_the_pandas_engines_on_the_sample(sample, preset):
    frame, lines = sample
    mv = mrrkit.movements(frame, definitions=preset)
    smv = mrrkit.sql.movements(lines, definitions=preset)
    for month in (None, mv.as_of.to_period("M") - 3):
        got, want = mrrkit.sql.kpis(smv, month), mrrkit.kpis(mv, month)
        pd.testing.assert_frame_equal(got, want)
        assert got.attrs == want.attrs


def test_retention_between_many_month_ends_is_one_query_with_the_same_ratios(sample):
    frame, lines = sample
    mv, smv = mrrkit.movements(frame), mrrkit.sql.movements(lines)
    pairs = [("2025-01", "2026-01"), ("2024-06", "2024-06"), ("2025-03", "2025-09")]
    got = mrrkit.sql.retention_pairs(smv, pairs)
    assert got == {(s, e): (mrrkit.nrr(mv, s, e), mrrkit.grr(mv, s, e)) for s, e in pairs}


@pytest.mark.parametrize("preset", ["mrrkit", "baremetrics"])
def test_retention_sums_per_segment_add_up_to_a_selections_ratios(sample, preset):
    # The app's filter on one dimension sums the chosen labels' rows (no query per selection):
    # the ratios of that sum are those of the selected customers' own movements, under
    # customer-based (mrrkit) and movement-based (Baremetrics) retention.
    frame, lines = sample
    mv = mrrkit.movements(frame, definitions=preset)
    smv = mrrkit.sql.movements(lines, definitions=preset)
    pairs = [("2025-01", "2026-01"), ("2025-03", "2025-09")]
    labels = mrrkit.sql.views._labels_query(lines, "industry")
    t = smv.micros.inner_join(labels, smv.micros.customer_id == labels.segment_customer)
    rows = mrrkit.sql.retention_sums_query(smv, pairs, t, ["segment"]).to_pandas()
    own = mrrkit.segment_labels(mrrkit.customer_attributes(frame), ["industry"])["industry"]
    for chosen in (["Software"], ["Software", "Manufacturing"], list(own.cat.categories)):
        got = mrrkit.sql.retention_of_sums(smv, pairs, rows[rows["segment"].isin(chosen)])
        part = mrrkit.filter_movements(mv, own.index[own.isin(chosen)])
        assert got == {(s, e): (mrrkit.nrr(part, s, e), mrrkit.grr(part, s, e))
                       for s, e in pairs}, chosen


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cases(), st.sampled_from(sorted(mrrkit.DEFINITION_PRESETS)),
       st.sampled_from(["month", "quarter"]), st.data())
def test_cohort_levels_by_month_or_quarter_equal_the_pandas_engines(duckdb, case, preset, by,
                                                                    data):
    frame = case.frame()
    mv, error = pandas_or_error(lambda: mrrkit.movements(frame, as_of=case.as_of_arg,
                                                         definitions=preset))
    assume(error is None and len(mv))
    smv = mrrkit.sql.movements(sql_lines(duckdb, frame), as_of=case.as_of_arg, definitions=preset)
    day = mv.as_of - pd.Timedelta(days=data.draw(st.sampled_from([0, 0, 40, 200]), label="back"))
    want = mrrkit.views.cohort_tables.cohort_levels(mv, by, day)
    got = mrrkit.sql.cohort_levels(smv, by, day)
    for g, w in zip(got, want):
        assert_same_frame(g, w)


def test_cohort_tables_under_other_definitions_keep_a_customer_in_its_first_cohort():
    # Maxio counts a customer back after 90 days as new: its cohort stays its first payment's,
    # as mrrkit.cohorts keeps it (the monthly cohort table is mrrkit.cohorts).
    frame = pd.DataFrame({"customer_id": ["a", "a", "b"],
                          "start": pd.to_datetime(["2024-01-05", "2024-08-01", "2024-02-01"]),
                          "end": pd.to_datetime(["2024-03-01", None, None]),
                          "mrr": [100.0, 100.0, 50.0]})
    mv = mrrkit.movements(frame, definitions=Definitions(reactivation_window=90,
                                                         reactivation_as="expansion"))
    table = mrrkit.cohort_table(mv, "customers")
    assert list(table.index.astype(str)) == ["2024-01", "2024-02"]
    pd.testing.assert_frame_equal(table.drop(columns=[]), mrrkit.cohorts(mv, "customers"),
                                  check_names=False, check_freq=False)
