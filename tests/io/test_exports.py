"""read_export / read_customers on small vendor fixtures, with hand-computed expectations."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mrrkit
from mrrkit import (
    EXPORT_FORMATS,
    CustomerFile,
    ExportError,
    ExportResult,
    read_customers,
    read_export,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "exports"


def lines_of(result: ExportResult) -> list[tuple]:
    """(customer, start, end or None, mrr rounded to cents) per line, as plain values."""
    out = []
    for row in result.lines.itertuples(index=False):
        end = None if pd.isna(row.end) else str(row.end.date())
        out.append((row.customer_id, str(row.start.date()), end, round(row.mrr, 2)))
    return out


def reasons_of(result: ExportResult) -> list[tuple]:
    return list(zip(result.rejected["row"].tolist(), result.rejected["reason"].tolist()))


def assert_accounted(result: ExportResult) -> None:
    """Every data row is in lines or rejected, never both."""
    kept = set(result.source_rows.tolist())
    rejected = set(result.rejected["row"].tolist())
    assert not kept & rejected
    assert kept | rejected == set(range(1, result.rows_read + 1))


def test_public_api():
    for name in (
        "read_export",
        "read_customers",
        "ExportError",
        "ExportResult",
        "CustomerFile",
        "EXPORT_FORMATS",
    ):
        assert name in mrrkit.__all__
    assert issubclass(ExportError, ValueError)
    assert set(EXPORT_FORMATS) >= {
        "stripe_subscriptions",
        "stripe_invoices",
        "chargebee_subscriptions",
        "recurly_subscriptions",
        "paddle_subscriptions",
        "baremetrics",
        "canonical",
        "generic",
    }


# ----------------------------------------------------------------------------------------------
# Vendor fixtures
# ----------------------------------------------------------------------------------------------


def test_stripe_subscriptions():
    r = read_export(FIXTURES / "stripe_subscriptions.csv")
    assert r.format == "stripe_subscriptions"
    assert lines_of(r) == [
        ("cus_A", "2024-01-15", None, 98.0),  # 49.00/month x quantity 2
        ("cus_B", "2023-06-01", None, 100.0),  # 1200.00/year / 12
        ("cus_C", "2024-03-15", None, 30.0),  # trialing: counts from its trial end
        ("cus_D", "2023-01-10", "2023-07-10", 20.0),  # canceled: churn at Ended At, not Canceled At
        ("cus_E", "2024-02-01", None, 43.33),  # past_due counts; 10/week x 52 / 12
        # unpaid (issue 14): November to January paid, then churn when the unpaid period began
        # (it was rejected whole, deleting three paid months).
        ("cus_G", "2023-11-02", "2024-02-02", 49.0),
        ("cus_I", "2024-01-01", None, 30.42),  # 1.00/day x 365 / 12
    ]
    assert reasons_of(r) == [
        (6, "status 'incomplete': first payment never succeeded (not MRR)"),
        (8, "cancelled before the trial ended (never paid)"),  # ended 10 Feb, trial ended 15 Feb
        (10, "status 'canceled' without an end date"),
    ]
    lines = r.lines.set_index("customer_id")
    assert lines.loc["cus_D", "churn_reason"] == "too_expensive"  # Cancellation Reason
    assert lines.loc["cus_A", "industry"] == "saas"  # "industry (metadata)"
    assert lines.loc["cus_A", "plan"] == "price_pro_m" and lines.loc["cus_A", "product"] == "Pro"
    assert lines.loc["cus_A", "quantity"] == 2.0 and lines.loc["cus_A", "currency"] == "USD"
    # The customer's name and email are kept (shown next to its id, searched, never segments).
    assert lines.loc["cus_A", "customer_name"] == "Acme"
    assert lines.loc["cus_A", "email"] == "a@example.com"
    assert "Customer Email" not in r.lines.columns and "Customer Name" not in r.lines.columns
    assert r.mapping["customer_name"] == "Customer Name" and r.mapping["email"] == "Customer Email"
    # The export names a coupon but not its amount: MRR stays before discount, and we say so.
    assert any("1 subscription(s) carry a coupon ('Coupon')" in w for w in r.warnings)
    assert r.lines.dtypes["start"] == "datetime64[s]" and r.lines.dtypes["mrr"] == "float64"
    # The raw values of a rejected row come back under the file's headers.
    assert r.rejected.loc[0, "id"] == "sub_6" and r.rejected.loc[0, "Status"] == "incomplete"
    assert_accounted(r)
    mrrkit.validate_lines(r.lines)


def test_customer_names_and_emails_are_kept_and_never_segments():
    # Stripe's subscriptions export: "Customer Name" (older ones: "Customer Description") and
    # "Customer Email" are kept as customer_name and email, one per customer.
    r = read_export(FIXTURES / "stripe_subscriptions.csv")
    attributes = mrrkit.customer_attributes(r.lines)
    assert attributes.loc["cus_A", ["customer_name", "email"]].tolist() == ["Acme", "a@example.com"]
    assert attributes.loc["cus_I", ["customer_name", "email"]].tolist() == ["Iota", "i@example.com"]
    # Unique per customer: never a segment, even in a file of 6 customers where any column of
    # at most 12 values would be one.
    dims = mrrkit.segment_columns(attributes)
    assert "customer_name" not in dims and "email" not in dims and "industry" in dims
    assert_accounted(r)
    # An export naming the customer "Customer Description" only; and one with both, where a
    # blank name takes the description.
    csv = (FIXTURES / "stripe_subscriptions.csv").read_text()
    described = read_export(csv.replace("Customer Name", "Customer Description", 1).encode())
    assert described.lines.set_index("customer_id").loc["cus_B", "customer_name"] == "Beta"
    frame = pd.read_csv(io.StringIO(csv), dtype=str, keep_default_na=False)
    frame.insert(4, "Customer Description", "")
    frame.loc[0, ["Customer Name", "Customer Description"]] = ["", "Acme Inc."]
    both = read_export(frame.to_csv(index=False).encode()).lines.set_index("customer_id")
    assert both.loc["cus_A", "customer_name"] == "Acme Inc."
    assert both.loc["cus_B", "customer_name"] == "Beta"
    # The other vendors' fixtures: Baremetrics, Recurly, Paddle (transaction line items).
    baremetrics = read_export(FIXTURES / "baremetrics.csv").lines.set_index("customer_id")
    assert baremetrics.loc["customer_1", ["customer_name", "email"]].tolist() == [
        "Allison Barkley", "allison@example.com"]
    recurly = read_export(FIXTURES / "recurly_subscriptions.csv").lines.set_index("customer_id")
    assert recurly.loc["acct_1", "email"] == "one@example.com"
    paddle = read_export(FIXTURES / "paddle_transaction_line_items.csv").lines
    kilo = paddle[paddle["customer_id"] == "ctm_K"]
    assert set(kilo["customer_name"]) == {"Kilo BV"} and set(kilo["email"]) == {"k@example.com"}
    # A spreadsheet: the headers' usual names in French and Italian.
    generic = read_export(
        "Client;Nom du client;Adresse e-mail;Date de début;Mensualité\n"
        "c1;Dupont SARL;compta@dupont.example;2024-01-15;100\n".encode()
    )
    assert generic.lines[["customer_name", "email"]].iloc[0].tolist() == [
        "Dupont SARL", "compta@dupont.example"]
    italian = read_customers(
        b"Cliente;Ragione sociale;Email;Settore\nc1;Bianchi SpA;a@b.it;Servizi\n"
    )
    assert list(italian.customers.columns) == ["customer_id", "customer_name", "email", "industry"]


# Where the layout comes from: Stripe's Subscription object (API reference) records why a
# subscription ended in ``cancellation_details``: ``reason`` (cancellation_requested,
# payment_disputed, payment_failed), ``feedback`` (the customer's pick, one of too_expensive,
# missing_features, switched_service, unused, customer_service, too_complex, low_quality, other)
# and ``comment`` (free text). The Dashboard's subscriptions export writes the reason as
# "Cancellation Reason" and, in some versions, "Cancellation Feedback" and "Cancellation Comment"
# (or "Cancellation Reason Text"), next to the columns of stripe_subscriptions.csv
# (Customer Description, Application Fee Percent, Tax Percent, Cancel At Period End...).
STRIPE_CANCELLATIONS = FIXTURES / "stripe_subscriptions_cancellation_details.csv"


def test_stripe_cancellation_feedback_is_the_churn_reason_and_the_comment_is_kept():
    r = read_export(STRIPE_CANCELLATIONS)
    assert r.format == "stripe_subscriptions"
    assert reasons_of(r) == [(10, "status 'incomplete_expired': never paid (not MRR)")]
    assert_accounted(r)
    mrrkit.validate_lines(r.lines)
    lines = r.lines.set_index("customer_id")
    # The customer's feedback where it gave one, else how the subscription ended, both as Stripe
    # writes them.
    assert lines["churn_reason"].fillna("").to_dict() == {
        "cus_Ann": "",  # still running
        "cus_Bob": "too_expensive",
        "cus_Cid": "missing_features",
        "cus_Dee": "payment_failed",  # no feedback: a failed payment
        "cus_Eve": "switched_service",
        "cus_Fay": "cancellation_requested",  # cancelled without answering
        "cus_Gus": "other",
        "cus_Hal": "unused",  # cancels at the end of its paid period: still running
        "cus_Ivy": "payment_disputed",
    }
    assert r.mapping["churn_reason"] == "Cancellation Feedback"
    # The free text is kept, quoted commas included, and is never a segment.
    assert lines.loc["cus_Bob", "churn_comment"] == "Too pricey for a team of two, sorry"
    assert lines.loc["cus_Gus", "churn_comment"] == "Company closed"
    assert pd.isna(lines.loc["cus_Dee", "churn_comment"])
    assert r.mapping["churn_comment"] == "Cancellation Comment"
    dims = mrrkit.segment_columns(mrrkit.customer_attributes(r.lines))
    assert dims[0] == "churn_reason" and "churn_comment" not in dims and "segment" in dims
    assert not [c for c in r.lines.columns if c.startswith("Cancel")]
    # Each churn keeps the reason of the line that ended with it.
    as_of = pd.Timestamp("2024-03-31")
    per_churn = mrrkit.churn_reasons(r.lines, mrrkit.movements(r.lines, as_of=as_of))
    assert dict(zip(per_churn.index.get_level_values("customer_id"), per_churn)) == {
        "cus_Bob": "too_expensive", "cus_Cid": "missing_features", "cus_Dee": "payment_failed",
        "cus_Eve": "switched_service", "cus_Fay": "cancellation_requested", "cus_Gus": "other",
        "cus_Ivy": "payment_disputed",
    }


def test_stripe_cancellation_columns_of_other_export_versions():
    csv = STRIPE_CANCELLATIONS.read_text()
    frame = pd.read_csv(io.StringIO(csv), dtype=str, keep_default_na=False)
    # "Cancellation Reason Text" for the comment.
    text = read_export(frame.rename(columns={"Cancellation Comment": "Cancellation Reason Text"})
                       .to_csv(index=False).encode())
    assert text.lines.set_index("customer_id").loc["cus_Cid", "churn_comment"] == "No SSO"
    # Only "Cancellation Reason" (as in stripe_subscriptions.csv): its values are the reasons.
    reason_only = frame.drop(columns=["Cancellation Feedback", "Cancellation Comment"])
    lines = read_export(reason_only.to_csv(index=False).encode()).lines.set_index("customer_id")
    assert lines.loc["cus_Bob", "churn_reason"] == "cancellation_requested"
    assert lines.loc["cus_Dee", "churn_reason"] == "payment_failed"
    assert "churn_comment" not in lines.columns
    # Only the feedback.
    feedback_only = frame.drop(columns=["Cancellation Reason"])
    lines = read_export(feedback_only.to_csv(index=False).encode()).lines.set_index("customer_id")
    assert lines.loc["cus_Bob", "churn_reason"] == "too_expensive"
    assert pd.isna(lines.loc["cus_Dee", "churn_reason"])
    # Headers without "(UTC)": a spreadsheet, whose churn reason is still the feedback column;
    # the "Cancellation Reason" stays under its own header.
    plain = read_export(csv.replace(" (UTC)", "").encode())
    assert plain.format == "generic" and plain.mapping["churn_reason"] == "Cancellation Feedback"
    lines = plain.lines.set_index("customer_id")
    assert lines.loc["cus_Bob", "churn_reason"] == "too_expensive"
    assert lines.loc["cus_Dee", "Cancellation Reason"] == "payment_failed"
    assert lines.loc["cus_Bob", "churn_comment"] == "Too pricey for a team of two, sorry"


def test_stripe_invoice_line_items():
    r = read_export(FIXTURES / "stripe_invoice_line_items.csv")
    assert r.format == "stripe_invoices"
    assert lines_of(r) == [
        ("cus_A", "2024-01-01", "2024-02-01", 100.0),  # 100.00 over one month
        ("cus_A", "2024-02-01", "2024-03-01", 80.0),  # 100.00 - 20.00 discount
        ("cus_A", "2024-02-15", "2024-03-01", 29.0),  # proration 15.00 over 15/29 of February
        ("cus_B", "2024-01-10", "2025-01-10", 100.0),  # 1200.00 over 12 months
        ("cus_F", "2024-01-01", "2024-04-01", 100.0),  # 300.00 over 3 months
    ]
    assert reasons_of(r) == [
        (5, "invoice status 'void': only paid invoices count"),
        (6, "one-off item, not recurring"),
        (7, "invoice status 'open': only paid invoices count"),
    ]
    assert_accounted(r)
    # The upgrade on 15 Feb is an expansion of 29.00; the discounted month a contraction of 20.
    mv = mrrkit.movements(r.lines[r.lines.customer_id == "cus_A"], as_of="2024-02-20")
    assert mv[["kind", "amount"]].astype({"kind": str}).values.tolist() == [
        ["new", 100.0],
        ["contraction", -20.0],
        ["expansion", 29.0],
    ]


UNCOVERED = (
    "credit larger than the charge it reduces in the file (that charge is missing or was "
    "rejected: export a longer date range)"
)


def test_stripe_line_items_from_a_later_date_credits_without_their_charge():
    """Invoice line items exported from 1 March: the credits for unused time on a plan changed
    in February reduce February's charge, which is not in the file. Kept, cus_A's downgrade
    credit (-300 a month against the new +100) would give cus_A negative MRR and the engine
    would refuse the whole file; cus_B's upgrade credit (-100 against the new +300) would show
    a new customer at 200 instead of 300."""
    r = read_export(FIXTURES / "stripe_invoice_line_items_from_march.csv")
    assert r.format == "stripe_invoices"
    assert_accounted(r)
    assert reasons_of(r) == [
        (1, UNCOVERED),  # cus_A: unused time on Pro (February's Pro charge is not in the file)
        (4, UNCOVERED),  # cus_B: unused time on Basic; the Pro proration beside it is no cover
        (13, "invoice status 'void': only paid invoices count"),
        (14, UNCOVERED),  # cus_E: the charge it reduces is on a void invoice
    ]
    assert lines_of(r) == [
        ("cus_A", "2024-02-15", "2024-03-01", 99.99),  # 51.72 over 15/29 of a month
        ("cus_A", "2024-03-01", "2024-04-01", 100.0),
        ("cus_B", "2024-02-20", "2024-03-01", 300.0),  # 103.45 over 10/29
        ("cus_B", "2024-03-01", "2024-04-01", 300.0),
        ("cus_C", "2024-03-01", "2024-04-01", 300.0),
        # downgrade with its charge in the file: -154.84 over 16/31 is -300.0025 a month,
        # Stripe's rounding to the cent: trimmed to the 300.00 it reduces
        ("cus_C", "2024-03-16", "2024-04-01", -300.0),
        ("cus_C", "2024-03-16", "2024-04-01", 99.99),
        # a quantity change on the day the subscription began: the regular charge of that day
        # carries the credit, the new quantity's proration adds to it
        ("cus_D", "2024-03-05", "2024-04-05", 100.0),
        ("cus_D", "2024-03-05", "2024-04-05", -100.0),
        ("cus_D", "2024-03-05", "2024-04-05", 300.0),
        ("cus_E", "2024-03-10", "2024-04-01", 100.0),
    ]
    assert r.lines.loc[5, "mrr"] == -300.0  # exactly the charge: never below zero
    assert any("1 credit(s) slightly larger than the charge" in w for w in r.warnings)
    assert any("credits for unused time (negative lines) are kept only" in w for w in r.warnings)
    mv = mrrkit.movements(r.lines)
    by_customer = {
        c: g[["date", "kind", "amount"]].astype({"date": str, "kind": str}).round(2).values.tolist()
        for c, g in mv.groupby("customer_id", observed=True)
    }
    assert by_customer["cus_A"][:2] == [
        ["2024-02-15", "new", 99.99],
        ["2024-03-01", "expansion", 0.01],
    ]
    assert by_customer["cus_B"][0] == ["2024-02-20", "new", 300.0]
    assert by_customer["cus_C"][:2] == [
        ["2024-03-01", "new", 300.0],
        ["2024-03-16", "contraction", -200.01],
    ]
    assert by_customer["cus_D"][0] == ["2024-03-05", "new", 300.0]


def test_stripe_invoice_credit_rules():
    """A credit is carried only by its own subscription's charge of the same price, in force
    over the credit's whole period; several credits share the charge."""
    head = (
        "Invoice ID,Invoice Status,Customer ID,Subscription ID,Type,Proration,Plan,Amount,"
        "Currency,Period Start (UTC),Period End (UTC)\n"
    )
    charge = "in_1,paid,cus_A,sub_A,subscription,false,pro,300.00,usd,2024-03-01,2024-04-01\n"

    def credit(amount, start="2024-03-16", end="2024-04-01", plan="pro", sub="sub_A"):
        return f"in_2,paid,cus_A,{sub},invoiceitem,true,{plan},{amount},usd,{start},{end}\n"

    def read(*rows):
        return reasons_of(read_export((head + "".join(rows)).encode()))

    assert read(charge, credit("-154.84")) == []
    assert read(charge, credit("-154.84", sub="sub_B")) == [(2, UNCOVERED)]  # another subscription
    assert read(charge, credit("-51.61", plan="basic")) == [(2, UNCOVERED)]  # another price
    assert read(charge, credit("-170.00")) == [(2, UNCOVERED)]  # more than a rounding over
    assert read(charge, credit("-154.84", end="2024-04-10")) == [(2, UNCOVERED)]  # outlasts it
    # Two credits over the same days: the second finds what the first left.
    assert read(charge, credit("-77.42"), credit("-77.42")) == []
    assert read(charge, credit("-77.42"), credit("-77.42"), credit("-10.00")) == [(4, UNCOVERED)]
    # A credit rejected takes nothing from the next one.
    other_price = credit("-100.00", start="2024-03-10", plan="basic")
    assert read(charge, other_price, credit("-154.84")) == [(2, UNCOVERED)]
    # The charge for a new quantity made by the same change (a proration from the credit's
    # first day) is no cover: the credit reduces the charge for the old quantity.
    more = "in_2,paid,cus_A,sub_A,invoiceitem,true,pro,464.52,usd,2024-03-16,2024-04-01\n"
    assert read(more, credit("-154.84")) == [(2, UNCOVERED)]
    assert read(charge, more, credit("-154.84")) == []
    # Without a Plan column the subscription's lines carry it, under the same rules.
    assert read(charge.replace(",pro,", ",,"), credit("-154.84", plan="")) == []
    assert read(more.replace(",pro,", ",,"), credit("-154.84", plan="")) == [(2, UNCOVERED)]
    # A charge rejected (here for its date) carries nothing.
    bad = charge.replace("2024-03-01,", "2024-13-01,")
    assert read(bad, credit("-154.84")) == [
        (1, "start: cannot read the date in 'Period Start (UTC)'"),
        (2, UNCOVERED),
    ]


def test_stripe_export_with_plan_columns_and_no_interval():
    # Another Dashboard layout ("Plan Amount", "Plan Currency", "Plan price ID"), no interval
    # column: the interval comes from the current period; whole-number amounts are flagged.
    csv = (
        "id,Customer ID,Status,Created (UTC),Canceled At (UTC),Plan Amount,Plan Currency,"
        "Current Period Start (UTC),Current Period End (UTC),Plan price ID\n"
        "sub_1,cus_1,active,2024-01-01 10:00,,4900,usd,2024-03-01 10:00,2024-04-01 10:00,price_m\n"
        "sub_2,cus_2,canceled,2024-01-01 10:00,2024-05-01 10:00,120000,usd,"
        "2024-01-01 10:00,2025-01-01 10:00,price_y\n"
    )
    r = read_export(csv.encode())
    assert r.format == "stripe_subscriptions"
    assert lines_of(r) == [
        ("cus_1", "2024-01-01", None, 4900.0),
        ("cus_2", "2024-01-01", "2024-05-01", 10000.0),  # yearly period; ended at Canceled At
    ]
    assert r.lines["plan"].tolist() == ["price_m", "price_y"]
    assert any("every 'Plan Amount' is a whole number" in w for w in r.warnings)
    # Said to be cents by its header: read in cents.
    r = read_export(csv.replace("Plan Amount,", "Plan Amount (cents),").encode())
    assert [m for *_, m in lines_of(r)] == [49.0, 100.0]
    assert not any("whole number" in w for w in r.warnings)


def test_stripe_metadata_keys_never_replace_columns():
    csv = (
        "Customer ID,Plan,Status,Amount,Interval,Start Date (UTC),plan (metadata),"
        "mrr (metadata),segment (metadata)\n"
        "cus_A,price_pro,active,10.00,month,2024-01-01 00:00,gold,999,smb\n"
    )
    r = read_export(csv.encode())
    row = r.lines.iloc[0]
    assert row["plan"] == "price_pro" and row["mrr"] == 10.0
    assert row["plan (metadata)"] == "gold" and row["mrr (metadata)"] == "999"
    assert row["segment"] == "smb"


def test_stripe_invoice_line_items_api_columns():
    # Lower-case API / Sigma / warehouse names: amounts in cents, discounts as the API's JSON
    # list, tax-inclusive amounts taken without tax, no customer column (it is on the invoice).
    r = read_export(
        FIXTURES / "stripe_invoice_line_items_api.csv",
        reporting_currency="USD",
        fx_rates={"EUR": 1.1},
    )
    assert r.format == "stripe_invoices"
    assert lines_of(r) == [
        ("sub_A", "2024-01-01", "2024-02-01", 100.0),
        ("sub_A", "2024-02-01", "2024-03-01", 80.0),  # 10000 - 2000 cents of discount
        ("sub_B", "2024-01-10", "2025-01-10", 27.5),  # 30000 cents ex tax x 1.1 / 12
        ("sub_C", "2024-02-15", "2024-03-01", -96.67),  # credit for unused time, 15/29 of a month
        ("sub_C", "2024-02-01", "2024-03-01", 100.0),  # the charge it reduces (a later row)
    ]
    assert reasons_of(r) == [
        (4, "one-off item, not recurring"),  # an invoice item that is no proration
        (6, "discount: cannot read 'discount_amounts'"),
    ]
    assert any("each subscription ('subscription_id') is read as its own" in w for w in r.warnings)
    assert_accounted(r)
    mv = mrrkit.movements(r.lines[r.lines.customer_id == "sub_C"])
    assert mv[["kind", "amount"]].astype({"kind": str}).round(2).values.tolist() == [
        ["new", 100.0],
        ["contraction", -96.67],
        ["churn", -3.33],
    ]
    # Without the charge (the row left out of the file), the credit is rejected.
    raw = (FIXTURES / "stripe_invoice_line_items_api.csv").read_bytes()
    r = read_export(raw[: raw.rindex(b"il_7")], reporting_currency="USD", fx_rates={"EUR": 1.1})
    assert (5, UNCOVERED) in reasons_of(r)
    mrrkit.movements(r.lines)


def test_stripe_sigma_invoice_line_items():
    # Sigma / Data Pipeline's invoice_line_items: the line type is in source_type, amounts in
    # cents, no customer and no invoice status (both are on the invoices table).
    r = read_export(FIXTURES / "stripe_invoice_line_items_sigma.csv")
    assert r.format == "stripe_invoices"
    assert lines_of(r) == [
        ("sub_A", "2024-01-01", "2024-02-01", 100.0),  # 10000 cents over one month
        ("sub_A", "2024-02-01", "2024-03-01", 80.0),  # (10000 - 2000 discount) cents
        ("sub_B", "2024-01-10", "2025-01-10", 100.0),  # 120000 cents over 12 months
        ("sub_C", "2024-03-01", "2024-04-01", 90.0),  # 3 x 30.00: amount is the line's total
    ]
    assert reasons_of(r) == [
        # source_type invoiceitem, no proration: a one-off charge on a subscription's invoice
        # (50.00 of MRR if it were read as recurring)
        (2, "one-off item, not recurring"),
        (5, "one-off item, not recurring"),  # no subscription at all
    ]
    assert "status" not in r.mapping
    assert any(
        w.startswith("no invoice status column (line item tables such as Stripe Sigma's")
        and "every line is read as paid" in w
        for w in r.warnings
    )
    assert_accounted(r)


def test_stripe_invoice_level_export():
    csv = (
        "id,Customer,Subscription,Status,Currency,Subtotal,Total Discount Amount,Tax,"
        "Minimum Line Item Period Start (UTC),Maximum Line Item Period End (UTC)\n"
        "in_1,cus_A,sub_1,paid,eur,120.00,20.00,24.00,2024-01-01 00:00,2024-02-01 00:00\n"
        "in_2,cus_B,,paid,eur,50.00,0.00,10.00,2024-01-03 00:00,2024-01-03 00:00\n"
        "in_3,cus_C,sub_3,uncollectible,eur,99.00,0.00,0.00,2024-01-01 00:00,2024-02-01 00:00\n"
    )
    r = read_export(csv.encode())
    assert r.format == "stripe_invoices"
    assert lines_of(r) == [("cus_A", "2024-01-01", "2024-02-01", 100.0)]  # 120 - 20, tax left out
    assert reasons_of(r) == [
        (2, "one-off item, not recurring"),
        (3, "invoice status 'uncollectible': only paid invoices count"),
    ]


DASHBOARD_INVOICES = (
    "id,Customer,Customer Name,Subscription,Status,Currency,Amount Due,Subtotal,Tax,Tax Percent,"
    "Total,Amount Paid,Total Discount Amount,Exclusive Tax Amount,Inclusive Tax Amount,"
    "Starting Balance,Ending Balance,Date (UTC),Due Date (UTC),Paid At (UTC),"
    "Finalized At (UTC),Period Start (UTC),Period End (UTC),"
    "Minimum Line Item Period Start (UTC),Maximum Line Item Period End (UTC),Paid,Closed,"
    "Forgiven,Applied Coupons,Number,Billing,Charge,Description\n"
)


def test_stripe_dashboard_invoices_revenue_is_total_minus_taxes():
    # Stripe's invoice subtotal already has item discounts taken off (and keeps inclusive tax);
    # Total Discount Amount adds up every discount, item ones too. The revenue is the total
    # after every discount minus its taxes, exclusive and inclusive.
    dates = "2024-01-01 00:00,,2024-01-01 00:05,2024-01-01 00:01,2024-01-01 00:00,2024-01-01 00:00"
    csv = DASHBOARD_INVOICES + (
        # 130.00 of list price - 10.00 item discount = subtotal 120.00; a 20.00 invoice coupon
        # (Total Discount Amount 30.00 = 10 + 20); 20% exclusive tax on 100.00 = 20.00;
        # total 120.00. Revenue 120 - 20 = 100.00 a month (subtotal - total discount: 90.00).
        f"in_1,cus_A,Ann,sub_1,paid,usd,120.00,120.00,20.00,20,120.00,120.00,30.00,20.00,0.00,"
        f"0.00,0.00,{dates},2024-01-01 00:00,2024-02-01 00:00,true,true,false,SAVE20,A-0001,"
        "charge_automatically,ch_1,\n"
        # A tax-inclusive yearly price: 1,200.00 with 20% VAT in it (200.00). Revenue 1,000.00
        # over 12 months = 83.33 a month (the subtotal would give 100.00).
        f"in_2,cus_B,Bob,sub_2,paid,usd,1200.00,1200.00,200.00,20,1200.00,1200.00,0.00,0.00,"
        f"200.00,0.00,0.00,{dates},2024-01-10 00:00,2025-01-10 00:00,true,true,false,,A-0002,"
        "charge_automatically,ch_2,\n"
        # A one-off invoice (no subscription, no service period).
        f"in_3,cus_C,Cy,,paid,usd,60.00,50.00,10.00,20,60.00,60.00,0.00,10.00,0.00,0.00,0.00,"
        f"{dates},2024-01-03 00:00,2024-01-03 00:00,true,true,false,,A-0003,"
        "send_invoice,ch_3,Setup\n"
        f"in_4,cus_D,Di,sub_4,open,usd,49.00,49.00,,,49.00,0.00,0.00,,,0.00,0.00,{dates},"
        "2024-01-01 00:00,2024-02-01 00:00,false,false,false,,A-0004,charge_automatically,,\n"
        # No tax at all: the tax cells are empty.
        f"in_5,cus_E,Ed,sub_5,paid,usd,49.00,49.00,,,49.00,49.00,0.00,,,0.00,0.00,{dates},"
        "2024-01-01 00:00,2024-02-01 00:00,true,true,false,,A-0005,charge_automatically,ch_5,\n"
    )
    r = read_export(csv.encode())
    assert r.format == "stripe_invoices"
    assert lines_of(r) == [
        ("cus_A", "2024-01-01", "2024-02-01", 100.0),
        ("cus_B", "2024-01-10", "2025-01-10", 83.33),
        ("cus_E", "2024-01-01", "2024-02-01", 49.0),
    ]
    assert reasons_of(r) == [
        (3, "one-off item, not recurring"),
        (4, "invoice status 'open': only paid invoices count"),
    ]
    assert r.mapping["amount"] == "Total"
    assert (
        "invoice revenue = 'Total' minus tax ('Exclusive Tax Amount', 'Inclusive Tax Amount'): "
        "after every discount, tax excluded (Stripe's subtotal already has item discounts taken "
        "off: subtotal minus the total discount amount would take them off twice)"
    ) in r.warnings
    assert not any(w.startswith("discounts from") for w in r.warnings)
    assert r.lines.set_index("customer_id").loc["cus_A", "customer_name"] == "Ann"
    assert_accounted(r)


def test_stripe_dashboard_invoices_with_a_decimal_comma_and_tax_only():
    # A Dashboard export in a decimal-comma locale, with one tax column: Total - Tax.
    csv = (
        "id;Customer;Subscription;Status;Currency;Subtotal;Total Discount Amount;Tax;Total;"
        "Minimum Line Item Period Start (UTC);Maximum Line Item Period End (UTC)\n"
        # subtotal 120,00 - 20,00 invoice discount = 100,00, + 24,00 tax = total 124,00
        "in_1;cus_A;sub_1;paid;eur;120,00;20,00;24,00;124,00;2024-01-01 00:00;2024-02-01 00:00\n"
        "in_2;cus_B;sub_2;paid;eur;1.200,00;0,00;;1.200,00;2024-01-01 00:00;2024-04-01 00:00\n"
    )
    r = read_export(csv.encode())
    assert lines_of(r) == [
        ("cus_A", "2024-01-01", "2024-02-01", 100.0),  # 124 - 24
        ("cus_B", "2024-01-01", "2024-04-01", 400.0),  # 1,200 over 3 months, no tax
    ]
    assert "'Total' read with a decimal comma" in r.warnings
    assert "'Tax' read with a decimal comma" in r.warnings
    assert any(w.startswith("invoice revenue = 'Total' minus tax ('Tax')") for w in r.warnings)
    bad = csv.replace(";24,00;124,00;", ";n/a;124,00;")
    assert reasons_of(read_export(bad.encode())) == [(1, "tax: cannot read the number in 'Tax'")]


def test_chargebee():
    # Headers as Chargebee's "Export data" Subscriptions.csv writes them (entity-prefixed, in its
    # order, the *_in_decimal columns empty as on a site without multi-decimal pricing, a custom
    # field, no currency column), statuses as display text, with no billing period column: each
    # row's interval comes from its current term.
    r = read_export(FIXTURES / "chargebee_subscriptions.csv")
    assert r.format == "chargebee_subscriptions"
    assert lines_of(r) == [
        ("cust_1", "2024-01-01", None, 25.0),  # term of one month
        ("cust_2", "2024-03-01", "2024-09-01", 100.0),  # non-renewing: 2 x 150.00 / 3 months
        ("cust_3", "2024-05-15", None, 10.0),  # in trial (its term is the trial): "basic-yearly"
        ("cust_4", "2023-01-01", "2023-12-31", 40.0),
        ("cust_6", "2024-01-01", "2024-04-01", 50.0),  # paused at pause_date
        ("cust_7", "2024-02-10", None, 100.0),  # yearly term: 1,200.00 / 12
        ("cust_8", "2024-06-15", None, 100.0),  # in trial, plan "team" is yearly (cust_7)
    ]
    assert reasons_of(r) == [(5, "status 'future': not started yet")]
    assert r.lines["quantity"].tolist() == [1.0, 2.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    # subscriptions.cf_industry -> industry; addresses.country -> country; no other column leaks.
    industry = r.lines["industry"].tolist()
    assert industry[:6] == ["SaaS", "Retail", "SaaS", "Media", "Retail", "Fintech"]
    assert pd.isna(industry[6])
    country = r.lines["country"].tolist()
    assert country[:6] == ["FR", "IT", "US", "DE", "ES", "GB"] and pd.isna(country[6])
    assert set(r.lines.columns) == {
        "customer_id", "start", "end", "mrr", "plan", "quantity", "industry", "country", "email",
        "billing_status", "paused_at", "resumes_at",  # what the statuses mean, their dates
    }
    assert r.lines["email"].tolist()[:2] == ["billing@acme.example", "ap@beta.example"]
    # The mapping names the columns read, not the empty *_in_decimal ones.
    assert r.mapping["amount"] == "subscriptions.plan_unit_price"
    assert r.mapping["quantity"] == "subscriptions.plan_quantity"
    assert r.mapping["industry"] == "subscriptions.cf_industry"
    assert any("5 row(s): billing interval taken from the current period" in w for w in r.warnings)
    assert any("plan's other subscriptions" in w for w in r.warnings)
    assert any("read from the plan name (e.g. 'basic-yearly')" in w for w in r.warnings)
    assert_accounted(r)


CHARGEBEE_NO_CURRENCY = (
    "no currency column: every amount read as one currency, the site's. A Chargebee site "
    "billing in several currencies must export one file per currency, or add a column "
    "'subscriptions.currency_code'"
)


def test_chargebee_without_currency_column_says_amounts_are_one_currency():
    r = read_export(FIXTURES / "chargebee_subscriptions.csv")
    assert CHARGEBEE_NO_CURRENCY in r.warnings and "currency" not in r.lines.columns
    # A reporting currency says what the amounts are in: its own note, not this one.
    r = read_export(FIXTURES / "chargebee_subscriptions.csv", reporting_currency="EUR")
    assert CHARGEBEE_NO_CURRENCY not in r.warnings
    assert "no currency column: amounts read as EUR" in r.warnings
    assert r.lines["mrr"].sum() == pytest.approx(425.0)  # 25 + 100 + 10 + 40 + 50 + 100 + 100


def test_chargebee_currency_custom_fields_and_billing_country():
    csv = (
        "subscriptions.id,subscriptions.customer_id,subscriptions.plan_id,"
        "subscriptions.plan_unit_price,subscriptions.currency_code,subscriptions.status,"
        "subscriptions.started_at,subscriptions.cancelled_at,subscriptions.cancel_reason,"
        "subscriptions.cf_industry,subscriptions.cf_account_manager,subscriptions.cf_plan,"
        "customers.cf_industry,customers.cf_Secteur,customers.company,"
        "customers.billing_address_country,addresses.country\n"
        "s1,c1,pro,30.00,EUR,Active,2024-01-01,,,SaaS,Ann,gold,Tech,B2B,Acme,FR,IT\n"
        "s2,c2,pro,60.00,EUR,Cancelled,2024-01-01,2024-04-01,Not Paid,,Bob,,Retail,,Beta,,DE\n"
    )
    r = read_export(csv.encode())
    assert r.format == "chargebee_subscriptions"
    assert lines_of(r) == [
        ("c1", "2024-01-01", None, 30.0),  # no interval anywhere: monthly (said in a note)
        ("c2", "2024-01-01", "2024-04-01", 60.0),
    ]
    assert CHARGEBEE_NO_CURRENCY not in r.warnings
    lines = r.lines.set_index("customer_id")
    assert lines["currency"].tolist() == ["EUR", "EUR"]
    assert lines.loc["c2", "churn_reason"] == "Not Paid"
    assert lines["customer_name"].tolist() == ["Acme", "Beta"]
    # cf_<name> -> <name>; the first of two fields of one name wins, the other keeps its header,
    # as does a field named like a column mrrkit fills itself (plan); a known attribute's
    # synonym takes its name only when that name is free (cf_Secteur is industry, taken).
    assert lines.loc["c1", "industry"] == "SaaS" and pd.isna(lines.loc["c2", "industry"])
    assert lines["customers.cf_industry"].tolist() == ["Tech", "Retail"]
    assert lines["account_manager"].tolist() == ["Ann", "Bob"]
    assert lines["plan"].tolist() == ["pro", "pro"]
    assert lines.loc["c1", "subscriptions.cf_plan"] == "gold"
    assert lines.loc["c1", "customers.cf_Secteur"] == "B2B"
    # The billing address's country column when the file has one (addresses.* is only read
    # without it): columns are never mixed row by row.
    assert lines.loc["c1", "country"] == "FR" and pd.isna(lines.loc["c2", "country"])
    assert "addresses.country" not in r.lines.columns
    assert_accounted(r)


def test_chargebee_billing_period_columns_and_plan_amount():
    csv = (
        "subscriptions.id,subscriptions.customer_id,subscriptions.plan_id,"
        "subscriptions.plan_quantity,subscriptions.plan_amount,subscriptions.billing_period,"
        "subscriptions.billing_period_unit,subscriptions.status,subscriptions.started_at\n"
        "s1,c1,pro,3,900.00,3,month,active,2024-01-01\n"
        "s2,c2,pro,2,2400.00,1,year,active,2024-01-01\n"
        "s3,c3,mystery,1,50.00,,,active,2024-01-01\n"
    )
    r = read_export(csv.encode())
    # plan_amount is already unit price x quantity: not multiplied again.
    assert lines_of(r) == [
        ("c1", "2024-01-01", None, 300.0),
        ("c2", "2024-01-01", None, 200.0),
        ("c3", "2024-01-01", None, 50.0),  # no interval anywhere: monthly, and said so
    ]
    assert r.lines["quantity"].tolist() == ["3", "2", "1"]
    assert any(
        "1 row(s) without a billing interval read as billed every 1 month(s) (plans: 'mystery')"
        in w
        for w in r.warnings
    )


def test_recurly():
    # The documented Subscriptions export header (real column order, PST/PDT timestamps). No
    # interval columns: the interval is the current period's length; a subscription still in its
    # trial (current period = trial) takes its plan's usual interval.
    r = read_export(FIXTURES / "recurly_subscriptions.csv")
    assert r.format == "recurly_subscriptions"
    assert lines_of(r) == [
        ("acct_1", "2024-01-01", None, 29.0),
        ("acct_2", "2023-03-01", "2024-03-01", 50.0),  # canceled: paid until expires_at; 600/12
        ("acct_3", "2023-01-01", "2023-06-01", 20.0),  # expired: total 20 (= 2 x 10)
        ("acct_5", "2024-02-15", None, 15.0),  # trial ends 15 Feb; "starter" is monthly
        # total_recurring_amount 114 = 2 x 49 + 16 of add-ons, monthly (not 2 x 49 = 98)
        ("acct_6", "2024-04-05", None, 114.0),
        # no total_recurring_amount: (3 x 400 + 120 of add-ons) / 12 months = 110
        ("acct_7", "2024-01-10", None, 110.0),
        ("acct_9", "2024-05-01", None, 24.0),  # tax-inclusive price: kept as is, with a note
    ]
    assert reasons_of(r) == [
        (4, "state 'future': not started yet"),
        (8, "state 'pending': not started yet (awaiting payment), never counted"),
    ]
    lines = r.lines.set_index("customer_id")
    assert lines.loc["acct_6", "quantity"] == 2.0 and lines.loc["acct_7", "quantity"] == 3.0
    assert lines.loc["acct_6", "plan"] == "Pro" and lines.loc["acct_6", "industry"] == "media"
    assert (
        "1 row(s) with tax-inclusive prices ('tax_inclusive'): their MRR includes the tax, as "
        "the export gives no tax rate to take it out"
    ) in r.warnings
    assert_accounted(r)


def test_recurly_add_ons_and_totals():
    # total_recurring_amount is used where given (quantity and add-ons already in it), else
    # unit_amount x quantity + add_on_amount; cents columns are divided by 100.
    csv = (
        "account_code,plan_code,state,quantity,unit_amount_in_cents,add_on_amount_in_cents,"
        "total_recurring_amount_in_cents,currency,current_period_started_at,"
        "current_period_ends_at,activated_at,expires_at,expiration_reason,tax_inclusive\n"
        "a,pro,active,2,4900,1600,11400,USD,2024-01-05,2024-02-05,2024-01-05,,,FALSE\n"
        "b,pro,active,2,4900,1600,,USD,2024-01-05,2024-02-05,2024-01-05,,,FALSE\n"
        "c,pro,active,2,4900,,,USD,2024-01-05,2024-02-05,2024-01-05,,,FALSE\n"
        "d,pro,active,,,,3000,USD,2024-01-05,2024-04-05,2024-01-05,,,FALSE\n"
        "e,pro,expired,1,4900,,,USD,2024-01-05,2024-02-05,2023-01-05,2024-02-05,nonpayment,FALSE\n"
        "f,pro,active,1,,,,USD,2024-01-05,2024-02-05,2024-01-05,,,FALSE\n"
    )
    r = read_export(csv.encode())
    assert r.format == "recurly_subscriptions"
    assert [(c, m) for c, _, _, m in lines_of(r)] == [
        ("a", 114.0),
        ("b", 114.0),  # 2 x 49 + 16
        ("c", 98.0),  # no add-on
        ("d", 10.0),  # 30 a quarter, no unit amount needed
        ("e", 49.0),  # expired at expires_at
    ]
    assert reasons_of(r) == [(6, "missing amount")]
    assert r.lines.set_index("customer_id").loc["e", "churn_reason"] == "nonpayment"
    assert not any("tax-inclusive" in w for w in r.warnings)


def test_interval_from_a_billing_period():
    from mrrkit.io.money import snap_months

    d = lambda *s: np.array(s, dtype="datetime64[D]")
    starts = d(
        "2024-01-31",
        "2024-01-01",
        "2024-02-01",
        "2024-03-01",
        "2024-03-01",
        "2024-03-01",
        "2024-03-01",
        "2024-03-01",
    )
    ends = d(
        "2024-02-29",
        "2025-01-01",
        "2024-03-02",
        "2024-03-15",
        "2024-03-11",
        "2024-04-15",
        "2024-03-01",
        "2024-02-01",
    )
    months = snap_months(starts, ends)
    np.testing.assert_allclose(
        months[:6],
        [
            1,  # 31 Jan -> 29 Feb: one calendar month
            12,
            1,  # 30 days from 1 Feb: a month within a day
            2 * 12 / 52,  # 14 days: two weeks
            10 * 12 / 365,  # 10 days
            45 * 12 / 365,  # 45 days: neither months nor weeks
        ],
    )
    assert np.isnan(months[6:]).all()  # no span, or backwards


def test_recurly_interval_columns():
    csv = (
        "account_code,plan_code,state,quantity,unit_amount_in_cents,currency,"
        "plan_interval_length,plan_interval_unit,activated_at\n"
        "a,pro,active,1,120000,USD,12,months,2024-01-01 10:00:00 PST\n"
        "b,pro,active,1,700,USD,7,days,2024-01-01 10:00:00 PST\n"
    )
    r = read_export(csv.encode())
    assert r.format == "recurly_subscriptions"
    assert lines_of(r) == [("a", "2024-01-01", None, 100.0), ("b", "2024-01-01", None, 30.42)]


def test_paddle():
    r = read_export(FIXTURES / "paddle_subscriptions.csv")
    assert r.format == "paddle_subscriptions"
    assert lines_of(r) == [
        ("ctm_01", "2024-01-01", None, 29.0),  # 2900 cents
        ("ctm_02", "2024-03-15", None, 100.0),  # trialing: from next_billed_at; 120000 cents / 12
        ("ctm_03", "2023-01-01", "2023-07-01", 30.0),  # 3 x 1000 cents
        ("ctm_04", "2024-02-01", None, 26.0),  # 1200 cents every 2 weeks: 12 x 52 / 24
        ("ctm_05", "2024-01-01", "2024-02-01", 10.0),  # paused at paused_at
    ]
    assert r.rejected.empty
    assert r.lines["plan"].tolist()[0] == "pri_basic"


def test_baremetrics():
    r = read_export(FIXTURES / "baremetrics.csv")
    assert r.format == "baremetrics"
    assert lines_of(r) == [
        ("customer_1", "2020-03-31", "2020-05-04", 50.0),  # 5000 cents
        ("customer_2", "2021-01-01", None, 100.0),  # 60000 cents/year x 2 / 12
        ("customer_3", "2021-02-01", None, 30.0),  # 9000 cents every 3 months, quantity 1
    ]
    assert reasons_of(r) == [
        (4, "start: cannot read the date in 'subscription_started_at'")
    ]  # month 13


def test_baremetrics_zero_decimal_currency():
    csv = (
        "plan_oid,plan_name,plan_currency,plan_amount,plan_interval,plan_interval_count,customer_oid,"
        "subscription_started_at,subscription_canceled_at,subscription_quantity\n"
        "p,Basic,JPY,3000,month,1,c1,2024-01-01,,1\n"
    )
    assert lines_of(read_export(csv.encode())) == [
        ("c1", "2024-01-01", None, 3000.0)
    ]  # yen have no cents


def test_french_excel_csv():
    r = read_export(FIXTURES / "french_excel.csv")
    assert r.format == "generic"
    assert lines_of(r) == [
        ("Dupont SARL", "2024-01-15", None, 1234.5),  # "1 234,50" with a non-breaking space
        ("Café Lumière", "2023-02-01", "2023-12-31", 99.0),
        ("Rossi Srl", "2024-04-03", None, 49.9),  # "€ 49,90", 3 April (day-first)
    ]
    assert reasons_of(r) == [(4, "missing customer id"), (5, "end date before start date")]
    assert r.lines["country"].tolist() == ["France", "France", "Italie"]  # "Pays"
    assert r.lines["plan"].tolist() == ["Pro", "Basic", "Basic"]  # "Formule"
    assert any("Windows-1252" in w for w in r.warnings)
    assert any("semicolon" in w for w in r.warnings)
    assert "'Date de début' read as DD/MM/YYYY" in r.warnings
    assert r.mapping["mrr"] == "Mensualité" and r.mapping["customer_id"] == "Client"


def test_italian_xlsx():
    r = read_export(FIXTURES / "italian.xlsx")
    assert r.format == "generic"
    assert lines_of(r) == [
        ("Bianchi SpA", "2024-01-10", None, 120.0),  # 120 mensile
        ("Verdi Srl", "2023-05-01", "2024-05-01", 100.0),  # 1200 annuale / 12
        ("Neri", "2024-02-01", None, 100.0),  # 300 trimestrale / 3
    ]
    # Data rows count from below the header (spreadsheet line 2): "Gialli" is on line 6.
    assert reasons_of(r) == [(4, "start: cannot read the date in 'Data inizio'")]
    assert r.mapping["amount"] == "Importo" and r.mapping["interval"] == "Periodicità"


def test_italian_excel_csv_utf8_bom():
    # Excel's "CSV UTF-8 (delimitato da virgole)" in an Italian locale: BOM, ";", CRLF,
    # decimal comma with "." thousands, day-first dates, Italian headers and intervals.
    r = read_export(FIXTURES / "italian_excel_bom.csv")
    assert r.format == "generic"
    assert lines_of(r) == [
        ("Bianchi SpA", "2024-01-10", None, 100.0),  # € 1.200,00 annuale
        ("Verdi Srl", "2023-05-01", "2024-05-01", 100.0),  # 300,00 trimestrale
        ("Neri & Figli", "2024-02-15", None, 49.9),
        ("Russo Srl", "2024-04-03", None, 24.95),  # bimestrale: every 2 months
    ]
    assert reasons_of(r) == [(4, "start: cannot read the date in 'Data inizio'")]  # 29/02/2023
    assert r.lines["currency"].tolist() == ["EUR"] * 4
    assert r.lines["industry"].tolist()[0] == "Manifattura"  # "Settore"
    assert "read as UTF-8 with BOM text, semicolon-separated" in r.warnings
    assert (
        "'Data fine' read as DD/MM/YYYY (like the file's other date columns; "
        "its own values never tell)" in r.warnings
    )


def test_an_ambiguous_date_column_follows_the_file():
    # 'start' alone could be either; 'end' says month-first (13 as the second part).
    r = read_export(b"customer_id,start,end,mrr\na,01/02/2024,02/13/2024,10\nb,03/04/2024,,5\n")
    assert lines_of(r) == [("a", "2024-01-02", "2024-02-13", 10.0), ("b", "2024-03-04", None, 5.0)]
    assert any("'start' read as MM/DD/YYYY (like the file's other" in w for w in r.warnings)
    # Columns saying opposite things are each read their own way (never row by row).
    r = read_export(b"customer_id,start,end,mrr\na,13/01/2024,02/14/2024,10\n")
    assert lines_of(r) == [("a", "2024-01-13", "2024-02-14", 10.0)]


def test_interval_read_from_plan_names_in_a_generic_file():
    r = read_export("client;début;montant;formule\nx;2024-01-01;1200;Pro annuel\n".encode())
    assert lines_of(r) == [("x", "2024-01-01", None, 100.0)]
    # A length ("30-day") is no billing frequency: the row stays monthly, with a warning.
    r = read_export(b"client,start,amount,plan\nx,2024-01-01,30,pro-30-day-trial\n")
    assert lines_of(r) == [("x", "2024-01-01", None, 30.0)]
    assert any("without a billing interval" in w for w in r.warnings)
    # A name stating two frequencies says nothing either.
    r = read_export(b"client,start,amount,plan\nx,2024-01-01,30,weekly-or-yearly\n")
    assert lines_of(r) == [("x", "2024-01-01", None, 30.0)]


# ----------------------------------------------------------------------------------------------
# Sources, encodings, layouts
# ----------------------------------------------------------------------------------------------

CANONICAL = (
    "customer_id,start,end,mrr,plan\na,2024-01-01,,10,basic\nb,2024-02-01,2024-06-01,20.5,pro\n"
)


@pytest.mark.parametrize("kind", ["path", "str", "bytes", "upload"])
def test_sources(tmp_path, kind):
    path = tmp_path / "lines.csv"
    path.write_text(CANONICAL)

    class UploadedFile(io.BytesIO):  # what Streamlit hands a page
        name = "lines.csv"

    source = {
        "path": path,
        "str": str(path),
        "bytes": CANONICAL.encode(),
        "upload": UploadedFile(CANONICAL.encode()),
    }[kind]
    r = read_export(source)
    assert r.format == "canonical"
    assert lines_of(r) == [("a", "2024-01-01", None, 10.0), ("b", "2024-02-01", "2024-06-01", 20.5)]
    assert r.lines["plan"].tolist() == ["basic", "pro"]


@pytest.mark.parametrize(
    "encoding, sep",
    [("utf-8", ","), ("utf-8-sig", ";"), ("utf-16", "\t"), ("cp1252", ";"), ("latin-1", "|")],
)
def test_encodings_and_separators(encoding, sep):
    text = f'client{sep}début{sep}mensualité\nCrème Brûlée SA{sep}31/01/2024{sep}"1 234,5"\n'
    text = text.replace(" 234", "\u00a0234") if encoding != "latin-1" else text
    r = read_export(text.encode(encoding))
    assert lines_of(r) == [("Crème Brûlée SA", "2024-01-31", None, 1234.5)]


def test_excel_sep_hint_and_title_lines():
    text = "sep=;\r\nClient;Date de début;Montant mensuel\r\nacme;2024-01-01;10\r\n"
    assert lines_of(read_export(text.encode())) == [("acme", "2024-01-01", None, 10.0)]


def test_parquet(tmp_path):
    frame = pd.DataFrame(
        {
            "customer_id": [101, 102],
            "start": pd.to_datetime(["2024-01-01", "2024-02-01"]),
            "end": pd.to_datetime([None, "2024-03-01"]),
            "mrr": [10.0, 12.5],
        }
    )
    path = tmp_path / "lines.parquet"
    frame.to_parquet(path)
    r = read_export(path)
    assert r.format == "canonical"
    assert lines_of(r) == [
        ("101", "2024-01-01", None, 10.0),
        ("102", "2024-02-01", "2024-03-01", 12.5),
    ]


def test_parquet_with_duplicated_column_names(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_arrays(
        [pa.array(["a"]), pa.array(["2024-01-01"]), pa.array([10.0]), pa.array(["old"])],
        names=["customer_id", "start", "mrr", "mrr"],
    )
    pq.write_table(table, tmp_path / "dup.parquet")
    r = read_export(tmp_path / "dup.parquet")
    assert lines_of(r) == [("a", "2024-01-01", None, 10.0)]
    assert r.lines["mrr (2)"].tolist() == ["old"]


@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_damaged_xlsx_is_an_export_error(damage):
    raw = bytearray((FIXTURES / "italian.xlsx").read_bytes())
    if damage == "truncate":
        raw = raw[: len(raw) // 2]
    else:  # corrupt the compressed sheet data, keeping the zip directory
        middle = len(raw) // 3
        raw[middle : middle + 40] = bytes(40)
    with pytest.raises(ExportError, match="cannot be read as a spreadsheet"):
        read_export(bytes(raw))


def test_duplicated_headers_are_renamed_and_reported():
    r = read_export(b"customer_id,start,mrr,plan,plan\na,2024-01-01,10,basic,old\n")
    assert "plan (2)" in r.lines.columns
    assert any("duplicated header 'plan'" in w for w in r.warnings)


def test_ragged_rows_are_rejected_with_their_number():
    text = "customer_id,start,mrr\na,2024-01-01,10\nb,2024-01-01\nc,2024-01-01,5,extra\nd,2024-01-01,7\n"
    r = read_export(text.encode())
    assert lines_of(r) == [("a", "2024-01-01", None, 10.0), ("d", "2024-01-01", None, 7.0)]
    assert reasons_of(r) == [
        (2, "row has 2 fields, the header has 3"),
        (3, "row has 4 fields, the header has 3"),
    ]
    assert r.rejected.loc[0, "raw line"] == "b,2024-01-01"
    assert_accounted(r)


def test_old_mac_line_endings():
    # Excel's "CSV (Macintosh)" ends lines with CR alone.
    r = read_export(b"customer_id,start,mrr\racme,2024-01-01,10\rbeta,2024-02-01,5\r")
    assert lines_of(r) == [("acme", "2024-01-01", None, 10.0), ("beta", "2024-02-01", None, 5.0)]
    assert any("carriage return alone" in w for w in r.warnings)
    utf16 = "client\tdébut\tmensualité\rCrème SA\t31/01/2024\t10\r".encode("utf-16")
    assert lines_of(read_export(utf16)) == [("Crème SA", "2024-01-31", None, 10.0)]


def test_quoted_line_breaks_and_blank_lines():
    text = 'customer_id,start,mrr,note\na,2024-01-01,10,"two\nlines"\n\nb,2024-01-02,5,""\n,,,\n'
    r = read_export(text.encode())
    assert [c for c, *_ in lines_of(r)] == ["a", "b"]
    assert r.lines["note"].tolist()[0] == "two\nlines"
    assert reasons_of(r) == [(3, "empty row")]  # the blank line is no row; ",,," is


# ----------------------------------------------------------------------------------------------
# Generic files and mappings
# ----------------------------------------------------------------------------------------------


def test_generic_amount_and_interval_with_quantity():
    text = "Account,Activated At,Price,Billing period,Seats,Industry\nx,2024-01-01,1200,yearly,2,SaaS\ny,2024-01-01,90,quarterly,,Retail\n"
    r = read_export(text.encode())
    assert lines_of(r) == [("x", "2024-01-01", None, 200.0), ("y", "2024-01-01", None, 30.0)]
    assert r.lines["industry"].tolist() == ["SaaS", "Retail"]
    assert r.lines["quantity"].tolist() == [2.0, 1.0]


def test_generic_amount_without_interval_is_monthly_with_a_warning():
    r = read_export(b"client,debut,montant\nx,2024-01-01,10\n")
    assert lines_of(r) == [("x", "2024-01-01", None, 10.0)]
    assert any("without a billing interval" in w for w in r.warnings)


def test_cents_columns():
    r = read_export(b"customer,start,mrr_cents\nx,2024-01-01,1999\n")
    assert lines_of(r) == [("x", "2024-01-01", None, 19.99)]


def test_explicit_mapping():
    text = "Kunde,Beginn,Ende,Betrag,Turnus\nk1,2024-01-01,,240,year\nk2,2024-01-01,2024-03-01,30,month\n"
    with pytest.raises(ExportError, match="Tried: canonical"):
        read_export(text.encode())
    mapping = {
        "customer_id": "Kunde",
        "start": "Beginn",
        "end": "Ende",
        "amount": "Betrag",
        "interval": "Turnus",
    }
    r = read_export(text.encode(), mapping=mapping)
    assert r.format == "generic"
    assert lines_of(r) == [
        ("k1", "2024-01-01", None, 20.0),
        ("k2", "2024-01-01", "2024-03-01", 30.0),
    ]
    assert r.mapping["amount"] == "Betrag"
    with pytest.raises(ExportError, match="does not have"):
        read_export(
            text.encode(), mapping={"customer_id": "Nope", "start": "Beginn", "mrr": "Betrag"}
        )
    with pytest.raises(ValueError, match="generic"):
        read_export(text.encode(), format="stripe_subscriptions", mapping=mapping)


def test_mapping_can_say_a_column_is_in_cents():
    r = read_export(b"client,debut,prix\nx,2024-01-01,4900\n", mapping={"amount_cents": "prix"})
    assert lines_of(r) == [("x", "2024-01-01", None, 49.0)]
    assert r.mapping["amount_cents"] == "prix"  # a mapping editor round-trips it
    again = read_export(b"client,debut,prix\nx,2024-01-01,4900\n", mapping=r.mapping)
    assert lines_of(again) == lines_of(r)
    r = read_export(
        b"id,from,m\nx,2024-01-01,1999\n",
        mapping={"customer_id": "id", "start": "from", "mrr_cents": "m"},
    )
    assert lines_of(r) == [("x", "2024-01-01", None, 19.99)]


def test_mapping_may_rename_attributes_and_drop_roles():
    text = "client,debut,fin,mrr,Segment\nx,2024-01-01,2024-02-01,10,smb\n"
    r = read_export(text.encode(), mapping={"end": None, "segment": "Segment"})
    assert lines_of(r) == [("x", "2024-01-01", None, 10.0)]
    assert r.lines["segment"].tolist() == ["smb"]
    assert r.lines["fin"].tolist() == ["2024-02-01"]  # no longer the end: an attribute


def test_explicit_vendor_format_that_does_not_fit():
    with pytest.raises(ExportError, match="does not look like recurly_subscriptions"):
        read_export(CANONICAL.encode(), format="recurly_subscriptions")


def test_report():
    r = read_export(FIXTURES / "stripe_subscriptions.csv")
    report = r.report
    assert report.loc["rows read", "rows"] == 10
    assert report.loc["rows kept", "rows"] == 7  # the unpaid subscription's paid months too
    assert report.loc["rows rejected", "rows"] == 3
    assert report.loc["lines", "rows"] == 7
    assert report.loc["rejected: cancelled before the trial ended (never paid)", "rows"] == 1


# ----------------------------------------------------------------------------------------------
# Currencies
# ----------------------------------------------------------------------------------------------

MIXED = (
    "customer_id,start,mrr,currency\n"
    "a,2024-01-15,100,EUR\n"
    "b,2024-02-10,100,usd\n"
    "c,2023-06-01,100,GBP\n"
    "d,2024-03-01,100,\n"
)


def test_mixed_currencies_are_never_summed_raw():
    with pytest.raises(ExportError, match="mixes 3 currencies"):
        read_export(MIXED.encode())


def test_reporting_currency_without_rates_rejects_other_currencies():
    r = read_export(MIXED.encode(), reporting_currency="eur")
    assert lines_of(r) == [("a", "2024-01-15", None, 100.0)]
    assert reasons_of(r) == [
        (2, "no exchange rate for USD (reporting currency EUR)"),
        (3, "no exchange rate for GBP (reporting currency EUR)"),
        (4, "missing currency (the file mixes currencies)"),
    ]


def test_one_rate_per_currency():
    r = read_export(MIXED.encode(), reporting_currency="EUR", fx_rates={"usd": 0.9})
    assert lines_of(r) == [
        ("a", "2024-01-15", None, 100.0),
        ("b", "2024-02-10", None, 90.0),
    ]  # 100 USD x 0.9
    assert (3, "no exchange rate for GBP") in reasons_of(r)
    assert r.lines["currency"].tolist() == ["EUR", "USD"]  # the billing currency stays an attribute
    assert any("converted to EUR from USD" in w for w in r.warnings)


def test_monthly_rates_use_the_start_month_or_the_latest_before():
    rates = pd.DataFrame(
        {
            "currency": ["USD", "USD", "GBP"],
            "month": ["2024-01", "2024-02", "2024-01"],
            "rate": [0.90, 0.95, 1.15],
        }
    )
    r = read_export(MIXED.encode(), reporting_currency="EUR", fx_rates=rates)
    assert lines_of(r) == [("a", "2024-01-15", None, 100.0), ("b", "2024-02-10", None, 95.0)]
    assert (3, "no GBP rate for 2023-06 or earlier") in reasons_of(r)


def test_single_currency_file_needs_nothing():
    r = read_export(b"customer_id,start,mrr,currency\na,2024-01-01,10,CHF\nb,2024-01-01,5,\n")
    assert [m for *_, m in lines_of(r)] == [10.0, 5.0]
    assert r.lines["currency"].tolist() == ["CHF", "CHF"]


def test_converted_amounts_are_checked_again():
    r = read_export(MIXED.encode(), reporting_currency="EUR", fx_rates={"USD": 1e9, "GBP": 1})
    assert (2, "amount too large once converted (over 10 billion a month)") in reasons_of(r)


@pytest.mark.parametrize(
    "fx_rates, message",
    [
        ({"USD": "abc"}, "rate for 'USD' must be a positive number"),
        ({"USD": 0}, "rate for 'USD' must be a positive number"),
        ({"USD": None}, "rate for 'USD' must be a positive number"),
        (
            pd.DataFrame({"currency": ["USD"], "month": ["soon"], "rate": [1.0]}),
            "cannot read the month",
        ),
        (pd.DataFrame({"currency": ["USD"], "month": ["2024-01"], "rate": [-1]}), "USD in 2024-01"),
        (
            pd.DataFrame(
                {"currency": ["usd", "USD"], "month": ["2024-01", "2024-01-31"], "rate": [1, 2]}
            ),
            "USD has several different rates for 2024-01",
        ),
        (pd.DataFrame({"code": ["USD"], "rate": [1]}), "needs columns currency, month, rate"),
    ],
)
def test_bad_fx_rates_are_refused_up_front(fx_rates, message):
    with pytest.raises(ValueError, match=message):
        read_export(MIXED.encode(), reporting_currency="EUR", fx_rates=fx_rates)


def test_fx_table_months_as_periods_or_dates():
    rates = pd.DataFrame(
        {
            "Currency": ["USD", "USD", "GBP"],
            "Month": [
                pd.Period("2024-01", "M"),
                pd.Period("2024-02", "M"),
                pd.Period("2023-01", "M"),
            ],
            "Rate": [0.90, 0.95, 1.15],
        }
    )
    r = read_export(MIXED.encode(), reporting_currency="EUR", fx_rates=rates)
    assert [m for *_, m in lines_of(r)] == [100.0, 95.0, 115.0]


def test_bad_currency_arguments():
    with pytest.raises(ValueError, match="reporting_currency"):
        read_export(MIXED.encode(), fx_rates={"USD": 1.0})
    with pytest.raises(TypeError):
        read_export(MIXED.encode(), reporting_currency="EUR", fx_rates=[("USD", 1.0)])
    with pytest.raises(ValueError, match="format"):
        read_export(MIXED.encode(), format="quickbooks")


# ----------------------------------------------------------------------------------------------
# Customers files
# ----------------------------------------------------------------------------------------------


def test_read_customers():
    text = "Client;Secteur;Taille;Canal;Pays\nDupont SARL;Retail;11-50;SEO;FR\n;SaaS;1-10;Ads;IT\nRossi Srl;SaaS;1-10;Ads;IT\nRossi Srl;Media;1-10;Ads;IT\n"
    f = read_customers(text.encode("cp1252"))
    assert isinstance(f, CustomerFile)
    assert f.customers.columns.tolist() == [
        "customer_id",
        "industry",
        "company_size",
        "channel",
        "country",
    ]
    assert f.customers.values.tolist() == [
        ["Dupont SARL", "Retail", "11-50", "SEO", "FR"],
        ["Rossi Srl", "Media", "1-10", "Ads", "IT"],  # the later row wins
    ]
    assert list(zip(f.rejected["row"], f.rejected["reason"])) == [
        (2, "missing customer id"),
        (3, "duplicate customer id (a later row wins)"),
    ]
    assert f.report.loc["rows read", "rows"] == 4


def test_customers_joined_on_customer_id():
    customers = "Client;Secteur;Pays\nDupont SARL;Retail;FR\nRossi Srl;SaaS;IT\nGhost SA;Media;BE\n"
    r = read_export(FIXTURES / "french_excel.csv", customers=customers.encode())
    by_customer = r.lines.set_index("customer_id")
    assert by_customer.loc["Dupont SARL", "industry"] == "Retail"
    assert by_customer.loc["Rossi Srl", "country"] == "IT"  # the customers file wins over "Pays"
    assert pd.isna(by_customer.loc["Café Lumière", "industry"])
    assert any(
        "1 customer(s) of the customers file have no subscription line" in w for w in r.warnings
    )
    assert any("1 customer(s) with lines are not in the customers file" in w for w in r.warnings)
    assert len(r.lines) == 3
    # A DataFrame or an already-read CustomerFile work too.
    frame = pd.DataFrame({"customer_id": ["Dupont SARL"], "industry": ["Retail"]})
    assert (
        read_export(FIXTURES / "french_excel.csv", customers=frame).lines["industry"].tolist()[0]
        == "Retail"
    )
    cf = read_customers(customers.encode())
    assert (
        read_export(FIXTURES / "french_excel.csv", customers=cf).lines["industry"].notna().sum()
        == 2
    )


# ----------------------------------------------------------------------------------------------
# Unusable files
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b"just one column\nvalue\n", "not a table"),
        (b"customer_id,start,mrr\n", "no data rows"),
        (b"\x00\x01\x02binary\x00", "binary"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "old Excel"),
        (b"PK\x03\x04not really a zip", "cannot be read"),
        (b"PAR1garbage", "Parquet"),
        (b"colour,size\nred,3\n", "Tried: canonical"),
    ],
)
def test_unusable_files_raise_export_error(data, message):
    with pytest.raises(ExportError, match=message) as caught:
        read_export(data)
    # The message says what was expected and which formats there are.
    assert "stripe_subscriptions" in str(caught.value) and "canonical" in str(caught.value)


def test_lines_feed_the_engine():
    r = read_export(FIXTURES / "stripe_subscriptions.csv")
    table = mrrkit.monthly(mrrkit.movements(r.lines, as_of="2024-03-31"))
    # End of March 2024: A 98 + B 100 + C 30 (trial ended 15 March) + E 43.33 + I 30.42.
    assert table.loc[pd.Period("2024-03", "M"), "mrr"] == pytest.approx(
        98 + 100 + 30 + 10 * 52 / 12 + 365 / 12
    )
    assert np.isclose(table["mrr"].iloc[-1], r.lines.loc[r.lines["end"].isna(), "mrr"].sum())


def test_detected_mapping_round_trips():
    first = read_export(FIXTURES / "french_excel.csv")
    again = read_export(FIXTURES / "french_excel.csv", mapping=first.mapping)
    pd.testing.assert_frame_equal(first.lines, again.lines)
    assert reasons_of(first) == reasons_of(again)


def test_absurd_amounts_are_rejected_not_passed_to_the_engine():
    r = read_export(b"customer_id,start,mrr\na,2024-01-01,10\nb,2024-01-01,123456789012345\n")
    assert reasons_of(r) == [(2, "amount too large (over 10 billion a month)")]


@pytest.mark.parametrize(
    "body",
    [
        b"customer_id,start,mrr\na,2024-01-01,10\nb,2024-01-01,1e12\n",
        # Another cell needs the general rules (a thousands comma): "1e12" is read by them too.
        b'customer_id,start,mrr\na,2024-01-01,"1,234.50"\nb,2024-01-01,1e12\n',
        # A decimal comma.
        b"customer_id;start;mrr\na;2024-01-01;12,50\nb;2024-01-01;1,5E+12\n",
    ],
)
def test_an_amount_in_scientific_notation_over_the_ceiling_is_too_large_not_unreadable(body):
    r = read_export(body)
    assert reasons_of(r) == [(2, "amount too large (over 10 billion a month)")]
    assert mrrkit.io.money.MAX_MRR == 1e10  # the bound the reason's words give


def test_amounts_adding_up_beyond_what_the_engine_sums_are_an_export_error():
    # Each amount is under the per-line ceiling, their sum is not: a column of ids read as MRR.
    assert mrrkit.io.money.MAX_TOTAL_MRR == mrrkit.engine.lines._MAX_ABS_TOTAL
    rows = "".join(f"c{i},2024-01-01,8999000000\n" for i in range(1001))
    message = r"add up to 9,007,999,000,000 a month.* column 'mrr' probably"
    with pytest.raises(ExportError, match=message):
        read_export(("customer_id,start,mrr\n" + rows).encode())
    # One row rejected (its date): 1000 x 8.999e9 is under the limit, and the engine takes it.
    r = read_export(("customer_id,start,mrr\n" + rows.replace("c0,2024-01-01", "c0,x")).encode())
    assert len(r.lines) == 1000
    mrrkit.movements(r.lines)


def test_xlsx_rows_are_sheet_lines_below_the_header(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["customer_id", "start", "mrr"])  # line 1
    ws.append([101, "2024-01-01", 10])  # line 2 -> row 1
    ws.append([None, None, None])  # line 3: blank, not a row
    ws.append(["b", "2024-01-01", "ten"])  # line 4 -> row 3
    path = tmp_path / "lines.xlsx"
    wb.save(path)
    r = read_export(path)
    assert lines_of(r) == [("101", "2024-01-01", None, 10.0)]  # a numeric id reads as "101"
    assert reasons_of(r) == [(3, "mrr: cannot read the number in 'mrr'")]
    assert r.rows_read == 2
