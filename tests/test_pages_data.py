"""Data page: an upload read by mrrkit.read_export, its validation report, the column mapping and
currency editors, and "Use this data" making every page show it for the session (AppTest drives
the real file uploader)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import mrrkit
from tests._pages import ROOT, TIMEOUT
from ui.format import number_format

PAGE = "pages/0_Data.py"
FIXTURES = Path(__file__).parent / "fixtures" / "exports"
STRIPE = FIXTURES / "stripe_subscriptions.csv"


def data_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.secrets["_isolated"] = True  # never a developer's own secrets.toml (password gate)
    at.switch_page(PAGE)
    return at.run()


def upload(at: AppTest, name: str, content: bytes, key: str = "data.export") -> AppTest:
    at.file_uploader(key=key).set_value((name, content, "text/csv"))
    return at.run()


def clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def tables(at: AppTest) -> list[pd.DataFrame]:
    """The page's read-only tables, in order (the rates editor is not one)."""
    return [d.value for d in at.dataframe if d.editing_mode == "read_only"]


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.fixture(autouse=True)
def no_gate(monkeypatch, tmp_path):
    monkeypatch.delenv("MRRKIT_PASSWORD", raising=False)
    monkeypatch.delenv("MRRKIT_PASSWORD_HASH", raising=False)
    monkeypatch.setenv("MRRKIT_VIEWS_DIR", str(tmp_path / "views"))


@pytest.fixture(scope="module")
def stripe_page():
    at = data_page()
    return upload(at, "stripe.csv", STRIPE.read_bytes())


def test_before_any_upload_every_page_shows_the_sample():
    at = data_page()
    clean(at)
    assert [i.value for i in at.info] == ["Every page shows the bundled sample."]
    assert [f.label for f in at.file_uploader] == ["Subscriptions export", "Customers file (optional)"]
    assert not at.metric  # nothing read yet
    assert [link.label for link in at.sidebar.get("page_link")][-1] == "Data"


def test_stripe_export_report_matches_read_export(stripe_page):
    at = stripe_page
    clean(at)
    expected = mrrkit.read_export(STRIPE)
    assert "Detected format: Stripe subscriptions export" in [s.value for s in at.success]
    en = number_format("en")
    assert metrics(at) == {
        "Rows read": en.count(expected.rows_read),
        "Rows kept": en.count(expected.rows_kept),
        "Rows rejected": en.count(len(expected.rejected)),
        "Lines": en.count(len(expected.lines)),
    }
    assert (expected.rows_read, len(expected.rejected)) == (10, 4)  # the fixture's own story
    by_reason, rejected, lines = tables(at)
    counts = expected.rejected["reason"].value_counts()
    assert dict(zip(by_reason["Reason"], by_reason["Rows"])) == counts.to_dict()
    assert list(rejected["row"]) == list(expected.rejected["row"])
    assert list(lines["customer_id"]) == list(expected.lines["customer_id"])
    assert list(lines["mrr"]) == pytest.approx(list(expected.lines["mrr"]))
    labels = {b.label for b in at.get("download_button")}
    assert {"⬇ CSV", "⬇ Excel"} <= labels and len(at.get("download_button")) == 4  # rejected, lines


def test_mapping_editor_is_prefilled_by_detection(stripe_page):
    at = stripe_page
    detected = mrrkit.read_export(STRIPE).mapping
    shown = {s.label: s.value for s in at.selectbox if s.key and s.key.startswith("data.map.")}
    assert shown["Customer id"] == detected["customer_id"] == "Customer ID"
    assert shown["Amount per billing period"] == detected["amount"]
    assert shown["MRR (monthly amount)"] is None  # Stripe gives an amount per interval
    assert any("Stripe subscriptions export" in c.value and "rules" in c.value for c in at.caption)


def test_use_this_data_then_every_page_shows_it_and_back_to_the_sample():
    at = upload(data_page(), "stripe.csv", STRIPE.read_bytes())
    at.button(key="data.use").click().run()
    clean(at)
    source = at.session_state["source"]
    expected = mrrkit.read_export(STRIPE).lines
    assert source.name == "stripe.csv" and source.currency == "USD"
    pd.testing.assert_frame_equal(source.lines, expected)
    assert "Every page uses stripe.csv for this session." in [s.value for s in at.success]
    assert at.button(key="data.use").disabled  # already in use

    at.switch_page("app.py").run()
    clean(at)
    usd = number_format("en", "USD")
    summary = mrrkit.kpis(expected)
    assert metrics(at)["MRR"] == usd.money(summary.at["mrr", "value"])
    assert metrics(at)["Customers"] == usd.count(summary.at["customers", "value"])
    assert at.sidebar.radio[0].value == "upload"

    at.switch_page(PAGE).run()
    back = [b for b in at.button if b.label == "Back to the sample"]
    back[0].click().run()
    clean(at)
    assert "source" not in at.session_state
    at.switch_page("app.py").run()
    assert metrics(at)["MRR"].startswith("€")  # the sample again


def test_customers_file_is_joined_and_reported():
    customers = (
        b"Client,Pays,Secteur\ncus_A,FR,SaaS\ncus_B,IT,Retail\n,DE,Media\ncus_E,FR,SaaS\n"
    )
    at = upload(data_page(), "stripe.csv", STRIPE.read_bytes())
    at = upload(at, "customers.csv", customers, key="data.customers")
    clean(at)
    expected = mrrkit.read_export(STRIPE, customers=customers)
    lines = tables(at)[-1]
    assert "country" in lines.columns
    assert list(lines["country"].fillna("")) == list(expected.lines["country"].fillna(""))
    assert lines.loc[lines["customer_id"] == "cus_A", "industry"].iloc[0] == "SaaS"  # file wins
    assert "Customers file: 4 rows read, 3 kept, 1 rejected." in [c.value for c in at.caption]
    at.button(key="data.use").click().run()
    assert at.session_state["source"].name == "stripe.csv + customers.csv"


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"", "the file is empty"),
        (bytes(range(256)) * 8, "cannot be used"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, ".xls"),
        (b"just one column\nvalue\n", "cannot be used"),
    ],
)
def test_unusable_file_is_a_message_never_a_traceback(content, says):
    at = upload(data_page(), "bad.csv", content)
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("This file cannot be used: ")
    assert says in errors[0]
    assert not at.metric  # no report, no "Use this data"


def test_mapping_rescues_a_file_whose_headers_say_nothing():
    csv = b"who,when,how much\nacme,2024-01-01,100\nbeta,2024-02-01,50\n"
    at = upload(data_page(), "odd.csv", csv)
    assert at.error and "no column found" in at.error[0].value
    keys = {s.label: s.key for s in at.selectbox if s.key and s.key.startswith("data.map.")}
    assert at.selectbox(key=keys["Customer id"]).options == ["(no such column)", "who", "when",
                                                             "how much"]
    at.selectbox(key=keys["Customer id"]).set_value("who")
    at.selectbox(key=keys["Start date"]).set_value("when")
    at.selectbox(key=keys["MRR (monthly amount)"]).set_value("how much")
    at.button[[b.label for b in at.button].index("Read again with this mapping")].click().run()
    clean(at)
    expected = mrrkit.read_export(csv, mapping={"customer_id": "who", "start": "when",
                                                "mrr": "how much"})
    lines = tables(at)[-1]
    assert list(lines["mrr"]) == list(expected.lines["mrr"]) == [100.0, 50.0]
    assert "Read with your column mapping." in [c.value for c in at.caption]

    reset = [b for b in at.button if b.label == "Back to the detected columns"]
    reset[0].click().run()
    assert at.error and "no column found" in at.error[0].value


def test_currencies_are_converted_with_the_rates_given_never_summed_raw():
    csv = (
        b"customer_id,start,mrr,currency\n"
        b"a,2024-01-01,100,EUR\nb,2024-02-01,50,USD\nc,2024-02-01,10,GBP\n"
    )
    at = upload(data_page(), "mixed.csv", csv)
    assert "mixes 3 currencies" in at.error[0].value
    at.text_input(key="data.reporting").input("eur").run()
    clean(at)
    assert metrics(at)["Rows rejected"] == "2"  # USD and GBP: no rate yet
    editor = at.data_editor[0]
    assert list(editor.value["currency"]) == ["GBP", "USD"]
    reasons = set(tables(at)[0]["Reason"])
    assert reasons == {"no exchange rate for GBP (reporting currency EUR)",
                       "no exchange rate for USD (reporting currency EUR)"}

    at.session_state[editor.key] = {
        "edited_rows": {1: {"rate": 0.9}}, "added_rows": [], "deleted_rows": [],
    }
    at.run()
    clean(at)
    expected = mrrkit.read_export(csv, reporting_currency="EUR", fx_rates={"USD": 0.9})
    lines = tables(at)[-1]
    assert list(lines["mrr"]) == list(expected.lines["mrr"]) == [100.0, 45.0]
    assert metrics(at)["Rows rejected"] == "1"  # GBP still has no rate
    at.button(key="data.use").click().run()
    assert at.session_state["source"].currency == "EUR"


def test_bad_reporting_currency_is_ignored_with_a_warning():
    at = upload(data_page(), "stripe.csv", STRIPE.read_bytes())
    at.text_input(key="data.reporting").input("1$").run()
    assert not at.exception
    assert any("is not a currency code" in w.value for w in at.warning)
    assert metrics(at)["Rows kept"] == "6"  # read as if no currency had been typed


def test_an_upload_stays_in_its_session():
    at = upload(data_page(), "stripe.csv", STRIPE.read_bytes())
    at.button(key="data.use").click().run()
    other = data_page()  # another visitor
    assert "source" not in other.session_state
    assert [i.value for i in other.info] == ["Every page shows the bundled sample."]
