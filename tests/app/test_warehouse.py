"""The warehouse data source (issue 16) in the app: ``[warehouse]`` in the secrets makes a
DuckDB file (here the bundled sample written into one) the app's data; the Overview shows the
same figures as the sample computed in pandas, the Data page the table, its lines and the
mapping, the pages that need every customer's movements say so, a wrong setting is said and the
sample shown."""

from __future__ import annotations

import gc

import duckdb
import pandas as pd
import pytest
import streamlit as st
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
    if "store" in changes:  # (the server's own warmer is tested on its own, below)
        out["warm"] = []
    out.update(changes)
    return out


def store_tables(chosen) -> list[str]:
    """The tables in the store the settings ``chosen`` name."""
    from ui import warehouse

    con = warehouse._open(warehouse._settings_key(chosen), warehouse._frozen(chosen))
    return warehouse._store_tables(con.get_backend())


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


@pytest.mark.parametrize("filters", [
    {"f.industry": "Healthcare"},  # one dimension: a sum of its labels' sizes
    {"f.industry": ["Healthcare", "Retail"], "f.channel": "partner"},  # two: a query
    {"f.churn_reason": "budget"},  # what such a filter shows, said
])
def test_the_sidebar_says_how_many_customers_are_selected_as_for_the_sample(database, filters):
    params = {"asof": "2026-10-31", **filters}
    at = open_with(HOME, settings(database), params)
    assert_clean(at)
    sample = open_with(HOME, None, params)
    said = [c.value for c in at.sidebar.caption if "customers selected" in c.value]
    assert len(said) == 1
    assert said == [c.value for c in sample.sidebar.caption if "customers selected" in c.value]
    assert [i.value for i in at.info] == [i.value for i in sample.info]
    assert any("Only customers who left" in i.value for i in at.info) == (
        "f.churn_reason" in filters)


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


@pytest.mark.parametrize("params", [
    {"asof": "2026-10-31", "coh.dim": "industry"},  # every label's rows, each label its own
    {"asof": "2026-10-31", "coh.value": "customers", "coh.by": "quarter", "f.channel": "partner"},
    {"asof": "2026-09-15", "f.channel": "partner", "coh.dim": "industry", "defs": "maxio"},
])
def test_with_a_store_the_cohorts_page_sums_its_labels_rows_and_is_the_samples(
        database, tmp_path, params):
    # With a store, the cohort levels of one dimension's labels are kept (a filter on it, or its
    # segment curves, pick its labels' rows); a filter with segment curves is a query of its own.
    chosen = settings(database, store=str(tmp_path / "store.duckdb"))
    at = open_with("pages/2_Cohorts.py", chosen, params)
    assert_clean(at)
    sample = open_with("pages/2_Cohorts.py", None, params)
    assert len(at.dataframe) == len(sample.dataframe) >= 2
    for got, want in zip(at.dataframe, sample.dataframe):
        pd.testing.assert_frame_equal(got.value, want.value)
    assert len(at.get("vega_lite_chart")) == len(sample.get("vega_lite_chart"))
    kinds = [t.split("_")[0] for t in store_tables(chosen)]
    assert "levels" in kinds
    st.cache_resource.clear()  # (closes the store for the next tests)


def test_with_a_store_a_filter_and_curves_of_one_dimension_read_its_labels_rows(
        database, tmp_path, monkeypatch):
    # A filter on industry with the curves of industry: the chosen labels' rows, no query (at
    # 10M customers that query took 7.8 s of a filter change).
    import mrrkit.sql

    params = {"asof": "2026-10-31", "f.industry": "Healthcare", "coh.dim": "industry"}
    chosen = settings(database, store=str(tmp_path / "store.duckdb"))

    def no_query(*args, **kwargs):
        raise AssertionError("the cohort levels were queried")

    monkeypatch.setattr(mrrkit.sql, "cohort_levels", no_query)
    at = open_with("pages/2_Cohorts.py", chosen, params)
    assert_clean(at)
    monkeypatch.undo()
    sample = open_with("pages/2_Cohorts.py", None, params)
    assert len(at.dataframe) == len(sample.dataframe) == 2  # the cohorts, the two curves
    for got, want in zip(at.dataframe, sample.dataframe):
        pd.testing.assert_frame_equal(got.value, want.value)
    assert at.sidebar.multiselect[0].value == sample.sidebar.multiselect[0].value
    assert at.main.multiselect[0].value == sample.main.multiselect[0].value
    st.cache_resource.clear()  # (closes the store for the next tests)


@pytest.mark.parametrize("store", [False, True])
@pytest.mark.parametrize("path", [HOME, "pages/1_Movements.py", "pages/2_Cohorts.py",
                                  "pages/3_Segments.py", "pages/4_Customers.py",
                                  "pages/5_Scenarios.py", "pages/6_Expansion.py"])
def test_bare_lines_in_a_warehouse_render_every_page_as_uploaded(tmp_path, path, store):
    """A warehouse table of only customer_id, start, end, mrr (no attribute: no label table,
    no filter): every page says what it would say of the same lines uploaded."""
    from tests._pages import table
    from ui.data import Source, lines_digest

    bare = mrrkit.load_sample()[["customer_id", "start", "end", "mrr"]]
    path_db = tmp_path / "bare.duckdb"
    con = duckdb.connect(str(path_db))
    con.register("frame", bare)
    con.execute("CREATE TABLE lines AS SELECT * FROM frame")
    con.close()
    chosen = {"url": str(path_db), "table": "lines", "name": "Bare DW", "currency": "EUR"}
    if store:
        chosen.update(store=str(tmp_path / "store.duckdb"), warm=[])
    params = {"asof": "2026-10-31"}
    at = open_with(path, chosen, params)
    assert_clean(at)
    assert not [m for m in at.sidebar.multiselect if m.key.startswith("w:f.")]
    uploaded = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    uploaded.secrets["_isolated"] = True
    uploaded.switch_page(path)
    uploaded.query_params.update(params)
    uploaded.session_state["source"] = Source("bare.csv", f"test:{lines_digest(bare)}", bare,
                                              "EUR")
    uploaded.run()
    assert_clean(uploaded)
    assert metrics(at) == metrics(uploaded)
    assert len(at.dataframe) == len(uploaded.dataframe)
    if path == HOME:
        assert len(metrics(at)) == 11
    if path.endswith("Segments.py"):
        assert at.info[0].value == uploaded.info[0].value
    if path.endswith("Customers.py"):
        pd.testing.assert_frame_equal(table(at, 0), table(uploaded, 0))
    st.cache_resource.clear()  # (closes the store for the next tests)


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


@pytest.mark.parametrize("defs", ["chartmogul", "baremetrics"])
def test_a_filter_on_one_dimension_sums_its_labels_and_equals_the_sample(database, defs):
    # One dimension: the monthly table and the KPIs' NRR/GRR are sums of its labels' sums
    # (ui.warehouse), for several labels and under other definitions too (Baremetrics: NRR
    # from the movements).
    params = {"asof": "2026-10-31", "f.industry": ["Healthcare", "Software"], "defs": defs}
    at = open_with(HOME, settings(database), params)
    assert_clean(at)
    assert metrics(at) == metrics(open_with(HOME, None, params))


def restart() -> None:
    """This process's caches emptied, as a server that starts again."""
    from ui import memory

    st.cache_data.clear()
    st.cache_resource.clear()
    memory.DATA.clear()
    gc.collect()  # (the connections go, and the store they attached with them)


def test_a_store_keeps_the_movements_and_sums_across_restarts_and_they_are_read_back(
        database, tmp_path):
    # `store` names a DuckDB file the app computes its large tables (every customer's movements,
    # labels) and its sums into: a server that starts again reads them instead of computing them.
    import duckdb as duck

    from ui import warehouse

    store = tmp_path / "store.duckdb"
    chosen = settings(database, store=str(store))
    params = {"asof": "2026-10-31"}
    filtered = {**params, "f.industry": "Healthcare"}
    at = open_with(HOME, chosen, params)
    assert_clean(at)
    assert metrics(at) == metrics(open_with(HOME, None, params))
    con = warehouse._open(warehouse._settings_key(chosen), warehouse._frozen(chosen))
    con = con.get_backend()
    tables = warehouse._store_tables(con)
    assert sorted(t.split("_")[0] for t in tables) == [
        "labels", "monthsums", "movements", "retention"], tables
    # "Restart" (this process's caches emptied, the store kept), with the stored tables changed
    # behind the app's back: the pages show what the store holds, so they read it. Every
    # customer's month sums doubled: the MRR tile; the movements doubled: a filter's figures
    # (a new dimension's sums are computed from the stored movements).
    where = f"{warehouse.STORE_CATALOG}.main"
    movements = next(t for t in tables if t.startswith("movements_"))
    con.raw_sql(f"UPDATE {where}.{movements} SET after = after * 2, before = before * 2")
    sums = next(t for t in tables if t.startswith("monthsums_"))
    doubled = [c for c, *_ in con.raw_sql(f"DESCRIBE {where}.{sums}").fetchall()
               if c.startswith("sum_")]
    con.raw_sql(f"UPDATE {where}.{sums} SET " + ", ".join(f"{c} = {c} * 2" for c in doubled))
    restart()
    del con
    again = open_with(HOME, chosen, params)
    assert_clean(again)
    mrr = lambda page: int("".join(ch for ch in metrics(page)["MRR"] if ch.isdigit()))  # noqa: E731
    assert abs(mrr(again) - 2 * mrr(at)) <= 1
    part = open_with(HOME, chosen, filtered)
    assert_clean(part)
    assert abs(mrr(part) - 2 * mrr(open_with(HOME, None, filtered))) <= 1
    now = warehouse._store_tables(warehouse._open(
        warehouse._settings_key(chosen), warehouse._frozen(chosen)).get_backend())
    assert set(tables) <= set(now) and len(now) == len(tables) + 2  # (the industry's sums)
    st.cache_resource.clear()  # (closes the store for the next tests)
    with duck.connect(str(store), read_only=True) as check:
        assert len(check.execute("SHOW TABLES").fetchall()) == len(now)


def test_new_lines_make_a_new_key_and_the_old_stored_tables_go(database, tmp_path):
    import duckdb as duck

    from ui import warehouse

    copy = tmp_path / "billing.duckdb"
    copy.write_bytes(database.read_bytes())
    chosen = settings(copy, store=str(tmp_path / "store.duckdb"))
    before = open_with(HOME, chosen, {"asof": "2026-10-31"})
    assert_clean(before)
    st.cache_resource.clear()
    with duck.connect(str(copy)) as con:  # one customer's MRR changed in the warehouse
        con.execute("UPDATE finance.lines SET amount = amount + 1000 WHERE account_id = "
                    "(SELECT min(account_id) FROM finance.lines)")
    st.cache_data.clear()  # (the app asks again every REFRESH_SECONDS)
    after = open_with(HOME, chosen, {"asof": "2026-10-31"})
    assert_clean(after)
    assert metrics(after)["MRR"] != metrics(before)["MRR"]
    tables = warehouse._store_tables(warehouse._open(
        warehouse._settings_key(chosen), warehouse._frozen(chosen)).get_backend())
    assert len(tables) == 4 and len({t.split("_")[1] for t in tables}) == 1, tables
    st.cache_resource.clear()


def test_warm_prepares_the_store_so_a_first_visit_computes_nothing(database, tmp_path):
    from ui import warehouse

    chosen = settings(database, store=str(tmp_path / "store.duckdb"))
    done = warehouse.warm(chosen, as_of="2026-10-31")
    assert done["as_of"] == "2026-10-31" and "industry" in done["dimensions"]
    prepared = store_tables(chosen)
    # The Scenarios page's sums too (first lives, paying customers by age, the revenue weights,
    # the window's bands), of every customer and per label of each dimension.
    forecast = [t for t in prepared if t.startswith("forecast_")]
    assert len(forecast) == 4 * (1 + len(done["dimensions"])), prepared
    levels = [t for t in prepared if t.startswith("levels_")]
    assert len(levels) == 1 + len(done["dimensions"]), prepared
    # The Expansion page's: by cohort and its split, of every customer and per label of each
    # dimension; by segment of every customer, for each dimension.
    expansion = [t for t in prepared if t.startswith("expansion_")]
    assert len(expansion) == 2 * (1 + len(done["dimensions"])) + len(done["dimensions"]), prepared
    # The Segments page's: every customer's figures for the default period, and churns; the
    # Customers page's: every customer's row.
    assert {t.split("_")[0] for t in prepared} >= {"period", "churns", "customers"}, prepared
    restart()
    for params in ({"asof": "2026-10-31"}, {"asof": "2026-10-31", "f.industry": "Software"}):
        at = open_with(HOME, chosen, params)
        assert_clean(at)
        assert metrics(at) == metrics(open_with(HOME, None, params))
        scenarios = {**params, "sc.1.scope_dim": "channel", "sc.1.scope_value": "partner",
                     "sc.1.price_change_pct": "10"}
        at = open_with("pages/5_Scenarios.py", chosen, scenarios)
        assert_clean(at)
        same_figures(at, open_with("pages/5_Scenarios.py", None, scenarios))
        at = open_with("pages/2_Cohorts.py", chosen, params)  # the cohort levels too
        assert_clean(at)
        same_page(at, open_with("pages/2_Cohorts.py", None, params))
        at = open_with("pages/6_Expansion.py", chosen, params)  # and the Expansion page
        assert_clean(at)
        same_figures(at, open_with("pages/6_Expansion.py", None, params))
        at = open_with("pages/3_Segments.py", chosen, params)  # and the Segments page
        assert_clean(at)
        same_figures(at, open_with("pages/3_Segments.py", None, params))
        at = open_with("pages/4_Customers.py", chosen, params)  # and the Customers page
        assert_clean(at)
        same_page(at, open_with("pages/4_Customers.py", None, params),
                  skip_captions=("Showing the 250 with the highest MRR",))
    assert store_tables(chosen) == prepared
    with pytest.raises(ValueError, match="set store"):
        warehouse.warm(settings(database))
    st.cache_resource.clear()


def test_the_server_warms_its_store_itself_and_again_once_new_lines_come(database, tmp_path):
    # The server holds its store open for writing, so `make warm` cannot run beside it: with a
    # store, the server's own warmer prepares what a first visit reads, for each preset of
    # `warm`, and again once the lines change (warm_once is the warmer's step).
    import duckdb as duck

    from ui import warehouse

    copy = tmp_path / "billing.duckdb"
    copy.write_bytes(database.read_bytes())
    with duck.connect(str(copy)) as lines:  # (one dimension: a third of the time to warm)
        lines.execute('CREATE TABLE finance.few AS SELECT account_id, start, "end", amount, '
                      "industry FROM finance.lines")
    chosen = settings(copy, table="finance.few", store=str(tmp_path / "store.duckdb"),
                      warm=["mrrkit", "chartmogul"])
    done: set = set()
    first = warehouse.warm_once(chosen, done)
    assert [d["as_of"] for d in first] == ["2026-10-31"] * 2 and len(done) == 2
    assert warehouse.warm_once(chosen, done) == []  # nothing changed: nothing done
    before = store_tables(chosen)
    assert {t.split("_")[0] for t in before} >= {"movements", "monthsums", "forecast", "levels"}
    restart()  # (the store closed, to change the lines)
    with duck.connect(str(copy)) as lines:
        lines.execute("UPDATE finance.few SET amount = amount + 1000 WHERE account_id = "
                      "(SELECT min(account_id) FROM finance.few)")
    chosen = {**chosen, "warm": ["mrrkit"]}  # (one preset is enough from here: half the time)
    again = warehouse.warm_once(chosen, done)  # (the content is asked again: a new key)
    assert len(again) == 1 and again[0]["key"] != first[0]["key"]
    after = store_tables(chosen)
    assert {t.split("_")[1] for t in after} == {again[0]["key"].split(".")[1]}  # old ones gone
    # A visit then computes nothing: the store holds it. (Its settings start no warmer of their
    # own in this process: warm_once is the warmer's step, tested here by hand.)
    restart()
    chosen = {**chosen, "warm": []}
    at = open_with(HOME, chosen, {"asof": "2026-10-31"})
    assert_clean(at)
    assert store_tables(chosen) == after
    with pytest.raises(ValueError, match="unknown definitions"):
        warehouse._warm_presets({**chosen, "warm": ["chartmoggul"]})
    assert warehouse._warm_presets({**chosen, "warm": False}) == []
    st.cache_resource.clear()


def test_a_page_with_a_store_starts_the_servers_warmer_once(database, tmp_path):
    import threading

    from ui import warehouse

    chosen = settings(database, store=str(tmp_path / "store.duckdb"), warm=["mrrkit"])
    try:
        for _ in range(2):
            assert_clean(open_with(HOME, chosen, {"asof": "2026-10-31"}))
        warmers = [t for t in threading.enumerate() if t.name == "mrrkit-warmer"]
        assert len(warmers) == 1 and warmers[0].daemon
    finally:
        warehouse.WARMER_STOP.set()
        for thread in threading.enumerate():
            if thread.name == "mrrkit-warmer":
                thread.join(timeout=120)
        assert not any(t.name == "mrrkit-warmer" for t in threading.enumerate())
        st.cache_resource.clear()
    # A wrong list is said, as a wrong setting is.
    at = open_with(HOME, settings(database, store=str(tmp_path / "other.duckdb"),
                                  warm=["nope"]), {"asof": "2026-10-31"})
    assert not at.exception
    said = [e.value.replace("\\", "") for e in at.error]  # (Markdown's escapes)
    assert said == ["The warehouse could not be opened, so the sample is shown: warm: unknown "
                    "definitions ['nope'] (one of ['baremetrics', 'chartmogul', 'fincome', "
                    "'maxio', 'mrrkit', 'profitwell', 'stripe'])"]
    st.cache_resource.clear()


# --- the Movements page and "What changes" (issue 16) -------------------------------------------


def shown_tables(at: AppTest) -> list[pd.DataFrame]:
    """Every table of the page as the reader sees it (formatted text)."""
    from tests._pages import table

    return [table(at, i) for i in range(len(at.dataframe))]


def said(at: AppTest) -> list[str]:
    return [e.value for kind in ("success", "info", "error", "caption") for e in at.main.get(kind)]


@pytest.mark.parametrize("params", [
    {"asof": "2026-10-31"},
    {"asof": "2026-10-31", "f.industry": "Healthcare", "mv.month": "period",
     "mv.kind": "expansion"},
    {"asof": "2026-10-31", "defs": "maxio", "mv.month": "period", "mv.kind": "churn"},
    {"asof": "2026-09-15", "defs": "chartmogul", "mv.kind": "mrr_end", "f.channel": "partner"},
    {"asof": "2026-10-31", "mv.month": "period", "mv.kind": "mrr_start", "mv.customer": "cus_0233"},
])
def test_the_movements_page_of_the_warehouse_is_the_samples(database, params):
    page = "pages/1_Movements.py"
    at = open_with(page, settings(database), params)
    assert_clean(at)
    sample = open_with(page, None, params)
    got, want = shown_tables(at), shown_tables(sample)
    assert len(got) == len(want) == 5  # monthly, bridge, listing, trail, lines
    for g, w in zip(got, want):
        pd.testing.assert_frame_equal(g, w)
    assert said(at) == said(sample)
    assert [s.value for s in at.selectbox] == [s.value for s in sample.selectbox]
    assert len(at.get("vega_lite_chart")) == len(sample.get("vega_lite_chart")) == 2
    # The Customers page is on a warehouse too: the same button to it.
    assert [b.label for b in at.button if b.label.startswith("Open ")] == \
        [b.label for b in sample.button if b.label.startswith("Open ")]


@pytest.mark.parametrize("params", [
    {"asof": "2026-10-31", "defs": "maxio"},
    {"asof": "2026-10-31", "defs": "fincome", "f.industry": "Healthcare", "to": "2026-06"},
])
def test_what_other_definitions_change_on_the_warehouse_is_the_samples(database, params):
    at = open_with(HOME, settings(database), params)
    assert_clean(at)
    sample = open_with(HOME, None, params)

    def expander(app):
        [box] = [e for e in app.main.expander if e.label.startswith("What changes")]
        return box

    pd.testing.assert_frame_equal(expander(at).dataframe[0].value,
                                  expander(sample).dataframe[0].value)
    assert [c.value for c in expander(at).caption] == [c.value for c in expander(sample).caption]
    assert "classified otherwise" in " ".join(c.value for c in expander(at).caption)


def test_a_listing_longer_than_a_download_says_what_the_download_holds(database, monkeypatch):
    import ui.warehouse_movements

    monkeypatch.setattr(ui.warehouse_movements, "DOWNLOAD_ROWS", 50)
    params = {"asof": "2026-10-31", "mv.month": "period", "mv.kind": "mrr_end"}
    at = open_with("pages/1_Movements.py", settings(database), params)
    assert_clean(at)
    assert any(c.value.startswith("The 500 largest of 2,150") and "downloads have the 50 largest"
               in c.value for c in at.main.caption)
    # The upload's downloads have every row.
    sample = open_with("pages/1_Movements.py", None, params)
    assert any("the downloads have them all" in c.value for c in sample.main.caption)


# --- the Segments and Customers pages (issue 16) ----------------------------------------------


def same_page(at: AppTest, sample: AppTest, skip_captions=()) -> None:
    """The two pages show the same tables (values: an upload's text attributes are categorical),
    charts, captions, notices and pickers."""
    assert len(at.dataframe) == len(sample.dataframe)
    for got, want in zip(at.dataframe, sample.dataframe):
        pd.testing.assert_frame_equal(got.value, want.value, check_dtype=False,
                                      check_categorical=False)
    assert [c.proto.spec for c in at.get("vega_lite_chart")] == \
        [c.proto.spec for c in sample.get("vega_lite_chart")]
    captions = [[c.value for c in page.main.caption if not c.value.startswith(skip_captions)]
                for page in (at, sample)]
    assert captions[0] == captions[1]
    assert metrics(at) == metrics(sample)
    for kind in ("info", "warning", "markdown", "subheader"):
        assert [e.value for e in getattr(at.main, kind)] == \
            [e.value for e in getattr(sample.main, kind)], kind
    assert [(b.label, b.options, b.value) for b in at.main.selectbox] == \
        [(b.label, b.options, b.value) for b in sample.main.selectbox]


@pytest.mark.parametrize("params", [
    {"asof": "2026-10-31"},
    {"asof": "2026-10-31", "f.channel": "partner", "seg.dim": "industry", "seg.metric": "nrr",
     "defs": "chartmogul"},
    # A filter on the dimension split: every customer's sums, the labels not chosen at zero.
    {"asof": "2026-09-15", "f.industry": ["Healthcare", "Software"], "seg.dim": "industry",
     "from": "2024-01", "to": "2025-06"},
])
def test_the_segments_page_of_the_warehouse_is_the_samples(database, params):
    at = open_with("pages/3_Segments.py", settings(database), params)
    assert_clean(at)
    sample = open_with("pages/3_Segments.py", None, params)
    assert len(at.dataframe) == 3 and len(at.get("vega_lite_chart")) == 3
    same_page(at, sample)


# --- the Scenarios and Expansion pages (issue 16) ---------------------------------------------

def same_figures(at: AppTest, sample: AppTest) -> None:
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
    same_figures(at, sample)
    assert [s.options for s in at.selectbox] == [s.options for s in sample.selectbox]


@pytest.mark.parametrize("params", [
    {"asof": "2026-10-31"},
    {"asof": "2026-10-31", "f.channel": "partner", "cus.q": "CUS_01", "defs": "chartmogul"},
    # Fincome's reclassified customers; a customer a link opened, further down than the list.
    {"asof": "2026-10-31", "defs": "fincome", "cus.diff": "changed", "cus.q": "soft"},
    {"asof": "2026-10-31", "cus.id": "cus_2344", "cus.status": "churned"},
])
def test_the_customers_page_of_the_warehouse_is_the_samples(database, params):
    at = open_with("pages/4_Customers.py", settings(database), params)
    assert_clean(at)
    sample = open_with("pages/4_Customers.py", None, params)
    # Past the first 250, a warehouse's list says its download stops there too.
    cut = "Showing the 250 with the highest MRR"
    same_page(at, sample, skip_captions=(cut,))
    said = [c.value for c in at.main.caption if c.value.startswith(cut)]
    wanted = [c.value for c in sample.main.caption if c.value.startswith(cut)]
    assert len(said) == len(wanted)
    assert all("stay in the warehouse" in c for c in said)
    assert len(at.dataframe) == 3 and len(at.get("vega_lite_chart")) == 1


def test_with_a_store_the_segments_and_customers_tables_are_kept_and_the_pages_the_same(
        database, tmp_path):
    # What these pages materialise (a period's customer figures, the churns with their reasons,
    # the customers' rows and attributes) goes into the store too, named as the other tables.
    chosen = settings(database, store=str(tmp_path / "store.duckdb"))
    for page, params in (("pages/3_Segments.py", {"asof": "2026-10-31", "seg.dim": "industry"}),
                         ("pages/4_Customers.py", {"asof": "2026-10-31", "cus.q": "software"})):
        at = open_with(page, chosen, params)
        assert_clean(at)
        same_page(at, open_with(page, None, params),
                  skip_captions=("Showing the 250 with the highest MRR",))
    kinds = {t.split("_")[0] for t in store_tables(chosen)}
    assert {"period", "churns", "customers", "attributes"} <= kinds, kinds
    st.cache_resource.clear()  # (closes the store for the next tests)


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
    same_figures(at, sample)
    assert [s.options for s in at.selectbox] == [s.options for s in sample.selectbox]
    assert [m.value for m in at.main.multiselect] == [m.value for m in sample.main.multiselect]


@pytest.mark.parametrize("params, stored", [
    # every customer's sums, kept: cohorts, split, segments
    ({"asof": "2026-10-31"}, 3),
    # one dimension: its labels' cohorts and split; the segments of another dimension a query
    ({"asof": "2026-10-31", "f.industry": ["Healthcare", "Software"], "ex.dim": "channel",
      "from": "2025-01", "to": "2026-06"}, 2),
    # one dimension, the segments of the same: every customer's segments, the chosen labels'
    ({"asof": "2026-10-31", "f.industry": "Healthcare", "ex.dim": "industry"}, 3),
    # two dimensions: queries of their own
    ({"asof": "2026-09-15", "defs": "chartmogul", "f.channel": "partner",
      "f.industry": "Software"}, 0),
])
def test_with_a_store_the_expansion_page_sums_its_labels_rows_and_is_the_samples(
        database, tmp_path, params, stored):
    # With a store, the expansion by cohort and its split are kept per label of a dimension (a
    # filter on it picks its labels' rows), the expansion by segment of every customer too.
    chosen = settings(database, store=str(tmp_path / "store.duckdb"))
    at = open_with("pages/6_Expansion.py", chosen, params)
    assert_clean(at)
    sample = open_with("pages/6_Expansion.py", None, params)
    same_figures(at, sample)
    kept = [t for t in store_tables(chosen) if t.startswith("expansion_")]
    assert len(kept) == stored, kept
    st.cache_resource.clear()  # (closes the store for the next tests)


def test_a_cut_expansion_listing_says_so_with_the_totals_of_all(database, monkeypatch):
    # Fewer rows fetched than the lists hold: the first ones, the tiles of them all, and a
    # caption saying the table and its downloads hold those.
    import ui.warehouse_expansion

    monkeypatch.setattr(ui.warehouse_expansion, "FETCHED_ROWS", 50)
    restart()  # (the views cached by the tests before hold the whole lists)
    params = {"asof": "2026-10-31", "ex.near": "50"}
    at = open_with("pages/6_Expansion.py", settings(database), params)
    assert_clean(at)
    sample = open_with("pages/6_Expansion.py", None, params)
    assert metrics(at) == metrics(sample)
    cut = [c.value for c in at.main.caption if "fetched from the warehouse" in c.value]
    assert len(cut) == 2 and all(c.startswith("The 50 ") for c in cut)
    lists = [d.value for d in at.dataframe][-2:]
    assert [len(v) for v in lists] == [50, 50]
    for got, want in zip(lists, [d.value for d in sample.dataframe][-2:]):
        pd.testing.assert_frame_equal(got, want.head(50))
    restart()  # (the cut lists must not serve the tests after)
