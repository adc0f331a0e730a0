"""The warehouse data source (issue 16) in the app: ``[warehouse]`` in the secrets makes a
DuckDB file (here the bundled sample written into one) the app's data; the Overview shows the
same figures as the sample computed in pandas, the Data page the table, its lines and the
mapping, the pages that need every customer's movements say so, a wrong setting is said and the
sample shown."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from tests._pages import HOME, ROOT, TIMEOUT, assert_clean

import mrrkit


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    """The sample in a DuckDB file, its columns named as a warehouse would."""
    path = tmp_path_factory.mktemp("warehouse") / "billing.duckdb"
    frame = mrrkit.load_sample().rename(columns={"customer_id": "account_id", "mrr": "amount"})
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA finance")
    con.register("frame", frame)
    con.execute("CREATE TABLE finance.lines AS SELECT * FROM frame")
    con.close()
    return path


def settings(database, **changes) -> dict:
    out = {"url": str(database), "table": "finance.lines", "name": "Billing DW",
           "currency": "EUR", "columns": {"customer_id": "account_id", "mrr": "amount"}}
    out.update(changes)
    return out


def open_with(page: str, warehouse: dict | None, params: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.secrets["_isolated"] = True
    if warehouse is not None:
        at.secrets["warehouse"] = warehouse
    if page != "app.py":
        at.switch_page(page)
    if params:
        at.query_params.update(params)
    return at.run()


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_the_overview_of_the_warehouse_shows_the_samples_figures(database):
    at = open_with(HOME, settings(database), {"asof": "2026-10-31"})
    assert_clean(at)
    assert any("Billing DW" in c.value for c in at.sidebar.caption)
    sample = open_with(HOME, None, {"asof": "2026-10-31"})
    assert metrics(at) == metrics(sample)
    assert len(at.get("vega_lite_chart")) == len(sample.get("vega_lite_chart")) == 2


def test_a_segment_filter_is_pushed_into_the_warehouse(database):
    params = {"asof": "2026-10-31", "f.industry": "Healthcare"}
    at = open_with(HOME, settings(database), params)
    assert_clean(at)
    sample = open_with(HOME, None, params)
    assert metrics(at) == metrics(sample)
    assert metrics(at) != metrics(open_with(HOME, settings(database), {"asof": "2026-10-31"}))


def test_another_tools_definitions_apply_in_the_warehouse(database):
    params = {"asof": "2026-10-31", "defs": "chartmogul"}
    at = open_with(HOME, settings(database), params)
    assert_clean(at)
    assert metrics(at) == metrics(open_with(HOME, None, params))


def test_the_data_page_shows_the_table_its_lines_and_the_mapping(database):
    at = open_with("pages/0_Data.py", settings(database))
    assert_clean(at)
    lines = len(mrrkit.load_sample())
    said = " ".join(s.value for s in at.success)
    assert "Billing DW" in said and f"{lines:,}" in said
    facts = at.dataframe[0].value
    shown = dict(zip(facts.iloc[:, 0], facts.iloc[:, 1]))
    assert shown["Table"] == "finance.lines"
    assert shown["Columns mapped"] == "customer_id ← account_id, mrr ← amount"
    assert "industry" in shown["Columns"]


def test_pages_that_need_every_movement_say_so_and_link_to_the_overview(database):
    at = open_with("pages/4_Customers.py", settings(database))
    assert not at.exception
    assert any("not available on a warehouse" in i.value for i in at.info)


def test_the_sample_stays_a_choice(database):
    at = open_with(HOME, settings(database), {"asof": "2026-10-31"})
    radio = at.sidebar.radio[0]
    assert radio.options == ["Your warehouse", "Sample: a B2B SaaS, 4 years"]
    at = radio.set_value("sample").run()
    assert_clean(at)
    assert any("Sample" in c.value for c in at.sidebar.caption)


@pytest.mark.parametrize("wrong", [{"table": "finance.nothing"}, {"url": "/nowhere/x.duckdb"},
                                   {"columns": {"customer_id": "nobody"}}])
def test_a_wrong_setting_is_said_and_the_sample_shown(database, wrong):
    at = open_with(HOME, settings(database, **wrong), {"asof": "2026-10-31"})
    assert not at.exception
    said = " ".join(e.value for e in at.sidebar.error)
    assert "The warehouse could not be opened" in said
    assert metrics(at) == metrics(open_with(HOME, None, {"asof": "2026-10-31"}))


def test_the_segment_filters_are_the_uploads(database):
    at = open_with(HOME, settings(database), {"asof": "2026-10-31"})
    sample = open_with(HOME, None, {"asof": "2026-10-31"})
    boxes = [(m.label, m.options) for m in at.sidebar.multiselect]
    assert boxes == [(m.label, m.options) for m in sample.sidebar.multiselect]
    assert "Quantity" not in [label for label, _ in boxes]


@pytest.mark.parametrize("params", [
    {"asof": "2026-10-31"},
    {"asof": "2026-10-31", "coh.value": "customers", "coh.by": "quarter", "f.channel": "partner"},
    {"asof": "2026-09-15", "coh.value": "arpa", "defs": "maxio", "coh.dim": "industry"},
])
def test_the_cohorts_page_of_the_warehouse_is_the_samples(database, params):
    at = open_with("pages/2_Cohorts.py", settings(database), params)
    assert_clean(at)
    sample = open_with("pages/2_Cohorts.py", None, params)
    assert len(at.dataframe) == len(sample.dataframe) >= 2
    for got, want in zip(at.dataframe, sample.dataframe):
        pd.testing.assert_frame_equal(got.value, want.value)
    assert [m.options for m in at.main.multiselect] == [m.options for m in sample.main.multiselect]
    assert len(at.get("vega_lite_chart")) == len(sample.get("vega_lite_chart"))


def test_a_dimension_named_like_a_table_column_keeps_its_own_name(tmp_path):
    # A 'size' attribute is a segment called "Size", not the segment table's "Customers at
    # start" (ui.i18n.Text.dimension).
    path = tmp_path / "sized.duckdb"
    frame = mrrkit.load_sample().rename(columns={"company_size": "size"})
    con = duckdb.connect(str(path))
    con.register("frame", frame)
    con.execute("CREATE TABLE lines AS SELECT * FROM frame")
    con.close()
    at = open_with(HOME, {"url": str(path), "table": "lines"}, {"asof": "2026-10-31"})
    assert_clean(at)
    assert "Size" in [m.label for m in at.sidebar.multiselect]
    assert "Customers at start" not in [m.label for m in at.sidebar.multiselect]


def test_a_filter_on_one_dimension_sums_its_labels_and_equals_the_sample(database):
    # One dimension: the monthly table is a sum of its labels' month sums (ui.warehouse), for
    # several labels and under other definitions too.
    params = {"asof": "2026-10-31", "f.industry": ["Healthcare", "Software"],
              "defs": "chartmogul"}
    at = open_with(HOME, settings(database), params)
    assert_clean(at)
    assert metrics(at) == metrics(open_with(HOME, None, params))


def same_page(at: AppTest, sample: AppTest) -> None:
    """Every table, metric and caption of a page equal, and as many charts."""
    assert len(at.dataframe) == len(sample.dataframe) >= 2
    for got, want in zip(at.dataframe, sample.dataframe):
        pd.testing.assert_frame_equal(got.value, want.value)
    assert metrics(at) == metrics(sample)
    assert [c.value for c in at.main.caption] == [c.value for c in sample.main.caption]
    assert len(at.get("vega_lite_chart")) == len(sample.get("vega_lite_chart"))


@pytest.mark.parametrize("params", [
    {"asof": "2026-10-31", "sc.1.scope_dim": "industry", "sc.1.scope_value": "Software",
     "sc.1.price_change_pct": "10", "sc.1.churn_elasticity": "0.5"},
    {"asof": "2026-10-31", "f.channel": "partner", "sc.ret_dim": "company_size",
     "sc.ret_cohorts": "period", "sc.backtest": "1", "sc.count": "2",
     "sc.2.scope_dim": "company_size", "sc.2.scope_value": "11-50",
     "sc.2.churn_reduction_pct": "20"},
    {"asof": "2026-09-15", "defs": "chartmogul", "sc.method": "empirical", "sc.months": "36",
     "sc.backtest": "1", "sc.ret_dim": "industry", "sc.1.new_business_growth_pct": "15"},
])
def test_the_scenarios_page_of_the_warehouse_is_the_samples(database, params):
    at = open_with("pages/5_Scenarios.py", settings(database), params)
    assert_clean(at)
    sample = open_with("pages/5_Scenarios.py", None, params)
    same_page(at, sample)
    assert [s.options for s in at.selectbox] == [s.options for s in sample.selectbox]


@pytest.mark.parametrize("params", [
    {"asof": "2026-10-31"},
    {"asof": "2026-10-31", "f.industry": ["Healthcare", "Software"], "ex.dim": "industry",
     "ex.near": "60", "ex.top": ["Pro annual", "Pro monthly"], "from": "2025-01",
     "to": "2026-06"},
    {"asof": "2026-09-15", "defs": "chartmogul", "ex.dim": "company_size", "ex.near": "95"},
])
def test_the_expansion_page_of_the_warehouse_is_the_samples(database, params):
    at = open_with("pages/6_Expansion.py", settings(database), params)
    assert_clean(at)
    sample = open_with("pages/6_Expansion.py", None, params)
    same_page(at, sample)
    assert [s.options for s in at.selectbox] == [s.options for s in sample.selectbox]
    assert [m.value for m in at.main.multiselect] == [m.value for m in sample.main.multiselect]

