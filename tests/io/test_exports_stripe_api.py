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
