"""Interval counts that are no billing period (issue 12, item 8): a Stripe ``Interval Count`` of
0, -1 or 1.5 used to be reported as "unknown billing interval 'month'", naming the wrong field.
Now such a row is rejected with a reason naming the count's column and the count as written.
"""

from __future__ import annotations

import io

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mrrkit import read_export
from tests.io.test_exports_fuzz import check_result


#: Stripe's documented Dashboard subscriptions export columns (see mrrkit.vendors: id, Customer
#: ID, Plan, Quantity, Currency, Interval, Amount, Status, Created (UTC), Start Date (UTC),
#: Current Period Start/End (UTC), Trial Start/End (UTC), Canceled At (UTC), Ended At (UTC)),
#: with the price's ``Interval Count`` (Stripe's ``interval_count``: bill every N intervals).
STRIPE = (
    "id,Customer ID,Plan,Quantity,Currency,Interval,Interval Count,Amount,Status,Created (UTC),"
    "Start Date (UTC),Current Period Start (UTC),Current Period End (UTC),Trial Start (UTC),"
    "Trial End (UTC),Canceled At (UTC),Ended At (UTC)\n"
)


def stripe(*subscriptions: tuple[str, str]) -> bytes:
    """One active subscription at 90.00 per ``(interval, interval count)``."""
    rows = [
        f"sub_{i},cus_{i},pro,1,usd,{interval},{count},90.00,active,2024-01-01 10:00,"
        "2024-01-01 10:00,2024-10-01 10:00,2024-11-01 10:00,,,,\n"
        for i, (interval, count) in enumerate(subscriptions, start=1)
    ]
    return (STRIPE + "".join(rows)).encode()


def reasons(result) -> dict[int, str]:
    return dict(zip(result.rejected["row"].tolist(), result.rejected["reason"].tolist()))


def test_stripe_interval_count_of_zero_negative_or_fraction_names_the_count():
    data = stripe(("month", "3"), ("month", "0"), ("day", "-1"), ("month", "1.5"),
                  ("year", ""), ("fortnight", "0"), ("week", "two"))
    result = read_export(data)
    assert result.format == "stripe_subscriptions"
    check_result(result, expected_rows=7)
    why = "in 'Interval Count': not a whole number of 1 or more"
    assert reasons(result) == {
        2: f"interval count '0' {why}",
        3: f"interval count '-1' {why}",
        4: f"interval count '1.5' {why}",
        # An unknown interval word is said first.
        6: "unknown billing interval 'fortnight'",
        7: f"interval count 'two' {why}",
    }
    # Every 3 months: 30 a month; an empty count is 1 (a year: 7.50 a month).
    assert result.lines["mrr"].tolist() == [30.0, 7.5]


@pytest.mark.parametrize(
    ("interval", "count"),
    [("recurring_interval", "recurring_interval_count"), ("interval", "interval_count"),
     ("price.recurring.interval", "price.recurring.interval_count"),
     ("plan.interval", "plan.interval_count")],
)
def test_api_and_sigma_interval_counts_are_read_and_named(interval, count):
    # Stripe's API (price.recurring.interval_count, plan.interval_count) and Sigma's prices
    # table (recurring_interval_count), flattened into a spreadsheet.
    data = (
        f"customer,start_date,amount,currency,{interval},{count}\n"
        "a,2024-01-01,30,usd,month,3\nb,2024-01-01,30,usd,month,0\nc,2024-01-01,30,usd,year,-1\n"
    ).encode()
    result = read_export(data)
    assert result.mapping["interval_count"] == count
    assert result.lines["mrr"].tolist() == [10.0]
    assert reasons(result) == {
        2: f"interval count '0' in {count!r}: not a whole number of 1 or more",
        3: f"interval count '-1' in {count!r}: not a whole number of 1 or more",
    }


def test_counts_as_numbers_in_a_parquet_file():
    frame = pd.DataFrame({"customer_id": ["a", "b", "c"], "start": ["2024-01-01"] * 3,
                          "amount": [30.0, 30.0, 30.0], "interval": ["month"] * 3,
                          "interval_count": [3.0, 0.0, -1.0]})
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    result = read_export(buf.getvalue())
    assert result.lines["mrr"].tolist() == [10.0]
    assert reasons(result) == {
        2: "interval count '0' in 'interval_count': not a whole number of 1 or more",
        3: "interval count '-1' in 'interval_count': not a whole number of 1 or more",
    }


COUNTS = st.one_of(
    st.integers(-3, 13).map(str),
    st.sampled_from(["", "1.5", "0.5", "2.0", "x", "-0", "1e3", "12"]),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["month", "year", "week", "day", "moon"]), COUNTS),
                min_size=1, max_size=20))
def test_every_stripe_row_is_kept_or_rejected_with_the_right_field(subscriptions):
    result = read_export(stripe(*subscriptions))
    check_result(result, expected_rows=len(subscriptions))
    why = reasons(result)
    for row, (interval, count) in enumerate(subscriptions, start=1):
        value = float(count) if count.lstrip("-").replace(".", "", 1).isdigit() else None
        whole = count == "" or (value is not None and value >= 1 and value == int(value))
        if interval == "moon":
            assert why[row] == "unknown billing interval 'moon'"
        elif not whole and count != "1e3":
            assert why[row] == (
                f"interval count {count!r} in 'Interval Count': not a whole number of 1 or more"
            )
        elif count != "1e3":
            assert row not in why
