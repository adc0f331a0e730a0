"""Issue 14: what a mapping reads is what ``.mapping`` reports, and a file column a mapping
shadows is named in a note, never silently lost or read in place of the mapped one; start
columns named as billing tables name them are recognised without a mapping."""

from __future__ import annotations

import pandas as pd
import pytest

from mrrkit import read_export


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


FILE = pd.DataFrame({
    "customer_id": ["c1", "c2"],
    "email": ["a@x.io", "b@x.io"],
    "start": ["2024-01-01", "2024-02-01"],
    "mrr": ["100", "50"],
})


def test_a_mapped_role_reads_the_mapped_column_and_says_so():
    result = read_export(_csv(FILE), mapping={"customer_id": "email"})
    assert sorted(result.lines["customer_id"]) == ["a@x.io", "b@x.io"]
    assert result.mapping["customer_id"] == "email"
    # The file's own customer_id column: neither read as the id nor lost without a word.
    shadowed = [n for n in result.warnings if n.code == "mapping_shadowed"]
    assert [(n.values["column"], n.values["name"], n.values["used"]) for n in shadowed] == [
        ("customer_id", "customer_id", "email")]
    assert "customer_id" not in set(result.mapping.values()) - {result.mapping["customer_id"]}


def test_a_mapped_attribute_is_not_overwritten_by_a_column_of_its_name():
    frame = FILE.assign(plan=["Pro", "Basic"], **{"Plan Nickname": ["pro-m", "basic-m"]})
    result = read_export(_csv(frame), mapping={"plan": "Plan Nickname"})
    assert sorted(result.lines["plan"]) == ["basic-m", "pro-m"]
    assert result.mapping["plan"] == "Plan Nickname"
    assert [n.values["column"] for n in result.warnings if n.code == "mapping_shadowed"] == ["plan"]


def test_a_role_mapped_to_nothing_drops_its_column_with_a_note():
    frame = FILE.assign(end=["2024-06-01", ""])
    result = read_export(_csv(frame), mapping={"end": None})
    assert result.lines["end"].isna().all()
    dropped = [n for n in result.warnings if n.code == "mapping_dropped"]
    assert [(n.values["column"], n.values["name"]) for n in dropped] == [("end", "end")]
    assert "end" not in result.mapping


@pytest.mark.parametrize("start, end", [
    ("billing_start_date", "billing_end_date"),
    ("Subscription Start Date", "Subscription End Date"),
    ("contract_start_date", "contract_end_date"),
    ("service_start_date", "service_end_date"),
    ("period start", "period end"),
    ("service_period_start", "service_period_end"),
])
def test_billing_table_start_and_end_names_are_recognised(start, end):
    frame = pd.DataFrame({"customer_id": ["c1"], start: ["2024-01-01"], end: ["2024-03-01"],
                          "mrr": ["10"]})
    result = read_export(_csv(frame))
    assert (result.mapping["start"], result.mapping["end"]) == (start, end)
    assert result.lines["start"].iloc[0] == pd.Timestamp("2024-01-01")


# --- Stripe statuses are meanings (issue 14, item 1) ----------------------------------------------
# Layout: Stripe's Dashboard subscriptions export (the columns of tests/fixtures/exports/
# stripe_subscriptions.csv, documented in mrrkit/io/vendors/stripe_subscriptions.py); statuses
# from https://docs.stripe.com/billing/subscriptions/overview#subscription-statuses.

STRIPE_HEADER = ("id,Customer ID,Plan,Quantity,Currency,Interval,Amount,Status,Start Date (UTC),"
                 "Current Period Start (UTC),Current Period End (UTC),Trial End (UTC),"
                 "Ended At (UTC)\n")


@pytest.mark.parametrize("status", ["unpaid", "paused"])
def test_a_stripe_subscription_unpaid_since_may_keeps_its_paid_months(status):
    """Paying 50/month from January, unpaid since May: January to April count, then churn."""
    import mrrkit

    data = (STRIPE_HEADER + f"sub_1,cus_1,pro,1,usd,month,50.00,{status},2024-01-01 00:00,"
            "2024-05-01 00:00,2024-06-01 00:00,,\n").encode()
    result = read_export(data)
    assert result.rejected.empty
    line = result.lines.iloc[0]
    assert (line["start"], line["end"], line["mrr"]) == (
        pd.Timestamp("2024-01-01"), pd.Timestamp("2024-05-01"), 50.0)
    monthly = mrrkit.monthly(mrrkit.movements(result.lines, as_of="2024-06-30"))
    assert monthly.loc["2024-03", "mrr"] == 50.0  # March was paid
    assert monthly.loc["2024-05", "churned_customers"] == 1


def test_a_stripe_subscription_paused_at_its_trial_end_never_paid():
    data = (STRIPE_HEADER + "sub_1,cus_1,pro,1,usd,month,50.00,paused,2024-01-01 00:00,"
            "2024-01-15 00:00,2024-02-15 00:00,2024-01-15 00:00,\n").encode()
    result = read_export(data)
    assert result.lines.empty
    assert result.rejected["reason"].tolist() == ["cancelled before the trial ended (never paid)"]


def test_stripe_never_paid_statuses_stay_rejected():
    rows = "".join(
        f"sub_{i},cus_{i},pro,1,usd,month,50.00,{s},2024-01-01 00:00,2024-01-01 00:00,"
        "2024-02-01 00:00,,\n" for i, s in enumerate(["incomplete", "incomplete_expired"]))
    result = read_export((STRIPE_HEADER + rows).encode())
    assert result.lines.empty and len(result.rejected) == 2
