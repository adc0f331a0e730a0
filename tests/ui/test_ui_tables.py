"""ui.tables.show_table as the reader sees it (issue 11, item 9): months written as in the charts
("Nov 2025"), every number right-aligned (numbers written as text too), and money in one table
shown with one number of decimals; the downloads keep raw numbers and "2025-11" months."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests._pages import TIMEOUT, open_page, table
from ui.format import number_format
from ui.tables import for_download, number_columns, right_aligned


def _table_app(lang: str, formats: dict, numeric: bool):
    """A page showing one table of months, money, rates and text with show_table."""

    def app():
        import pandas as pd
        import streamlit as st

        from ui.format import number_format
        from ui.tables import show_table

        frame = pd.DataFrame(
            {
                "mrr": [1234.5, 99.0, float("nan")],
                "arpa": [12.25, 8.0, 7.5],
                "change": [5.5, -2.0, 0.0],
                "rate": [0.25, 0.5, float("nan")],
                "plan": ["Pro", "Growth", "Starter"],
                "since": pd.PeriodIndex(["2024-01", "2024-06", "2025-02"], freq="M"),
            },
            index=pd.period_range("2025-11", periods=3, freq="M", name="month"),
        )
        show_table(frame, "t", "t", number_format(st.session_state["lang"], "EUR"),
                   st.session_state["formats"], {"mrr": "MRR", "month": "Month"},
                   numeric=st.session_state["numeric"])

    at = AppTest.from_function(app, default_timeout=TIMEOUT)
    at.session_state["lang"], at.session_state["formats"] = lang, formats
    at.session_state["numeric"] = numeric
    return at.run()


def _alignment(at, index: int = 0) -> dict:
    columns = json.loads(at.dataframe[index].proto.columns or "{}")
    return {c: v.get("alignment") for c, v in columns.items()
            if isinstance(v, dict) and c != "_index"}


@pytest.mark.parametrize("numeric", [True, False])
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_months_read_like_the_charts_and_numbers_are_right_aligned(lang, numeric):
    from ui.shell import month_label

    # The shell's words for months, as the charts' captions and axes write them.
    months = [month_label(m, lang) for m in ("2025-11", "2025-12", "2026-01")]
    assert months[0] == ("Nov 2025" if lang == "en" else "nov 2025")
    since = [month_label(m, lang) for m in ("2024-01", "2024-06", "2025-02")]
    at = _table_app(lang, {"mrr": "money", "arpa": "money", "change": "signed_money",
                           "rate": "pct"}, numeric)
    assert not at.exception
    shown = table(at, 0)
    assert list(shown.index) == months and shown.index.name == "Month"
    assert list(shown["since"]) == since
    aligned = _alignment(at)
    assert {aligned.get(c) for c in ("MRR", "arpa", "change", "rate")} == {"right"}
    assert "plan" not in aligned and "since" not in aligned


def test_money_in_one_table_has_one_number_of_decimals():
    at = _table_app("en", {"mrr": "money2", "arpa": "money", "change": "signed_money"}, True)
    shown = table(at, 0)
    assert list(shown["MRR"]) == ["€1,234.50", "€99.00", "–"]
    assert list(shown["arpa"]) == ["€12.25", "€8.00", "€7.50"]  # not "€12", "€8", "€8"
    assert list(shown["change"]) == ["+€5.50", "-€2.00", "€0.00"]
    at = _table_app("en", {"mrr": "money", "arpa": "money", "change": "signed_money"}, True)
    assert list(table(at, 0)["arpa"]) == ["€12", "€8", "€8"]


def test_downloads_keep_raw_numbers_and_iso_months():
    frame = pd.DataFrame({"mrr": [1.5], "since": pd.PeriodIndex(["2024-01"], freq="M")},
                         index=pd.PeriodIndex(["2025-11"], freq="M", name="month"))
    out = for_download(frame, {"mrr": "MRR", "month": "Month"})
    assert out.index.tolist() == ["2025-11"] and out.index.name == "Month"
    assert out["since"].tolist() == ["2024-01"] and out["MRR"].tolist() == [1.5]


def test_numbers_written_as_text_are_found_in_every_language():
    for lang in ("en", "fr", "it"):
        nf = number_format(lang, "USD")
        frame = pd.DataFrame({
            "money": [nf.money(1234.5, 2), nf.money(-3, signed=True), "–"],
            "pct": [nf.pct(0.123), nf.pct(-0.5, signed=True), ""],
            "pts": [nf.pts(0.01), nf.pts(-0.2), nf.pts(0)],
            "range": [f"{nf.pct(0.1)} – {nf.pct(0.2)}"] * 3,
            "id": ["cus_0001", "12", "3"],
            "verdict": ["churns 2.4x the rest, p < 0.001", "x", "y"],
        })
        assert number_columns(frame, nf) == ["money", "pct", "pts", "range"], lang
    config = right_aligned(frame, nf, {"money": {"label": "M", "alignment": "left"}})
    assert config["money"]["alignment"] == "left"  # a page's own choice is kept


# --- the pages ------------------------------------------------------------------------------------


def _number_alignment(at, index: int, columns) -> set:
    aligned = _alignment(at, index)
    return {aligned.get(c) for c in columns}


def test_segments_tables_read_months_like_the_chart_and_align_numbers():
    at = open_page("pages/3_Segments.py")
    assert not at.exception
    by_month = table(at, 2)
    assert by_month.index.name == "Month"
    assert list(by_month.index) == [m.strftime("%b %Y") for m in
                                   pd.period_range("2025-11", "2026-10", freq="M")]
    assert _number_alignment(at, 0, ["MRR", "ARPA", "Churn 95% CI", "NRR 95% CI"]) == {"right"}
    assert _alignment(at, 0).get("Churn vs the rest") is None  # words stay left
    assert set(_alignment(at, 2).values()) == {"right"}


def test_cohort_table_numbers_are_right_aligned_with_unobserved_ages():
    at = open_page("pages/2_Cohorts.py")
    shown = table(at, 0)
    assert (shown["Month 11"] == "–").any()  # unobserved: text in a column of numbers
    assert set(_alignment(at, 0).values()) == {"right"}
    assert set(_alignment(at, 0)) == {"Customers at start", *[f"Month {i}" for i in range(12)]}


def test_a_table_wider_than_the_page_says_it_scrolls_sideways():
    """Issue 11: wide tables were cut off with no hint. Chromium drew the Segments table 1,960 px
    wide in a 978 px column, the churn-reason tables within it."""
    from tests._pages import open_page

    at = open_page("pages/3_Segments.py")
    hints = [c.value for c in at.caption if c.value.startswith("↔")]
    assert hints == ["↔ 17 columns: scroll the table sideways to see them all."]
    fr = open_page("pages/3_Segments.py", {"lang": "fr"})
    assert [c.value for c in fr.caption if c.value.startswith("↔")] == [
        "↔ 17 colonnes : faites défiler le tableau vers la droite pour toutes les voir."]
