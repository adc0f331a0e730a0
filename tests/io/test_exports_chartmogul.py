"""Issue 14: ChartMogul's own CSV import layout (a user leaving ChartMogul has these files).

Fixture ``tests/fixtures/exports/chartmogul_import.csv``: the invoice line items file with its
invoices' columns joined on ``Invoice external ID`` (the denormalised file). Its headers are those
of ChartMogul's sample CSV files as ChartMogul's Ruby client lists them
(https://github.com/chartmogul/chartmogul-ruby, ``lib/chartmogul/csv/line_items/subscription.rb``
from ``04_Invoice_line_items.csv``: ``Invoice external ID, External ID, Subscription external
ID, ..., Type, Amount in cents, Plan, Service period start, Service period end, Quantity,
Proration, Discount code, Discount amount, Tax amount, Description``; ``csv/invoice.rb`` from
``03_Invoices.csv``: ``Customer external ID, Invoice external ID, Invoiced date, Due date,
Currency, Status``), the CSV import being described at
https://help.chartmogul.com/hc/en-us/articles/360013881659. The cases follow ChartMogul's own
examples: MRR = (amount_in_cents - tax_amount_in_cents) normalised to a month
(https://dev.chartmogul.com/docs/how-mrr-is-calculated-from-prorated-invoices), a month billed
2019-02-01 to 2019-03-01 and the prorated Bronze -> Gold switch (a $50 credit for unused Bronze,
$125 for the rest of the month on Gold: MRR 250,
https://help.chartmogul.com/hc/en-us/articles/360012519560).
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

import mrrkit
from mrrkit import read_export
from mrrkit.io.money import ZERO_DECIMAL_CURRENCIES
from tests.io.test_exports_fuzz import check_result
from tests.io.test_exports_paddle import brute_force_months

FILE = Path(__file__).parents[1] / "fixtures" / "exports" / "chartmogul_import.csv"
FX = {"EUR": 1.1, "JPY": 0.0067}
#: The rows rejected (data row numbers) and why, by hand.
REJECTED = {
    7: "line type 'one_time': a one-off charge (not recurring revenue)",
    18: (
        "credit larger than the charge it reduces in the file (that charge is missing or was "
        "rejected: export a longer date range)"
    ),
    21: "line type 'trial': a free trial (not MRR)",
    22: "invoice status 'voided': cancelled (not MRR)",
}


def read(**kwargs):
    return read_export(FILE, reporting_currency="USD", fx_rates=FX, **kwargs)


def fixture_rows() -> list[dict]:
    with FILE.open(newline="") as f:
        return list(csv.DictReader(f))


def expected_month_ends() -> dict[str, float]:
    """MRR at the end of each month of 2024, in USD, from the fixture's rows and ChartMogul's
    rule alone: (amount - tax) in cents over the service period's calendar months, the end the
    first day not served, every row but those of REJECTED."""
    lines = []
    for i, row in enumerate(fixture_rows(), start=1):
        if i in REJECTED:
            continue
        divisor = 1 if row["Currency"] in ZERO_DECIMAL_CURRENCIES else 100
        start = dt.date.fromisoformat(row["Service period start"])
        end = dt.date.fromisoformat(row["Service period end"])
        net = (int(row["Amount in cents"]) - int(row["Tax amount"])) / divisor
        rate = FX.get(row["Currency"], 1.0)
        lines.append((start, end, net / brute_force_months(start, end) * rate))
    out = {}
    for month in range(1, 9):
        day = dt.date(2024, month, calendar.monthrange(2024, month)[1])
        out[f"2024-{month:02d}"] = round(sum(m for s, e, m in lines if s <= day < e), 6)
    return out


def test_the_fixture_month_by_month():
    result = read()
    assert result.format == "chartmogul_import"
    check_result(result, expected_rows=22)
    assert dict(zip(result.rejected["row"], result.rejected["reason"])) == REJECTED
    monthly = mrrkit.monthly(mrrkit.movements(result.lines, as_of="2024-08-31"))
    got = {str(m): round(v, 6) for m, v in monthly["mrr"].items()}
    assert got == expected_month_ends()
    # By hand: January cus_A 50 (59.00 - 9.00 tax) + cus_B 90 (1080.00 a year, discount already
    # out) + cus_C 30 EUR + cus_G 1000 JPY; February cus_C's month refunded whole; March cus_C
    # back and cus_E 40 - 10 credit; April cus_A on Gold (plan change); June cus_A churned (no
    # next invoice), cus_D 100 - 100 + 250 after the prorated switch to Gold (ChartMogul's own
    # example), July 250; August cus_B's year alone.
    assert got == {"2024-01": 179.7, "2024-02": 146.7, "2024-03": 203.0, "2024-04": 210.0,
                   "2024-05": 210.0, "2024-06": 340.0, "2024-07": 340.0, "2024-08": 90.0}


def test_columns_and_notes():
    result = read()
    assert result.mapping == {
        "customer_id": "Customer external ID", "start": "Service period start",
        "end": "Service period end", "period_amount": "Amount in cents", "tax": "Tax amount", "type": "Type", "currency": "Currency",
        "status": "Status", "subscription": "Subscription external ID",
        "invoice": "Invoice external ID",
    }
    codes = {n.code: n for n in result.warnings if hasattr(n, "code")}
    assert {"chartmogul_rules", "chartmogul_statuses", "cents", "credit_notes"} <= set(codes)
    # Four negative lines: cus_C's February refunded whole, cus_D's unused Bronze, cus_E's
    # goodwill credit, cus_F's credit with no charge (then rejected).
    assert codes["credit_notes"].values == {"count": 4, "refunds": 1}
    lines = result.lines.set_index("customer_id")
    assert lines.loc["cus_A", "plan"].tolist() == ["pro_monthly"] * 3 + ["gold_monthly"] * 2
    assert set(lines.loc["cus_D", "subscription"]) == {"sub_D"}
    assert lines.loc["cus_G", "currency"].tolist() == ["JPY", "JPY"]  # 1000 yen, not 10
    assert lines.loc["cus_G", "mrr"].round(6).tolist() == [6.7, 6.7]


def test_the_line_items_file_alone_reads_each_subscription_as_a_customer():
    frame = pd.read_csv(FILE, dtype=str, keep_default_na=False)
    frame = frame.drop(columns=["Customer external ID", "Invoiced date", "Currency", "Status"])
    frame = frame[frame["Amount in cents"] != "1000"]  # (the yen lines: one currency left)
    result = read_export(frame.to_csv(index=False).encode())
    assert result.format == "chartmogul_import"
    check_result(result, expected_rows=len(frame))
    assert set(result.lines["customer_id"]) == {"sub_A", "sub_B", "sub_C", "sub_D", "sub_E",
                                                "sub_I"}  # voided: no status to tell it now
    said = [n for n in result.warnings if getattr(n, "code", "") == "chartmogul_no_customer"]
    assert said and said[0].values == {"column": "Subscription external ID"}
    assert "Customer external ID" in str(said[0])


def test_the_import_api_names_and_transactions_change_nothing():
    frame = pd.read_csv(FILE, dtype=str, keep_default_na=False).rename(columns={
        "Customer external ID": "customer_external_id", "Amount in cents": "amount_in_cents",
        "Tax amount": "tax_amount_in_cents", "Service period start": "service_period_start",
        "Service period end": "service_period_end", "Type": "type", "Proration": "prorated",
        "Subscription external ID": "subscription_external_id", "Plan": "plan_uuid",
        "External ID": "external_id"})
    # Joined to the transactions: cus_A's first invoice failed once, then was paid; cus_B's was
    # refunded. A failed payment still counts and a refund is no churn, as in ChartMogul.
    frame["transaction_result"] = "successful"
    frame["transaction_type"] = "payment"
    again = frame.iloc[[0, 5]].copy()
    again["transaction_result"] = ["failed", "successful"]
    again["transaction_type"] = ["payment", "refund"]
    frame = pd.concat([frame, again], ignore_index=True)
    result = read_export(frame.to_csv(index=False).encode(), reporting_currency="USD",
                         fx_rates=FX)
    assert result.format == "chartmogul_import"
    check_result(result, expected_rows=24)
    reasons = dict(zip(result.rejected["row"], result.rejected["reason"]))
    assert reasons[23] == reasons[24] == "duplicate of an earlier row (same 'external_id')"
    assert any(getattr(n, "code", "") == "chartmogul_transactions" for n in result.warnings)
    monthly = mrrkit.monthly(mrrkit.movements(result.lines, as_of="2024-08-31"))
    assert {str(m): round(v, 6) for m, v in monthly["mrr"].items()} == expected_month_ends()


@pytest.mark.parametrize(("cell", "reason"), [
    ("", "missing line type (subscription or one_time)"),
    ("usage_based", "line type 'usage_based': only subscription lines are MRR"),
])
def test_a_line_of_no_known_type_is_rejected_saying_its_type(cell, reason):
    frame = pd.read_csv(FILE, dtype=str, keep_default_na=False)
    frame.loc[0, "Type"] = cell
    result = read_export(frame.to_csv(index=False).encode(), reporting_currency="USD",
                         fx_rates=FX)
    assert result.rejected.set_index("row").loc[1, "reason"] == reason


def test_written_off_invoices_and_unreadable_tax_are_rejected_with_their_reason():
    frame = pd.read_csv(FILE, dtype=str, keep_default_na=False)
    frame.loc[0, "Status"] = "written_off"
    frame.loc[1, "Tax amount"] = "nine"
    frame.loc[2, "Status"] = "pending"
    result = read_export(frame.to_csv(index=False).encode(), reporting_currency="USD",
                         fx_rates=FX)
    reasons = result.rejected.set_index("row")["reason"]
    assert reasons[1] == "invoice status 'written_off': never collected (not MRR)"
    assert reasons[2] == "tax: cannot read the number in 'Tax amount'"
    assert reasons[3] == "unknown status 'pending'"


def test_other_formats_keep_their_files():
    stripe = FILE.parent / "stripe_invoice_line_items.csv"
    assert read_export(stripe).format == "stripe_invoices"
    with pytest.raises(mrrkit.ExportError, match="does not look like chartmogul_import"):
        read_export(stripe, format="chartmogul_import")


def test_a_line_items_discount_is_kept_for_the_definitions_that_add_it_back():
    """The line items' ``Discount amount`` (cents; ``discount_amount_in_cents`` in the Import
    API, https://dev.chartmogul.com/reference/import-customers-invoices) is already out of
    ``Amount in cents`` ("ChartMogul assumes discounts have already been deducted from the
    specified Amount value", https://help.chartmogul.com/hc/en-us/articles/360012519560): the
    MRR stays after it and the line keeps it as its ``recurring_discount``, a month's worth of
    its service period. cus_B's yearly line: $1,080 billed after SPRING10's $120, so $90 of MRR
    and $10 a month of discount; ``discounts="none"`` counts $100."""
    lines = read().lines
    b = lines[lines["customer_id"] == "cus_B"]
    assert b["mrr"].tolist() == [90.0]
    assert b["recurring_discount"].tolist() == [10.0]
    assert (lines.loc[lines["customer_id"] != "cus_B", "recurring_discount"] == 0).all()
    at = pd.Timestamp("2024-06-30")
    mine = mrrkit.movements(lines, as_of=at)
    gross = mrrkit.movements(lines, as_of=at, definitions=mrrkit.Definitions(discounts="none"))
    assert mrrkit.customer_summary(gross).loc["cus_B", "mrr"] == 100.0
    assert mrrkit.customer_summary(mine).loc["cus_B", "mrr"] == 90.0


def test_a_discount_in_another_currency_is_converted_with_its_line():
    """A discount is money of its line's currency: converted at the line's rate (EUR at 1.1),
    so that adding it back adds dollars."""
    csv_text = (
        "Customer external ID,Currency,Type,Amount in cents,Service period start,"
        "Service period end,Discount amount,Tax amount\n"
        "cus_E,EUR,subscription,9000,2024-01-01,2024-02-01,1000,0\n"
    )
    lines = read_export(csv_text.encode(), reporting_currency="USD", fx_rates=FX).lines
    assert lines["mrr"].tolist() == pytest.approx([99.0])
    assert lines["recurring_discount"].tolist() == pytest.approx([11.0])
