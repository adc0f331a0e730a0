"""Mapping roles read by value or subtracted (issue 14): status (each value a meaning), line type
(recurring or one-off), tax, discount, shipping and one-off amounts, and amounts covering a
row's whole period (invoice lines).

The files are in real layouts: WooCommerce Subscriptions' Importer/Exporter CSV (the columns
documented at https://woocommerce.com/document/subscriptions/importer-exporter/, our fixture
``woocommerce_subscriptions.csv``) read through a mapping, as a user whose file mrrkit does not
recognise would; and invoice-line tables as ChartMogul's import (``type`` subscription /
one_time, https://dev.chartmogul.com/reference/import-invoices) and accounting exports write
them (a period per row, tax and discount columns).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mrrkit
from mrrkit.io.drafts import MEANINGS
from mrrkit.io.meanings import STATUS_WORDS, TYPE_WORDS, check_meanings, value_key
from tests.io.test_exports_fuzz import check_result

FIXTURES = Path(__file__).parents[1] / "fixtures" / "exports"
WOO = FIXTURES / "woocommerce_subscriptions.csv"
TODAY = "2024-06-01"

#: WooCommerce's columns named through a mapping (what the Data page's editor writes).
WOO_MAPPING = {
    "customer_id": "customer_email", "start": "start_date", "end": "end_date",
    "amount": "order_total", "interval": "billing_period", "interval_count": "billing_interval",
    "status": "subscription_status", "tax": "order_tax", "shipping": "order_shipping",
}


def codes(result) -> list[str]:
    return [n.code for n in result.warnings]


def test_a_mapped_status_column_is_read_by_meaning_not_counted_as_paying():
    """The issue's case: through a mapping, pending, on-hold and cancelled rows counted as
    paying with amounts including tax and shipping. Now each status means what it says."""
    result = mrrkit.read_export(WOO, mapping=WOO_MAPPING, today=TODAY)
    check_result(result)
    woo = pd.read_csv(WOO, dtype=str, keep_default_na=False)
    by_email = result.lines.set_index("customer_id")
    # wc-pending: never paid, rejected with its status said.
    pending = woo.index[woo["subscription_status"] == "wc-pending"] + 1
    assert result.rejected.set_index("row").loc[pending, "reason"].tolist() == [
        "status 'wc-pending': never paid (not MRR)"
    ] * len(pending)
    # Tax and shipping left out: Ann's renewal is 78.00 with 12.00 tax and 5.00 shipping.
    ann = woo.loc[woo["customer_email"] == "ann@example.com"].iloc[0]
    assert float(ann["order_total"]) - 12 - 5 == pytest.approx(by_email.loc["ann@example.com", "mrr"])
    # A "0" end (WooCommerce's "none") is no end; pending-cancel ends at its end_date.
    assert pd.isna(by_email.loc["ann@example.com", "end"])
    assert by_email.loc["cid@example.com", "end"] == pd.Timestamp("2024-05-10")
    # The order total is after its cart discount: the guessed discount is not subtracted again.
    assert "discount_not_subtracted" in codes(result)
    assert {"tax", "shipping", "status"} <= set(result.mapping)
    assert "discount" not in result.mapping


def test_status_meanings_each_do_what_they_say():
    csv = (
        "customer,start,end,mrr,status\n"
        "a,2024-01-01,,10,Active\n"
        "b,2024-01-01,,10,past due\n"         # delinquent: still counted
        "c,2024-01-01,2024-03-01,10,Paused\n"  # paid until its pause
        "d,2024-01-01,,10,paused\n"            # no date says when: rejected, said
        "e,2024-01-01,2024-04-01,10,Résilié\n"
        "f,2024-01-01,,10,incomplete\n"
        "g,2024-01-01,,10,\n"                  # blank: paying
        "h,2024-01-01,,10,Annullato\n"
    ).encode()
    result = mrrkit.read_export(csv, today=TODAY)
    check_result(result)
    assert result.mapping["status"] == "status"
    assert sorted(result.lines["customer_id"]) == ["a", "b", "c", "e", "g"]
    rejected = dict(zip(result.rejected["row"], result.rejected["reason"]))
    assert rejected == {4: "status 'paused' without an end date",
                        6: "status 'incomplete': never paid (not MRR)",
                        8: "status 'Annullato' without an end date"}
    # The user's meanings win over the usual words.
    chosen = mrrkit.read_export(csv, today=TODAY,
                                meanings={"status": {"past due": "never_paid", "": "ended"}})
    assert "b" not in set(chosen.lines["customer_id"])
    assert "g" not in set(chosen.lines["customer_id"])


def test_a_guessed_status_or_type_column_of_other_words_stays_an_attribute():
    csv = (
        "customer,start,mrr,State,Type\n"
        "a,2024-01-01,10,CA,B2B\nb,2024-01-01,10,NY,B2C\nc,2024-01-01,10,CA,B2B\n"
    ).encode()
    result = mrrkit.read_export(csv, today=TODAY)
    check_result(result)
    assert len(result.lines) == 3
    assert {"State", "Type"} <= set(result.lines.columns)
    ignored = [n.values for n in result.warnings if n.code == "value_column_ignored"]
    assert [(v["column"], v["role"]) for v in ignored] == [("State", "status"), ("Type", "line type")]
    # Named in the mapping, the same column is read by value: unknown words are rejected.
    mapped = mrrkit.read_export(csv, today=TODAY, mapping={"status": "State"})
    assert len(mapped.lines) == 0
    assert set(mapped.rejected["reason"]) == {"unknown status 'CA'", "unknown status 'NY'"}


def test_tax_columns_are_subtracted_unless_the_amounts_say_they_are_without_tax():
    with_tax = b"customer,start,amount,interval,VAT\na,2024-01-01,120,month,20\n"
    result = mrrkit.read_export(with_tax, today=TODAY)
    assert result.lines["mrr"].tolist() == [100.0] and result.mapping["tax"] == "VAT"
    assert "deducted" in codes(result)
    # "Montant HT": the tax column next to it is not in it.
    ht = "client;début;Montant HT;périodicité;TVA\na;01/01/2024;100;mensuel;20\n".encode()
    result = mrrkit.read_export(ht, today=TODAY)
    assert result.lines["mrr"].tolist() == [100.0] and "tax_not_subtracted" in codes(result)
    assert "tax" not in result.mapping
    # ... unless the user maps it.
    mapped = mrrkit.read_export(ht, today=TODAY, mapping={"tax": "TVA"})
    assert mapped.lines["mrr"].tolist() == [80.0]
    # A total said to include tax, with no tax column: read with it, said.
    ttc = "client;début;Total TTC;périodicité\na;01/01/2024;120;mensuel\n".encode()
    assert "tax_included" in codes(mrrkit.read_export(ttc, today=TODAY))


def test_a_tax_amount_column_is_never_read_as_the_amount():
    """'Tax Amount' has the core word 'amount': before the tax role, it could be the amount."""
    csv = b"customer,start,Tax Amount,Amount,interval\na,2024-01-01,20,120,month\n"
    result = mrrkit.read_export(csv, today=TODAY)
    assert result.mapping["amount"] == "Amount" and result.mapping["tax"] == "Tax Amount"
    assert result.lines["mrr"].tolist() == [100.0]


def test_discount_shipping_and_one_off_amounts_are_left_out_of_mrr():
    csv = (b"customer,start,price,interval,discount,shipping,setup fee\n"
           b"a,2024-01-01,300,quarter,30,15,45\nb,2024-01-01,50,month,,,\n")
    result = mrrkit.read_export(csv, today=TODAY)
    check_result(result)
    assert result.lines["mrr"].tolist() == [(300 - 30 - 15 - 45) / 3, 50.0]
    said = {n.values["column"]: n.values["count"] for n in result.warnings if n.code == "deducted"}
    assert said == {"discount": 1, "shipping": 1, "setup fee": 1}


def brute_force_mrr(rows: pd.DataFrame, day: pd.Timestamp) -> float:
    """MRR on ``day``: each kept row's amount less tax over its period's calendar months."""
    total = 0.0
    for r in rows.itertuples():
        start, end = pd.Timestamp(r.start), pd.Timestamp(r.end)
        months = (end.year - start.year) * 12 + end.month - start.month
        if start <= day < end:
            total += (r.amount - r.tax) / months
    return total


def test_invoice_lines_spread_their_amount_over_their_period_and_leave_one_offs_out():
    rows = pd.DataFrame({
        "invoice": ["i1", "i1", "i2", "i3", "i4", "i5"],
        "customer": ["a", "a", "a", "b", "c", "c"],
        "start": ["2024-01-01", "2024-01-01", "2024-04-01", "2024-01-01", "2024-02-01",
                  "2024-03-01"],
        "end": ["2024-04-01", "2024-01-01", "2024-07-01", "2025-01-01", "2024-03-01", ""],
        "amount": [360.0, 99.0, 360.0, 1200.0, 100.0, 100.0],
        "tax": [60.0, 0.0, 60.0, 0.0, 0.0, 0.0],
        "type": ["subscription", "one_time", "subscription", "subscription", "subscription",
                 "subscription"],
    })
    csv = rows.rename(columns={"invoice": "Invoice ID", "start": "Service period start",
                               "end": "Service period end"}).to_csv(index=False).encode()
    result = mrrkit.read_export(csv, today=TODAY)
    check_result(result)
    assert result.mapping["period_amount"] == "amount" and result.mapping["type"] == "type"
    rejected = dict(zip(result.rejected["row"], result.rejected["reason"]))
    assert rejected == {2: "one-off item, not recurring", 6: "missing billing period start or end"}
    kept = rows.drop(index=[1, 5])
    monthly = mrrkit.monthly(result.lines, as_of="2024-12-31")
    for month in ("2024-01", "2024-03", "2024-05", "2024-08"):
        # monthly() gives MRR on each month's last day.
        last_day = pd.Period(month, "M").end_time.normalize()
        assert monthly.loc[pd.Period(month, "M"), "mrr"] == pytest.approx(
            brute_force_mrr(kept, last_day)), month
    # Named as a price per billing period (an interval), the same amounts are not spread.
    per_period = mrrkit.read_export(csv, today=TODAY, mapping={"amount": "amount"})
    assert "amount_per_period" not in codes(per_period)


def test_meanings_are_checked():
    with pytest.raises(ValueError, match="cannot mean"):
        check_meanings({"status": {"x": "frozen"}})
    with pytest.raises(ValueError, match="not \\['state'\\]"):
        check_meanings({"state": {}})
    with pytest.raises(ValueError, match="cannot mean"):
        mrrkit.read_export(b"customer,start,mrr\na,2024-01-01,1\n", meanings={"type": {"a": "b"}})


def test_every_usual_word_has_a_meaning_of_its_kind():
    assert set(STATUS_WORDS.values()) == set(MEANINGS)
    assert set(TYPE_WORDS.values()) == {"recurring", "one_off"}
    assert all(k == value_key(k) for k in (*STATUS_WORDS, *TYPE_WORDS))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(sorted(STATUS_WORDS) + ["", "odd"]), st.booleans(),
                          st.integers(1, 500)), min_size=1, max_size=25),
       st.dictionaries(st.sampled_from(sorted(STATUS_WORDS) + ["odd"]), st.sampled_from(MEANINGS),
                       max_size=4))
def test_each_row_is_kept_or_rejected_as_its_status_means(rows, chosen):
    """Brute force: a row is kept iff its status means paying or delinquent, or paused or ended
    with an end date; trial rows need a trial end (none here); the rest are rejected."""
    lines = ["customer,start,end,mrr,status"]
    for i, (status, has_end, mrr) in enumerate(rows):
        lines.append(f"c{i},2024-01-01,{'2024-03-01' if has_end else ''},{mrr},{status}")
    result = mrrkit.read_export("\n".join(lines).encode(), today=TODAY, mapping={"status": "status"},
                                meanings={"status": chosen})
    check_result(result, expected_rows=len(rows))
    expected = []
    for i, (status, has_end, _) in enumerate(rows):
        meaning = chosen.get(status) or STATUS_WORDS.get(status) or (
            "paying" if status == "" else None)
        if meaning in ("paying", "delinquent") or (meaning in ("paused", "ended") and has_end):
            expected.append(f"c{i}")
    assert sorted(result.lines["customer_id"]) == sorted(expected)
    assert np.isfinite(result.lines["mrr"]).all()


def test_a_tax_column_that_adds_up_with_the_amount_to_a_total_is_not_subtracted():
    """Stripe's and most invoice exports: Amount (or Subtotal) + Tax = Total. The amount is
    then without tax; a lone Amount next to a Tax column is taken as with tax (Chargebee,
    ChartMogul, WooCommerce write totals so)."""
    csv = (b"customer,start,Amount,interval,Tax,Total\n"
           b"a,2024-01-01,100,month,20,120\nb,2024-01-01,50,month,10,60\n")
    result = mrrkit.read_export(csv, today=TODAY)
    assert result.lines["mrr"].tolist() == [100.0, 50.0]
    assert "tax_in_total" in codes(result) and "tax" not in result.mapping
    subtotal = b"customer,start,Subtotal,interval,Tax\na,2024-01-01,100,month,20\n"
    assert mrrkit.read_export(subtotal, today=TODAY).lines["mrr"].tolist() == [100.0]


def test_a_tables_paused_and_delinquent_rows_carry_the_day_they_stopped():
    """A click-through found the presets changed nothing on an uploaded table with statuses:
    its paused and past-due rows now carry their end as ``paused_at`` / ``delinquent_since``,
    so ChartMogul's definitions keep their MRR and Baremetrics' churn the 30-days-overdue one
    (issue 15). Invoice lines (a period per row) carry none."""
    csv = (b"customer,start,end,mrr,status\n"
           b"c1,2025-01-01,,100,active\nc3,2025-01-01,2025-09-15,300,paused\n"
           b"c4,2025-01-01,2025-07-20,200,past due\nc5,2025-01-01,2025-05-01,100,cancelled\n")
    lines = mrrkit.read_export(csv, today="2025-10-01").lines.set_index("customer_id")
    assert lines.loc["c3", "paused_at"] == pd.Timestamp("2025-09-15")
    assert lines.loc["c4", "delinquent_since"] == pd.Timestamp("2025-07-20")
    assert pd.isna(lines.loc["c5", "paused_at"]) and pd.isna(lines.loc["c1", "delinquent_since"])
    frame = lines.reset_index()
    at = {name: mrrkit.monthly(frame, as_of="2025-09-29", definitions=name)["mrr"].iloc[-1]
          for name in ("mrrkit", "chartmogul", "baremetrics")}
    assert at == {"mrrkit": 100.0, "chartmogul": 600.0, "baremetrics": 100.0}
    invoices = (b"Invoice,Customer,Period start,Period end,Amount,Status\n"
                b"1,a,2025-01-01,2025-02-01,100,open\n")
    read = mrrkit.read_export(invoices, today="2025-06-01").lines
    assert "delinquent_since" not in read.columns or read["delinquent_since"].isna().all()
