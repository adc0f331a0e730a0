"""Data page: an upload read by mrrkit.read_export, its validation report, the column mapping and
currency editors, unusable files in plain words, and "Use this data" making every page show the
upload for the session (AppTest drives the real file uploader). The upload helpers of ui.data
(problem kinds, rates tables, reasons in the reader's language) are tested here too."""

from __future__ import annotations

import io
import itertools
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit import get_option
from streamlit.testing.v1 import AppTest

import mrrkit
from mrrkit.io.inspect import inspect
from mrrkit.io.messages import (
    NOTES,
    REASONS,
    REFUSALS,
    TERMS,
    Note,
    Reason,
    placeholders,
    term_code,
)
from tests.conftest import TODAY
from tests._pages import HOME, ROOT, TIMEOUT, shown_text
from ui import messages, uploads
from ui.format import number_format
from ui.i18n import TEXTS, text

PAGE = "pages/0_Data.py"
FIXTURES = Path(__file__).parents[1] / "fixtures" / "exports"
STRIPE = FIXTURES / "stripe_subscriptions.csv"
FRENCH = FIXTURES / "french_excel.csv"
#: An export mrrkit recognises and refuses (no subscription periods): outside FIXTURES.
PADDLE_CLASSIC_TRANSACTIONS = FIXTURES.parent / "refused" / "paddle_classic_transactions.csv"
MIXED = (
    b"customer_id,start,mrr,currency\n"
    b"a,2024-01-01,100,EUR\nb,2024-02-01,50,USD\nc,2024-02-01,10,GBP\nd,2024-05-01,20,USD\n"
)
ODD = b"who,when,how much\nacme,2024-01-01,100\nbeta,2024-02-01,50\n"


def data_page(lang: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.secrets["_isolated"] = True  # never a developer's own secrets.toml (password gate)
    at.switch_page(PAGE)
    if lang:
        at.query_params["lang"] = lang
    return at.run()


def upload(at: AppTest, name: str, content: bytes, key: str = "data.export") -> AppTest:
    at.file_uploader(key=key).set_value((name, content, "text/csv"))
    return at.run()


def clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def tables(at: AppTest) -> list[pd.DataFrame]:
    """The tables of the three tabs, in order: by reason and rejected rows (when there are),
    customers file's rejected rows (when there are), the lines preview, the report."""
    return [d.value for tab in at.tabs for d in tab.dataframe]


def head_table(at: AppTest) -> pd.DataFrame:
    """The file's first rows shown beside the column mapping."""
    mapping = [e for e in at.main.expander if e.label == "Column mapping"]
    return mapping[0].dataframe[0].value


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def mapping_keys(at: AppTest) -> dict[str, str]:
    """Mapping editor label -> selectbox key."""
    return {s.label: s.key for s in at.selectbox if s.key and s.key.startswith("data.map.")}


def click(at: AppTest, label: str) -> AppTest:
    buttons = [b for b in at.button if b.label == label]
    assert len(buttons) == 1, [b.label for b in at.button]
    return buttons[0].click().run()


def reporting(at: AppTest, content: bytes):
    return at.selectbox(key=f"data.reporting.{uploads.bytes_digest(content)[:16]}")


def report(at: AppTest) -> dict[str, str]:
    """The validation report table (the last table), what -> value."""
    table = tables(at)[-1]
    return dict(zip(table["What"], table["Value"]))


def preview(at: AppTest) -> pd.DataFrame:
    """The lines preview (the table just before the report)."""
    return tables(at)[-2]


@pytest.fixture(autouse=True)
def no_gate(monkeypatch, tmp_path):
    monkeypatch.delenv("MRRKIT_PASSWORD", raising=False)
    monkeypatch.delenv("MRRKIT_PASSWORD_HASH", raising=False)
    monkeypatch.setenv("MRRKIT_VIEWS_DIR", str(tmp_path / "views"))


@pytest.fixture(scope="module")
def stripe_page():
    at = data_page()
    return upload(at, "stripe.csv", STRIPE.read_bytes())


# --- the page before any upload ------------------------------------------------------------------


def test_before_any_upload_every_page_shows_the_sample():
    at = data_page()
    clean(at)
    assert [i.value for i in at.info] == ["Every page shows the bundled sample."]
    assert [f.label for f in at.file_uploader] == [
        "Subscriptions export", "Customers file (optional)",
    ]
    assert not at.metric  # nothing read yet
    assert [e.label for e in at.main.expander] == ["Which file do I need?"]
    assert [link.label for link in at.sidebar.get("page_link")][-1] == "Data"


# --- every kind of export ------------------------------------------------------------------------


def _xlsx(frame: pd.DataFrame) -> bytes:
    out = io.BytesIO()
    frame.to_excel(out, index=False)
    return out.getvalue()


def _parquet(frame: pd.DataFrame) -> bytes:
    out = io.BytesIO()
    frame.to_parquet(out, index=False)
    return out.getvalue()


GENERIC = pd.DataFrame({
    "Cliente": ["acme", "beta", "gamma"],
    "Data inizio": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-05"]),
    "Data fine": pd.to_datetime([None, "2024-06-01", None]),
    "Canone mensile": [10.0, 20.5, 30.0],
    "Settore": ["SaaS", "Retail", "SaaS"],
})
EXPORTS = {
    **{path.name: path.read_bytes() for path in sorted(FIXTURES.iterdir()) if path.is_file()},
    "generated.xlsx": _xlsx(GENERIC),
    "generated.parquet": _parquet(GENERIC),
}


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_every_export_is_shown_as_read_export_reads_it(name):
    content = EXPORTS[name]
    at = upload(data_page(), name, content)
    try:
        expected = mrrkit.read_export(content)
    except mrrkit.ExportError as exc:  # several currencies: the page asks which to report in
        assert messages.problem_kind(content, exc.message) == "currencies"
        assert not at.exception and not at.error and not at.metric
        currencies = inspect(content).currencies
        assert len(currencies) > 1
        assert f"({', '.join(currencies)})" in at.warning[0].value
        reporting(at, content).set_value(currencies[0]).run()
        expected = mrrkit.read_export(content, reporting_currency=currencies[0])
    clean(at)
    fmt = text("en")(f"format.{expected.format}")
    assert f"Detected format: {fmt}" in [s.value for s in at.success]
    en = number_format("en")
    assert metrics(at) == {
        "Rows read": en.count(expected.rows_read),
        "Rows kept": en.count(expected.rows_kept),
        "Rows rejected": en.count(len(expected.rejected)),
        "Lines": en.count(len(expected.lines)),
    }
    shown = preview(at)
    assert list(shown["Customer id"]) == list(expected.lines["customer_id"])
    currency = reporting(at, content).value
    money = number_format("en", currency)
    assert list(shown["MRR"]) == [money.money(x, 2) for x in expected.lines["mrr"]]
    assert list(shown["Start date"]) == list(expected.lines["start"].dt.strftime("%Y-%m-%d"))
    assert report(at)["Format"] == fmt
    assert not at.button(key="data.use").disabled


def test_stripe_report_rejected_rows_and_downloads(stripe_page):
    at = stripe_page
    clean(at)
    expected = mrrkit.read_export(STRIPE)
    assert len(expected.rejected)  # the fixture has rows Stripe leaves out of MRR
    by_reason, rejected, lines, report_table = tables(at)
    counts = expected.rejected["reason"].value_counts()
    assert dict(zip(by_reason["Reason"], by_reason["Rows"])) == counts.to_dict()
    assert list(rejected["Row"]) == list(expected.rejected["row"])
    assert list(rejected["Customer ID"]) == list(expected.rejected["Customer ID"])
    assert list(lines["Customer id"]) == list(expected.lines["customer_id"])
    # rejected rows, lines, report: CSV and Excel each
    assert [b.label for b in at.get("download_button")] == ["⬇ CSV", "⬇ Excel"] * 3
    got = dict(zip(report_table["What"], report_table["Value"]))
    assert got["Rows read"] == str(expected.rows_read)
    assert got["Rows kept"] == str(expected.rows_kept)
    for reason, n in counts.items():
        assert got[f"Rejected: {reason}"] == str(n)
    assert got["Currency"] == "USD"
    assert [t.label for t in at.tabs] == [
        f"Rejected rows ({len(expected.rejected)})", f"Lines ({len(expected.lines)})", "Report",
    ]


def test_single_currency_file_offers_its_currency_and_a_file_without_one_asks():
    at = upload(data_page(), "stripe.csv", STRIPE.read_bytes())
    assert reporting(at, STRIPE.read_bytes()).value == "USD"
    assert reporting(at, STRIPE.read_bytes()).label == "Show figures in"
    french = FRENCH.read_bytes()
    at = upload(data_page(), "french.csv", french)
    clean(at)
    picker = reporting(at, french)
    assert (picker.label, picker.value) == ("Currency of the amounts", "EUR")
    assert "amounts in EUR" in at.markdown[-1].value or any(
        "amounts in EUR" in m.value for m in at.markdown
    )
    picker.set_value("CHF").run()
    clean(at)
    assert any("amounts in CHF" in m.value for m in at.markdown)
    assert metrics(at)["Rows rejected"] == str(len(mrrkit.read_export(french).rejected))
    at.button(key="data.use").click().run()
    assert at.session_state["source"].currency == "CHF"


def test_a_typed_currency_code_is_used_and_a_bad_one_ignored_with_a_warning():
    content = STRIPE.read_bytes()
    expected = mrrkit.read_export(content)
    key = f"data.reporting.{uploads.bytes_digest(content)[:16]}"

    def typed(code: str) -> AppTest:
        # AppTest only picks listed options: the typed text goes in the picker's state first.
        at = data_page()
        at.session_state[key] = code
        return upload(at, "stripe.csv", content)

    at = typed("1$")
    assert not at.exception and not at.error
    assert any("1$ is not a currency code" in w.value for w in at.warning)
    assert metrics(at)["Rows kept"] == str(expected.rows_kept)  # read as in the file
    at = typed("chf")  # not in the list, lower case: USD amounts to convert to CHF
    clean(at)
    assert metrics(at)["Rows kept"] == "0"
    assert any(w.value.startswith("Rows without an exchange rate yet:") for w in at.warning)
    editor = at.data_editor[0]
    assert list(editor.value["currency"]) == ["USD"]
    at.session_state[editor.key] = {"edited_rows": {0: {"rate": 0.8}}, "added_rows": [],
                                    "deleted_rows": []}
    at.run()
    clean(at)
    converted = mrrkit.read_export(content, reporting_currency="CHF", fx_rates={"USD": 0.8})
    assert list(converted.lines["mrr"]) == pytest.approx(list(expected.lines["mrr"] * 0.8))
    chf = number_format("en", "CHF")
    assert list(preview(at)["MRR"]) == [chf.money(x, 2) for x in converted.lines["mrr"]]


# --- column mapping ------------------------------------------------------------------------------


def test_mapping_editor_is_prefilled_by_detection(stripe_page):
    at = stripe_page
    detected = mrrkit.read_export(STRIPE).mapping
    shown = {s.label: s.value for s in at.selectbox if s.key and s.key.startswith("data.map.")}
    assert shown["Customer id"] == detected["customer_id"] == "Customer ID"
    assert shown["Amount per billing period"] == detected["amount"]
    assert shown["MRR (monthly amount)"] is None  # Stripe gives an amount per interval
    assert any("Stripe subscriptions export" in w.value and "rules" in w.value for w in at.warning)


def test_editing_the_mapping_changes_the_lines():
    french = FRENCH.read_bytes()
    detected = mrrkit.read_export(french)
    at = upload(data_page(), "french.csv", french)
    keys = mapping_keys(at)
    assert at.selectbox(key=keys["End date"]).value == detected.mapping["end"] == "Date de fin"
    at.selectbox(key=keys["End date"]).select_index(0)  # "(no such column)"
    click(at, "Read again with this mapping")
    clean(at)
    roles = {"customer_id": "Client", "start": "Date de début", "end": None, "mrr": "Mensualité",
             "plan": "Formule"}
    expected = mrrkit.read_export(french, mapping={
        role: roles.get(role, detected.mapping.get(role)) for role in (
            "customer_id", "start", "end", "mrr", "amount", "interval", "interval_count",
            "quantity", "currency", "trial_end", "plan", "product", "churn_reason",
        )
    })
    assert "Read with your column mapping." in [c.value for c in at.caption]
    # Without an end date, the row whose end came before its start is kept, and no line ends.
    assert len(expected.lines) == len(detected.lines) + 1
    assert metrics(at)["Lines"] == str(len(expected.lines))
    assert list(preview(at)["Customer id"]) == list(expected.lines["customer_id"])
    assert set(preview(at)["End date"]) == {""}
    at.button(key="data.use").click().run()
    pd.testing.assert_frame_equal(at.session_state["source"].lines, expected.lines)

    click(at, "Back to the detected columns")
    clean(at)
    assert metrics(at)["Lines"] == str(len(detected.lines))
    assert at.selectbox(key=mapping_keys(at)["End date"]).value == "Date de fin"


def test_mapping_rescues_a_file_whose_headers_say_nothing():
    at = upload(data_page(), "odd.csv", ODD)
    assert not at.exception
    errors = [e.value for e in at.error]
    assert errors == ["This file cannot be used: no column was recognised as the customer, the "
                      "start date or the amount. Say which column is which in the column mapping "
                      "below."]
    keys = mapping_keys(at)
    assert at.selectbox(key=keys["Customer id"]).options == ["(no such column)", "who", "when",
                                                             "how much"]
    assert head_table(at).values.tolist() == [["acme", "2024-01-01", "100"],
                                              ["beta", "2024-02-01", "50"]]
    at.selectbox(key=keys["Customer id"]).set_value("who")
    at.selectbox(key=keys["Start date"]).set_value("when")
    at.selectbox(key=keys["MRR (monthly amount)"]).set_value("how much")
    click(at, "Read again with this mapping")
    clean(at)
    expected = mrrkit.read_export(ODD, mapping={"customer_id": "who", "start": "when",
                                                "mrr": "how much"})
    assert list(expected.lines["mrr"]) == [100.0, 50.0]
    assert list(preview(at)["MRR"]) == ["€100.00", "€50.00"]

    click(at, "Back to the detected columns")
    assert at.error and "no column was recognised" in at.error[0].value


@pytest.mark.parametrize(("lang", "says"), [
    ("en", "This file cannot be used: no column was recognised as 'Customer id'. Say which column "
           "is which in the column mapping below (the columns recognised are already filled in)."),
    ("fr", "aucune colonne n'a été reconnue comme « Identifiant client »."),
])
def test_columns_recognised_in_part_are_prefilled_and_the_rest_named(lang, says):
    """A file with an amount and a start date but no customer column: the editor starts from what
    was recognised, and the message names only what is left to pick."""
    content = b"name;amount;start\nfoo;12;2024-01-01\n"
    at = upload(data_page(None if lang == "en" else lang), "partial.csv", content)
    assert not at.exception
    assert len(at.error) == 1 and says in at.error[0].value
    keys = mapping_keys(at) if lang == "en" else None
    if keys:
        assert at.selectbox(key=keys["Customer id"]).value is None
        assert at.selectbox(key=keys["Start date"]).value == "start"
        assert at.selectbox(key=keys["Amount per billing period"]).value == "amount"
        assert "The file's first row, to tell which column is which:" in [
            c.value for c in at.main.caption]
        at.selectbox(key=keys["Customer id"]).set_value("name")
        click(at, "Read again with this mapping")
        clean(at)
        assert metrics(at)["Rows read"] == "1"


# --- currencies ----------------------------------------------------------------------------------


def test_mixed_currencies_need_a_choice_then_rows_without_a_rate_are_rejected_and_shown():
    at = upload(data_page(), "mixed.csv", MIXED)
    assert not at.exception and not at.error
    assert [w.value for w in at.warning] == [
        "The file mixes several currencies (EUR, GBP, USD): choose the one to show figures in "
        "below, and give exchange rates for the others."
    ]
    # The file was read all the same: its format and columns are shown.
    assert ("Detected format: mrrkit's own layout: one line per subscription (customer, start, "
            "end, MRR)") in [s.value for s in at.success]
    assert at.selectbox(key=mapping_keys(at)["Currency"]).value == "currency"
    assert not at.metric  # nothing is added up before a currency is chosen
    picker = reporting(at, MIXED)
    assert picker.value is None and picker.options[:3] == ["EUR", "GBP", "USD"]

    picker.set_value("EUR").run()
    clean(at)
    assert metrics(at)["Rows rejected"] == "3"  # USD and GBP: no rate yet
    assert any(w.value.startswith("Rows without an exchange rate yet: 3 (GBP, USD).")
               for w in at.warning)
    editor = at.data_editor[0]
    assert list(editor.value["currency"]) == ["GBP", "USD"]
    assert set(tables(at)[0]["Reason"]) == {"no exchange rate for GBP", "no exchange rate for USD"}

    at.session_state[editor.key] = {
        "edited_rows": {1: {"rate": 0.9}}, "added_rows": [], "deleted_rows": [],
    }
    at.run()
    clean(at)
    expected = mrrkit.read_export(MIXED, reporting_currency="EUR", fx_rates={"USD": 0.9})
    assert list(expected.lines["mrr"]) == [100.0, 45.0, 18.0]
    assert list(preview(at)["MRR"]) == ["€100.00", "€45.00", "€18.00"]
    # The lines say the currency their amounts are in now, and the one each was billed in: a
    # CSV of them uploaded again is read in EUR, not converted twice.
    assert list(preview(at)["Currency"]) == ["EUR"] * 3
    assert list(preview(at)["Billing currency"]) == ["EUR", "USD", "USD"]
    assert metrics(at)["Rows rejected"] == "1"  # GBP still has no rate
    assert any(w.value.startswith("Rows without an exchange rate yet: 1 (GBP).")
               for w in at.warning)
    rejected = tables(at)[1]
    assert list(rejected["Row"]) == [3] and list(rejected["currency"]) == ["GBP"]
    at.button(key="data.use").click().run()
    source = at.session_state["source"]
    assert source.currency == "EUR"
    pd.testing.assert_frame_equal(source.lines, expected.lines)


def test_the_page_reads_an_upload_once(monkeypatch):
    """The bytes of an upload are parsed once (mrrkit.io.inspect): the page's runs that choose
    a currency, give rates or use the data read none again (issue 13: up to four times a run
    before, one of them with a made-up currency only to list the file's currencies)."""
    import mrrkit.io.table as table

    reads = []
    source_bytes = table._source_bytes

    def counted(source):
        data, name = source_bytes(source)
        reads.append(data[:40])
        return data, name

    monkeypatch.setattr(table, "_source_bytes", counted)
    content = MIXED + b"e,2024-06-01,30,CHF\n"  # (bytes no other test reads: nothing cached)
    at = upload(data_page(), "mixed.csv", content)
    clean(at)
    assert reads == [content[:40]]
    reporting(at, content).set_value("EUR").run()
    editor = at.data_editor[0]
    at.session_state[editor.key] = {
        "edited_rows": {0: {"rate": 1.05}, 1: {"rate": 1.17}, 2: {"rate": 0.9}},
        "added_rows": [], "deleted_rows": [],
    }
    at.run()
    at.button(key="data.use").click().run()
    clean(at)
    assert reads == [content[:40]] and metrics(at)["Rows rejected"] == "0"


def test_monthly_rates_from_the_table_and_from_a_file():
    at = upload(data_page(), "mixed.csv", MIXED)
    reporting(at, MIXED).set_value("EUR").run()
    at.radio(key=f"data.fx_mode.{uploads.bytes_digest(MIXED)[:16]}").set_value("month").run()
    clean(at)
    editor = at.data_editor[0]
    assert editor.key.startswith("data.fx_month.")
    assert list(editor.value["currency"]) == ["GBP", "USD"]
    # USD from February; GBP only from March: the GBP row (February) stays rejected.
    at.session_state[editor.key] = {
        "edited_rows": {0: {"month": "2024-03-01", "rate": 1.17},
                        1: {"month": "2024-02-01", "rate": 0.92}},
        "added_rows": [{"currency": "USD", "month": "2024-05-01", "rate": 0.9}],
        "deleted_rows": [],
    }
    at.run()
    clean(at)
    table = pd.DataFrame({"currency": ["GBP", "USD", "USD"],
                          "month": ["2024-03", "2024-02", "2024-05"], "rate": [1.17, 0.92, 0.9]})
    expected = mrrkit.read_export(MIXED, reporting_currency="EUR", fx_rates=table)
    assert list(expected.lines["mrr"]) == pytest.approx([100.0, 46.0, 18.0])
    assert list(preview(at)["MRR"]) == ["€100.00", "€46.00", "€18.00"]
    assert list(tables(at)[0]["Reason"]) == ["no GBP rate for 2024-02 or earlier"]

    rates_file = "Devise;Mois;Taux\nUSD;2024-01;0,92\nGBP;2024-01;1,17\nXX;2024-01;1\n".encode()
    upload(at, "rates.csv", rates_file, key="data.fx_file")
    clean(at)
    assert "Rates left out: 1. Each row needs a currency code, a month and a rate above zero." in [
        c.value for c in at.caption
    ]
    assert metrics(at)["Rows rejected"] == "0"
    assert list(preview(at)["MRR"]) == ["€100.00", "€46.00", "€11.70", "€18.40"]


# --- files that cannot be used -------------------------------------------------------------------


def _pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + bytes(range(256)) + b"\n%%EOF\n"


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("empty.csv", b"", "the file is empty."),
        ("random.csv", bytes(np.random.default_rng(5).integers(0, 256, 4096, dtype=np.uint8)),
         "this is neither a spreadsheet nor a text (CSV) file."),
        ("report.csv", _pdf(), "this is a PDF document, not a data export."),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64,
         "this is an old Excel file (.xls)."),
        ("photo.csv", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "this is an image, not a data export."),
        ("one.csv", b"just one column\nvalue\nother\n", "the file is not a table"),
        ("headers.csv", b"customer_id,start,mrr\n", "the file has column headers but no rows"),
        ("nothing.csv", b"foo,bar,baz\n1,2,3\n", "no column was recognised"),
        ("transactions.csv", PADDLE_CLASSIC_TRANSACTIONS.read_bytes(),
         "this is Paddle Classic's transactions report: it lists payments, without the "
         "subscription periods MRR is computed from. Export Paddle Classic's subscription users "
         "list instead"),
    ],
)
def test_unusable_file_is_a_plain_message_and_the_user_can_recover(name, content, says):
    at = upload(data_page(), name, content)
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith(f"This file cannot be used: {says}"), errors
    assert "Traceback" not in errors[0] and "Error:" not in errors[0]
    assert at.main.expander[0].label == "Details"  # mrrkit's exact words, one click away
    assert not at.metric  # no report, no "Use this data"
    assert "data.use" not in [b.key for b in at.button]
    try_again = any("Every page keeps showing the data it showed before." in c.value
                    for c in at.main.caption)
    # A file whose columns were not recognised is fixed in the mapping editor, opened below.
    assert try_again == (name != "nothing.csv")
    mapping = [e for e in at.main.expander if e.label == "Column mapping"]
    assert bool(mapping) == (name == "nothing.csv")
    # Recovery: the next file is read as if nothing had happened.
    upload(at, "stripe.csv", STRIPE.read_bytes())
    clean(at)
    assert metrics(at)["Rows read"] == str(mrrkit.read_export(STRIPE).rows_read)


def test_problem_kinds_follow_mrrkits_refusals():
    """Pins the refusals the page recognises: a changed code in mrrkit fails here."""
    cases = {
        b"": "empty",
        b"   \n\n": "empty",
        bytes(range(256)) * 4: "binary",
        b"PK\x03\x04" + b"\0" * 64: "binary",
        b"a single column\nx\ny\n": "not_table",
        b"customer_id,start,mrr\n": "no_rows",
        b"foo,bar\n1,2\n": "no_columns",
        MIXED: "currencies",
        PADDLE_CLASSIC_TRANSACTIONS.read_bytes(): "paddle_classic_transactions",
        _pdf(): "pdf",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64: "xls",
    }
    for content, kind in cases.items():
        with pytest.raises(ValueError) as info:
            mrrkit.read_export(content)
        found = messages.problem_kind(content, info.value.message)
        assert found == kind, (content[:20], str(info.value))
    with pytest.raises(ValueError) as info:
        mrrkit.read_customers(b"foo,bar\n1,2\n")
    assert messages.problem_kind(b"foo,bar\n1,2\n", info.value.message) == "no_id"


def test_a_large_file_is_read_whole_and_previewed_in_part():
    n = 60_000
    rng = np.random.default_rng(3)
    starts = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 1200, n), unit="D")
    frame = pd.DataFrame({
        "customer_id": [f"c{i // 2}" for i in range(n)],
        "start": starts.strftime("%Y-%m-%d"),
        "mrr": rng.choice([29.0, 99.0, -5.0], n, p=[0.6, 0.39, 0.01]),
    })
    content = frame.to_csv(index=False).encode()
    expected = mrrkit.read_export(content)
    at = upload(data_page(), "big.csv", content)
    clean(at)
    assert metrics(at)["Rows read"] == "60,000"
    assert metrics(at)["Lines"] == number_format("en").count(len(expected.lines))
    assert len(preview(at)) == 200  # the first lines; downloads carry all of them
    assert len(tables(at)[1]) == min(200, len(expected.rejected))
    assert len(expected.rejected) > 200
    assert any(c.value.startswith("Each row kept out, with the reason and the values as in the "
                                  "file (the first 200 are shown, the downloads have all).")
               for c in at.main.caption)
    assert f"Rejected rows ({number_format('en').count(len(expected.rejected))})" in [
        t.label for t in at.tabs
    ]


# --- customers file ------------------------------------------------------------------------------


def test_customers_file_is_joined_and_reported():
    customers = (
        b"Client,Pays,Secteur\ncus_A,FR,SaaS\ncus_B,IT,Retail\n,DE,Media\ncus_E,FR,SaaS\n"
    )
    at = upload(data_page(), "stripe.csv", STRIPE.read_bytes())
    at = upload(at, "customers.csv", customers, key="data.customers")
    clean(at)
    expected = mrrkit.read_export(STRIPE, customers=customers)
    assert "Customers file: 4 rows read, 3 kept, 1 rejected." in [c.value for c in at.caption]
    assert report(at)["Customers file"] == "customers.csv"
    at.button(key="data.use").click().run()
    source = at.session_state["source"]
    assert source.name == "stripe.csv + customers.csv"
    pd.testing.assert_frame_equal(source.lines, expected.lines)
    assert source.lines.loc[source.lines["customer_id"] == "cus_A", "industry"].iloc[0] == "SaaS"


def test_a_customers_file_without_an_id_header_is_read_once_its_column_is_named():
    customers = b"Ref,Pays\ncus_A,FR\ncus_B,IT\n"
    at = upload(data_page(), "stripe.csv", STRIPE.read_bytes())
    at = upload(at, "customers.csv", customers, key="data.customers")
    assert not at.exception and not at.error
    assert any(w.value.startswith(
        "The customers file cannot be used (the subscriptions are read without it): no column "
        "holds the customer id") for w in at.warning)
    plain = mrrkit.read_export(STRIPE)
    assert metrics(at)["Lines"] == str(len(plain.lines))
    picker = at.selectbox(key=f"data.customers_id.{uploads.bytes_digest(customers)[:16]}")
    assert picker.options == ["Ref", "Pays"] and picker.value is None
    picker.set_value("Ref").run()
    clean(at)
    assert "Customers file: 2 rows read, 2 kept, 0 rejected." in [c.value for c in at.caption]
    at.button(key="data.use").click().run()
    expected = mrrkit.read_export(STRIPE, customers=mrrkit.read_customers(
        customers, mapping={"customer_id": "Ref"}))
    pd.testing.assert_frame_equal(at.session_state["source"].lines, expected.lines)
    assert list(expected.lines["country"].dropna()) == ["FR", "IT"]


def test_a_customers_file_alone_asks_for_the_export():
    at = upload(data_page(), "customers.csv", b"customer_id,country\na,FR\n", key="data.customers")
    clean(at)
    assert any("Add the subscriptions export too" in i.value for i in at.info)


# --- using the upload ----------------------------------------------------------------------------


def test_use_this_data_then_every_page_shows_it_and_back_to_the_sample():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.secrets["_isolated"] = True
    at.run()  # the overview of the sample first: its period is the sample's last months
    sample_last = mrrkit.monthly(mrrkit.movements(mrrkit.load_sample())).index[-1]
    assert at.query_params["to"] == str(sample_last)
    at.switch_page(PAGE).run()
    upload(at, "stripe.csv", STRIPE.read_bytes())
    at.button(key="data.use").click().run()
    clean(at)
    source = at.session_state["source"]
    expected = mrrkit.read_export(STRIPE).lines
    assert source.name == "stripe.csv" and source.currency == "USD"
    pd.testing.assert_frame_equal(source.lines, expected)
    # The file name is escaped (text from a file is never Markdown): "stripe\\.csv" reads as is.
    assert "Every page uses stripe.csv for this session." in [
        shown_text(s.value) for s in at.success]
    assert at.button(key="data.use").disabled  # already in use

    at.switch_page(HOME).run()
    clean(at)
    usd = number_format("en", "USD")
    # The export's name says no day: it is shown at today (the subscriptions still running in it
    # still run), pinned by tests/conftest.py.
    assert at.date_input(key="w:asof").value == pd.Timestamp(TODAY).date()
    moves = mrrkit.movements(expected, as_of=TODAY)
    summary = mrrkit.kpis(moves)
    assert metrics(at)["MRR"] == usd.money(summary.at["mrr", "value"])
    assert metrics(at)["Customers"] == usd.count(summary.at["customers", "value"])
    assert at.sidebar.radio[0].value == "upload"
    # The period is the upload's last months up to that day.
    assert at.query_params["to"] == str(mrrkit.monthly(moves).index[-1]) == TODAY[:7]

    # Back on the Data page: the uploader forgot the file, the page still shows its reading.
    at.switch_page(PAGE).run()
    clean(at)
    assert any(shown_text(c.value).startswith(
        "Below, the reading of stripe.csv that every page uses.") for c in at.caption)
    assert metrics(at)["Lines"] == str(len(expected))

    click(at, "Back to the sample")
    clean(at)
    assert "source" not in at.session_state
    assert [i.value for i in at.info] == ["Every page shows the bundled sample."]
    at.switch_page(HOME).run()
    assert metrics(at)["MRR"].startswith("€")  # the sample again, at its own last month
    assert at.query_params["to"] == str(sample_last)


def test_a_stripe_export_with_cancellation_feedback_shows_mrr_lost_by_reason():
    # Issue 11, item 9: a Stripe export's churn reasons ("Cancellation Feedback", else
    # "Cancellation Reason"; see tests/io/test_exports.py) reach the Segments page.
    path = FIXTURES / "stripe_subscriptions_cancellation_details.csv"
    at = upload(data_page(), path.name, path.read_bytes())
    at.button(key="data.use").click().run()
    clean(at)
    at.query_params.update({"from": "2023-01", "to": "2024-03"})
    at.switch_page("pages/3_Segments.py").run()
    clean(at)
    en = text("en")
    assert en("segments.no_reason") not in [i.value for i in at.info]
    assert en("segments.reasons") in [h.value for h in at.subheader]
    shown = {str(c) for d in at.dataframe for c in d.value.columns}
    assert {"too_expensive", "missing_features", "payment_failed"} <= shown
    filters = [m.label for m in at.sidebar.multiselect]
    assert en.label("churn_reason") in filters and en.label("churn_comment") not in filters


def test_invoice_lines_from_a_later_date_are_used_with_their_orphan_credits_rejected():
    """Stripe invoice line items exported from 1 March: the credits for February's plan changes
    lose their charge. They are rejected (in the reader's language) and every page works on the
    rest; kept, they gave a customer negative MRR and the upload could not be used."""
    path = FIXTURES / "stripe_invoice_line_items_from_march.csv"
    at = data_page("fr")
    upload(at, path.name, path.read_bytes())
    clean(at)
    fr = text("fr")
    by_reason = tables(at)[0]
    counts = dict(zip(by_reason[fr("data.reason")], by_reason[fr("data.rows")]))
    assert counts[fr("reason.uncovered_credit")] == 3
    at.button(key="data.use").click().run()
    clean(at)
    expected = mrrkit.read_export(path).lines
    for page in (HOME, "pages/1_Movements.py", "pages/2_Cohorts.py"):
        at.switch_page(page).run()
        clean(at)
    at.switch_page(HOME).run()
    summary = mrrkit.kpis(mrrkit.movements(expected, as_of=TODAY))
    usd = number_format("fr", "USD")  # the language chosen on the Data page stays on every page
    assert metrics(at)[fr("kpi.customers")] == usd.count(summary.at["customers", "value"])
    assert metrics(at)[fr("kpi.mrr")] == usd.money(summary.at["mrr", "value"])


def test_a_period_chosen_on_other_data_is_not_kept():
    """A period chosen on the sample is not kept for an upload: it opens on its own last 12
    months up to its as-of day."""
    months = pd.period_range("2024-01", "2026-06", freq="M")
    csv = "customer_id,start,mrr\n" + "".join(
        f"c{i},{m.start_time.date()},{10 + i}\n" for i, m in enumerate(months)
    )
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.secrets["_isolated"] = True
    at.query_params.update({"from": "2024-02", "to": "2024-09"})
    at.run()
    assert at.select_slider(key="w:from:to").value == ("2024-02", "2024-09")
    at.switch_page(PAGE).run()
    upload(at, "later.csv", csv.encode())
    at.button(key="data.use").click().run()
    at.switch_page(HOME).run()
    clean(at)
    assert (at.query_params["from"], at.query_params["to"]) == ("2025-11", "2026-10")


def test_an_upload_with_later_dates_is_shown_at_today_with_those_ends_scheduled():
    """End dates after today (cancellations at the end of a paid period, renewals) are not
    churn yet: the upload is shown at today, not at its latest date (issue 11)."""
    csv = ("customer_id,start,end,mrr\n"
           "a,2025-01-01,2028-06-01,100\n"   # ends in 2028: still paying today
           "b,2025-03-01,,50\n"
           "c,2025-02-01,2025-08-01,30\n")   # ended: a churn
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.secrets["_isolated"] = True
    at.run()
    at.switch_page(PAGE).run()
    upload(at, "scheduled.csv", csv.encode())
    at.button(key="data.use").click().run()
    at.switch_page(HOME).run()
    clean(at)
    assert at.date_input(key="w:asof").value == pd.Timestamp(TODAY).date()
    assert at.query_params["to"] == TODAY[:7]
    assert metrics(at)["MRR"] == number_format("en", "EUR").money(150)
    # Moved to a later day by hand, the 2028 end is a churn in its month.
    at.date_input(key="w:asof").set_value(pd.Timestamp("2028-06-01").date()).run()
    clean(at)
    assert at.query_params["asof"] == "2028-06-01" and at.query_params["to"] == "2028-06"
    assert metrics(at)["MRR"] == number_format("en", "EUR").money(50)


def test_an_export_named_with_its_day_is_shown_at_that_day():
    csv = "customer_id,start,end,mrr\na,2025-01-01,2026-12-20,100\nb,2025-03-01,,50\n"
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.secrets["_isolated"] = True
    at.run()
    at.switch_page(PAGE).run()
    upload(at, "subscriptions_2026-09-14.csv", csv.encode())
    at.button(key="data.use").click().run()
    at.switch_page(HOME).run()
    clean(at)
    assert at.date_input(key="w:asof").value == pd.Timestamp("2026-09-14").date()
    assert at.query_params["to"] == "2026-09"
    # September is a month in progress on the 14th: the caption says the day, not "the end".
    assert "Sep 14, 2026" in at.caption[0].value and "end of" not in at.caption[0].value


def test_changing_the_reading_after_use_says_the_pages_use_the_earlier_one():
    at = upload(data_page(), "mixed.csv", MIXED)
    reporting(at, MIXED).set_value("EUR").run()
    at.button(key="data.use").click().run()
    assert at.button(key="data.use").disabled
    editor = at.data_editor[0]
    at.session_state[editor.key] = {"edited_rows": {1: {"rate": 0.9}}, "added_rows": [],
                                    "deleted_rows": []}
    at.run()
    assert not at.button(key="data.use").disabled
    assert "The pages use an earlier reading of this file: use this one to update them." in [
        c.value for c in at.caption
    ]


def test_an_upload_stays_in_its_session():
    at = upload(data_page(), "stripe.csv", STRIPE.read_bytes())
    at.button(key="data.use").click().run()
    other = data_page()  # another visitor
    assert "source" not in other.session_state
    assert [i.value for i in other.info] == ["Every page shows the bundled sample."]


# --- languages -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "detected", "reason", "error"),
    [
        ("fr", "Format détecté : Export des abonnements Stripe",
         "annulé avant la fin de l'essai (jamais payé)",
         "Ce fichier ne peut pas être utilisé : le fichier est vide."),
        ("it", "Formato rilevato: Export degli abbonamenti Stripe", "annullato prima della fine "
         "della prova (mai pagato)", "Questo file non si può usare: il file è vuoto."),
    ],
)
def test_the_page_speaks_french_and_italian(lang, detected, reason, error):
    at = upload(data_page(lang), "stripe.csv", STRIPE.read_bytes())
    clean(at)
    assert detected in [s.value for s in at.success]
    t = text(lang)
    assert set(metrics(at)) == {t("data.rows_read"), t("data.rows_kept"),
                                t("data.rows_rejected"), t("data.lines")}
    by_reason = tables(at)[0]
    assert reason in set(by_reason[t("data.reason")])
    assert t("data.row") in tables(at)[1].columns
    money = number_format(lang, "USD")
    lines = mrrkit.read_export(STRIPE).lines
    assert list(preview(at)["MRR"]) == [money.money(x, 2) for x in lines["mrr"]]
    assert [b.label for b in at.button if b.key == "data.use"] == [t("data.use")]

    bad = upload(data_page(lang), "empty.csv", b"")
    assert [e.value for e in bad.error] == [error]


#: What Streamlit's file uploader writes by itself, in English whatever the page's language (1.67:
#: "Upload", "200MB per file • CSV, ..." and "Drag and drop a file here"; older ones: "Browse
#: files", "Limit 200MB per file"). Italian says "per file" too, with a space before "MB".
UPLOADER_ENGLISH = ("Upload", "MB per file", "Drag and drop", "Browse files", "Limit")


def _uploader_words(at: AppTest) -> tuple[str, list[str]]:
    """The style the page gives its file uploaders, and the words it writes in them."""
    css = "\n".join(h.proto.body for h in at.get("html") if "stFileUploader" in h.proto.body)
    return css, re.findall(r'content: "(.*?)";', css)


@pytest.mark.parametrize("lang", ["fr", "it"])
def test_the_uploaders_say_their_words_in_the_readers_language(lang):
    """Streamlit's uploader has no parameter for its own words: the page hides them and writes the
    reader's (ui.data.uploader_style); tests/e2e/test_browser_data.py checks what a browser shows."""
    at = data_page(lang)
    clean(at)
    t = text(lang)
    css, said = _uploader_words(at)
    types = "CSV, TSV, TXT, XLSX, XLS, PARQUET, JSON, JSONL, NDJSON"
    limit = t("data.upload_limit", size=str(get_option("server.maxUploadSize")))  # config.toml
    assert said == [t("data.upload_button"), limit, t("data.upload_drop"), f"{limit} • {types}",
                    f"{limit} • {types}", f"{limit} • CSV, TSV, TXT, XLSX, PARQUET"]
    assert ".st-key-data-export " in css and ".st-key-data-fx_file " in css
    # Streamlit's own words are hidden: the button's paragraph and the limit line.
    assert '[data-testid="stMarkdownContainer"] p { display: none; }' in css
    assert '[data-testid="stFileUploaderDropzoneInstructions"] span { display: none; }' in css
    assert not [w for w in said for english in UPLOADER_ENGLISH
                if english in w.replace(" MB per file", "")]
    # The uploaders themselves: labels and help in the page's language.
    labels = {u.label for u in at.get("file_uploader")}
    assert labels == {t("data.subscriptions"), t("data.customers")}


# --- upload helpers (ui.data) --------------------------------------------------------------------


def test_monthly_rates_keep_complete_rows_and_count_the_others():
    table = pd.DataFrame({
        "currency": ["usd", "USD", "GBP", "GBP", "CHF", "JPY", "USD"],
        "month": ["2024-01", "2024-03", None, "2024-01", "soon", "2024-02", "2024-03"],
        "rate": ["0,92", "0,90", None, "-1", "1,05", "", "0,91"],
    })
    rates, left_out = uploads.monthly_rates(table)
    # GBP with neither month nor rate: never filled in, not counted; USD 2024-03: the last wins
    assert rates.values.tolist() == [["USD", "2024-01", 0.92], ["USD", "2024-03", 0.91]]
    assert left_out == 3  # negative rate, unreadable month, missing rate
    dates = pd.DataFrame({"currency": ["USD"], "month": pd.to_datetime(["2024-02-17"]),
                          "rate": [0.9]})
    assert uploads.monthly_rates(dates)[0].values.tolist() == [["USD", "2024-02", 0.9]]
    empty = uploads.monthly_rates(table.iloc[:0])
    assert empty[0].empty and empty[1] == 0


def test_rates_file_headers_in_three_languages_and_a_clear_error():
    for csv in (b"currency,month,rate\nUSD,2024-01,0.9\n", b"Devise;Mois;Taux\nUSD;2024-01;0,9\n",
                b"Valuta;Mese;Tasso di cambio\nUSD;2024-01;0,9\n"):
        table, error = uploads.read_rates_upload(csv)
        assert error is None and list(table.columns) == ["currency", "month", "rate"]
        assert uploads.monthly_rates(table)[0].values.tolist() == [["USD", "2024-01", 0.9]]
    table, error = uploads.read_rates_upload(b"code,when\nUSD,2024-01\n")
    assert table is None and error.startswith("a rates file needs columns currency, month and rate")
    assert "no column found for month, rate" in error


def test_reasons_in_the_readers_language_and_rows_without_a_rate():
    fr = text("fr")
    said = {
        Reason("no_rate.reporting", {"currency": "USD", "reporting": "EUR"}):
            "pas de taux de change pour USD",
        Reason("no_rate_month", {"currency": "GBP", "month": "2024-01"}):
            "pas de taux GBP pour 2024-01 ni avant",
        Reason("fields", {"fields": 2, "width": 3}): "la ligne a 2 champs, l'en-tête en a 3",
        Reason("bad_date", {"field": "end", "column": "Date de fin"}):
            "Date de fin : date illisible dans la colonne « Date de fin »",
    }
    for found, words in said.items():
        assert messages.reason_text(found, fr) == words
    csv = (b"customer_id,start,mrr,currency\na,2024-01-01,1,USD\nb,,2,EUR\n"
           b"c,2024-01-01,3,GBP\nd,2023-01-01,4,CHF\n")
    table = pd.DataFrame({"currency": ["CHF"], "month": ["2024-01"], "rate": [1.0]})
    result = mrrkit.read_export(csv, reporting_currency="EUR", fx_rates=table)
    assert uploads.rows_without_rate(result) == 3
    assert uploads.currencies_without_rate(result) == ["CHF", "GBP", "USD"]


#: Values put into mrrkit's reason templates (a header, a cell, a currency...).
SAMPLE_VALUES = {
    "column": "Date début (UTC)",
    "status": "on_hold",
    "value": "fortnightly",
    "currency": "CHF",
    "reporting": "EUR",
    "month": "2024-01",
    "fields": 3,
    "width": 5,
    "detail": "unexpected end of data",
    "date": "1990-01-01",
}


def sample_reasons():
    """Each of mrrkit's reasons filled in (once per field word for the "cannot read" reasons),
    with the field word it names ("" if none)."""
    for key, template in REASONS.items():
        names = placeholders(template)
        fields = TERMS["field"].values() if "field" in names else ("",)
        for field in fields:
            values = {n: SAMPLE_VALUES[n] for n in names if n != "field"}
            if field:
                values["field"] = field
            yield key, Reason(key, values), field


def test_every_reason_of_mrrkit_reads_in_every_language():
    """A reason mrrkit can give (its catalog, which tests/io/test_exports_reasons.py holds the
    readers to) without a text in each language, with the values of its code, fails here."""
    en, fr, it = text("en"), text("fr"), text("it")
    for key, found, field in sample_reasons():
        english = messages.reason_text(found, en)
        for t in (fr, it):
            said = messages.reason_text(found, t)
            assert said != english, (t.lang, key)
            # The values survive the translation (quoted as the language quotes them).
            for name, value in SAMPLE_VALUES.items():
                if name in found.values and name != "reporting":
                    assert str(value) in said, (t.lang, key, said)
        # In English the reason reads as mrrkit wrote it, its field named as on the page (the
        # page leaves out the reporting currency the reader has just chosen).
        label = messages.reason_field(field, en) if field else ""
        expected = str(found).replace(field, label, 1) if field else str(found)
        if key == "bad_status_date":
            expected = expected.replace("on_hold date", "Date of status 'on_hold'", 1)
        assert english == expected.replace(" (reporting currency EUR)", ""), key
    # Every field word has its own text.
    for field in TERMS["field"].values():
        for t in (fr, it):
            assert messages.reason_field(field, t) != messages.reason_field(field, en), field


def test_every_code_has_a_text_in_every_language_with_its_values():
    """Each code of mrrkit's catalog has a text in each language whose placeholders are values
    of the code (the same in every language, a plural text too); each refusal a kind of problem
    with a text."""
    cases = [("reason", REASONS), ("warning", NOTES)]
    for prefix, catalog in cases:
        for key, template in catalog.items():
            code = key.split(".")[0]
            text_key = f"{prefix}.{code}"
            assert text("en").has(text_key), text_key
            # every plural form of every language ({ one = ..., other = ... } in ui/locales)
            forms = [TEXTS[lang][text_key] for lang in ("en", "fr", "it")]
            forms = [form for entry in forms
                     for form in (entry.values() if isinstance(entry, dict) else [entry])]
            names = {placeholders(form) for form in forms}
            assert len(names) == 1, text_key  # the same in every language and form
            # (the page leaves out the reporting currency the reader has just chosen)
            assert names.pop() <= placeholders(template), text_key
    for key in REFUSALS:
        kind = messages.PROBLEM_OF[key.split(".")[0]]
        assert kind in messages.PROBLEMS and text("en").has(f"problem.{kind}"), key
    assert all(text("fr").has(f"problem.{k}") for k in messages.PROBLEMS)


def test_a_sentence_without_a_code_shows_as_written():
    fr = text("fr")
    assert messages.reason_text("something new", fr) == "something new"
    assert messages.note_text("read as UTF-8 text", fr) == "read as UTF-8 text"


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.iterdir()))
def test_every_reason_in_the_fixtures_reads_in_french_and_italian(name):
    path = FIXTURES / name
    results = []
    for kwargs in ({}, {"reporting_currency": "USD", "fx_rates": {"EUR": 1.1, "GBP": 1.25}}):
        try:
            results.append(mrrkit.read_export(path, **kwargs))
        except mrrkit.ExportError:  # several currencies: read in one, or with rates
            pass
    assert results
    for lang in ("fr", "it"):
        t = text(lang)
        for result in results:
            for sentence, said in messages.reasons_text(result.reasons, t).items():
                assert said != sentence, (name, lang, sentence)


# --- notes on how the file was read, in the reader's language -------------------------------------

#: Values put into mrrkit's notes (headers, cells, codes...); mrrkit's own words (TERMS) are
#: tried one by one.
NOTE_VALUES = {
    "count": 1234,
    "column": "Date début (UTC)",
    "start": "Période début",
    "end": "Période fin",
    "total": "Total TTC",
    "tax": "TVA",
    "email": "courriel",
    "renamed": "Montant (cents)",
    "header": "Offre",
    "name": "Offre (2)",
    "columns": ["secteur", "pays"],
    "example": "pro-annuel",
    "examples": "cus_1, cus_2",
    "plans": ["basic", "pro-mensuel"],
    "origins": ["api_v9"],
    "currency": "CHF",
    "currencies": "GBP, USD",
    "position": 7,
    "line": 3,
    "months": 3.0,
    "rows": "12, 40",
    "more": 57,
    "date": "2036-10-31",
    "used": "courriel",
    "format": "stripe_subscriptions",
    "matching": 1180,
    "refunds": 3,
    "amount": "Montant HT",
    "lines": 2345,
    "lists": ["items.data"],
    "statuses": ["Non Renewing", "past_due"],
}
FR_IT = (text("fr"), text("it"))


def sample_notes():
    """Each of mrrkit's notes filled in, once per word of mrrkit it can hold."""
    for key, template in NOTES.items():
        names = placeholders(template)
        terms = [n for n in names if n in TERMS]
        choices = [list(TERMS[n].values()) for n in terms]
        for words in itertools.product(*choices):
            values = {n: NOTE_VALUES[n] for n in names if n not in terms}
            yield key, Note(key, {**values, **dict(zip(terms, words))})


def _shown(value, t) -> list[str]:
    """What of a value must be read in a note in the language of ``t``."""
    nf = number_format(t.lang)
    if isinstance(value, list):
        return [t("warning.quoted", value=v) for v in value]
    if isinstance(value, int):
        return [nf.count(value)]
    if isinstance(value, float):
        return [nf.number(value)]
    return [value]


def test_every_note_of_mrrkit_reads_in_french_and_italian():
    """A note mrrkit can give (its catalog, which tests/io/test_exports_reasons.py holds the
    readers to) without a French or an Italian text keeping its values fails here."""
    en = text("en")
    notes = list(sample_notes())
    assert len(notes) >= len(NOTES) + 20  # each word of mrrkit too
    for key, note in notes:
        english = messages.note_text(note, en)
        assert english != str(note) or "{count}" not in note.template  # counts: 1,234 in English
        for t in FR_IT:
            said = messages.note_text(note, t)
            assert said != english, (t.lang, key)
            for name, value in note.values.items():
                if name in TERMS:  # in the reader's words
                    assert t(f"warning.{name}.{term_code(name, value)}") in said
                    continue
                for part in _shown(value, t):
                    assert part in said, (t.lang, key, part, said)
            assert said[0] == said[0].upper(), said  # a sentence
        # A note about a single row says so in the singular, in every language.
        if "{count}" in note.template:
            one = Note(key, {**note.values, "count": 1})
            for t in (en, *FR_IT):
                assert messages.note_text(one, t) != messages.note_text(note, t).replace(
                    number_format(t.lang).count(1234), "1"), (t.lang, key)


def test_every_word_of_mrrkit_in_notes_has_its_own_words():
    """Encodings, separators and date conventions are said in the reader's language (proper
    names aside), each differently."""
    en = text("en")
    proper_names = {"UTF-8", "Windows-1252 (Latin-1)", "Latin-1"}
    for name, words in TERMS.items():
        if name == "field":  # (said as the page names the roles: reason_field)
            continue
        for t in FR_IT:
            said = [t(f"warning.{name}.{code}") for code in words]
            assert len(set(said)) == len(words), (t.lang, name)
            for (code, word), s in zip(words.items(), said):
                assert en(f"warning.{name}.{code}") == word  # English: mrrkit's own word
                assert s != word or word in proper_names, (t.lang, word)


#: Notes the page words otherwise in English than mrrkit: its column mapping editor and its
#: rejected rows tab rather than mrrkit's API, a billing period in words.
_WORDED_FOR_THE_PAGE = {"interval_assumed", "interval_assumed_plans", "customers_rejected"}


def test_notes_in_english_read_as_mrrkit_wrote_them():
    en = text("en")
    for key, note in sample_notes():
        small = Note(key, {**note.values, **{
            k: 3 for k, v in note.values.items() if isinstance(v, int)}})
        if key in _WORDED_FOR_THE_PAGE:
            continue
        written = re.sub(r"(?<=[a-z])\(s\)", "s", str(small))  # "row(s)": "rows"
        assert messages.note_text(small, en) == written[:1].upper() + written[1:], key


def test_a_word_of_mrrkit_the_page_does_not_know_shows_as_written():
    # A word of mrrkit the page does not know yet is shown as mrrkit wrote it, in a sentence.
    odd = Note("date_convention", {"column": "x", "convention": "Mayan dates"})
    assert messages.note_text(odd, text("fr")) == "« x » : Mayan dates"


def _notes_shown(at: AppTest, t) -> tuple[list[str], list[str]]:
    """The notes under "how the file was read" (Markdown escapes undone) and in the report."""
    boxes = [e for e in at.main.expander if e.label == t("data.notes")]
    bullets = []
    for box in boxes:
        for md in box.markdown:
            bullets += [re.sub(r"\\(.)", r"\1", line[2:]) for line in md.value.split("\n")]
    table = tables(at)[-1]
    report = table.loc[table[t("data.what")] == t("data.report_note"), t("data.value")]
    return bullets, list(report)


@pytest.mark.parametrize(
    ("name", "lang"),
    [(path.name, "fr") for path in sorted(FIXTURES.iterdir())]
    + [("french_excel.csv", "it"), ("paddle_classic_subscription_users.csv", "it")],
)
def test_no_note_is_shown_in_english(name, lang):
    """Every fixture read on the page in French (two in Italian): every note of mrrkit is shown
    in the reader's language, under "how the file was read" and in the report."""
    content = (FIXTURES / name).read_bytes()
    at = upload(data_page(lang), name, content)
    try:
        expected = mrrkit.read_export(content).warnings
    except mrrkit.ExportError:  # several currencies: read in the first
        first = inspect(content).currencies[0]
        reporting(at, content).set_value(first).run()
        expected = mrrkit.read_export(content, reporting_currency=first).warnings
    # Once more: the page then reads first with the currency picked on the previous run, and
    # again if that is not what the file needs; the notes are those of the final reading.
    at.run()
    clean(at)
    t = text(lang)
    assert expected
    bullets, report_notes = _notes_shown(at, t)
    assert bullets == report_notes == [messages.note_text(w, t) for w in expected]
    english = {str(w) for w in expected} | {messages.note_text(w, text("en")) for w in expected}
    assert not set(bullets) & english, set(bullets) & english


def test_a_few_rejected_rows_are_all_shown_and_said_so():
    content = b"customer_id,start,mrr\na,2024-01-01,10\nb,2024-02-01,-5\n"
    at = upload(data_page(), "few.csv", content)
    clean(at)
    captions = [c.value for c in at.main.caption]
    assert ("Each row kept out, with the reason and the values as in the file. Row numbers count "
            "from the first row below the header.") in captions
    assert not any("the first" in c and "are shown" in c for c in captions)


def _walk(node):
    """Every element under ``node`` in the order the page shows them."""
    for child in getattr(node, "children", {}).values():
        yield child
        yield from _walk(child)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_file_with_many_rows_rejected_is_flagged_before_use_this_data(lang):
    """9 of 12 rows rejected (issue 11, item 9): a warning says so, with the share, above the
    "Use this data" button; the data can still be used (the reader decides)."""
    rows = [f"c{i},2024-01-01,{'-5' if i < 9 else '10'}" for i in range(12)]
    content = ("customer_id,start,mrr\n" + "\n".join(rows) + "\n").encode()
    at = upload(data_page(lang), "many.csv", content)
    clean(at)
    t, nf = text(lang), number_format(lang, "EUR")
    expected = t("data.many_rejected", rejected="9", read="12", share=nf.pct(0.75, 0),
                 limit=nf.pct(uploads.MANY_REJECTED, 0))
    assert [w.value for w in at.warning] == [expected]
    assert ("9", "12") == (metrics(at)[t("data.rows_rejected")], metrics(at)[t("data.rows_read")])
    shown = list(_walk(at.main))
    warning = next(i for i, e in enumerate(shown) if getattr(e, "type", "") == "warning"
                   and getattr(e, "value", None) == expected)
    use = next(i for i, e in enumerate(shown) if getattr(e, "key", None) == "data.use")
    assert warning < use
    assert not at.button(key="data.use").disabled


def test_a_few_rows_rejected_or_empty_rows_are_no_reason_to_warn():
    # 3 of 12 is a quarter, not more; blank rows of a sheet are no rows of data.
    rows = [f"c{i},2024-01-01,{'-5' if i < 3 else '10'}" for i in range(12)]
    content = ("customer_id,start,mrr\n" + "\n".join(rows) + "\n").encode()
    at = upload(data_page(), "few.csv", content)
    clean(at)
    assert metrics(at)["Rows rejected"] == "3"
    assert not at.warning
    blank = pd.DataFrame({"reason": ["empty row"] * 8 + ["missing amount"]})
    assert uploads.rejected_share(12, blank) == 0.25


def test_months_read_like_the_charts_and_numbers_are_right_aligned():
    """Issue 11, item 9: a rates file's months read "Jan 2024" (as in the charts), not
    "2024-01"; the rate and the lines preview's MRR (numbers written as text) right-aligned."""
    import json

    at = upload(data_page(), "mixed.csv", MIXED)
    reporting(at, MIXED).set_value("EUR").run()
    at.radio(key=f"data.fx_mode.{uploads.bytes_digest(MIXED)[:16]}").set_value("month").run()
    upload(at, "rates.csv", b"currency,month,rate\nUSD,2024-01,0.92\nGBP,2024-02,1.17\n",
           key="data.fx_file")
    clean(at)
    rates = next(d for d in at.main.dataframe if "Rate" in d.value.columns)
    assert list(rates.value["Month"]) == ["Jan 2024", "Feb 2024"]
    assert json.loads(rates.proto.columns)["Rate"]["alignment"] == "right"
    lines = [d for tab in at.tabs for d in tab.dataframe][-2]
    assert list(lines.value["MRR"])[:2] == ["€100.00", "€46.00"]
    assert json.loads(lines.proto.columns)["MRR"]["alignment"] == "right"
    assert "Customer" not in json.loads(lines.proto.columns)  # text stays left


def test_an_old_file_shown_at_today_says_so_and_offers_its_last_day():
    """Shown at today, an export whose dates all stop months ago may be old: the sidebar says
    so, and a button moves the figures to the file's last day."""
    csv = "customer_id,start,end,mrr\na,2024-01-01,,100\nb,2024-02-01,2024-03-15,50\n"
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.secrets["_isolated"] = True
    at.run()
    assert not [w for w in at.sidebar.warning if "latest date" in w.value]  # the sample: no
    at.switch_page(PAGE).run()
    upload(at, "old.csv", csv.encode())
    at.button(key="data.use").click().run()
    at.switch_page(HOME).run()
    clean(at)
    assert [w.value for w in at.sidebar.warning if "latest date" in w.value] == [
        "The file's latest date is Mar 15, 2024. If it was exported then, its running "
        "subscriptions may have changed since: show the figures at that day instead."]
    # Its last day paid: the latest date is b's end, the first day b no longer pays.
    assert at.button(key="_mrrkit_as_of_last").label == "Figures as of Mar 14, 2024"
    at.button(key="_mrrkit_as_of_last").click().run()
    clean(at)
    assert at.date_input(key="w:asof").value == pd.Timestamp("2024-03-14").date()
    assert at.query_params["asof"] == "2024-03-14" and at.query_params["to"] == "2024-03"
    assert metrics(at)["MRR"] == number_format("en", "EUR").money(150)
    assert not [w for w in at.sidebar.warning if "latest date" in w.value]


# --- end dates (issue 14) -------------------------------------------------------------------------


def _invoices_with_last_billed_days() -> bytes:
    """A billing-period table: one row per customer and month, its end the last day billed."""
    rows = ["customer,period start,period end,amount"]
    for who in ("acme", "beta"):
        for month in pd.period_range("2024-01", periods=6, freq="M"):
            rows.append(f"{who},{month.start_time:%Y-%m-%d},{month.end_time:%Y-%m-%d},100")
    return ("\n".join(rows) + "\n").encode()


def test_the_page_says_how_it_read_the_end_dates_and_the_user_can_say_otherwise():
    content = _invoices_with_last_billed_days()
    at = upload(data_page(), "invoices.csv", content)
    clean(at)
    key = f"data.ends.{uploads.bytes_digest(content)[:16]}.en"
    radio = at.radio(key=key)
    assert radio.value == "auto"
    assert radio.options[0] == "Detected: the last day paid"
    said = [c.value for c in at.caption] + [m.value for m in at.markdown]
    assert any("end dates read as the last day paid" in s.lower() for s in said), said
    detected = mrrkit.read_export(content)
    assert list(preview(at)["End date"])[:1] == [f"{detected.lines['end'].iloc[0]:%Y-%m-%d}"]
    assert str(detected.lines["end"].iloc[0].date()) == "2024-02-01"
    # The user says the ends are the first day not paid: read again so, and said so.
    at.radio(key=key).set_value("exclusive").run()
    clean(at)
    exclusive = mrrkit.read_export(content, end="exclusive")
    assert list(preview(at)["End date"])[:1] == [f"{exclusive.lines['end'].iloc[0]:%Y-%m-%d}"]
    assert at.radio(key=key).options[0] == "Detect from the file"
    at.button(key="data.use").click().run()
    pd.testing.assert_frame_equal(at.session_state["source"].lines, exclusive.lines)
    # Another language: the choice stays, said in its words (no radio left without a choice).
    at.selectbox(key="w:lang").set_value("fr").run()
    clean(at)
    radio = at.radio(key=key[:-len(".en")] + ".fr")
    assert radio.value == "exclusive" and radio.options[2] == "Le premier jour non payé (1er juillet pour juin)"


def test_a_vendor_export_shows_no_end_date_choice(stripe_page):
    assert not [r for r in stripe_page.radio if (r.key or "").startswith("data.ends.")]


# --- statuses, line types and amounts left out (issue 14) ------------------------------------------

#: A spreadsheet of invoice lines: a status column whose 'On hold' and 'dormant' the usual words
#: do not all know, a line type, tax inside the amounts.
INVOICE_LINES = (
    "Invoice,Customer,Period start,Period end,Amount,Tax,Status,Type\n"
    "1,acme,2024-01-01,2024-04-01,360,60,paid,subscription\n"
    "2,acme,2024-04-01,2024-07-01,360,60,paid,subscription\n"
    "3,beta,2024-01-01,2024-02-01,120,20,On hold,subscription\n"
    "4,beta,2024-01-01,2024-02-01,50,0,paid,setup fee\n"
    "5,gamma,2024-01-01,2024-02-01,120,20,dormant,subscription\n"
    "6,delta,2024-01-01,2024-02-01,120,20,paid,subscription\n"
    "7,delta,2024-02-01,2024-03-01,120,20,void,subscription\n"
    "8,omega,2024-01-01,2024-02-01,120,20,paid,subscription\n"
).encode()


def meaning_boxes(at: AppTest, role: str) -> dict[str, object]:
    """The meanings editor's selectboxes of a role: label -> widget."""
    return {s.label: s for s in at.selectbox if s.key and s.key.startswith("data.meaning.")
            and f".{role}." in s.key}


def test_statuses_types_and_tax_are_explained_and_the_user_gives_values_a_meaning():
    at = upload(data_page(), "invoices.csv", INVOICE_LINES)
    clean(at)
    expected = mrrkit.read_export(INVOICE_LINES)
    assert expected.mapping["status"] == "Status" and expected.mapping["tax"] == "Tax"
    assert metrics(at)["Lines"] == str(len(expected.lines)) == "5"
    # The page says how the file was read: tax subtracted, amounts spread over their periods.
    notes = " ".join(m.value for m in at.markdown).replace("\\", "")
    assert "'Tax' (tax) subtracted from the amounts of" in notes
    assert "each row's whole period" in notes
    # The editor shows each status with its rows and meaning; 'dormant' has none (rejected).
    [editor] = [e for e in at.main.expander if e.label == "What the values mean"]
    boxes = meaning_boxes(at, "status")
    assert boxes["paid (5 rows)"].value == "paying"
    assert boxes["On hold (1 row)"].value == "delinquent"
    assert boxes["dormant (1 row)"].value is None
    assert boxes["void (1 row)"].value == "never_paid"
    assert meaning_boxes(at, "type")["setup fee (1 row)"].value == "one_off"
    # The user says 'dormant' is a pause and 'On hold' never paid: read again with those.
    boxes["dormant (1 row)"].set_value("paused")
    boxes["On hold (1 row)"].set_value("never_paid")
    click(at, "Apply these meanings")
    clean(at)
    chosen = {"status": {"paid": "paying", "on_hold": "never_paid", "dormant": "paused",
                         "void": "never_paid"},
              "type": {"subscription": "recurring", "setup_fee": "one_off"}}
    again = mrrkit.read_export(INVOICE_LINES, meanings=chosen)
    assert metrics(at)["Lines"] == str(len(again.lines)) == "5"
    assert set(again.lines["customer_id"]) == {"acme", "gamma", "delta", "omega"}
    assert meaning_boxes(at, "status")["dormant (1 row)"].value == "paused"
    # Another language: the meanings chosen stay, said in its words; then back to English.
    at.selectbox(key="w:lang").set_value("fr").run()
    clean(at)
    assert meaning_boxes(at, "status")["dormant (1 ligne)"].value == "paused"
    assert [b for b in at.button if b.label == "Revenir aux significations usuelles"]
    at.selectbox(key="w:lang").set_value("en").run()
    # And back to the usual words.
    click(at, "Back to the usual meanings")
    clean(at)
    assert meaning_boxes(at, "status")["dormant (1 row)"].value is None
    # French: the same editor in French words.
    fr_page = upload(data_page("fr"), "invoices.csv", INVOICE_LINES)
    clean(fr_page)
    assert meaning_boxes(fr_page, "status")["paid (5 lignes)"].value == "paying"
    assert "Ce que signifient les valeurs" in [e.label for e in fr_page.main.expander]


def test_a_file_not_used_yet_is_still_there_after_another_page():
    """Streamlit's uploader forgets its file when the page changes: the Data page keeps it
    (with the meanings given) until it is used, removed or forgotten (a click-through found it
    gone)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.secrets["_isolated"] = True
    at.run()
    at.switch_page(PAGE).run()
    upload(at, "invoices.csv", INVOICE_LINES)
    meaning_boxes(at, "status")["dormant (1 row)"].set_value("paused")
    click(at, "Apply these meanings")
    assert metrics(at)["Lines"] == "6"
    at.switch_page(HOME).run()
    at.switch_page(PAGE).run()
    clean(at)
    assert at.file_uploader(key="data.export").value is None  # (what a page change leaves)
    assert any("invoices\\.csv" in i.value and "not in use yet" in i.value for i in at.info)
    assert metrics(at)["Lines"] == "6"
    assert meaning_boxes(at, "status")["dormant (1 row)"].value == "paused"
    at.button(key="data.use").click().run()
    pd.testing.assert_frame_equal(
        at.session_state["source"].lines,
        mrrkit.read_export(INVOICE_LINES, meanings={"status": {"dormant": "paused"}}).lines)
    # Used: the page shows the reading in use, no longer a file waiting.
    at.switch_page(HOME).run()
    at.switch_page(PAGE).run()
    clean(at)
    assert not any("not in use yet" in i.value for i in at.info)
    # Forgotten: gone.
    upload(at, "odd.csv", ODD)
    at.switch_page(HOME).run()
    at.switch_page(PAGE).run()
    at.button(key="data.pending_forget").click().run()
    clean(at)
    assert not any("not in use yet" in i.value for i in at.info)
