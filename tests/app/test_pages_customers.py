"""Customers page: searchable list as mrrkit.views.customers.customer_summary, one customer's MRR
history with the lines behind each movement; filters; URL state and its fallbacks."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import mrrkit
from mrrkit.views.customers import customer_history, customer_summary
from tests._pages import (
    shown_text,
    ROOT,
    TIMEOUT,
    assert_clean,
    link_params,
    open_page,
    sample,
    segment,
    specs,
    table,
    tooltips,
)
from ui.data import upload_source
from ui.format import number_format, plain_md

PAGE = "pages/4_Customers.py"
EN = number_format("en", "EUR")


@pytest.fixture(scope="module")
def customers_page():
    return open_page(PAGE)


def test_list_is_the_customer_summary(customers_page):
    assert_clean(customers_page)
    _, mv, _ = sample()
    summary = customer_summary(mv).sort_values("mrr", ascending=False, kind="stable")
    raw = customers_page.dataframe[0].value
    assert len(raw) == 250  # the top 250 by MRR; the captions say how many match, and that
    assert any(c.value.startswith("Showing the 250 with the highest MRR")  # the download has all
               for c in customers_page.caption)
    assert list(raw.index[:20]) == list(summary.index[:20])
    assert raw.iloc[0]["MRR"] == pytest.approx(summary["mrr"].iloc[0])  # a number: sorts by value
    shown = table(customers_page, 0)
    first = summary.index[0]
    assert shown.at[first, "MRR"] == EN.money(summary.at[first, "mrr"], 2)
    assert shown.at[first, "Lifetime (months)"] == EN.number(summary.at[first, "lifetime_months"], 1)
    assert shown.at[first, "First movement"] == f"{summary.at[first, 'first_movement']:%Y-%m-%d}"
    assert {"Industry", "Company size", "Channel", "Country", "Plan"} <= set(shown.columns)
    # An active customer has no churn reason: a dash, never the grid's grey "None".
    assert shown.at[first, "Churn reason"] == "–" and not raw["Churn reason"].isna().any()
    assert f"{len(summary):,}" in customers_page.caption[0].value


def test_history_of_the_selected_customer(customers_page):
    customer = customers_page.selectbox(key="w:cus.id").value
    lines, mv, _ = sample()
    rows = mv[mv["customer_id"] == customer]
    moves = table(customers_page, 1)
    assert len(moves) == len(rows)
    assert list(moves["Change"]) == [EN.money(a, 2) for a in rows["amount"]]
    assert moves["Lines that changed"].iloc[0].startswith("starts ")  # the first is always new
    assert len(customers_page.dataframe[2].value) == int((lines["customer_id"] == customer).sum())
    chart = specs(customers_page)[0]
    assert chart["layer"][0]["mark"]["interpolate"] == "step-after"
    assert tooltips(chart)[1] == ["Date", "Movement", "Change", "MRR after"]
    history = customer_history(mv, customer)
    assert [m.value for m in customers_page.metric][0] == EN.money(history["mrr"].iloc[-1], 2)


def test_search_status_and_url():
    at = open_page(PAGE)
    at.text_input(key="cus.q").set_value("cus_012").run()
    assert_clean(at)
    shown = at.dataframe[0].value
    assert list(shown.index) != [] and all("cus_012" in c for c in shown.index)
    assert len(shown) == 10  # cus_0120 .. cus_0129
    assert link_params(at)["cus.q"] == ["cus_012"]  # Streamlit writes it in the address
    at.radio(key="w:cus.status").set_value("churned").run()
    _, mv, _ = sample()
    summary = customer_summary(mv)
    expected = [c for c in summary.index if "cus_012" in c and summary.at[c, "status"] == "churned"]
    assert sorted(at.dataframe[0].value.index) == sorted(expected)
    assert at.query_params["cus.status"] == "churned"


def test_search_matches_attributes():
    at = open_page(PAGE, {"cus.q": "healthcare", "cus.status": "active"})
    assert_clean(at)
    shown = at.dataframe[0].value
    assert len(shown) > 0 and set(shown["Industry"]) == {"Healthcare"}
    assert set(table(at, 0)["Status"]) == {"active"}


def test_filters_apply():
    at = open_page(PAGE, {"f.company_size": "1000+"})
    assert_clean(at)
    part = segment({"company_size": ["1000+"]})
    summary = customer_summary(part)
    shown = at.dataframe[0].value
    assert len(shown) == len(summary) < 250
    assert set(shown["Company size"]) == {"1000+"}


def test_deep_link_to_a_customer_outside_the_top_list():
    _, mv, _ = sample()
    summary = customer_summary(mv).sort_values("mrr", kind="stable")
    small = summary.index[0]
    at = open_page(PAGE, {"cus.id": small})
    assert_clean(at)
    assert at.selectbox(key="w:cus.id").value == small
    assert not at.toast
    bad = open_page(PAGE, {"cus.id": "nobody", "cus.status": "lost"})
    assert_clean(bad)
    notices = shown_text(" ".join(t.value for t in bad.toast))
    assert "cus.id=nobody" in notices and "cus.status=lost" in notices
    assert bad.radio(key="w:cus.status").value == "all"


# --- names and emails from the export; the detail panel follows the search and status ----------

STRIPE = Path(__file__).parents[1] / "fixtures" / "exports" / "stripe_subscriptions.csv"
HOSTILE = "![x](http://evil/p.png)"  # a customer name that Markdown would draw as an image


def stripe_page(params: dict | None = None) -> AppTest:
    """The page on Stripe's subscriptions fixture (names and emails), customer cus_C renamed
    ``HOSTILE``: kept customers A, B, C, E, I active, D churned."""
    csv = STRIPE.read_text().replace(",Gamma,", f",{HOSTILE},", 1)
    lines = mrrkit.read_export(csv.encode()).lines
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.secrets["_isolated"] = True
    at.switch_page(PAGE)
    # Named with the day it was taken (its last date), so it is shown at that day, not today.
    at.session_state["source"] = upload_source("stripe_2024-03-15.csv", lines, "USD")
    if params:
        at.query_params.update(params)
    return at.run()


def picker(at: AppTest):
    found = [s for s in at.selectbox if s.key == "w:cus.id"]
    return found[0] if found else None


def test_names_and_emails_are_shown_next_to_ids_and_searched():
    at = stripe_page()
    assert_clean(at)
    shown = table(at, 0)
    assert list(shown.columns[:3]) == ["Name", "Email", "MRR"]  # right after the id
    assert shown.loc["cus_A", ["Name", "Email"]].tolist() == ["Acme", "a@example.com"]
    # Unique per customer: never offered as a segment filter.
    filters = [m.key for m in at.multiselect]
    assert "w:f.industry" in filters and "w:f.customer_name" not in filters
    assert "w:f.email" not in filters
    at.text_input(key="cus.q").set_value("B@Example.COM").run()  # an email, any case
    assert_clean(at)
    assert list(at.dataframe[0].value.index) == ["cus_B"]
    assert picker(at).value == "cus_B" and picker(at).options == ["cus_B · Beta · b@example.com"]
    assert at.subheader[0].value == "MRR history of " + plain_md("cus_B · Beta · b@example.com")
    at.text_input(key="cus.q").set_value("delta").run()  # a name
    assert list(at.dataframe[0].value.index) == ["cus_D"] and picker(at).value == "cus_D"


def test_text_from_the_file_is_never_markdown():
    at = stripe_page({"cus.q": "evil"})
    assert_clean(at)
    assert list(at.dataframe[0].value.index) == ["cus_C"]
    assert at.subheader[0].value == (
        "MRR history of cus\\_C · \\!\\[x\\]\\(http\u2060\\:\\/\\/evil\\/p\\.png\\) · "
        "c\\@example\\.com")  # a word joiner after "http": no bare link either
    drawn = [*at.markdown, *at.caption, *at.subheader, *at.info, *at.warning]
    assert not [e.value for e in drawn if "](" in e.value or "![" in e.value]
    assert picker(at).options == [f"cus_C · {HOSTILE} · c@example.com"]  # a selectbox is plain


def test_detail_panel_follows_the_search_and_status():
    # The case: the customer first shown (active, Software) stayed in the panel when
    # the search and status filter asked for churned Healthcare customers.
    at = open_page(PAGE)
    first = picker(at).value
    _, mv, labels = sample()
    assert customer_summary(mv).at[first, "status"] == "active"
    assert labels.at[first, "industry"] == "Software"
    at.text_input(key="cus.q").set_value("healthcare").run()
    at.radio(key="w:cus.status").set_value("churned").run()
    assert_clean(at)
    listed = list(at.dataframe[0].value.index)
    assert first not in listed and picker(at).value == listed[0]
    assert picker(at).options == listed[:250]  # only customers listed, in the list's order
    assert labels.at[picker(at).value, "industry"] == "Healthcare"
    assert [m.value for m in at.metric][1] == "churned" and not at.warning
    # The sidebar's segment filters too.
    at.text_input(key="cus.q").set_value("").run()
    at.multiselect(key="w:f.industry").set_value(["Education"]).run()
    assert_clean(at)
    assert labels.at[picker(at).value, "industry"] == "Education"
    assert picker(at).options == list(at.dataframe[0].value.index[:250])
    # Nothing matches: no list, no panel, and a plain sentence instead of "0 of 0 shown".
    at.text_input(key="cus.q").set_value("no such customer").run()
    assert_clean(at)
    assert picker(at) is None and not at.subheader and not at.dataframe and not at.metric
    assert [i.value for i in at.info] == [
        "No customer with the status “Churned” matches the search “no such customer”."]
    assert not [c.value for c in at.main.caption if "listed" in c.value or "0 of 0" in c.value]


def test_counts_say_what_they_count():
    at = stripe_page({"cus.status": "active"})
    assert_clean(at)
    assert at.caption[0].value == (
        "5 customers listed (those matching the search and status); 5 of them are paying on "
        "Mar 15, 2024 (status “Active”).")
    everyone = stripe_page()
    assert everyone.caption[0].value.startswith(
        "7 customers listed: every one with an MRR history. 5 of them are paying on ")
    # The sample has customers who never had any MRR: the sidebar counts them, the list cannot.
    sample_page = open_page(PAGE, {"f.industry": "Healthcare"})
    scope = [c.value for c in sample_page.caption if c.value.startswith("The sidebar selects")]
    selected = [c.value for c in sample_page.sidebar.caption if "selected" in c.value]
    assert len(scope) == 1 and selected
    assert scope[0].startswith(f"The sidebar selects {selected[0].split()[0]} customers; ")


def test_a_link_to_a_customer_outside_the_search_and_status_says_so():
    at = stripe_page({"cus.id": "cus_A", "cus.status": "churned"})
    assert_clean(at)
    # (cus_G: unpaid since its current period began, a churn since issue 14.)
    assert list(at.dataframe[0].value.index) == ["cus_D", "cus_G"]
    assert picker(at).value == "cus_A" and [o.split(" · ")[0] for o in picker(at).options] == [
        "cus_A", "cus_D", "cus_G"]
    assert [w.value for w in at.warning] == [
        plain_md("cus_A · Acme · a@example.com")
        + " does not match the search and status: shown because a link opened it."]
    # Once the reader changes the search, the panel follows it.
    at.text_input(key="cus.q").set_value("delta").run()
    assert picker(at).value == "cus_D" and picker(at).options == ["cus_D · Delta · d@example.com"]
    assert not at.warning
    # A link to a customer that matches: no notice.
    inside = stripe_page({"cus.id": "cus_E", "cus.status": "active"})
    assert picker(inside).value == "cus_E" and not inside.warning
