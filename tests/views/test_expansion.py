"""Expansion analysis (seed 000) on a hand-written book of customers."""

import numpy as np
import pandas as pd
import pytest
from tests._synthetic import simulate_lines

import mrrkit
from tests.builders import lines

NAN = float("nan")
COLUMNS = ["customer_id", "start", "end", "mrr", "plan", "product", "quantity", "size"]

# Jan..Jun 2024, as_of June 30.
#   a: core basic 100 (Jan 1 - Mar 1), then core pro 150 (Mar 1 - Jun 1): upsell +50 on Mar 1;
#      reports 30 from Apr 10: cross-sell +30; core pro 165 from Jun 1, same plan and
#      quantity: price increase +15.
#   b: core basic x2 200 (Jan 1 - May 1), x3 300 from May 1: upsell (seats) +100.
#   c: core basic 100 from Jan 1; reports 20 from Feb 1 (cross-sell +20) swapped for
#      analytics 50 on Apr 1: +30 = cross-sell 50 and other -20 (the dropped product).
#   d: core basic 100, Jan 1 - Feb 15: churn.
BOOK = [
    ("a", "2024-01-01", "2024-03-01", 100.0, "basic", "core", 1, "big"),
    ("a", "2024-03-01", "2024-06-01", 150.0, "pro", "core", 1, "big"),
    ("a", "2024-06-01", None, 165.0, "pro", "core", 1, "big"),
    ("a", "2024-04-10", None, 30.0, "reports", "reports", 1, "big"),
    ("b", "2024-01-01", "2024-05-01", 200.0, "basic", "core", 2, "big"),
    ("b", "2024-05-01", None, 300.0, "basic", "core", 3, "big"),
    ("c", "2024-01-01", None, 100.0, "basic", "core", 1, "small"),
    ("c", "2024-02-01", "2024-04-01", 20.0, "reports", "reports", 1, "small"),
    ("c", "2024-04-01", None, 50.0, "analytics", "analytics", 1, "small"),
    ("d", "2024-01-01", "2024-02-15", 100.0, "basic", "core", 1, "small"),
]
AS_OF = "2024-06-30"


def book(rows=BOOK, columns=COLUMNS):
    return lines(rows, extra=columns[4:])


# Monthly by hand:          Jan    Feb    Mar    Apr    May    Jun
#   new                     500      0      0      0      0      0
#   expansion                 0     20     50     60    100     15
#   churn                     0   -100      0      0      0      0
#   net new                 500    -80     50     60    100     15
#   MRR                     500    420    470    530    630    645


def test_expansion_summary_by_hand():
    got = mrrkit.expansion_summary(book())
    assert got.index.astype(str).tolist() == [f"2024-0{i}" for i in range(1, 7)]
    assert got["expansion"].tolist() == [0, 20, 50, 60, 100, 15]
    assert got["expanded_customers"].tolist() == [0, 1, 1, 2, 1, 1]
    np.testing.assert_allclose(
        got["expansion_rate"], [NAN, 20 / 500, 50 / 420, 60 / 470, 100 / 530, 15 / 630])
    np.testing.assert_allclose(
        got["expansion_growth_rate"], [NAN, NAN, 1.5, 0.2, 100 / 60 - 1, -0.85])
    np.testing.assert_allclose(got["expansion_share_of_added"], [0, 1, 1, 1, 1, 1])
    np.testing.assert_allclose(got["expansion_share_of_net_new"], [0, NAN, 1, 1, 1, 1])
    # Feb: 20 of expansion against 100 churned; Jan has no base yet.
    assert got["net_negative_churn"].tolist() == [False, False, True, True, True, True]


def test_expansion_summary_share_when_churn_eats_part_of_it():
    rows = BOOK + [("e", "2024-01-01", "2024-03-20", 40.0, "basic", "core", 1, "small")]
    got = mrrkit.expansion_summary(book(rows))
    # March: +50 expansion, -40 churn -> net new 10: expansion is 5x the net new MRR.
    assert got.loc["2024-03", "expansion_share_of_net_new"] == pytest.approx(5.0)
    assert got.loc["2024-03", "net_negative_churn"]
    # The same from a monthly table.
    table = mrrkit.monthly(book(rows))
    pd.testing.assert_frame_equal(mrrkit.expansion_summary(table), got)


def test_expansion_by_cohort_by_hand():
    got = mrrkit.expansion_by_cohort(book(), as_of=AS_OF)
    assert got.index.astype(str).tolist() == ["2024-01"]
    np.testing.assert_allclose(got.loc["2024-01"], [0, 0.04, 0.10, 0.12, 0.20, 0.03])
    # A later cohort: NaN beyond as_of.
    rows = BOOK + [("f", "2024-05-03", None, 80.0, "basic", "core", 1, "small"),
                   ("f", "2024-06-03", None, 20.0, "reports", "reports", 1, "small")]
    got = mrrkit.expansion_by_cohort(book(rows), as_of=AS_OF)
    np.testing.assert_allclose(got.loc["2024-05"], [0, 0.25, NAN, NAN, NAN, NAN])


def test_expansion_by_segment_by_hand():
    got = mrrkit.expansion_by_segment(book(), "size", start="2024-01", end="2024-06")
    assert got.index.tolist() == ["big", "small"]
    assert got["customers"].tolist() == [2, 2]
    assert got["start_mrr"].tolist() == [300.0, 200.0]
    assert got["expansion"].tolist() == [195.0, 50.0]
    assert got["expanded_customers"].tolist() == [2, 1]
    np.testing.assert_allclose(got["expansion_rate"], [0.65, 0.25])
    np.testing.assert_allclose(got["share_of_expansion"], [195 / 245, 50 / 245])
    # Default period: the 12 months to as_of's month; nobody paid in June 2023.
    default = mrrkit.expansion_by_segment(book(), "size")
    assert default.attrs["start"] == pd.Period("2023-06", "M")
    assert default["expansion"].tolist() == [195.0, 50.0]
    assert default["expansion_rate"].isna().all()
    with pytest.raises(ValueError, match="'industry'"):
        mrrkit.expansion_by_segment(book(), "industry")
    # Every expanded customer was paying at the start.
    assert got["expanded_start_customers"].tolist() == [2, 1]
    assert got["expanded_joined_customers"].tolist() == [0, 0]


def test_expanded_customers_split_by_whether_they_were_there_at_the_start():
    # Issue 11: 'Expanded' exceeded 'Customers at start' because it counted customers
    # acquired in the period. e (small) arrives in March and expands in May; d (small) churned
    # in February, comes back in April and expands in June; f (big) arrives and never expands.
    rows = BOOK + [
        ("e", "2024-03-05", None, 40.0, "basic", "core", 1, "small"),
        ("e", "2024-05-05", None, 10.0, "reports", "reports", 1, "small"),
        ("d", "2024-04-02", None, 60.0, "basic", "core", 1, "small"),
        ("d", "2024-06-03", None, 5.0, "reports", "reports", 1, "small"),
        ("f", "2024-03-01", None, 70.0, "basic", "core", 1, "big"),
    ]
    got = mrrkit.expansion_by_segment(book(rows), "size", start="2024-02", end="2024-06")
    # At the end of February: a, b (big) and c (small); d has churned, e and f are not here.
    assert got.loc["small", "customers"] == 1
    assert got.loc["small", "expanded_customers"] == 3  # c, d, e: more than at the start
    assert got.loc["small", "expanded_start_customers"] == 1  # c
    assert got.loc["small", "expanded_joined_customers"] == 2  # e (new), d (back)
    assert got.loc["big", ["customers", "expanded_customers", "expanded_start_customers",
                           "expanded_joined_customers"]].tolist() == [2, 2, 2, 0]
    assert (got["expanded_start_customers"] + got["expanded_joined_customers"]
            == got["expanded_customers"]).all()
    assert (got["expanded_start_customers"] <= got["customers"]).all()
    assert got.loc["small", "expansion"] == 30.0 + 10.0 + 5.0  # c's analytics swap, e, d


def test_breakdown_by_hand():
    got = mrrkit.expansion_breakdown(book())
    assert got[["customer_id", "amount"]].astype({"customer_id": str}).values.tolist() == [
        ["a", 50.0], ["a", 30.0], ["a", 15.0], ["b", 100.0], ["c", 20.0], ["c", 30.0]]
    parts = got[list(mrrkit.EXPANSION_KINDS)].to_numpy()
    np.testing.assert_allclose(parts, [
        [50, 0, 0, 0],     # basic -> pro
        [0, 30, 0, 0],     # reports added
        [0, 0, 15, 0],     # same plan, same quantity, higher price
        [100, 0, 0, 0],    # 2 -> 3 seats
        [0, 20, 0, 0],     # reports added
        [0, 50, 0, -20],   # reports swapped for analytics
    ])
    np.testing.assert_allclose(parts.sum(axis=1), got["amount"])
    assert got["kind"].astype(str).tolist() == [
        "upsell", "cross_sell", "price_increase", "upsell", "cross_sell", "cross_sell"]
    assert got["plan_before"].tolist()[0] == "basic"
    assert got["plan_after"].tolist()[0] == "pro"
    assert got["plan_after"].tolist()[1] == "pro, reports"
    monthly = mrrkit.expansion_breakdown_by_month(got)
    assert monthly.loc["2024-04"].tolist() == [0.0, 80.0, 0.0, -20.0, 60.0]
    np.testing.assert_allclose(monthly["total"],
                               mrrkit.monthly(book())["expansion"].loc["2024-02":])


def test_breakdown_without_product_plan_or_quantity():
    # No product column: everything is one product, so the add-on is a plan change (upsell).
    no_product = book().drop(columns=["product"])
    got = mrrkit.expansion_breakdown(no_product)
    assert got["cross_sell"].sum() == 0
    assert got.loc[1, "upsell"] == 30.0
    assert got.loc[2, "price_increase"] == 15.0
    # Only the canonical columns: the split cannot be told, everything is "other".
    bare = book()[["customer_id", "start", "end", "mrr"]]
    got = mrrkit.expansion_breakdown(bare)
    np.testing.assert_allclose(got["other"], got["amount"])
    assert not got.attrs["has_plan"]
    # Plan but no quantity: b's extra seats look like a price increase.
    got = mrrkit.expansion_breakdown(book().drop(columns=["quantity"]))
    assert got.loc[3, "price_increase"] == 100.0


def test_breakdown_with_no_expansion_is_empty():
    rows = [r for r in BOOK if r[0] == "d"]
    got = mrrkit.expansion_breakdown(book(rows))
    assert got.empty and "upsell" in got.columns
    assert mrrkit.expansion_breakdown_by_month(got).empty


def test_top_plan_customers():
    # core: basic is 100 a seat, pro 150-165 -> pro is the top plan; reports and analytics have
    # one plan each. e has the top plan and every product; a lacks analytics; b, c are on basic.
    rows = BOOK + [
        ("e", "2024-01-01", None, 150.0, "pro", "core", 1, "big"),
        ("e", "2024-01-01", None, 30.0, "reports", "reports", 1, "big"),
        ("e", "2024-01-01", None, 50.0, "analytics", "analytics", 1, "big"),
    ]
    got = mrrkit.top_plan_customers(book(rows), as_of=AS_OF)
    assert got.index.tolist() == ["e", "a"]
    assert got["mrr"].tolist() == [230.0, 195.0]
    assert got["missing_products"].tolist() == ["", "analytics"]
    assert got["no_room"].tolist() == [True, False]
    assert "core: pro" in got.attrs["top_plans"]
    # Configured top plan.
    basic = mrrkit.top_plan_customers(book(rows), top_plan="basic", as_of=AS_OF)
    assert basic.index.tolist() == ["b"]
    # Earlier date: in February a was still on basic.
    feb = mrrkit.top_plan_customers(book(rows), as_of="2024-02-10")
    assert "a" not in feb.index
    with pytest.raises(ValueError, match="'plan'"):
        mrrkit.top_plan_customers(book().drop(columns=["plan"]))


def test_top_plan_customers_with_blank_plans_and_products():
    # Blank cells in an upload: a blank plan is never a top plan (even when its price is the
    # highest), a blank product is never "missing" from anyone.
    rows = BOOK + [
        ("e", "2024-01-01", None, 150.0, "pro", "core", 1, "big"),
        ("e", "2024-01-01", None, 30.0, "reports", "reports", 1, "big"),
        ("e", "2024-01-01", None, 50.0, "analytics", "analytics", 1, "big"),
        ("f", "2024-01-01", None, 900.0, None, "core", 1, "big"),
        ("g", "2024-01-01", None, 10.0, "extra", None, 1, "small"),
    ]
    got = mrrkit.top_plan_customers(book(rows), as_of=AS_OF)
    # g's blank product has one plan, so g is at its top; it lacks every real product.
    assert got.index.tolist() == ["e", "a", "g"]
    assert got["missing_products"].tolist() == ["", "analytics", "analytics, core, reports"]
    assert "core: pro" in got.attrs["top_plans"]
    assert not any(p.endswith(mrrkit.views.expansion.NO_PLAN) for p in got.attrs["top_plans"])
    blank = book(rows).assign(plan=None)
    assert mrrkit.top_plan_customers(blank, as_of=AS_OF).empty


def test_top_plan_customers_when_nothing_runs_is_typed():
    # Before any line starts: an empty result whose no_room is a boolean mask (an untyped
    # empty column used as a mask selects columns instead of rows).
    got = mrrkit.top_plan_customers(book(), as_of="2000-01-01")
    assert got.empty and got["no_room"].dtype == bool and got["mrr"].dtype == "float64"
    assert list(got[got["no_room"]].columns) == list(got.columns)
    assert got.index.name == "customer_id" and got.attrs["top_plans"]


def test_near_tier_limit():
    rows = [
        ("x", "2024-01-01", None, 100.0, "basic", 90, 100),
        ("y", "2024-01-01", None, 100.0, "basic", 50, 100),
        ("z", "2024-01-01", None, 100.0, "basic", 100, 0),      # no limit
        ("w", "2024-01-01", "2024-03-01", 100.0, "basic", 95, 100),  # no longer running
        ("v", "2024-01-01", None, 300.0, "pro", 120, 100),      # over the limit
    ]
    data = book(rows, ["customer_id", "start", "end", "mrr", "plan", "usage", "usage_limit"])
    got = mrrkit.near_tier_limit(data, threshold=0.8, as_of=AS_OF)
    assert got["customer_id"].tolist() == ["v", "x"]
    np.testing.assert_allclose(got["usage_share"], [1.2, 0.9])
    assert got["plan"].tolist() == ["pro", "basic"]
    missing = mrrkit.near_tier_limit(book())
    assert missing.empty
    assert "usage" in missing.attrs["note"]
    with pytest.raises(ValueError, match="threshold"):
        mrrkit.near_tier_limit(data, threshold=0)


def test_runs_on_a_simulated_book():
    lines, as_of = simulate_lines(months=30, new_per_month=40, growth=0.0, seed=2)
    mv = mrrkit.movements(lines, as_of=as_of)
    got = mrrkit.expansion_breakdown(lines, mv)
    np.testing.assert_allclose(got[list(mrrkit.EXPANSION_KINDS)].sum(axis=1), got["amount"],
                               atol=1e-9)
    # The simulator expands by plan upgrades, seats and the add-on only.
    assert got["price_increase"].sum() == 0
    assert got["cross_sell"].sum() > 0 and got["upsell"].sum() > 0
    monthly = mrrkit.expansion_breakdown_by_month(got)
    np.testing.assert_allclose(monthly["total"], mrrkit.monthly(mv)["expansion"]
                               .loc[monthly.index], atol=1e-9)
