"""mrrkit.sql's retention fits, forecast, backtest and scenarios equal the pandas engine's (issue
16): both finish the same sums over customers (first lives by cohort and age, paying customers
by age, the window's bands, the revenue weights) with the same functions, so the fits, the
projections and their bootstrap bands (same seed) are identical, not close."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from tests.engine.test_properties import cases

import mrrkit
import mrrkit.sql
from mrrkit.models.forecast_inputs import (
    AgeMasses,
    _band_of_age,
    _life_start_of_rows,
    _state_at_month_end,
    _window_bands,
)
from mrrkit.models.retention_fit import first_lives, last_complete_month
from mrrkit.models.segment_fits import fit_attribute
from mrrkit.views.retention import mrr_at_month_end
from mrrkit.views.segments import segment_labels


def same_value(got, want, name: str) -> None:
    if isinstance(want, pd.DataFrame):
        pd.testing.assert_frame_equal(got, want, check_exact=True, obj=name)
    elif isinstance(want, np.ndarray):
        assert np.array_equal(got, want, equal_nan=True), name
    elif isinstance(want, float) and np.isnan(want):
        assert np.isnan(got), name
    else:
        assert got == want, name


def same_inputs(got, want) -> None:
    """Every field of two ForecastInputs but the customers (the database's hold none)."""
    assert got.customer_ids is None and got.mrr is None and got.age is None
    for name in got.__dataclass_fields__:
        if name not in ("customer_ids", "mrr", "age", "paying"):
            same_value(getattr(got, name), getattr(want, name), name)
    for name in ("max_age", "mrr_by_age", "count_by_age"):
        same_value(getattr(got, name), getattr(want, name), name)


def same_fits(got, want) -> None:
    assert [f.segment for f in got] == [f.segment for f in want]
    for g, w in zip(got, want):
        assert g.codes == w.codes and g.flags == w.flags and g.source == w.source
        for key, value in w.figures().items():
            same_value(g.figures()[key], value, f"{w.segment}: {key}")
        if w.curves is None:
            assert g.curves is None
        else:
            same_value(g.curves, w.curves, f"{w.segment}: curves")


@pytest.mark.parametrize(("preset", "method"), [("mrrkit", "sbg"), ("chartmogul", "empirical"),
                                                ("stripe", "sbg")])
def test_the_forecast_and_backtest_equal_the_pandas_engines(sample, preset, method):
    frame, lines = sample
    mv = mrrkit.movements(frame, as_of="2026-09-15", definitions=preset)
    smv = mrrkit.sql.movements(lines, as_of="2026-09-15", definitions=preset)
    got = mrrkit.sql.forecast_inputs(smv, method=method)
    want = mrrkit.forecast_inputs(mv, method=method)
    same_inputs(got, want)
    # The bootstrap band too: the same draws from the same seed.
    same_value(mrrkit.forecast(None, months=24, n_boot=60, inputs=got),
               mrrkit.forecast(None, months=24, n_boot=60, inputs=want), "forecast")
    bt_got, bt_want = mrrkit.sql.backtest(smv, method=method), mrrkit.backtest(mv, method=method)
    same_value(bt_got.table, bt_want.table, "backtest")
    assert (bt_got.mape, bt_got.origin) == (bt_want.mape, bt_want.origin)
    same_value(mrrkit.sql.cohort_survivors(smv, normalize=True),
               mrrkit.cohort_survivors(mv, normalize=True), "survivors")


@pytest.mark.parametrize("preset", ["mrrkit", "baremetrics"])
def test_a_scenario_scoped_to_a_segment_equals_the_pandas_engines(sample, preset):
    frame, lines = sample
    mv = mrrkit.movements(frame, definitions=preset)
    smv = mrrkit.sql.movements(lines, definitions=preset)
    got, want = mrrkit.sql.forecast_inputs(smv), mrrkit.forecast_inputs(mv)
    labels = segment_labels(mrrkit.customer_attributes(frame))["industry"]
    masses = mrrkit.sql.paying_by_age(smv, segment="industry")
    assert list(masses) == list(labels.cat.categories)
    for value, scope in masses.items():
        ids = labels.index[labels == value]
        mine = want.scope_masses(ids)
        same_value(scope.mrr_micros, mine.mrr_micros[: len(scope.mrr_micros)], value)
        assert not mine.customers[len(scope.customers):].any()
    value = "Healthcare"
    levers = mrrkit.Scenario(price_change_pct=8, churn_elasticity=0.5, churn_reduction_pct=20,
                             new_business_growth_pct=10, cs_team_cost=5000)
    scoped = mrrkit.Scenario(**{**levers.to_dict(), "scope": labels.index[labels == value]})
    same_value(mrrkit.project_scenario(got, levers, 18, scope=masses[value]),
               mrrkit.project_scenario(want, scoped, 18), "scenario")
    same_value(mrrkit.scenario_summary(got, levers, 12, scope=masses[value]),
               mrrkit.scenario_summary(want, scoped, 12), "summary")
    with pytest.raises(ValueError, match="sums by age only"):
        mrrkit.project_scenario(got, scoped, 12)


@pytest.mark.parametrize(("preset", "cohorts"), [
    ("mrrkit", None),
    ("chartmogul", tuple(str(p) for p in pd.period_range("2025-11", "2026-10", freq="M"))),
])
def test_the_retention_fits_by_segment_equal_the_pandas_engines(sample, preset, cohorts):
    frame, lines = sample
    mv = mrrkit.movements(frame, definitions=preset)
    smv = mrrkit.sql.movements(lines, definitions=preset)
    labels = segment_labels(mrrkit.customer_attributes(frame))["company_size"]
    want = fit_attribute(mv, labels, cohorts=cohorts)
    got = mrrkit.sql.fit_segments(smv, "company_size", [f.segment for f in want[1:]], cohorts)
    same_fits(got, want)
    # A label whose customers never paid: the pooled fit and the flag saying why.
    lonely = mrrkit.sql.fit_segments(smv, "company_size", ["nobody"], cohorts, pooled=got[0])
    assert lonely[1].source == "pooled" and lonely[1].codes[0] == "too_few_customers"


def pandas_sums(mv: mrrkit.Movements, last: int):
    """The paying customers by age and the window bands of the pandas engine's arrays."""
    m = mv.arrays
    mon = mrrkit.engine.monthly.month_of(m.day)
    life = _life_start_of_rows(m, mon)
    _, start = _state_at_month_end(m, mon, life, last)
    micros = mrr_at_month_end(m, last)
    paying = micros > 0
    masses = AgeMasses.of(last - start[paying], micros[paying])
    months = np.arange(last - 2, last + 1)
    return masses, _window_bands(m, mon, life, months), months


# (Four queries an example, ~0.8 s: a few examples, the sample's fixed cases above do the rest.)
@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cases(), st.sampled_from(sorted(mrrkit.DEFINITION_PRESETS)))
def test_the_sums_equal_the_pandas_engines_on_random_lines(duckdb, case, preset):
    frame = case.frame()
    try:
        mv = mrrkit.movements(frame, as_of=case.as_of_arg, definitions=preset)
    except ValueError:  # negative MRR: refused by both (tests/sql/test_duckdb_equals_pandas.py)
        assume(False)
    assume(len(mv) > 0)
    lines = mrrkit.sql.lines_table(duckdb.create_table("lines", frame, overwrite=True))
    smv = mrrkit.sql.movements(lines, as_of=case.as_of_arg, definitions=preset)
    last = last_complete_month(mv.arrays.as_of)
    got, want = mrrkit.sql.first_lives(smv, last), first_lives(mv.arrays, last)
    for name in ("cohorts", "size", "lost", "lost_micros", "risk_micros"):
        same_value(getattr(got, name), getattr(want, name), name)
    masses, bands, months = pandas_sums(mv, last)
    paying = mrrkit.sql.paying_by_age(smv, last)
    same_value(paying.mrr_micros, masses.mrr_micros, "paying MRR")
    same_value(paying.customers, masses.customers, "paying customers")
    sql_bands = mrrkit.sql.window_bands(smv, months)
    for name in ("expansion_micros", "contraction_micros", "mrr_micros", "customers"):
        same_value(getattr(sql_bands, name), getattr(bands, name), name)
    assert _band_of_age(np.array([0, 1, 3, 12, 30])).tolist() == [0, 0, 1, 3, 5]


def test_a_first_life_starts_at_the_first_new_even_when_a_later_return_counts_as_new(duckdb):
    # Maxio's window makes a return after a while another "new": customer a, acquired in
    # January and lost in March, comes back as new in June. Its first life is January's; the
    # June return (after the last complete month, May) starts no life of its own. (Found by the
    # property above: the engines once took the latest "new", and disagreed on which rows.)
    frame = pd.DataFrame({
        "customer_id": ["a", "a", "b"],
        "start": pd.to_datetime(["2023-01-12", "2023-06-27", "2023-02-01"]),
        "end": pd.to_datetime(["2023-03-14", None, None]),
        "mrr": [15.21, 702.33, 10.0]})
    mv = mrrkit.movements(frame, as_of="2023-06-28", definitions="maxio")
    assert (mv.frame["kind"] == "new").sum() == 3  # a's return is a "new"
    lines = mrrkit.sql.lines_table(duckdb.create_table("returns", frame, overwrite=True))
    smv = mrrkit.sql.movements(lines, as_of="2023-06-28", definitions="maxio")
    want = first_lives(mv.arrays, last_complete_month(mv.arrays.as_of))
    got = mrrkit.sql.first_lives(smv)
    january, february = (pd.Period(m, freq="M").ordinal for m in ("2023-01", "2023-02"))
    assert want.cohorts.tolist() == [january, february] and want.size.tolist() == [1, 1]
    assert want.churned == 1  # a, lost in March
    for name in ("cohorts", "size", "lost", "lost_micros", "risk_micros"):
        same_value(getattr(got, name), getattr(want, name), name)


def same_sums(kind: str, got, want) -> None:
    if kind == "weights":
        assert got == want
        return
    for name in got.__dataclass_fields__:
        if name != "last":
            same_value(getattr(got, name), getattr(want, name), f"{kind}: {name}")


@pytest.mark.parametrize("kind", ["lives", "paying", "weights", "bands"])
def test_some_labels_rows_are_the_sums_of_those_labels_customers(sample, kind):
    # What the app keeps per label (a filter on one dimension, a scenario's scope, sums its
    # labels' rows): the rows per label of every customer, some labels' picked, give the sums
    # of the movements of those labels' customers alone (a query of its own, filtered first).
    from mrrkit.sql.forecast import last_complete_month as sql_last

    _, lines = sample
    smv = mrrkit.sql.movements(lines, as_of="2026-10-31", definitions="chartmogul")
    last = sql_last(smv)
    months = tuple(range(last - 11, last + 1))
    rows = mrrkit.sql.forecast_sums_query(kind, smv, last, "industry", months).to_pandas()
    labels = sorted(set(rows["segment"].astype(str)))
    assert len(labels) >= 4
    per_label = mrrkit.sql.forecast_sums_of_rows(kind, rows, last, months)
    assert sorted(per_label) == labels
    for chosen in (labels[:1], labels[1:3], labels):
        part = rows[rows["segment"].astype(str).isin(chosen)].drop(columns="segment")
        got = mrrkit.sql.forecast_sums_of_rows(kind, part, last, months)
        alone = mrrkit.sql.movements(mrrkit.sql.segment_lines(lines, {"industry": chosen}),
                                     as_of="2026-10-31", definitions="chartmogul")
        want = mrrkit.sql.forecast_sums_of_rows(
            kind, mrrkit.sql.forecast_sums_query(kind, alone, last, None, months).to_pandas(),
            last, months)
        same_sums(kind, got, want)
    with pytest.raises(ValueError, match="kind must be one of"):
        mrrkit.sql.forecast_sums_query("lifetimes", smv)
