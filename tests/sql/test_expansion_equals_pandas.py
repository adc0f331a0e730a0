"""mrrkit.sql's expansion views equal the pandas engine's (issue 16): by cohort, by segment and
the monthly upsell / cross-sell / price-increase split (both finish the same integer-micro sums),
the plans, and the listings' first rows with their totals."""

from __future__ import annotations

import pandas as pd
import pytest

import mrrkit
import mrrkit.sql
from mrrkit.sql import expansion as sql_expansion
from mrrkit.views.expansion import split_by_month
from ui.views import plan_family


def same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(got, want, check_exact=True)


@pytest.mark.parametrize("preset", ["mrrkit", "chartmogul", "stripe"])
def test_expansion_by_cohort_segment_and_split_equal_the_pandas_engines(sample, preset):
    frame, lines = sample
    mv = mrrkit.movements(frame, as_of="2026-09-15", definitions=preset)
    smv = mrrkit.sql.movements(lines, as_of="2026-09-15", definitions=preset)
    for day in ("2026-09-15", "2026-03-31"):
        same(sql_expansion.expansion_by_cohort(smv, day), mrrkit.expansion_by_cohort(mv, day))
    attributes = mrrkit.customer_attributes(frame)
    for dim in ("plan", "industry"):
        got = sql_expansion.expansion_by_segment(smv, dim, "2025-06", "2026-09")
        want = mrrkit.expansion_by_segment(frame, dim, data=mv, start="2025-06", end="2026-09",
                                           attributes=attributes)
        # (The pandas table also lists the values of customers with nothing in the period.)
        same(got, want[(want["customers"] > 0) | (want["expanded_customers"] > 0)])
    # The split reads the source's lines (another tool's definitions adjust the movements').
    same(sql_expansion.expansion_split(smv, lines), split_by_month(frame, data=mv))


def test_the_plans_and_the_listings_equal_the_pandas_engines(sample):
    frame, lines = sample
    assert sql_expansion.plan_names(lines) == sorted(frame["plan"].dropna().unique())
    assert sql_expansion.default_top_plans(lines, plan_family) == [
        "Enterprise annual", "Enterprise monthly"]
    for top in (("Enterprise annual", "Enterprise monthly"), None):
        want = mrrkit.top_plan_customers(frame, top, as_of="2026-10-31")
        got = sql_expansion.top_plan_customers(lines, top, "2026-10-31", limit=40)
        same(got, want.head(40))
        no_room = want[want["no_room"]]
        assert (got.attrs["customers"], got.attrs["no_room"]) == (len(want), len(no_room))
        assert got.attrs["top_plans"] == want.attrs["top_plans"]
    want = mrrkit.near_tier_limit(frame, 0.7, as_of="2026-06-30")
    got = sql_expansion.near_tier_limit(lines, 0.7, "2026-06-30", limit=25)
    same(got, want.head(25))
    assert (got.attrs["lines"], got.attrs["customers"]) == (len(want),
                                                            want["customer_id"].nunique())


@pytest.mark.parametrize("kind", ["cohorts", "split"])
def test_some_labels_rows_are_the_views_of_those_labels_customers(sample, kind):
    # What the app keeps per label (a filter on one dimension sums its labels' rows): the rows
    # per label of every customer, some labels' picked, give the view of those labels'
    # customers alone (their own movements, queried on their own).
    _, lines = sample
    smv = mrrkit.sql.movements(lines, as_of="2026-10-31", definitions="chartmogul")
    day = pd.Timestamp("2026-06-30")
    rows = mrrkit.sql.expansion_sums_query(kind, smv, as_of=day, segment="industry",
                                           lines=lines).to_pandas()
    labels = sorted(set(rows["segment"].astype(str)))
    assert len(labels) >= 4
    for chosen in (labels[:1], labels[1:3], labels):
        part = rows[rows["segment"].astype(str).isin(chosen)].drop(columns="segment")
        got = mrrkit.sql.expansion_of_sums(kind, part, day)
        alone = mrrkit.sql.movements(mrrkit.sql.segment_lines(lines, {"industry": chosen}),
                                     as_of="2026-10-31", definitions="chartmogul")
        if kind == "cohorts":
            want = sql_expansion.expansion_by_cohort(alone, day)
        else:
            want = sql_expansion.expansion_split(alone, lines)
        assert len(want) > 0
        same(got, want)
    with pytest.raises(ValueError, match="kind must be one of"):
        mrrkit.sql.expansion_sums_query("plans", smv)
