"""Issue 14: JSON exports (mrrkit.io.json_table): a list of objects, Stripe's list output, JSON
Lines, each object flattened to the Stripe API readers' column names.

Fixtures, built from Stripe's documented objects (API version 2025-03-31.basil and later:
current periods on the subscription items, an invoice line's subscription under ``parent``):

- ``stripe_subscriptions_list.json``: ``stripe subscriptions list`` output, the list object of
  https://docs.stripe.com/api/subscriptions/list holding Subscription objects
  (https://docs.stripe.com/api/subscriptions/object) with their ``items`` list object. The
  subscriptions of ``stripe_api_subscriptions.csv``, Unix seconds, plus: ``sub_1`` has a second
  item (an "Extra storage" add-on, 15.00 a month), ``sub_9`` no item at all;
- ``stripe_subscriptions.jsonl``: its first eight subscriptions, one object a line (as the Data
  Pipeline, BigQuery or ``jq -c '.data[]'`` write them);
- ``stripe_invoices_list.json``: ``stripe invoices list`` output, Invoice objects
  (https://docs.stripe.com/api/invoices/object) with their ``lines`` list of Invoice Line Items
  (https://docs.stripe.com/api/invoice-line-item/object): the lines of
  ``stripe_invoice_line_items_api.csv``, an invoice of two lines (a seat charge and a one-off
  onboarding item), a proration credit ("Unused time on Basic") with its charge for the new
  price, an open invoice.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mrrkit import ExportError, read_export
from mrrkit.io.table import read_table
from tests.io.test_exports_fuzz import check_result

FIXTURES = Path(__file__).parents[1] / "fixtures" / "exports"
SUBSCRIPTIONS = FIXTURES / "stripe_subscriptions_list.json"
JSON_LINES = FIXTURES / "stripe_subscriptions.jsonl"
INVOICES = FIXTURES / "stripe_invoices_list.json"
RATES = {"JPY": 0.0067, "EUR": 1.1}


def lines_of(result) -> list[tuple]:
    out = []
    for r in result.lines.itertuples():
        end = None if pd.isna(r.end) else str(r.end.date())
        out.append((r.customer_id, str(r.start.date()), end, round(r.mrr, 2)))
    return out


def codes(result) -> list[str]:
    return [getattr(n, "code", "") for n in result.warnings]


# --- stripe subscriptions list ---------------------------------------------------------------

#: The lines, by hand: amount in cents x quantity / months of the interval.
SUBSCRIPTION_LINES = [
    ("cus_A", "2024-01-15", None, 98.0),  # Pro monthly: 4900 cents x 2
    ("cus_A", "2024-01-15", None, 15.0),  # its second item, Extra storage: 1500 cents x 1
    ("cus_B", "2023-06-01", None, 100.0),  # 120000 cents a year / 12
    ("cus_C", "2024-03-15", None, 30.0),  # trialing: from trial_end
    ("cus_D", "2023-01-10", "2023-07-10", 20.0),  # canceled: churn at ended_at
    ("cus_E", "2024-02-01", None, 43.33),  # past_due counts: 1000 cents a week x 52 / 12
    ("cus_G", "2023-11-02", "2024-02-02", 49.0),  # unpaid: until its item's period began
    ("cus_H", "2024-01-01", None, 11.17),  # 5000 JPY every 3 months x 0.0067
]


def test_stripe_subscriptions_list_one_line_per_item():
    result = read_export(SUBSCRIPTIONS, reporting_currency="USD", fx_rates=RATES)
    assert result.format == "stripe_api_subscriptions"
    assert lines_of(result) == SUBSCRIPTION_LINES
    check_result(result, expected_rows=10)  # 9 subscriptions, sub_1 two items
    assert result.source_rows.tolist() == [1, 2, 3, 4, 5, 6, 8, 9]
    assert result.rejected[["row", "reason"]].values.tolist() == [
        [7, "status 'incomplete': first payment never succeeded (not MRR)"],
        [10, "missing amount"],  # sub_9: no item, still one row
    ]
    notes = {n.code: n for n in result.warnings}
    assert notes["json"].values == {"count": 9}
    assert notes["json_rows"].values == {"count": 9, "lines": 10, "lists": ["items.data"]}
    assert "json_has_more" not in notes
    assert "stripe_coupon" in notes  # sub_2's discounts: ["di_SPRING20"], a JSON text cell
    lines = result.lines
    assert lines["plan"].tolist()[:2] == ["Pro monthly", "Extra storage"]
    assert lines["industry"].tolist()[0] == "saas"  # metadata.industry
    assert lines.loc[lines["customer_id"] == "cus_D", "churn_reason"].tolist() == ["too_expensive"]


def test_the_list_reads_as_the_same_subscriptions_in_csv():
    """The API-named CSV fixture, with sub_1's second item as a row of its own, gives the same
    lines."""
    frame = pd.read_csv(FIXTURES / "stripe_api_subscriptions.csv", dtype=str,
                        keep_default_na=False)
    storage = frame.iloc[[0]].assign(plan_id="price_storage_m", plan_nickname="Extra storage",
                                     plan_amount="1500", quantity="1")
    frame = pd.concat([frame.iloc[[0]], storage, frame.iloc[1:]], ignore_index=True)
    csv = read_export(frame.to_csv(index=False).encode(), reporting_currency="USD",
                      fx_rates=RATES)
    result = read_export(SUBSCRIPTIONS, reporting_currency="USD", fx_rates=RATES)
    assert csv.format == result.format
    assert lines_of(csv) == lines_of(result) == SUBSCRIPTION_LINES
    assert csv.lines["plan"].tolist() == result.lines["plan"].tolist()


def test_json_lines_read_as_the_list():
    result = read_export(JSON_LINES, reporting_currency="USD", fx_rates=RATES)
    assert lines_of(result) == SUBSCRIPTION_LINES
    check_result(result, expected_rows=9)
    assert "json_lines" in codes(result) and "json" not in codes(result)
    # A plain list of the same objects, and the list with a BOM: the same again.
    subs = json.loads(SUBSCRIPTIONS.read_text())["data"][:8]
    for data in (json.dumps(subs).encode(), b"\xef\xbb\xbf" + JSON_LINES.read_bytes()):
        assert lines_of(read_export(data, reporting_currency="USD", fx_rates=RATES)) == (
            SUBSCRIPTION_LINES)


def test_one_page_of_a_longer_list_is_said():
    listing = json.loads(SUBSCRIPTIONS.read_text())
    listing["has_more"] = True
    result = read_export(json.dumps(listing).encode(), reporting_currency="USD", fx_rates=RATES)
    assert "json_has_more" in codes(result)


# --- stripe invoices list ----------------------------------------------------------------------

#: The lines, by hand: the line's amount (less its discounts) in cents / months of its period.
INVOICE_LINES = [
    ("cus_A", "2024-01-01", "2024-02-01", 100.0),
    ("cus_A", "2024-02-01", "2024-03-01", 80.0),  # 10000 - 2000 discount_amounts
    ("cus_B", "2024-01-10", "2025-01-10", 33.0),  # 36000 EUR cents a year / 12 x 1.1
    ("cus_C", "2024-02-01", "2024-03-01", 100.0),
    # Proration on 15 Feb: 15 days of the 29 from 15 Feb to 15 Mar, a credit and a charge.
    ("cus_C", "2024-02-15", "2024-03-01", round(-51.72 * 29 / 15, 2)),
    ("cus_C", "2024-02-15", "2024-03-01", round(103.45 * 29 / 15, 2)),
]

#: The same lines as a CSV of the API's line item names (stripe_invoice_line_items_api.csv's),
#: each with its invoice's customer and status.
INVOICES_CSV = """\
id,invoice_id,customer,status,subscription_id,type,proration,price_id,quantity,amount,\
discount_amounts,currency,period_start,period_end
il_1,in_1,cus_A,paid,sub_A,subscription,false,price_basic,1,10000,[],usd,1704067200,1706745600
il_2,in_2,cus_A,paid,sub_A,subscription,false,price_basic,1,10000,\
"[{""amount"": 2000, ""discount"": ""di_1""}]",usd,1706745600,1709251200
il_3,in_3,cus_B,paid,sub_B,subscription,false,price_seat,3,36000,[],eur,1704844800,1736467200
il_4,in_3,cus_B,paid,sub_B,invoiceitem,false,price_onboarding,1,50000,[],eur,1704844800,1707523200
il_7,in_7,cus_C,paid,sub_C,subscription,false,price_basic,1,10000,[],usd,1706745600,1709251200
il_5,in_5,cus_C,paid,sub_C,invoiceitem,true,price_basic,1,-5172,[],usd,1707955200,1709251200
il_8,in_5,cus_C,paid,sub_C,invoiceitem,true,price_pro,1,10345,[],usd,1707955200,1709251200
il_6,in_6,cus_D,open,sub_D,subscription,false,price_basic,1,9000,[],usd,1704067200,1706745600
"""


def test_stripe_invoices_list_one_line_per_invoice_line():
    result = read_export(INVOICES, reporting_currency="USD", fx_rates=RATES)
    assert result.format == "stripe_invoices"
    assert lines_of(result) == INVOICE_LINES
    check_result(result, expected_rows=8)  # 6 invoices, in_3 and in_5 two lines each
    assert result.rejected[["row", "reason"]].values.tolist() == [
        [4, "one-off item, not recurring"],  # in_3's onboarding (an invoice item, no proration)
        [8, "invoice status 'open': only paid invoices count"],
    ]
    # The line's own period, never the invoice's period_start / period_end.
    assert result.mapping["start"] == "lines_data_period_start"
    assert result.lines["plan"].tolist()[-2:] == ["price_basic", "price_pro"]
    notes = {n.code: n for n in result.warnings}
    assert notes["json_rows"].values == {"count": 6, "lines": 8, "lists": ["lines.data"]}
    assert "discounts" in notes  # lines_data_discount_amounts, a JSON text cell read as JSON
    csv = read_export(INVOICES_CSV.encode(), reporting_currency="USD", fx_rates=RATES)
    assert csv.format == "stripe_invoices"
    assert lines_of(csv) == INVOICE_LINES


def _before_basil(invoice: dict) -> dict:
    """An invoice as API versions before 2025-03-31 give it: subscription, proration, type and
    price on each line, the subscription on the invoice."""
    invoice = copy.deepcopy(invoice)
    invoice["subscription"] = invoice.pop("parent")["subscription_details"]["subscription"]
    for line in invoice["lines"]["data"]:
        parent = line.pop("parent")
        details = parent["subscription_item_details"] or parent["invoice_item_details"]
        line["subscription"] = details["subscription"]
        line["proration"] = details["proration"]
        line["type"] = ("subscription" if parent["type"] == "subscription_item_details"
                        else "invoiceitem")
        line["price"] = {"id": line.pop("pricing")["price_details"]["price"], "object": "price"}
    return invoice


def test_stripe_invoices_list_of_earlier_api_versions():
    listing = json.loads(INVOICES.read_text())
    listing["data"] = [_before_basil(invoice) for invoice in listing["data"]]
    result = read_export(json.dumps(listing).encode(), reporting_currency="USD", fx_rates=RATES)
    assert result.format == "stripe_invoices"
    assert lines_of(result) == INVOICE_LINES
    assert result.lines["plan"].tolist()[-2:] == ["price_basic", "price_pro"]
    check_result(result, expected_rows=8)


# --- layouts, cells and rows -------------------------------------------------------------------


def test_cells_as_text():
    data = [{"id": "a", "n": 3, "x": 0.5, "big": 1e3, "ok": True, "no": False, "none": None,
             "tags": ["t1", "t2"], "empty": [], "meta": {}, "deep": {"a": {"b": {"c": "d"}}},
             "plan": {"amount": 10}, "plan_amount": 11, "é": "ü"}]
    table = read_table(json.dumps(data).encode())
    assert table.kind == "json"
    row = table.frame.iloc[0].to_dict()
    assert row == {"id": "a", "n": "3", "x": "0.5", "big": "1000", "ok": "true", "no": "false",
                   "none": "", "tags": '["t1","t2"]', "empty": "", "meta": "", "deep_a_b_c": "d",
                   "plan_amount": "10", "plan_amount (2)": "11", "é": "ü"}
    assert all(str(dtype) == "str" for dtype in table.frame.dtypes)


def test_rows_of_objects_with_other_fields_and_an_empty_list():
    data = [{"id": "a", "items": {"object": "list", "data": []}},
            {"id": "b", "other": 1},
            {"id": "c", "items": {"object": "list", "data": [{"q": 1}, {"q": 2, "r": 3}]},
             "lines": {"object": "list", "data": [{"z": 1}]}}]
    table = read_table(json.dumps(data).encode())
    frame = table.frame.fillna("")
    assert table.rows.tolist() == [1, 2, 3, 4]
    assert frame["id"].tolist() == ["a", "b", "c", "c"]
    assert frame["items_data_q"].tolist() == ["", "", "1", "2"]
    assert frame["items_data_r"].tolist() == ["", "", "", "3"]
    # A second list object of one object is one cell: never multiplied with the first.
    assert frame["lines_data"].tolist() == ["", "", '[{"z":1}]', '[{"z":1}]']
    assert [str(n) for n in table.notes] == [
        "read as JSON: 3 object(s)",
        "3 object(s) read as 4 rows: one per element of 'items.data'",
    ]


@pytest.mark.parametrize("data, code", [
    (b"[]", "json_no_records"),
    (b"  {}  ", "json_no_records"),
    (b'{"object": "subscription", "id": "sub_1"}', "json_no_records"),
    (b'{"data": 5}', "json_no_records"),
    (b"[1, 2, 3]", "json_no_records"),
    (b'[{"a": }]', "bad_json"),
    (b'{"x": tru', "bad_json"),
    (b'[{"a": "\xff"}]', "bad_json"),  # not UTF-8
])
def test_no_records_refused(data, code):
    with pytest.raises(ExportError) as info:
        read_export(data)
    assert info.value.code == code, str(info.value)


def test_a_file_cut_short_keeps_the_objects_before_the_cut():
    rows = [{"customer": f"c{i}", "start": "2024-01-01", "mrr": 10} for i in range(3)]
    full = json.dumps({"object": "list", "data": rows}).encode()
    cut = full[: full.index(b'"c2"') + 6]
    result = read_export(cut)
    check_result(result, expected_rows=3)
    assert result.source_rows.tolist() == [1, 2]
    assert result.rejected["reason"].tolist()[0].startswith("unreadable JSON from here on")


def test_json_lines_with_broken_lines():
    data = (b'{"customer": "a", "start": "2024-01-01", "mrr": 10}\n\n'
            b'{"customer": "b", "start": "2024-01-01", "mrr": \n'
            b'[1, 2]\n'
            b'{"customer": "c", "start": "2024-02-01", "mrr": 5}\n')
    result = read_export(data)
    check_result(result, expected_rows=4)  # the blank line is no row
    assert result.source_rows.tolist() == [1, 4]
    reasons = result.rejected["reason"].tolist()
    assert reasons[0].startswith("the line cannot be read as JSON")
    assert reasons[1] == "not a JSON object: '[1, 2]'"


def test_a_bracketed_csv_header_stays_csv():
    result = read_export(b"[customer_id],[start],[mrr]\na,2024-01-01,10\n")
    assert read_table(b"[customer_id],[start],[mrr]\na,2024-01-01,10\n").kind == "csv"
    assert len(result.lines) == 1


# --- random objects ----------------------------------------------------------------------------

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12),
                    st.floats(allow_nan=False, allow_infinity=False),
                    st.text(max_size=8), st.sampled_from(["2024-01-01", "cus_1", "month"]))
KEYS = st.sampled_from(["id", "customer", "start", "mrr", "amount", "status", "plan", "a", "b"])
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(KEYS, inner, max_size=4)),
    max_leaves=10,
)
ITEMS = st.fixed_dictionaries({"object": st.just("list"),
                               "data": st.lists(st.dictionaries(KEYS, VALUES, max_size=4),
                                                max_size=3)})
OBJECTS = st.lists(
    st.builds(lambda base, items: {**base, **({} if items is None else {"items": items})},
              st.dictionaries(KEYS, VALUES, max_size=6), st.one_of(st.none(), ITEMS)),
    min_size=1, max_size=12,
)


def expected_rows(objects) -> int:
    """Rows an independent count gives: one per object, one per element of its list object."""
    return sum(max(1, len(o["items"]["data"])) if isinstance(o.get("items"), dict) else 1
               for o in objects)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(OBJECTS, st.sampled_from(["list", "stripe", "lines"]))
def test_random_nested_objects_every_row_accounted(objects, layout):
    if layout == "list":
        data = json.dumps(objects).encode()
    elif layout == "stripe":
        data = json.dumps({"object": "list", "data": objects, "has_more": False}).encode()
    else:
        data = "".join(json.dumps(o) + "\n" for o in objects).encode()
        if len(objects) == 1:  # one line is one document: a list object, or no records
            data = json.dumps([objects[0]]).encode()
    # (No generated key but "items" holds a "data" list: it is each object's list object.)
    if any(o for o in objects):
        table = read_table(data)
        assert table.rows.tolist() == list(range(1, expected_rows(objects) + 1))
        assert table.broken.empty
    try:
        result = read_export(data)
    except ExportError as exc:
        assert str(exc)
        return
    check_result(result)
