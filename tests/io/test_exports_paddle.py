"""Paddle exports: the Billing transactions report (and its line-items variant) and Paddle
Classic's subscription users, on fixtures with hand-computed lines, plus properties."""

from __future__ import annotations

import calendar
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mrrkit
from mrrkit import EXPORT_FORMATS, ExportError, read_export

from tests.io.test_exports import assert_accounted, lines_of, reasons_of

FIXTURES = Path(__file__).parents[1] / "fixtures" / "exports"
TRANSACTIONS = FIXTURES / "paddle_transactions.csv"
LINE_ITEMS = FIXTURES / "paddle_transaction_line_items.csv"
CLASSIC = FIXTURES / "paddle_classic_subscription_users.csv"
FX = {"EUR": 1.1, "GBP": 1.25, "JPY": 0.0067}
UNCOVERED = (
    "credit larger than the charge it reduces in the file (that charge is missing or was "
    "rejected: export a longer date range)"
)


def test_formats_are_listed():
    assert {"paddle_transactions", "paddle_classic_subscriptions"} <= set(EXPORT_FORMATS)


# ----------------------------------------------------------------------------------------------
# Paddle Billing transactions report
# ----------------------------------------------------------------------------------------------


def test_transactions_report():
    r = read_export(TRANSACTIONS, reporting_currency="USD", fx_rates=FX)
    assert r.format == "paddle_transactions"
    assert_accounted(r)
    assert lines_of(r) == [
        ("ctm_A", "2024-01-01", "2024-02-01", 30.0),  # 3000 cents over one month
        ("ctm_A", "2024-02-01", "2024-03-01", 27.0),  # (3000 - 300 discount) cents, tax left out
        # upgrade on 15 Feb: 1450 cents for the 15 days to 1 Mar, 15/29 of a month (Feb 2024)
        ("ctm_A", "2024-02-15", "2024-03-01", round(14.50 / (15 / 29), 2)),
        ("ctm_B", "2024-01-10", "2025-01-10", 110.0),  # 1200.00 EUR a year = 100 EUR x 1.1
        ("ctm_E", "2024-01-01", "2024-04-01", 375.0),  # billed invoice: 900 GBP a quarter x 1.25
        ("ctm_F", "2024-03-05", "2024-04-05", 30.0),  # past due: billed, in dunning
        ("ctm_G", "2024-01-20", "2024-02-20", 30.15),  # 4500 JPY (no minor unit) x 0.0067
    ]
    assert r.source_rows.tolist() == [1, 2, 3, 4, 9, 10, 11]
    assert reasons_of(r) == [
        (5, "one-off item, not recurring"),  # no subscription, no billing period
        (6, "one-off item, not recurring"),  # origin subscription_charge
        (7, "transaction status 'draft': not billed (an open checkout or an unfinished invoice)"),
        (8, "transaction status 'canceled': no longer due (not MRR)"),
        (12, "payment method update (origin subscription_payment_method_change): not a charge"),
        (13, UNCOVERED),  # a downgrade's credit whose charge is not in the file
        (
            14,
            "transaction status 'paid' without a subscription id yet: Paddle adds it when the "
            "transaction is completed (export the report again later)",
        ),
        (15, "duplicate of an earlier row (same 'id')"),
    ]
    lines = r.lines
    assert lines["currency"].tolist() == ["USD", "USD", "USD", "EUR", "GBP", "USD", "JPY"]
    assert lines["plan"].tolist()[:4] == ["pri_basic", "pri_basic", "pri_pro", "pri_annual"]
    assert lines["country"].tolist()[3] == "DE"
    assert lines["customer_name"].tolist()[3] == "Beta GmbH"
    assert lines["subscription"].tolist()[0] == "sub_A"
    assert any("lowest denomination" in w for w in r.warnings)
    assert any("adjustments report" in w for w in r.warnings)
    assert r.mapping["start"] == "billing_period_starts_at"
    assert r.mapping["amount"] == "subtotal"
    mrrkit.movements(r.lines)  # the engine takes them as they are


def test_transactions_report_currencies_are_never_summed_raw():
    with pytest.raises(ExportError, match="mixes 4 currencies"):
        read_export(TRANSACTIONS)
    r = read_export(TRANSACTIONS, reporting_currency="USD")
    assert_accounted(r)
    assert set(r.lines["currency"]) == {"USD"}
    assert (9, "no exchange rate for GBP (reporting currency USD)") in reasons_of(r)


def test_line_items_report_with_prorations():
    r = read_export(LINE_ITEMS)
    assert r.format == "paddle_transactions"
    assert_accounted(r)
    credit = round(-15.52 / (15 / 29), 2)  # the unused half of Basic, 15 of February's 29 days
    charge = round(31.03 / (15 / 29), 2)  # Pro for the same days
    assert lines_of(r) == [
        ("ctm_K", "2024-01-01", "2024-02-01", 30.0),
        ("ctm_K", "2024-01-01", "2024-02-01", 13.5),  # 3 seats, 15.00 - 1.50 discount
        ("ctm_K", "2024-02-01", "2024-03-01", 30.0),
        ("ctm_K", "2024-02-01", "2024-03-01", 13.5),
        ("ctm_K", "2024-02-15", "2024-03-01", credit),  # the item's proration period
        ("ctm_K", "2024-02-15", "2024-03-01", charge),
    ]
    assert reasons_of(r) == [
        (3, "one-off item, not recurring"),  # a setup fee: its period is a single day
        (8, "transaction status 'canceled': no longer due (not MRR)"),
        (9, "duplicate of an earlier row (same 'id')"),  # the txnitm_ ids, whatever the heading
    ]
    assert r.lines["product"].tolist()[:2] == ["App", "Extra seats"]
    assert r.lines["quantity"].tolist()[1] == "3"
    assert any("written with decimals" in w for w in r.warnings)
    # The upgrade shows as expansion from Basic (30) + seats (13.5) to Pro (60) + seats.
    mv = mrrkit.movements(r.lines)
    upgrade = mv[mv["date"] == pd.Timestamp("2024-02-15")]
    assert upgrade["kind"].tolist() == ["expansion"]
    net_change = (31.03 - 15.52) / (15 / 29)
    assert upgrade["mrr_after"].tolist() == [pytest.approx(43.5 + net_change, abs=1e-6)]


def _report(rows: list[dict], **cells) -> bytes:
    base = {
        "id": "txn_x",
        "status": "completed",
        "customer_id": "ctm_x",
        "subscription_id": "sub_x",
        "origin": "subscription_recurring",
        "billing_period_starts_at": "2024-01-01T00:00:00Z",
        "billing_period_ends_at": "2024-02-01T00:00:00Z",
        "currency_code": "USD",
        "subtotal": "1000",
        "discount": "0",
        "tax": "200",
        "total": "1200",
    }
    frame = pd.DataFrame([{**base, **cells, **row} for row in rows])
    return frame.to_csv(index=False).encode()


def test_a_credit_is_kept_when_its_charge_is_in_the_file():
    charge = {"id": "t1", "subtotal": "3000"}
    credit = {
        "id": "t2",
        "origin": "subscription_update",
        "billing_period_starts_at": "2024-01-16T00:00:00Z",
        "subtotal": "-800",
    }
    r = read_export(_report([charge, credit]))
    assert_accounted(r)
    assert lines_of(r) == [
        ("ctm_x", "2024-01-01", "2024-02-01", 30.0),
        ("ctm_x", "2024-01-16", "2024-02-01", round(-8.0 / (16 / 31), 2)),
    ]
    # The same credit against another subscription's charge is refused: it would take sub_y
    # below zero even though the customer has MRR.
    r = read_export(_report([charge, {**credit, "subscription_id": "sub_y"}]))
    assert reasons_of(r) == [(2, UNCOVERED)]
    # A credit bigger than the charge it reduces, or outside its dates, is refused too.
    assert reasons_of(read_export(_report([charge, {**credit, "subtotal": "-9000"}]))) == [
        (2, UNCOVERED)
    ]
    late = {
        **credit,
        "billing_period_starts_at": "2024-01-20",
        "billing_period_ends_at": "2024-02-20",
    }
    assert reasons_of(read_export(_report([charge, late]))) == [(2, UNCOVERED)]
    # A charge rejected for its currency leaves its credit uncovered.
    r = read_export(
        _report([{**charge, "currency_code": "EUR"}, credit, {"id": "t3", "customer_id": "c2"}]),
        reporting_currency="USD",
    )
    assert reasons_of(r) == [
        (1, "no exchange rate for EUR (reporting currency USD)"),
        (2, UNCOVERED),
    ]


def test_amounts_without_subtotal_are_total_minus_tax():
    data = _report([{}]).decode().replace("subtotal,discount,", "").replace("1000,0,", "")
    r = read_export(data.encode())
    assert lines_of(r) == [("ctm_x", "2024-01-01", "2024-02-01", 10.0)]
    assert any("'total' - 'tax'" in w for w in r.warnings)
    no_tax = data.replace(",tax,", ",vat,")
    with pytest.raises(ExportError, match="neither a subtotal nor a tax"):
        read_export(no_tax.encode())


@pytest.mark.parametrize(
    "cells, reason",
    [
        ({"status": "ready"}, "transaction status 'ready': not billed yet"),
        ({"status": "refunded"}, "unknown transaction status 'refunded'"),
        ({"status": ""}, "missing transaction status"),
        ({"customer_id": ""}, "missing customer id"),
        ({"subscription_id": ""}, "one-off item, not recurring"),
        ({"billing_period_ends_at": ""}, "missing billing period start or end"),
        ({"billing_period_ends_at": "2023-12-01"}, "end date before start date"),
        (
            {"billing_period_ends_at": "soon"},
            "end: cannot read the date in 'billing_period_ends_at'",
        ),
        ({"subtotal": "n/a"}, "amount: cannot read the number in 'subtotal'"),
        ({"subtotal": ""}, "missing amount"),
        ({"discount": "?"}, "discount: cannot read the number in 'discount'"),
    ],
)
def test_each_bad_row_says_why(cells, reason):
    r = read_export(_report([{"id": "ok"}, {"id": "bad", **cells}]))
    assert_accounted(r)
    assert lines_of(r) == [("ctm_x", "2024-01-01", "2024-02-01", 10.0)]
    assert reasons_of(r) == [(2, reason)]


def test_customer_email_stands_in_for_a_missing_customer_id():
    r = read_export(_report([{"customer_id": "", "customer_email": "x@example.com"}]))
    assert lines_of(r) == [("x@example.com", "2024-01-01", "2024-02-01", 10.0)]
    assert any("customer read from 'customer_email'" in w for w in r.warnings)


def test_unit_is_decided_once_per_file():
    """A file whose every amount is a whole number is in the lowest denomination; one decimal
    anywhere among its money columns (here the fee) makes the whole file currency units."""
    whole = read_export(_report([{"subtotal": "4900"}]))
    assert lines_of(whole)[0][3] == 49.0
    units = read_export(_report([{"subtotal": "4900", "fee": "245.50"}]))
    assert lines_of(units)[0][3] == 4900.0
    assert any("read in currency units" in w for w in units.warnings)


# ----------------------------------------------------------------------------------------------
# Detection: every format keeps its own files
# ----------------------------------------------------------------------------------------------

EXPECTED_FORMAT = {
    "baremetrics.csv": "baremetrics",
    "chargebee_subscriptions.csv": "chargebee_subscriptions",
    "chartmogul_import.csv": "chartmogul_import",
    "french_excel.csv": "generic",
    "italian_excel_bom.csv": "generic",
    "italian.xlsx": "generic",
    "paddle_classic_subscription_users.csv": "paddle_classic_subscriptions",
    "paddle_subscriptions.csv": "paddle_subscriptions",
    "paddle_transaction_line_items.csv": "paddle_transactions",
    "paddle_transactions.csv": "paddle_transactions",
    "recurly_subscriptions.csv": "recurly_subscriptions",
    "stripe_invoice_line_items.csv": "stripe_invoices",
    "stripe_invoice_line_items_api.csv": "stripe_invoices",
    "stripe_invoice_line_items_from_march.csv": "stripe_invoices",
    "stripe_invoice_line_items_sigma.csv": "stripe_invoices",
    "stripe_subscriptions.csv": "stripe_subscriptions",
    "stripe_api_subscriptions.csv": "stripe_api_subscriptions",
    "woocommerce_subscriptions.csv": "woocommerce_subscriptions",
    "stripe_subscriptions_cancellation_details.csv": "stripe_subscriptions",
    "stripe_subscriptions_list.json": "stripe_api_subscriptions",
    "stripe_subscriptions.jsonl": "stripe_api_subscriptions",
    "stripe_invoices_list.json": "stripe_invoices",
}


def test_every_fixture_is_read_as_its_own_format():
    assert set(EXPECTED_FORMAT) == {p.name for p in FIXTURES.iterdir()}
    for name, expected in EXPECTED_FORMAT.items():
        try:
            r = read_export(FIXTURES / name, reporting_currency="USD", fx_rates=FX)
        except ExportError:  # files in one currency refuse no rates
            r = read_export(FIXTURES / name)
        assert r.format == expected, name


@pytest.mark.parametrize("fmt", ["paddle_transactions", "paddle_classic_subscriptions"])
def test_a_paddle_format_refuses_other_files(fmt):
    with pytest.raises(ExportError, match=f"does not look like {fmt}"):
        read_export(FIXTURES / "stripe_subscriptions.csv", format=fmt)


# ----------------------------------------------------------------------------------------------
# Billing period -> MRR, against a brute force
# ----------------------------------------------------------------------------------------------


def brute_force_months(start: dt.date, end: dt.date) -> float:
    """Months from start to end counted on a calendar: whole months while the same day of a
    later month (the month's last day when shorter) is not past the end, then the share of the
    next month's days."""

    def same_day(k: int) -> dt.date:
        year, month = divmod(start.month - 1 + k, 12)
        year, month = start.year + year, month + 1
        return dt.date(year, month, min(start.day, calendar.monthrange(year, month)[1]))

    k = 0
    while same_day(k + 1) <= end:
        k += 1
    return k + (end - same_day(k)).days / (same_day(k + 1) - same_day(k)).days


def test_brute_force_months_on_known_periods():
    d = dt.date
    assert brute_force_months(d(2024, 1, 31), d(2024, 2, 29)) == 1.0
    assert brute_force_months(d(2024, 1, 10), d(2025, 1, 10)) == 12.0
    assert brute_force_months(d(2024, 2, 15), d(2024, 3, 1)) == 15 / 29


PERIODS = st.lists(
    st.tuples(
        st.dates(dt.date(1995, 1, 1), dt.date(2035, 12, 31)),
        st.one_of(st.integers(1, 1200), st.sampled_from([7, 14, 28, 29, 30, 31, 90, 365, 366])),
        st.integers(-10**7, 10**8),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PERIODS, st.booleans())
def test_period_mrr_matches_a_brute_force(periods, in_units):
    """Each transaction's MRR is its net amount over the calendar months of its billing period,
    whether the file writes cents (2900) or currency units (29.00)."""
    rows = []
    for i, (start, days, cents) in enumerate(periods):
        amount = f"{cents / 100:.2f}" if in_units else str(cents)
        rows.append(
            {
                "id": f"t{i}",
                "subscription_id": f"s{i}",
                "customer_id": f"c{i % 3}",
                "billing_period_starts_at": f"{start.isoformat()}T08:30:00Z",
                "billing_period_ends_at": (start + dt.timedelta(days=days)).isoformat(),
                "subtotal": amount,
                "discount": "0.00" if in_units else "0",
            }
        )
    # Periods end up to 2039: read on a day whose date window (10 years ahead) holds them all,
    # whatever the day the test runs (a billed period ending later is rejected).
    r = read_export(_report(rows), today="2030-01-01")
    assert_accounted(r)
    kept = dict(zip(r.source_rows.tolist(), r.lines["mrr"].tolist()))
    reasons = dict(reasons_of(r))
    for row, (start, days, cents) in enumerate(periods, start=1):
        if cents < 0:  # a credit with no charge of its own subscription to reduce
            assert reasons[row] == UNCOVERED
            continue
        expected = cents / 100 / brute_force_months(start, start + dt.timedelta(days=days))
        assert kept[row] == pytest.approx(expected, rel=1e-12, abs=1e-12)


# ----------------------------------------------------------------------------------------------
# Paddle Classic subscription users
# ----------------------------------------------------------------------------------------------


def test_classic_subscription_users():
    r = read_export(CLASSIC)
    assert r.format == "paddle_classic_subscriptions"
    assert_accounted(r)
    assert lines_of(r) == [
        ("285846", "2023-05-06", None, 10.0),  # active: next payment 10 USD, billed monthly
        ("285847", "2023-01-15", None, 30.0),  # 360 USD a year for 3 seats (already x 3)
        ("285848", "2024-04-03", None, 10.0),  # trialing: from its next payment, plan 111 monthly
        ("285849", "2023-11-10", None, 10.0),  # past due counts
        ("285850", "2023-12-05", "2024-02-05", 10.0),  # paused from 5 Feb (paused_from)
    ]
    assert reasons_of(r) == [
        (6, "status 'deleted' without an end date"),
        (7, "missing customer id"),
        (8, "missing amount"),
    ]
    assert r.lines["plan"].tolist() == ["111", "222", "111", "111", "111"]
    assert r.lines["email"].tolist()[:2] == ["one@example.com", "two@example.com"]  # user_email
    assert any("no cancellation date" in w for w in r.warnings)
    assert any("may include sales tax" in w for w in r.warnings)


def test_classic_with_a_price_an_interval_and_cancellation_dates():
    csv = (
        "subscription_id,plan_id,user_id,user_email,state,signup_date,quantity,recurring_price,"
        "billing_type,billing_period,currency,cancellation_effective_date\n"
        "1,111,u1,a@x.com,active,2024-01-01,2,12.50,month,1,EUR,\n"
        "2,222,u2,b@x.com,deleted,2023-01-01,1,120.00,year,1,EUR,2024-01-01\n"
        "3,333,u3,c@x.com,active,2024-02-01,1,30.00,month,3,EUR,\n"
        "4,444,u4,d@x.com,active,2024-02-01,1,30.00,fortnight,1,EUR,\n"
    )
    r = read_export(csv.encode())
    assert r.format == "paddle_classic_subscriptions"
    assert_accounted(r)
    assert lines_of(r) == [
        ("u1", "2024-01-01", None, 25.0),  # price x quantity
        ("u2", "2023-01-01", "2024-01-01", 10.0),
        ("u3", "2024-02-01", None, 10.0),  # every 3 months
    ]
    assert reasons_of(r) == [(4, "unknown billing interval 'fortnight'")]


def test_classic_without_any_amount_is_an_export_error():
    csv = "subscription_id,plan_id,user_id,state,signup_date\n1,111,u1,active,2024-01-01\n"
    with pytest.raises(ExportError, match="no amount.*recurring_price"):
        read_export(csv.encode())


def test_classic_interval_is_never_guessed():
    """No interval column and no current period: the row is rejected, not read as monthly."""
    csv = (
        "subscription_id,plan_id,user_id,state,signup_date,last_payment.amount,last_payment.date\n"
        "1,111,u1,active,2024-01-01,10,2024-03-01\n"
    )
    r = read_export(csv.encode())
    assert reasons_of(r) == [(1, "missing billing interval")]


# Paddle Classic's dashboard Transactions Report: payments, no subscription periods. Not with the
# readable fixtures (every file there is read by some format).
CLASSIC_TRANSACTIONS = (
    Path(__file__).parents[1] / "fixtures" / "refused" / "paddle_classic_transactions.csv"
)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"format": "generic"},
        # Even mapped by hand: an order total over an order date is no subscription line.
        {"mapping": {"customer_id": "Customer Email", "start": "Order ID", "mrr": "Total"}},
    ],
)
def test_classic_transactions_report_is_refused_saying_what_to_upload(kwargs):
    with pytest.raises(ExportError) as info:
        read_export(CLASSIC_TRANSACTIONS, **kwargs)
    message = str(info.value)
    assert message.startswith("this is Paddle Classic's transactions report")
    assert "no subscription periods" in message
    assert "subscription users export" in message and "paddle_classic_subscriptions" in message
    assert "'Balance Earnings'" in message  # the columns seen


def test_classic_transactions_report_is_recognised_in_other_spellings():
    csv = "order_id;customer_email;total;currency;balance_earnings\n1-2;a@x.com;10,00;EUR;8,10\n"
    with pytest.raises(ExportError, match="^this is Paddle Classic's transactions report"):
        read_export(csv.encode())
    # An "Order ID" alone (any order list) is left to the other readers.
    ok = "Order ID,customer_id,start,mrr\n1,acme,2024-01-01,10\n"
    assert read_export(ok.encode()).format == "canonical"


def test_lines_of_both_paddle_formats_feed_the_engine():
    for path in (TRANSACTIONS, LINE_ITEMS, CLASSIC):
        r = read_export(path, reporting_currency="USD", fx_rates=FX)
        table = mrrkit.monthly(r.lines)
        assert np.isfinite(table["mrr"]).all()
