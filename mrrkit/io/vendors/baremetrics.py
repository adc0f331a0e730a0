"""Baremetrics' manual subscription import template.

Columns: ``plan_oid, plan_name, plan_currency, plan_amount`` (cents, "$1 == 100"),
``plan_interval`` (week, month, year), ``plan_interval_count, customer_oid, customer_name,
customer_email, subscription_oid, subscription_started_at``, ``subscription_canceled_at``
(cancellation date, not period end; YYYY-MM-DD), ``subscription_quantity`` (default 1).
"""

from __future__ import annotations

import pandas as pd

from ..drafts import Columns, Draft
from ..headers import columns
from ..messages import note
from ..rules import subscription_draft
from .common import Vendor, has_all, named_headers

__all__ = ["VENDOR"]


def detect(headers) -> bool:
    """customer_oid, plan_amount and subscription_started_at."""
    return has_all(headers, "customer_oid", "plan_amount", "subscription_started_at")


def read(frame: pd.DataFrame) -> Draft:
    """plan_amount in cents, churn at subscription_canceled_at."""
    h = list(frame.columns)
    attributes = named_headers(
        h,
        ("plan", "plan_name", "plan_oid"),
        ("customer_name", "customer_name"),
        ("email", "customer_email"),
    )
    cols = Columns(
        customer_id=columns(h, "customer_oid"),
        start=columns(h, "subscription_started_at"),
        end=columns(h, "subscription_canceled_at"),
        amount=columns(h, "plan_amount"),
        interval=columns(h, "plan_interval"),
        interval_count=columns(h, "plan_interval_count"),
        quantity=columns(h, "subscription_quantity"),
        currency=columns(h, "plan_currency"),
        attributes=attributes,
    )
    return subscription_draft(frame, cols, cents=True, notes=[note("baremetrics_rules")])


VENDOR = Vendor(
    name="baremetrics",
    label="Baremetrics import template",
    detect=detect,
    read=read,
    needs="Baremetrics template: customer_oid, plan_amount, subscription_started_at",
    source="https://help.baremetrics.com/en/articles/5380088-manual-subscription-import-guide",
    priority=80,
)
