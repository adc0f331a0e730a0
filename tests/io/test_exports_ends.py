"""Issue 14, item 2: inclusive or exclusive end dates (``read_export(end=...)``,
:mod:`mrrkit.io.ends`).

The layout of the regression file is the usual billing-period table of invoicing tools and
finance spreadsheets: one row per invoice with the *last day billed* as its end (2023-06-30 for
June), e.g. the ``service_period_end`` of an invoices export or a "Period end" column. Read as
exclusive, each month's row ended a day before the next began: a churn and a new movement every
month and MRR at month end less than half the truth.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mrrkit
from mrrkit import read_export
from mrrkit.io.ends import decide_ends


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def monthly_invoices(customers=("acme", "beta"), months=6, mrr=100.0) -> pd.DataFrame:
    """One invoice row per customer and month, its end the last day billed."""
    rows = []
    for c in customers:
        for m in pd.period_range("2023-01", periods=months, freq="M"):
            rows.append({"Customer": c, "Period start": m.start_time.date().isoformat(),
                         "Period end": m.end_time.date().isoformat(), "Amount": mrr})
    return pd.DataFrame(rows)


def codes(result) -> list[str]:
    return [n.code for n in result.warnings if getattr(n, "code", "").startswith("ends_")]


def test_month_invoices_with_last_billed_days_are_one_subscription_each():
    mapping = {"customer_id": "Customer", "start": "Period start", "end": "Period end",
               "mrr": "Amount"}
    result = read_export(_csv(monthly_invoices()), mapping=mapping)
    assert result.end_convention == "inclusive"
    assert codes(result) == ["ends_inclusive"]
    [said] = [n for n in result.warnings if getattr(n, "code", "") == "ends_inclusive"]
    # Evidence: each customer's 5 pairs of months that follow each other.
    assert (said.values["matching"], said.values["total"]) == (10, 10)
    mv = mrrkit.movements(result.lines, as_of="2023-06-30")
    monthly = mrrkit.monthly(mv)
    # Brute force: both customers pay 100 a month from January to June, then stop.
    assert monthly.loc["2023-01":"2023-06", "mrr"].tolist() == [200.0] * 6
    kinds = {k: n for k, n in mv.frame["kind"].value_counts().items() if n}
    assert kinds == {"new": 2}  # and no churn, no reactivation before July
    # The same table read as the file says with end="exclusive": the defect this fixes.
    wrong = read_export(_csv(monthly_invoices()), mapping=mapping, end="exclusive")
    assert wrong.end_convention == "exclusive" and codes(wrong) == []
    wrong_mv = mrrkit.movements(wrong.lines, as_of="2023-06-30").frame["kind"].value_counts()
    assert wrong_mv["churn"] >= 10 and wrong_mv["reactivation"] >= 10


def test_a_mapping_can_say_its_end_column_is_inclusive():
    frame = monthly_invoices(customers=("acme",), months=1)  # one row: nothing to detect from
    mapping = {"customer_id": "Customer", "start": "Period start", "end_inclusive": "Period end",
               "mrr": "Amount"}
    result = read_export(_csv(frame), mapping=mapping)
    assert result.lines["end"].tolist() == [pd.Timestamp("2023-02-01")]
    assert result.mapping["end_inclusive"] == "Period end" and "end" not in result.mapping
    assert codes(result) == ["ends_inclusive_asked"]
    with pytest.raises(ValueError, match="end_inclusive"):
        read_export(_csv(frame), mapping={**mapping, "end": "Period start"})


def test_anniversary_billing_ending_the_day_before_the_start_day_is_inclusive():
    frame = pd.DataFrame({
        "customer_id": [f"c{i}" for i in range(10)],
        "start": [f"2023-0{1 + i % 5}-15" for i in range(10)],
        "end": [f"2023-0{2 + i % 5}-14" for i in range(10)],
        "mrr": [10] * 10,
    })
    result = read_export(_csv(frame))
    assert result.end_convention == "inclusive" and codes(result) == ["ends_inclusive"]
    assert (result.lines["end"].dt.day == 15).all()


def test_ends_on_month_starts_stay_as_they_are_and_say_why():
    frame = pd.DataFrame({"customer_id": ["a", "b", "c", "d", "e"], "start": ["2023-01-01"] * 5,
                          "end": ["2023-03-01", "2023-04-01", "2023-05-01", "2023-06-01", ""],
                          "mrr": [10] * 5})
    result = read_export(_csv(frame))
    assert result.end_convention == "exclusive"
    [said] = [n for n in result.warnings if getattr(n, "code", "") == "ends_exclusive"]
    assert (said.values["matching"], said.values["total"]) == (4, 4)
    assert result.lines["end"].iloc[0] == pd.Timestamp("2023-03-01")


def test_when_nothing_tells_the_ends_are_read_as_exclusive():
    mixed = pd.DataFrame({"customer_id": ["a", "b"], "start": ["2023-01-03", "2023-02-07"],
                          "end": ["2023-03-20", "2023-05-11"], "mrr": [10, 20]})
    result = read_export(_csv(mixed))
    assert codes(result) == ["ends_exclusive_assumed"] and result.end_convention == "exclusive"
    assert result.lines["end"].tolist() == [pd.Timestamp("2023-03-20"), pd.Timestamp("2023-05-11")]


def test_instants_passed_to_decide_ends_tell_nothing():
    # (The readers keep days only; a caller with times of day gets mrrkit's convention.)
    start = pd.to_datetime(pd.Series(["2023-01-01"] * 4))
    end = pd.to_datetime(pd.Series(["2023-01-31 10:00", "2023-02-28 11:00", "2023-03-31 09:30",
                                    "2023-04-30 17:45"]))
    notes = []
    ends, used = decide_ends(start, end, pd.Series(list("abcd")), "auto", notes)
    assert used == "exclusive" and [n.code for n in notes] == ["ends_exclusive_assumed"]
    assert ends.equals(end)


def test_no_end_at_all_says_nothing():
    frame = pd.DataFrame({"customer_id": ["a"], "start": ["2023-01-01"], "mrr": [10]})
    result = read_export(_csv(frame))
    assert result.end_convention is None and codes(result) == []


def test_a_never_sentinel_tells_nothing_and_stays_never():
    frame = monthly_invoices(customers=("acme",), months=3)
    frame.loc[len(frame)] = ["beta", "2023-01-01", "9999-12-31", 50.0]
    mapping = {"customer_id": "Customer", "start": "Period start", "end": "Period end",
               "mrr": "Amount"}
    result = read_export(_csv(frame), mapping=mapping, today="2026-12-06")
    beta = result.lines[result.lines["customer_id"] == "beta"]
    assert beta["end"].isna().all()  # "never": no end, not 10000-01-01
    assert result.end_convention == "inclusive"


def test_a_one_day_line_with_an_inclusive_end_is_a_day_long():
    frame = pd.DataFrame({"customer_id": ["a"], "start": ["2023-01-05"], "end": ["2023-01-05"],
                          "mrr": [10]})
    result = read_export(_csv(frame), end="inclusive")
    assert result.lines["end"].tolist() == [pd.Timestamp("2023-01-06")]
    assert len(result.rejected) == 0
    exclusive = read_export(_csv(frame), end="exclusive")  # starts and ends the same day: nothing
    assert exclusive.lines.empty and len(exclusive.rejected) == 1


def test_a_vendor_export_keeps_its_documented_ends():
    from pathlib import Path

    data = (Path(__file__).parents[1] / "fixtures" / "exports" / "stripe_subscriptions.csv"
            ).read_bytes()
    asked = read_export(data, end="inclusive")
    plain = read_export(data)
    assert asked.format == plain.format == "stripe_subscriptions"
    pd.testing.assert_frame_equal(asked.lines, plain.lines)
    assert "ends_vendor" in [getattr(n, "code", "") for n in asked.warnings]


def test_a_bad_end_option_is_refused_up_front():
    with pytest.raises(ValueError, match="end must be one of"):
        read_export(b"customer_id,start,mrr\na,2023-01-01,1\n", end="last")


@settings(max_examples=60, deadline=None)
@given(lengths=st.lists(st.integers(1, 400), min_size=1, max_size=6),
       first=st.dates(min_value=pd.Timestamp("2020-01-01").date(),
                      max_value=pd.Timestamp("2024-12-31").date()))
def test_a_customer_s_back_to_back_periods_read_the_same_either_way(lengths, first):
    """Property: back-to-back periods written with inclusive ends, read with ``end="auto"``,
    give the lines of the same periods written with exclusive ends (when they tell: 3 or more
    pairs), else what ``end="inclusive"`` gives."""
    starts = [pd.Timestamp(first)]
    for n in lengths[:-1]:
        starts.append(starts[-1] + pd.Timedelta(days=n))
    ends = [s + pd.Timedelta(days=n) for s, n in zip(starts, lengths)]
    exclusive = pd.DataFrame({"customer_id": "a", "start": starts, "end": ends, "mrr": 10.0})
    inclusive = exclusive.assign(end=exclusive["end"] - pd.Timedelta(days=1))
    fmt = {"date_format": "%Y-%m-%d"}
    want = read_export(exclusive.to_csv(index=False, **fmt).encode(), end="exclusive").lines
    asked = read_export(inclusive.to_csv(index=False, **fmt).encode(), end="inclusive").lines
    pd.testing.assert_frame_equal(asked, want)
    if len(lengths) - 1 >= 3:
        auto = read_export(inclusive.to_csv(index=False, **fmt).encode()).lines
        pd.testing.assert_frame_equal(auto, want)


def test_decide_ends_leaves_missing_ends_missing():
    start = pd.to_datetime(pd.Series(["2023-01-01", "2023-02-01"]))
    end = pd.to_datetime(pd.Series(["2023-01-31", None]))
    ends, used = decide_ends(start, end, pd.Series(["a", "b"]), "inclusive", [])
    assert used == "inclusive" and ends.isna().tolist() == [False, True]
    assert np.datetime64(ends.iloc[0], "D") == np.datetime64("2023-02-01")


def test_one_or_two_month_end_dates_tell_nothing():
    frame = pd.DataFrame({"customer_id": ["a", "b"], "start": ["2000-04-01", "2000-01-10"],
                          "end": ["2000-04-30", "2000-06-30"], "mrr": [5, 5]})
    result = read_export(_csv(frame))
    assert result.end_convention == "exclusive" and codes(result) == ["ends_exclusive_assumed"]


@settings(max_examples=80, deadline=None)
@given(rows=st.lists(st.tuples(st.dates(pd.Timestamp("1995-01-01").date(),
                                        pd.Timestamp("2030-12-31").date()),
                               st.integers(-40, 400)), min_size=1, max_size=25),
       end=st.sampled_from(["auto", "inclusive", "exclusive"]))
def test_every_row_is_kept_or_rejected_whatever_the_end_convention(rows, end):
    frame = pd.DataFrame({
        "customer_id": [f"c{i % 4}" for i in range(len(rows))],
        "start": [d.isoformat() for d, _ in rows],
        "end": [(pd.Timestamp(d) + pd.Timedelta(days=n)).date().isoformat() for d, n in rows],
        "mrr": 10,
    })
    result = read_export(_csv(frame), end=end, today="2026-12-06")
    assert len(result.lines) + len(result.rejected) == len(rows)
    assert result.end_convention in ("inclusive", "exclusive")
    ended = result.lines["end"].notna()
    assert (result.lines.loc[ended, "end"] > result.lines.loc[ended, "start"]).all()
    if len(result.lines):
        mrrkit.movements(result.lines)  # the engine takes the lines as they are


# --- credit notes in a generic invoice table (issue 14, item 3) -----------------------------------
# Layout: the generic billing-period invoice table (customer, period start, period end, amount),
# with credit notes written as negative amounts over the period they credit, as invoicing tools
# export them (e.g. a "credit note" row next to its invoice).


def invoices_with_credits() -> pd.DataFrame:
    frame = monthly_invoices(customers=("acme", "beta"), months=3)
    credits = pd.DataFrame([
        # beta: February refunded whole (same days, same amount): no February MRR.
        {"Customer": "beta", "Period start": "2023-02-01", "Period end": "2023-02-28",
         "Amount": -100.0},
        # acme: a 20% goodwill credit on March: 80 of MRR that month.
        {"Customer": "acme", "Period start": "2023-03-01", "Period end": "2023-03-31",
         "Amount": -20.0},
        # gamma: a credit with no charge of its in the file: rejected, with its reason.
        {"Customer": "gamma", "Period start": "2023-03-01", "Period end": "2023-03-31",
         "Amount": -10.0},
    ])
    return pd.concat([frame, credits], ignore_index=True)


def test_credit_notes_reduce_the_mrr_of_the_period_they_cover():
    mapping = {"customer_id": "Customer", "start": "Period start", "end": "Period end",
               "mrr": "Amount"}
    result = read_export(_csv(invoices_with_credits()), mapping=mapping)
    assert result.end_convention == "inclusive"
    [said] = [n for n in result.warnings if getattr(n, "code", "") == "credit_notes"]
    assert (said.values["count"], said.values["refunds"]) == (3, 1)
    assert result.rejected["reason"].str.startswith("credit").tolist() == [True]
    assert len(result.lines) + len(result.rejected) == 9
    monthly = mrrkit.monthly(mrrkit.movements(result.lines, as_of="2023-03-31"))
    # Brute force: January 100 + 100; February acme 100 (beta refunded); March 80 + 100.
    assert monthly.loc["2023-01":"2023-03", "mrr"].tolist() == [200.0, 100.0, 180.0]
    # Without credits the file said 200 each month: the ~20% too high a real file showed.
    charges_only = invoices_with_credits().query("Amount > 0")
    plain = read_export(_csv(charges_only), mapping=mapping)
    assert mrrkit.monthly(mrrkit.movements(plain.lines, as_of="2023-03-31")).loc[
        "2023-01":"2023-03", "mrr"].tolist() == [200.0] * 3


def test_a_negative_amount_without_an_end_is_no_credit_note():
    frame = pd.DataFrame({"customer_id": ["a", "a"], "start": ["2023-01-01", "2023-02-01"],
                          "end": ["2023-04-01", ""], "mrr": [100, -10]})
    result = read_export(_csv(frame))
    assert result.rejected["reason"].tolist() == ["negative amount"]
