"""Issue 14: statuses are meanings, not filters.

Each reader maps each vendor status to what it means for MRR (:data:`mrrkit.io.drafts.MEANINGS`),
keeps the paid history of a paused or delinquent subscription, ends its line where the vendor's
own definition says (the status tables of each vendor module) and gives the lines the status's
meaning (``billing_status``) and the dates the export has (:data:`mrrkit.LINE_DATES`). The
figures are those read before the meanings: each line below ends where it ended then.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import io
from pathlib import Path

import pandas as pd
import pytest

import mrrkit
from mrrkit import LINE_DATES, read_export
from mrrkit.io.drafts import MEANINGS
from mrrkit.io.vendors import VENDORS

EXPORTS = Path(__file__).parents[1] / "fixtures" / "exports"
TODAY = "2024-07-01"


def line(result, customer: str) -> dict:
    """The one line of ``customer``: its days, MRR, meaning and dates (None for none)."""
    rows = result.lines[result.lines["customer_id"] == customer]
    assert len(rows) == 1, rows
    row = rows.iloc[0]

    def day(value):
        return None if pd.isna(value) else str(pd.Timestamp(value).date())

    out = {"start": day(row["start"]), "end": day(row["end"]), "mrr": round(row["mrr"], 2),
           "status": row["billing_status"]}
    out.update({name: day(row[name]) for name in LINE_DATES if name in result.lines.columns})
    return out


def with_row(name: str, **cells) -> bytes:
    """The fixture ``name`` with one more row (the cells given, the others empty)."""
    frame = pd.read_csv(EXPORTS / name, dtype=str, keep_default_na=False)
    extra = pd.DataFrame([{c: cells.get(c, "") for c in frame.columns}])
    buf = io.BytesIO()
    pd.concat([frame, extra], ignore_index=True).to_csv(buf, index=False)
    return buf.getvalue()


# --- every rule of every vendor --------------------------------------------------------------


def _vendor_modules():
    for vendor in VENDORS.values():
        module = importlib.import_module(vendor.read.__module__)
        if getattr(module, "STATUSES", None):
            yield vendor, module


def test_every_status_rule_names_a_meaning_and_never_rejects_a_paid_history():
    modules = list(_vendor_modules())
    assert len(modules) >= 7  # Stripe (2), Chargebee, Recurly, Paddle (2), WooCommerce
    for vendor, module in modules:
        assert dict(vendor.statuses) == module.STATUSES
        for status, rule in module.STATUSES.items():
            assert rule.meaning in MEANINGS, (vendor.name, status)
            if rule.meaning in ("paying", "delinquent", "paused", "trial"):
                assert rule.action != "reject", (vendor.name, status)
            if rule.action == "reject":
                assert rule.meaning == "never_paid", (vendor.name, status)
        # Stated in the source, not left to the action's default.
        tree = ast.parse(inspect.getsource(module))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "STATUSES"
                                                     for t in node.targets)):
                for call in node.value.values:
                    assert "meaning" in {k.arg for k in call.keywords}, (vendor.name,
                                                                         ast.unparse(call))
        # The module documents its statuses with the vendor's page.
        assert "meaning" in module.__doc__ and "https://" in module.__doc__, vendor.name


# --- per vendor, from its fixture ------------------------------------------------------------


def test_stripe_subscriptions():
    data = with_row("stripe_subscriptions.csv", **{
        "id": "sub_11", "Customer ID": "cus_P", "Plan": "price_pro_m", "Quantity": "1",
        "Currency": "usd", "Interval": "month", "Amount": "49.00", "Status": "paused",
        "Start Date (UTC)": "2023-10-05 00:00", "Current Period Start (UTC)": "2024-01-05 00:00",
        "Current Period End (UTC)": "2024-02-05 00:00",
    })
    result = read_export(data, today=TODAY)
    assert result.format == "stripe_subscriptions"
    # past_due: delinquent, still counted; delinquent since its current period began.
    assert line(result, "cus_E") == {
        "start": "2024-02-01", "end": None, "mrr": 43.33, "status": "delinquent",
        "canceled_at": None, "delinquent_since": "2024-03-28",
        "paused_at": None}
    # unpaid: its paid months kept, churned when the period it did not pay began.
    assert line(result, "cus_G") == {
        "start": "2023-11-02", "end": "2024-02-02", "mrr": 49.0, "status": "delinquent",
        "canceled_at": None, "delinquent_since": "2024-02-02",
        "paused_at": None}
    # paused after paid periods: paid until its current period began.
    assert line(result, "cus_P") == {
        "start": "2023-10-05", "end": "2024-01-05", "mrr": 49.0, "status": "paused",
        "canceled_at": None, "delinquent_since": None,
        "paused_at": "2024-01-05"}
    # canceled: ends at Ended At; Canceled At, the request, is carried.
    assert line(result, "cus_D")["end"] == "2023-07-10"
    assert line(result, "cus_D")["canceled_at"] == "2023-06-01"
    assert line(result, "cus_D")["status"] == "ended"


def test_stripe_api_subscriptions():
    result = read_export(EXPORTS / "stripe_api_subscriptions.csv", today=TODAY,
                         reporting_currency="USD", fx_rates={"JPY": 0.0067})
    assert result.format == "stripe_api_subscriptions"
    assert line(result, "cus_E")["status"] == "delinquent"
    assert line(result, "cus_E")["end"] is None
    assert line(result, "cus_E")["delinquent_since"] == "2024-03-28"
    assert line(result, "cus_G") == {
        "start": "2023-11-02", "end": "2024-02-02", "mrr": 49.0, "status": "delinquent",
        "canceled_at": None, "delinquent_since": "2024-02-02", "paused_at": None}
    assert line(result, "cus_D")["canceled_at"] == "2023-06-01"


def test_chargebee():
    result = read_export(EXPORTS / "chargebee_subscriptions.csv", today=TODAY)
    assert result.format == "chargebee_subscriptions"
    # Paused: paid until pause_date, with its pause and resume dates.
    assert line(result, "cust_6") == {
        "start": "2024-01-01", "end": "2024-04-01", "mrr": 50.0, "status": "paused",
        "paused_at": "2024-04-01", "resumes_at": "2024-10-01"}
    # Non Renewing: paying until its cancellation date (the end of its term).
    assert line(result, "cust_2")["end"] == "2024-09-01"
    assert line(result, "cust_2")["status"] == "paying"


def test_chargebee_dues_and_cancellation_requests_where_the_file_has_them():
    frame = pd.read_csv(EXPORTS / "chargebee_subscriptions.csv", dtype=str, keep_default_na=False)
    frame["subscriptions.due_since"] = ""
    frame["subscriptions.cancel_schedule_created_at"] = ""
    frame.loc[0, "subscriptions.due_since"] = "2024-06-01 09:00:00"
    frame.loc[1, "subscriptions.cancel_schedule_created_at"] = "2024-05-20 10:00:00"
    result = read_export(frame.to_csv(index=False).encode(), today=TODAY)
    assert line(result, "cust_1")["delinquent_since"] == "2024-06-01"
    assert line(result, "cust_1")["end"] is None  # Active with dues: still counted
    assert line(result, "cust_2")["canceled_at"] == "2024-05-20"
    assert line(result, "cust_2")["end"] == "2024-09-01"


def test_recurly():
    data = with_row("recurly_subscriptions.csv", **{
        "uuid": "62b4f3d1a0b0", "account_code": "acct_p", "plan_code": "starter",
        "state": "paused", "currency": "USD", "quantity": "1", "unit_amount": "29",
        "total_recurring_amount": "29", "current_period_started_at": "2024-03-01 10:00:00 PST",
        "current_period_ends_at": "2024-04-01 10:00:00 PDT",
        "activated_at": "2023-12-01 10:00:00 PST", "paused_at": "2024-04-01 10:00:00 PDT",
    })
    result = read_export(data, today=TODAY)
    assert result.format == "recurly_subscriptions"
    assert line(result, "acct_p") == {
        "start": "2023-12-01", "end": "2024-04-01", "mrr": 29.0, "status": "paused",
        "canceled_at": None, "paused_at": "2024-04-01"}
    # expired (churned): ends at expires_at; its cancellation date carried.
    assert line(result, "acct_3") == {
        "start": "2023-01-01", "end": "2023-06-01", "mrr": 20.0, "status": "ended",
        "canceled_at": "2023-05-20", "paused_at": None}
    # canceled: paying until the end of its term.
    assert line(result, "acct_2")["end"] == "2024-03-01"
    assert line(result, "acct_2")["status"] == "paying"
    assert line(result, "acct_2")["canceled_at"] == "2024-01-15"


def test_paddle_billing():
    result = read_export(EXPORTS / "paddle_subscriptions.csv", today=TODAY)
    assert result.format == "paddle_subscriptions"
    assert line(result, "ctm_05") == {
        "start": "2024-01-01", "end": "2024-02-01", "mrr": 10.0, "status": "paused",
        "paused_at": "2024-02-01", "delinquent_since": None}
    assert line(result, "ctm_04") == {
        "start": "2024-02-01", "end": None, "mrr": 26.0, "status": "delinquent",
        "paused_at": None, "delinquent_since": "2024-03-14"}


def test_paddle_classic():
    result = read_export(EXPORTS / "paddle_classic_subscription_users.csv", today=TODAY)
    assert result.format == "paddle_classic_subscriptions"
    assert line(result, "285850") == {
        "start": "2023-12-05", "end": "2024-02-05", "mrr": 10.0, "status": "paused",
        "paused_at": "2024-02-05"}
    assert line(result, "285849") == {
        "start": "2023-11-10", "end": None, "mrr": 10.0, "status": "delinquent",
        "paused_at": None}


def test_woocommerce():
    result = read_export(EXPORTS / "woocommerce_subscriptions.csv", today=TODAY)
    assert result.format == "woocommerce_subscriptions"
    # on-hold: its paid months kept, ended at the renewal it did not pay.
    assert line(result, "15") == {
        "start": "2023-11-02", "end": "2024-02-02", "mrr": 30.0, "status": "delinquent",
        "delinquent_since": "2024-02-02"}
    # pending-cancel: paying until its prepaid term ends.
    assert line(result, "14") == {
        "start": "2024-01-10", "end": "2024-05-10", "mrr": 20.0, "status": "paying",
        "delinquent_since": None}


def test_a_note_per_meaning_counts_the_rows_and_names_the_statuses():
    result = read_export(EXPORTS / "woocommerce_subscriptions.csv", today=TODAY)
    said = [(w.values["meaning"], w.values["statuses"], w.values["count"])
            for w in result.warnings if getattr(w, "code", "") == "status_meaning"]
    assert said == [
        ("paying", ["active", "pending-cancel"], 4),
        ("delinquent (a renewal not paid)", ["on-hold"], 1),
        ("ended", ["cancelled"], 1),
        ("never paid", ["pending"], 1),
    ]


# --- the lines' dates read back --------------------------------------------------------------


@pytest.mark.parametrize("name", ["stripe_subscriptions.csv", "chargebee_subscriptions.csv",
                                  "paddle_subscriptions.csv"])
def test_lines_written_to_csv_read_back_equal(name):
    lines = read_export(EXPORTS / name, today=TODAY).lines
    back = read_export(lines.to_csv(index=False).encode(), today=TODAY)
    assert back.format == "canonical"
    same = [c for c in lines.columns if c != "quantity"]  # (a canonical file's quantity is text)
    pd.testing.assert_frame_equal(back.lines[same], lines[same])
    for name in LINE_DATES:
        if name in lines.columns:
            assert back.lines[name].dtype == "datetime64[s]"


def test_a_line_date_that_is_no_date_is_empty_and_rejects_nothing():
    csv = b"customer_id,start,mrr,paused_at\na,2024-01-01,10,2024-03-01\nb,2024-01-01,5,soon\n"
    result = read_export(csv, today=TODAY)
    assert result.lines["paused_at"].tolist()[0] == pd.Timestamp("2024-03-01")
    assert pd.isna(result.lines["paused_at"].tolist()[1])
    assert len(result.rejected) == 0


def test_lines_without_statuses_have_no_new_columns():
    result = read_export(EXPORTS / "baremetrics.csv", today=TODAY)
    assert "billing_status" not in result.lines.columns
    assert not set(LINE_DATES) & set(result.lines.columns)
    assert mrrkit.LINE_DATES == ("canceled_at", "paused_at", "resumes_at", "delinquent_since")
