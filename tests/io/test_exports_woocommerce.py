"""Issue 14: WooCommerce Subscriptions' CSV (the official Importer/Exporter's columns).

Fixture ``tests/fixtures/exports/woocommerce_subscriptions.csv``, built from the columns and
formats its documentation lists (https://github.com/woocommerce/woocommerce-subscriptions-
importer-exporter, "CSV Columns": ``wc-`` status prefixes optional, ``0`` for no date,
``order_items`` as ``product_id:101|name:Pro|quantity:2|total:60.00``, totals with tax and
shipping in them). Before this reader it was refused or read as a generic table.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import mrrkit
from mrrkit import read_export

FILE = Path(__file__).parents[1] / "fixtures" / "exports" / "woocommerce_subscriptions.csv"


def lines_of(result) -> list[tuple]:
    return [(r.customer_id, str(r.start.date()), None if pd.isna(r.end) else str(r.end.date()),
             round(r.mrr, 2)) for r in result.lines.itertuples()]


def test_the_importer_exporter_csv():
    result = read_export(FILE)
    assert result.format == "woocommerce_subscriptions"
    assert lines_of(result) == [
        ("12", "2024-01-15", None, 60.0),  # 78.00 total - 12.00 tax - 5.00 + 1.00 shipping
        ("bob@example.com", "2023-06-01", None, 100.0),  # no customer_id: the email; 1200/year
        ("14", "2024-01-10", "2024-05-10", 20.0),  # pending-cancel: until its end
        ("15", "2023-11-02", "2024-02-02", 30.0),  # on-hold: until the renewal it did not pay
        ("16", "2023-01-10", "2023-07-10", 30.0),  # cancelled; 90.00 every 3 months
        ("18", "2024-02-15", None, 86.67),  # from its trial end; 40.00 every 2 weeks
    ]
    assert result.rejected["reason"].tolist() == [
        "status 'pending': awaiting its first payment (never paid)"]
    assert result.lines.set_index("customer_id").loc["18", "plan"] == "Weekly box, Add-on"
    assert result.mapping["amount"] == "order_total" and result.mapping["plan"] == "order_items"
    assert (result.lines["currency"] == "EUR").all()
    mrrkit.validate_lines(result.lines)


def test_a_tax_cell_that_is_no_number_rejects_its_row_naming_the_column():
    frame = pd.read_csv(FILE, dtype=str, keep_default_na=False)
    frame.loc[0, "order_tax"] = "twelve"
    result = read_export(frame.to_csv(index=False).encode())
    assert result.rejected.set_index("row").loc[1, "reason"] == (
        "amount: cannot read the number in 'order_tax'")
    assert len(result.lines) + len(result.rejected) == len(frame)


def test_a_zero_date_is_no_date_and_a_real_end_churns():
    frame = pd.read_csv(FILE, dtype=str, keep_default_na=False).iloc[[0]]
    frame.loc[:, "end_date"] = "2024-03-15 10:02:00"
    frame.loc[:, "subscription_status"] = "wc-expired"
    result = read_export(frame.to_csv(index=False).encode())
    assert lines_of(result) == [("12", "2024-01-15", "2024-03-15", 60.0)]
