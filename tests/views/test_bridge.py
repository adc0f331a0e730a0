"""The MRR bridge: per step, the distinct customers and the movements of the period (issue 11,
item 7: the 'Customers' column counted movements). Against the reference engine in
test_properties.py (test_bridge_equals_the_reference); here by hand and on the sample."""

from __future__ import annotations

import pandas as pd
import pytest

import mrrkit
from mrrkit.views.bridge import BRIDGE_STEPS, movements_in, mrr_bridge
from tests.builders import lines



# Jan..Jun 2024, as_of Jun 30.
#   a: 100 from Jan 5; +20 add-on Feb 10, +30 add-on Apr 1, +10 add-on May 3 (3 expansions);
#      the Feb add-on ends Jun 1 (a contraction).
#   b: 50 from Jan 10, churns Mar 1, back Apr 15 at 60 (reactivation), churns again Jun 10.
#   c: 40 from Mar 3 (new), +5 Mar 20 (an expansion of a customer acquired in the period).
BOOK = [
    ("a", "2024-01-05", None, 100.0),
    ("a", "2024-02-10", "2024-06-01", 20.0),
    ("a", "2024-04-01", None, 30.0),
    ("a", "2024-05-03", None, 10.0),
    ("b", "2024-01-10", "2024-03-01", 50.0),
    ("b", "2024-04-15", "2024-06-10", 60.0),
    ("c", "2024-03-03", None, 40.0),
    ("c", "2024-03-20", None, 5.0),
]
AS_OF = "2024-06-30"


def test_counts_by_hand():
    got = mrr_bridge(lines(BOOK), "2024-02", "2024-06")
    assert list(got.index) == ["start", *BRIDGE_STEPS, "end"]
    assert list(got.columns) == ["amount", "customers", "movements"]
    # Start: a 100 + b 50 at the end of January; end: a 140 + c 45. Expansion: a (3 times)
    # and c (once); churn: b twice.
    assert got["amount"].tolist() == [150.0, 40.0, 65.0, 60.0, -20.0, -110.0, 185.0]
    assert got["customers"].tolist() == [2, 1, 2, 1, 1, 1, 2]
    assert got["movements"].tolist()[1:-1] == [1, 4, 1, 1, 2]
    assert got["movements"].isna().tolist() == [True, False, False, False, False, False, True]
    assert got["customers"].dtype == "int64" and got["movements"].dtype == "Int64"
    assert got.attrs["start"] == pd.Period("2024-02", "M")
    # Bridge identity.
    assert got.loc[list(BRIDGE_STEPS), "amount"].sum() + 150.0 == pytest.approx(185.0)
    # One month: a's single February expansion.
    feb = mrr_bridge(lines(BOOK), "2024-02", "2024-02")
    assert feb.at["expansion", "customers"] == feb.at["expansion", "movements"] == 1


def test_lines_and_movements_give_the_same_bridge():
    mv = mrrkit.movements(lines(BOOK))
    pd.testing.assert_frame_equal(mrr_bridge(mv, "2024-01", "2024-06"),
                                  mrr_bridge(lines(BOOK), "2024-01", "2024-06"))
    # A segment of the movements: only its customers are counted.
    only_a = mrr_bridge(mv[mv["customer_id"] == "a"], "2024-01", "2024-06")
    assert only_a.at["expansion", "customers"] == 1
    assert only_a.at["expansion", "movements"] == 3


def test_a_monthly_table_is_refused():
    with pytest.raises(TypeError, match="distinct customers"):
        mrr_bridge(mrrkit.monthly(lines(BOOK)), "2024-02", "2024-06")


def test_bad_periods():
    with pytest.raises(ValueError, match="before start"):
        mrr_bridge(lines(BOOK), "2024-05", "2024-02")
    with pytest.raises(ValueError, match="outside the data"):
        mrr_bridge(lines(BOOK), "2023-12", "2024-02")


def test_sample_counts_distinct_customers():
    """On the sample, the steps' customers are the distinct ids behind movements_in, the
    movements the monthly table's counts; the expansion step no longer exceeds the customers
    who could expand (those paying at the start plus those arriving in the period)."""
    lines_ = mrrkit.load_sample()
    mv = mrrkit.movements(lines_)
    monthly = mrrkit.monthly(mv)
    first, last = monthly.index[-12], monthly.index[-1]
    got = mrr_bridge(mv, first, last)
    cells = monthly.loc[first:last]
    for step, column in (("new", "new_customers"), ("expansion", "expanded_customers"),
                         ("reactivation", "reactivated_customers"),
                         ("contraction", "contracted_customers"),
                         ("churn", "churned_customers")):
        rows = movements_in(mv, first, step, last)
        assert got.at[step, "movements"] == cells[column].sum() == len(rows)
        assert got.at[step, "customers"] == rows["customer_id"].nunique()
        assert got.at[step, "amount"] == pytest.approx(cells[step].sum())
    assert got.at["expansion", "customers"] < got.at["expansion", "movements"]
    could_expand = (got.at["start", "customers"] + got.at["new", "customers"]
                    + got.at["reactivation", "customers"])
    assert got.at["expansion", "customers"] <= could_expand
