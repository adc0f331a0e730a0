"""What is behind a figure, computed in the database (mrrkit.sql.listings), equals the pandas
engine's: the MRR bridge, the movements behind a cell and the customers behind a level (their
number, their sum and the first rows, in the app's order), a few customers' lines giving their
own movements, and what another tool's definitions change (the figures, the customers
reclassified)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from tests.engine.test_properties import cases

import mrrkit
import mrrkit.sql
from mrrkit.views.bridge import movements_in, paying_customers

PRESETS = sorted(mrrkit.DEFINITION_PRESETS)


def listed(mv, kind: str, first, last) -> pd.DataFrame:
    """The app's listing of a movement figure: movements_in, the largest first (stable)."""
    rows = movements_in(mv, first, kind, last)
    rows = rows.iloc[np.argsort(-rows["amount"].abs().to_numpy(), kind="stable")]
    return rows.assign(customer_id=rows["customer_id"].astype("str")).reset_index(drop=True)


def paying(mv, month) -> pd.DataFrame:
    return paying_customers(mv, month).sort_values("mrr", ascending=False, kind="stable")


def same_listing(got: mrrkit.sql.Listing, want: pd.DataFrame, column: str, limit: int) -> None:
    assert got.count == len(want)
    assert got.total == pytest.approx(float(want[column].sum()), abs=1e-6)
    assert got.complete == (len(want) <= limit)
    if isinstance(want.index, pd.RangeIndex):
        want = want.assign(kind=want["kind"].astype("str"))
        pd.testing.assert_frame_equal(got.rows.assign(kind=got.rows["kind"].astype("str")),
                                      want.head(limit), check_index_type=False)
    else:
        pd.testing.assert_frame_equal(got.rows, want.head(limit))


def check_everything(duckdb, frame, as_of, preset, data) -> None:
    mv = mrrkit.movements(frame, as_of=as_of, definitions=preset)
    table = mrrkit.monthly(mv)
    assume(len(table) > 0)
    lines = mrrkit.sql.lines_table(duckdb.create_table("lines", frame, overwrite=True))
    smv = mrrkit.sql.movements(lines, as_of=as_of, definitions=preset)
    months = list(table.index)
    first = data.draw(st.sampled_from(months), label="first")
    last = data.draw(st.sampled_from([m for m in months if m >= first]), label="last")
    pd.testing.assert_frame_equal(mrrkit.sql.bridge(smv, first, last, table=table),
                                  mrrkit.mrr_bridge(mv, first, last))
    kind = data.draw(st.sampled_from(mrrkit.KINDS), label="kind")
    limit = data.draw(st.sampled_from([1, 3, 50]), label="limit")
    same_listing(mrrkit.sql.movement_listing(smv, kind, first, last, limit=limit),
                 listed(mv, kind, first, last), "amount", limit)
    same_listing(mrrkit.sql.paying_listing(smv, last, limit=limit), paying(mv, last), "mrr",
                 limit)
    if preset == "mrrkit":
        return
    own, sown = mrrkit.movements(frame, as_of=mv.as_of), mrrkit.sql.movements(lines, as_of=mv.as_of)
    want = mrrkit.reclassified_customers((own, mv), None, first, last)
    got = mrrkit.sql.reclassified_customers(sown, smv, first, last, limit=limit)
    assert got.count == len(want)
    pd.testing.assert_frame_equal(got.rows, want.head(limit), check_index_type=False)


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cases(), st.sampled_from(PRESETS), st.data())
def test_every_listing_equals_the_pandas_engines(duckdb, case, preset, data):
    frame = case.frame()
    try:
        mrrkit.movements(frame, as_of=case.as_of_arg, definitions=preset)
    except ValueError:  # negative MRR: refused by both engines (tests/sql/test_duckdb_...)
        assume(False)
    check_everything(duckdb, frame, case.as_of_arg, preset, data)


def test_ties_are_listed_in_customer_then_date_order(duckdb):
    # Three churns of the same size: the pandas listing keeps movement order (customer, date).
    frame = pd.DataFrame({
        "customer_id": ["b", "a", "c", "a"],
        "start": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-01", "2024-02-03"]),
        "end": pd.to_datetime(["2024-02-10", "2024-02-01", "2024-02-05", "2024-02-20"]),
        "mrr": [10.0, 10.0, 10.0, 10.0],
    })
    lines = mrrkit.sql.lines_table(duckdb.create_table("ties", frame, overwrite=True))
    got = mrrkit.sql.movement_listing(lines, "churn", "2024-02", limit=10).rows
    assert list(zip(got["customer_id"], got["date"].dt.day)) == [
        ("a", 1), ("a", 20), ("b", 10), ("c", 5)]
    assert got["customer_id"].tolist() == listed(mrrkit.movements(frame), "churn", "2024-02",
                                                 None)["customer_id"].tolist()


@pytest.mark.parametrize(("preset", "filters"), [
    ("mrrkit", {}), ("chartmogul", {"industry": ["Healthcare"]}), ("maxio", {}),
])
def test_the_samples_listings_of_a_segment_under_definitions(sample, preset, filters):
    frame, lines = sample
    picked = mrrkit.sql.segment_lines(lines, filters)
    smv = mrrkit.sql.movements(picked, definitions=preset)
    mv = mrrkit.movements(frame, definitions=preset)
    if filters:
        labels = mrrkit.segment_labels(mrrkit.customer_attributes(frame), list(filters))
        mv = mrrkit.filter_movements(mv, mrrkit.select_customers(labels, filters))
    table = mrrkit.monthly(mv)
    first, last = table.index[-12], table.index[-1]
    pd.testing.assert_frame_equal(mrrkit.sql.bridge(smv, first, last),
                                  mrrkit.mrr_bridge(mv, first, last))
    for kind in ("expansion", "churn"):
        same_listing(mrrkit.sql.movement_listing(smv, kind, first, last, limit=40),
                     listed(mv, kind, first, last), "amount", 40)
    same_listing(mrrkit.sql.paying_listing(smv, first - 1, limit=40, columns=None),
                 paying(mv, first - 1), "mrr", 40)


def test_a_few_customers_lines_give_their_own_movements(sample):
    frame, lines = sample
    ids = ["cus_0001", "cus_1488", "cus_2999"]
    got = mrrkit.sql.customer_lines(lines, ids)
    want = frame[frame["customer_id"].isin(ids)].reset_index(drop=True)
    want = want.astype({"start": "datetime64[s]", "end": "datetime64[s]"})
    pd.testing.assert_frame_equal(got, want, check_dtype=False)  # (the sample's order)
    for preset in ("mrrkit", "stripe"):
        mv = mrrkit.movements(frame, definitions=preset)
        pd.testing.assert_frame_equal(
            mrrkit.movements(got, as_of=mv.as_of, definitions=preset).frame.astype(
                {"customer_id": "str"}),
            mrrkit.filter_movements(mv, ids).frame.astype({"customer_id": "str"}))
    many = mrrkit.sql.customer_lines(lines, sorted(set(frame["customer_id"]))[:1500])
    assert len(many) == (frame["customer_id"] <= sorted(set(frame["customer_id"]))[1499]).sum()


def test_a_listing_joins_the_columns_it_is_given(sample):
    frame, lines = sample
    labels = lines.group_by("customer_id").aggregate(industry=lines.industry.max())
    got = mrrkit.sql.paying_listing(lines, "2026-01", limit=5, columns=labels).rows
    attrs = mrrkit.customer_attributes(frame)
    assert got["industry"].tolist() == attrs.loc[got.index, "industry"].tolist()
    got = mrrkit.sql.movement_listing(lines, "new", "2026-01", limit=5, columns=labels).rows
    assert got["industry"].tolist() == attrs.loc[got["customer_id"], "industry"].tolist()


@pytest.mark.parametrize("preset", ["chartmogul", "maxio", "fincome"])
def test_what_other_definitions_change_on_the_sample(sample, preset):
    frame, lines = sample
    own, other = mrrkit.movements(frame), mrrkit.movements(frame, definitions=preset)
    sown, sother = mrrkit.sql.movements(lines), mrrkit.sql.movements(lines, definitions=preset)
    month = own.as_of.to_period("M")
    pd.testing.assert_frame_equal(mrrkit.sql.compare_definitions(sown, sother, month),
                                  mrrkit.compare_definitions((own, other), None, month))
    want = mrrkit.reclassified_customers((own, other), None, month - 11, month)
    got = mrrkit.sql.reclassified_customers(sown, sother, month - 11, month, limit=30)
    assert got.count == len(want)
    assert len(want) > 30 or preset != "fincome"  # (month snapshots: a day is no difference)
    pd.testing.assert_frame_equal(got.rows, want.head(30))
