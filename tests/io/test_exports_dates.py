"""The dates read (issue 12, item 9): a line dated 9999-01-01 or 1678 no longer stretches every
table over ~120,000 months.

``read_export`` takes dates from ``MRRKIT_MIN_DATE`` (default 1990-01-01) to
``MRRKIT_MAX_YEARS_AHEAD`` (default 10) years after ``today``: a start outside rejects its row
with a reason naming the column and the cell; an end after it is read as no end ("forever"
placeholders such as 9999-12-31), except on invoice lines and transactions, whose end is a billed
period's (the row is rejected). The rest of the file is used.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mrrkit
from mrrkit import read_export
from tests.io.test_exports_fuzz import check_result

TODAY = "2026-10-31"  # the dates read run from 1990-01-01 to 2036-10-31

FAR_NOTE = (
    "{count} end date(s) after {date} read as no end (e.g. {example!r} in {column!r}): "
    "far-future ends such as 9999-12-31 stand for 'never' in billing exports"
)


def reasons(result) -> dict[int, str]:
    return dict(zip(result.rejected["row"].tolist(), result.rejected["reason"].tolist()))


def notes_of(result, template: str) -> list:
    return [w for w in result.warnings if w.template == template]


def canonical(rows) -> bytes:
    """mrrkit's own columns, one ``(customer, start, end, mrr)`` per row."""
    return ("customer_id,start,end,mrr\n" + "".join(f"{c},{s},{e},{m}\n" for c, s, e, m in rows)
            ).encode()


def test_an_absurd_start_rejects_its_row_and_the_rest_is_used():
    data = canonical([
        ("a", "2024-01-01", "", 10),
        ("b", "9999-01-01", "", 20),
        ("c", "1678-05-01", "", 30),
        ("d", "2023-06-01", "2024-06-01", 40),
    ])
    result = read_export(data, today=TODAY)
    check_result(result, expected_rows=4)
    assert reasons(result) == {
        2: "start date '9999-01-01' in 'start' is after 2036-10-31, the latest date read",
        3: "start date '1678-05-01' in 'start' is before 1990-01-01, the earliest date read",
    }
    assert result.lines["customer_id"].tolist() == ["a", "d"]
    # The pages' tables stay the size of the real data: 2023-06 to the as-of month, 2026-10.
    as_of = mrrkit.default_as_of(result.lines, today=TODAY)
    assert len(mrrkit.monthly(result.lines, as_of=as_of)) == 41
    assert mrrkit.cohorts(result.lines, as_of=as_of).shape[0] == 2


def test_the_bounds_are_dates_read():
    data = canonical([("a", "1990-01-01", "", 1), ("b", "2036-10-31", "", 1),
                      ("c", "1989-12-31", "", 1), ("d", "2036-11-01", "", 1)])
    result = read_export(data, today=TODAY)
    assert result.source_rows.tolist() == [1, 2]
    assert sorted(reasons(result)) == [3, 4]


@pytest.mark.parametrize("end", ["9999-12-31", "2099-01-01", "3000-01-01"])
def test_a_far_future_end_is_read_as_no_end_with_a_note(end):
    data = canonical([("a", "2024-01-01", end, 10), ("b", "2024-01-01", "2025-01-01", 10),
                      ("c", "2024-01-01", "2036-10-31", 10)])
    result = read_export(data, today=TODAY)
    check_result(result, expected_rows=3)
    assert result.lines["end"].isna().tolist() == [True, False, False]
    [said] = notes_of(result, FAR_NOTE)
    assert said.values == {"count": 1, "date": "2036-10-31", "example": end, "column": "end"}
    assert said == (
        f"1 end date(s) after 2036-10-31 read as no end (e.g. '{end}' in 'end'): far-future "
        "ends such as 9999-12-31 stand for 'never' in billing exports"
    )


def test_the_value_is_the_cell_as_the_file_writes_it():
    # Day-first dates with a time, in a French spreadsheet export.
    data = ("client;date de début;date de fin;mensualité\n"
            "a;31/01/2024 10:00;;10\nb;01/02/9999 00:00;;10\nc;15/03/2024;31/12/9999;10\n"
            ).encode()
    result = read_export(data, today=TODAY)
    assert reasons(result) == {
        2: "start date '01/02/9999 00:00' in 'date de début' is after 2036-10-31, the latest "
           "date read"
    }
    [said] = notes_of(result, FAR_NOTE)
    assert (said.values["example"], said.values["column"]) == ("31/12/9999", "date de fin")


#: Stripe's documented Dashboard subscriptions export columns (mrrkit.vendors: id, Customer ID,
#: Plan, Quantity, Currency, Interval, Amount, Status, Created (UTC), Start Date (UTC), Current
#: Period Start/End (UTC), Trial Start/End (UTC), Canceled At (UTC), Ended At (UTC)).
STRIPE = (
    "id,Customer ID,Plan,Quantity,Currency,Interval,Amount,Status,Created (UTC),"
    "Start Date (UTC),Current Period Start (UTC),Current Period End (UTC),Trial Start (UTC),"
    "Trial End (UTC),Canceled At (UTC),Ended At (UTC)\n"
)


def stripe(*rows: str) -> bytes:
    return (STRIPE + "".join(r + "\n" for r in rows)).encode()


def test_stripe_a_trial_ending_in_9999_names_the_trial_end_column():
    data = stripe(
        "sub_1,cus_1,pro,1,usd,month,49.00,active,2024-01-01 10:00,2024-01-01 10:00,"
        "2024-10-01 10:00,2024-11-01 10:00,,,,",
        # The line starts at its trial's end: that is the date out of bounds.
        "sub_2,cus_2,pro,1,usd,month,49.00,trialing,2024-01-01 10:00,2024-01-01 10:00,"
        "2024-10-01 10:00,2024-11-01 10:00,2024-01-01 10:00,9999-01-01 00:00,,",
        "sub_3,cus_3,pro,1,usd,month,49.00,active,1677-01-01 10:00,1677-01-01 10:00,"
        "2024-10-01 10:00,2024-11-01 10:00,,,,",
        "sub_4,cus_4,pro,1,usd,month,49.00,canceled,2024-01-01 10:00,2024-01-01 10:00,"
        "2024-10-01 10:00,2024-11-01 10:00,,,9999-12-31 00:00,9999-12-31 00:00",
    )
    result = read_export(data, today=TODAY)
    assert result.format == "stripe_subscriptions"
    check_result(result, expected_rows=4)
    assert reasons(result) == {
        2: "start date '9999-01-01 00:00' in 'Trial End (UTC)' is after 2036-10-31, the latest "
           "date read",
        3: "start date '1677-01-01 10:00' in 'Start Date (UTC)' is before 1990-01-01, the "
           "earliest date read",
    }
    assert result.lines["customer_id"].tolist() == ["cus_1", "cus_4"]
    assert result.lines["end"].isna().all()
    assert notes_of(result, FAR_NOTE)[0].values["column"] == "Ended At (UTC)"


def test_an_invoice_line_ending_after_the_dates_read_is_rejected_not_made_endless():
    """An invoice line's end is its billed period's: read as no end, a yearly charge would count
    forever."""
    data = (
        "Invoice ID,Invoice Status,Customer ID,Subscription ID,Type,Proration,Plan,Quantity,"
        "Amount,Currency,Period Start (UTC),Period End (UTC)\n"
        "in_1,paid,cus_A,sub_A,subscription,false,basic,1,100.00,usd,2024-01-01 00:00,"
        "2024-02-01 00:00\n"
        "in_2,paid,cus_B,sub_B,subscription,false,basic,1,100.00,usd,2024-01-01 00:00,"
        "2099-01-01 00:00\n"
        "in_3,paid,cus_C,sub_C,subscription,false,basic,1,100.00,usd,1600-01-01 00:00,"
        "2024-02-01 00:00\n"
    ).encode()
    result = read_export(data, today=TODAY)
    assert result.format == "stripe_invoices"
    check_result(result, expected_rows=3)
    assert reasons(result) == {
        2: "end date '2099-01-01 00:00' in 'Period End (UTC)' is after 2036-10-31, the latest "
           "date read",
        3: "start date '1600-01-01 00:00' in 'Period Start (UTC)' is before 1990-01-01, the "
           "earliest date read",
    }
    assert not notes_of(result, FAR_NOTE)


def test_the_window_follows_its_settings_read_at_read_time(monkeypatch):
    data = canonical([("a", "2012-01-01", "", 1), ("b", "2024-01-01", "", 1),
                      ("c", "2026-11-15", "", 1), ("d", "2024-01-01", "2028-01-01", 1)])
    assert read_export(data, today=TODAY).source_rows.tolist() == [1, 2, 3, 4]
    monkeypatch.setenv("MRRKIT_MIN_DATE", "2015-01-01")
    monkeypatch.setenv("MRRKIT_MAX_YEARS_AHEAD", "0")
    result = read_export(data, today=TODAY)
    assert result.source_rows.tolist() == [2, 4]
    assert reasons(result) == {
        1: "start date '2012-01-01' in 'start' is before 2015-01-01, the earliest date read",
        3: "start date '2026-11-15' in 'start' is after 2026-10-31, the latest date read",
    }
    assert result.lines["end"].isna().tolist() == [True, True]  # 2028 is after today: no end
    monkeypatch.setenv("MRRKIT_MIN_DATE", "someday")
    with pytest.raises(ValueError, match="MRRKIT_MIN_DATE must be a date"):
        read_export(data, today=TODAY)


def test_without_today_the_clock_is_read_once():
    this_year = dt.date.today().year
    data = canonical([("a", f"{this_year + 9}-01-01", "", 1), ("b", f"{this_year + 11}-06-01",
                      "", 1)])
    assert read_export(data).source_rows.tolist() == [1]


# --- every row kept or rejected, whatever the dates ----------------------------------------------

ANY_DAY = st.one_of(
    st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)),
    st.dates(dt.date(1985, 1, 1), dt.date(2040, 12, 31)),
    st.sampled_from([dt.date(9999, 12, 31), dt.date(2099, 1, 1), dt.date(1678, 1, 1),
                     dt.date(1990, 1, 1), dt.date(2036, 10, 31), dt.date(2036, 11, 1)]),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(ANY_DAY, st.one_of(st.none(), ANY_DAY)), min_size=1, max_size=30))
def test_every_row_is_kept_or_rejected_and_kept_dates_are_in_the_window(rows):
    data = canonical([(f"c{i}", s.isoformat(), "" if e is None else e.isoformat(), 5)
                      for i, (s, e) in enumerate(rows)])
    # (Ends as written: the reasons below are those of exclusive ends; auto-detected
    # conventions have their own tests in test_exports_ends.py.)
    result = read_export(data, today=TODAY, end="exclusive")
    check_result(result, expected_rows=len(rows))  # the engine takes the lines as they are
    first, last = pd.Timestamp("1990-01-01"), pd.Timestamp("2036-10-31")
    assert result.lines["start"].between(first, last).all()
    ends = result.lines["end"].dropna()
    assert ends.between(first, last).all()
    why = reasons(result)
    for row, (s, e) in enumerate(rows, start=1):
        start = pd.Timestamp(s)
        if e is not None and e <= s:  # the first reason a row is given wins
            assert why[row] in ("end date before start date",
                                "ends the day it starts (never billed)")
        elif start < first:
            assert why[row] == (f"start date '{s.isoformat()}' in 'start' is before 1990-01-01, "
                                "the earliest date read")
        elif start > last:
            assert why[row] == (f"start date '{s.isoformat()}' in 'start' is after 2036-10-31, "
                                "the latest date read")
        elif e is not None and e > s and pd.Timestamp(e) > last:
            kept = np.flatnonzero(result.source_rows == row)
            assert len(kept) == 1 and pd.isna(result.lines["end"].iloc[kept[0]])
    # The monthly table spans the data's months, never a century.
    if len(result.lines):
        as_of = mrrkit.default_as_of(result.lines, today=TODAY)
        assert len(mrrkit.monthly(result.lines, as_of=as_of)) <= 12 * 47 + 1
