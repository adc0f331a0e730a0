"""Issue 14: Stripe subscriptions with the API's field names (API, Sigma, Data Pipeline).

Fixture ``tests/fixtures/exports/stripe_api_subscriptions.csv``: the Subscription object's
fields as https://docs.stripe.com/api/subscriptions/object documents them, flattened to columns
(``plan_amount`` in the smallest currency unit, dates in Unix seconds), the same subscriptions
as the Dashboard fixture ``stripe_subscriptions.csv`` plus a JPY one (zero-decimal: 5000 JPY
every 3 months). Before this reader they were read as a generic table: cents as units (MRR x100),
statuses and trial ends ignored.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

import mrrkit
from mrrkit import read_export

FIXTURES = Path(__file__).parents[1] / "fixtures" / "exports"
API = FIXTURES / "stripe_api_subscriptions.csv"
RATES = {"JPY": 0.0067}


def lines_of(result) -> list[tuple]:
    out = []
    for r in result.lines.itertuples():
        end = None if pd.isna(r.end) else str(r.end.date())
        out.append((r.customer_id, str(r.start.date()), end, round(r.mrr, 2)))
    return out


def test_api_names_read_as_the_dashboard_export_reads_its_own():
    result = read_export(API, reporting_currency="USD", fx_rates=RATES)
    assert result.format == "stripe_api_subscriptions"
    assert lines_of(result) == [
        ("cus_A", "2024-01-15", None, 98.0),  # 4900 cents x quantity 2
        ("cus_B", "2023-06-01", None, 100.0),  # 120000 cents a year / 12
        ("cus_C", "2024-03-15", None, 30.0),  # trialing: from trial_end
        ("cus_D", "2023-01-10", "2023-07-10", 20.0),  # canceled: churn at ended_at
        ("cus_E", "2024-02-01", None, 43.33),  # past_due counts; 1000 cents/week x 52 / 12
        ("cus_G", "2023-11-02", "2024-02-02", 49.0),  # unpaid: paid until its period began
        ("cus_H", "2024-01-01", None, 11.17),  # 5000 JPY / 3 months x 0.0067
    ]
    assert result.rejected["reason"].tolist() == [
        "status 'incomplete': first payment never succeeded (not MRR)"]
    lines = result.lines.set_index("customer_id")
    assert lines.loc["cus_D", "churn_reason"] == "too_expensive"  # the feedback first
    assert lines.loc["cus_A", "industry"] == "saas"  # metadata_industry
    assert lines.loc["cus_A", "plan"] == "Pro monthly"
    codes = [getattr(n, "code", "") for n in result.warnings]
    assert "stripe_api_rules" in codes and "stripe_coupon" in codes
    # The same subscriptions in the Dashboard export give the same lines.
    dashboard = read_export(FIXTURES / "stripe_subscriptions.csv")
    assert dashboard.format == "stripe_subscriptions"
    assert [x for x in lines_of(result) if x[0] != "cus_H"] == [
        x for x in lines_of(dashboard) if x[0] != "cus_I"]


def test_iso_timestamps_and_parquet_as_sigma_and_the_data_pipeline_give_them():
    frame = pd.read_csv(API, dtype=str, keep_default_na=False)
    for col in ("created", "start_date", "current_period_start", "current_period_end",
                "trial_end", "canceled_at", "ended_at"):
        frame[col] = [pd.Timestamp(int(v), unit="s").isoformat() + "Z" if v else ""
                      for v in frame[col]]
    sigma = read_export(frame.to_csv(index=False).encode(), reporting_currency="USD",
                        fx_rates=RATES)
    buf = io.BytesIO()
    frame.to_parquet(buf)
    pipeline = read_export(buf.getvalue(), reporting_currency="USD", fx_rates=RATES)
    want = lines_of(read_export(API, reporting_currency="USD", fx_rates=RATES))
    assert sigma.format == pipeline.format == "stripe_api_subscriptions"
    assert lines_of(sigma) == lines_of(pipeline) == want


@pytest.mark.parametrize("name", ["price_unit_amount", "unit_amount"])
def test_other_price_field_names(name):
    frame = pd.read_csv(API, dtype=str, keep_default_na=False).rename(
        columns={"plan_amount": name, "plan_interval": "price_recurring_interval",
                 "plan_interval_count": "price_recurring_interval_count"})
    result = read_export(frame.to_csv(index=False).encode(), reporting_currency="USD",
                         fx_rates=RATES)
    assert result.format == "stripe_api_subscriptions"
    assert lines_of(result)[0] == ("cus_A", "2024-01-15", None, 98.0)


def test_engine_takes_the_lines():
    result = read_export(API, reporting_currency="USD", fx_rates=RATES)
    mrrkit.validate_lines(result.lines)
    monthly = mrrkit.monthly(mrrkit.movements(result.lines, as_of="2024-03-31"))
    assert monthly.loc["2024-01", "churned_customers"] == 0
    assert monthly.loc["2024-02", "churned_customers"] == 1  # cus_G, unpaid from 2 February


def test_a_forever_coupon_is_taken_off_and_kept_a_limited_one_is_said():
    """The Subscription object's ``discount`` with its coupon expanded, flattened as
    ``stripe subscriptions list --expand data.discount`` gives it (``discount.coupon``:
    https://docs.stripe.com/api/coupons/object, ``percent_off``, ``amount_off`` in cents "taken
    off the subtotal of any invoices", ``duration`` forever, once or repeating; ``discount.start``
    "date that the coupon was applied", https://docs.stripe.com/api/discounts/object).

    sub_1: $100/month, 20% forever from its start: MRR 80, recurring discount 20. sub_2: two
    items of $30 and $10 a month with $8 off each invoice forever: $6 and $2 taken off, by
    amount. sub_3: 50% repeating for 3 months: covers part of the line only, its MRR stays 50 and
    a note says so. sub_4: forever, applied a month after it began: said too. Under
    ``discounts="none"`` sub_1 counts 100; Stripe's preset keeps forever coupons (80)."""
    head = ("id,customer,status,start_date,plan_amount,plan_interval,quantity,currency,"
            "discount_coupon_percent_off,discount_coupon_amount_off,discount_coupon_duration,"
            "discount_start\n")
    rows = [
        "sub_1,cus_1,active,1704067200,10000,month,1,usd,20,,forever,1704067200",
        "sub_2,cus_2,active,1704067200,3000,month,1,usd,,800,forever,1704067200",
        "sub_2,cus_2,active,1704067200,1000,month,1,usd,,800,forever,1704067200",
        "sub_3,cus_3,active,1704067200,5000,month,1,usd,50,,repeating,1704067200",
        "sub_4,cus_4,active,1704067200,4000,month,1,usd,10,,forever,1706745600",
        "sub_5,cus_5,active,1704067200,2000,month,1,usd,,,,",
    ]
    result = read_export((head + "\n".join(rows) + "\n").encode())
    assert result.format == "stripe_api_subscriptions"
    lines = result.lines
    assert lines["mrr"].tolist() == pytest.approx([80.0, 24.0, 8.0, 50.0, 40.0, 20.0])
    assert lines["recurring_discount"].tolist() == pytest.approx([20.0, 6.0, 2.0, 0, 0, 0])
    codes = {getattr(n, "code", ""): n for n in result.warnings}
    assert codes["stripe_coupon_limited"].values["count"] == 2
    assert codes["deducted"].values["count"] == 3
    assert "stripe_coupon" not in codes
    at = "2024-03-31"
    gross = mrrkit.movements(lines, as_of=at, definitions=mrrkit.Definitions(discounts="none"))
    stripe = mrrkit.movements(lines, as_of=at, definitions="stripe")
    assert mrrkit.customer_summary(gross).loc["cus_1", "mrr"] == 100.0
    assert mrrkit.customer_summary(stripe).loc["cus_1", "mrr"] == 80.0
