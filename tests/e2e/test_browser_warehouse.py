"""The warehouse data source in a real browser (issue 16): a server whose secrets point
``[warehouse]`` at a DuckDB file (the sample written into one, its columns named otherwise),
with a store the server keeps warm itself (its warmer runs beside the journeys).

1. The Overview opens on the warehouse: its figures are the sample's at the same day.
2. A segment filter chosen in the sidebar changes them, as it changes the sample's, and a reload
   keeps it (the address holds it).
3. The pages the other journeys do not open (Cohorts, Data) are opened from the menu, two
   pages twice: they show figures, none fails; the Data page names the table and its lines;
   switching to the sample and back works. (Every page is opened from the menu by one of the
   journeys here.)
4. The Movements page: a click on a bridge step lists its movements (the sample's, adding up to
   the step), the download holds them all with their lines, a customer's trail is picked, a
   reload keeps it all; a level lists the customers paying.
5. Segments and Customers: the dimension changed, a customer searched and opened, a reload keeps
   both; the figures are the sample's.
6. The Scenarios page, opened from the menu: a lever's slider moved with the keyboard changes
   the scenario's figures, its scope changed to one segment says the segment's size, a reload
   keeps both (the address holds them).
7. The Expansion page, opened from the menu: another segment dimension and another share of
   the tier limit chosen change its tables, a reload keeps them.
8. The whole thing in French.
"""

from __future__ import annotations

import time

import duckdb
import pandas as pd
import pytest

import mrrkit
from mrrkit.views.bridge import movements_in
from ui.format import number_format
from tests._browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    METRIC,
    SIDEBAR,
    STEP_MS,
    choose_in_multiselect,
    free_port,
    keep_evidence,
    new_page,
    no_exception,
    open_dropdown,
    playwright,
    start_server,
    stop_server,
    wait_healthy,
)

pytestmark = pytest.mark.e2e

AS_OF = "asof=2026-10-31"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    sync_playwright = playwright()
    tmp = tmp_path_factory.mktemp("warehouse-browser")
    database = tmp / "billing.duckdb"
    frame = mrrkit.load_sample().rename(columns={"customer_id": "account_id"})
    con = duckdb.connect(str(database))
    con.register("frame", frame)
    con.execute("CREATE TABLE lines AS SELECT * FROM frame")
    con.close()
    secrets = tmp / "secrets.toml"
    # With a store, the server's own warmer computes what first visits read while the journeys
    # click through the pages (it shares the connection with them: every query holds a lock).
    secrets.write_text(f'[warehouse]\nurl = "{database}"\ntable = "lines"\nname = "Billing DW"\n'
                       f'store = "{tmp / "store.duckdb"}"\nwarm = ["mrrkit"]\n'
                       '[warehouse.columns]\ncustomer_id = "account_id"\n')
    port = free_port()
    proc = start_server(port, tmp / "views", tmp / "server.log", None, secrets=secrets)
    try:
        wait_healthy(port, proc, tmp / "server.log")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                         args=CHROMIUM_ARGS, timeout=STEP_MS)
            try:
                yield {"browser": browser, "base": f"http://127.0.0.1:{port}/"}
            finally:
                browser.close()
    finally:
        stop_server(proc)


def _open(browser, url: str):
    context, page, runs = new_page(browser)
    page.goto(url)
    page.locator('[data-testid="stMain"] h1').first.wait_for()
    runs.idle()
    return context, page, runs


def _metrics(page) -> list[str]:
    return page.locator(METRIC).all_inner_texts()


def _menu(page, runs, label: str) -> None:
    page.locator(SIDEBAR).get_by_role("link", name=label, exact=True).click()
    page.wait_for_timeout(100)
    runs.idle()
    page.locator('[data-testid="stMain"] h1').first.wait_for()


def test_the_overview_is_the_warehouses_and_a_filter_is_pushed_down(app):
    context, page, runs = _open(app["browser"], f"{app['base']}?{AS_OF}")
    try:
        no_exception(page)
        assert "Billing DW" in page.locator(SIDEBAR).inner_text()
        shown = _metrics(page)
        assert len(shown) == 11
        want = mrrkit.kpis(mrrkit.movements(mrrkit.load_sample(), as_of="2026-10-31"))
        mrr = round(want.at["mrr", "value"])
        assert f"€{mrr:,}" in shown[0]
        # A filter, typed in the sidebar's multiselect as a user does.
        page.locator(f'{SIDEBAR} [data-testid="stExpander"] summary').filter(
            has_text="Segments").click()
        box = page.locator(f'{SIDEBAR} [data-testid="stMultiSelect"]').filter(has_text="Industry")
        choose_in_multiselect(page, runs, box, "Healthcare")
        page.wait_for_function("location.search.includes('f.industry')", timeout=STEP_MS)
        filtered = _metrics(page)
        assert filtered != shown
        everyone = mrrkit.load_sample()["customer_id"].nunique()
        assert f"of {everyone:,} customers selected" in page.locator(SIDEBAR).inner_text()
        page.reload()
        page.locator('[data-testid="stMain"] h1').first.wait_for()
        runs.idle()
        assert _metrics(page) == filtered
        no_exception(page)
    except Exception:
        keep_evidence(page, "warehouse-filter")
        raise
    finally:
        context.close()


def test_the_other_pages_from_the_menu_some_twice_and_back_to_the_sample(app):
    context, page, runs = _open(app["browser"], f"{app['base']}?{AS_OF}")
    try:
        # The pages no other journey here opens, and a second click on two of them (a menu
        # clicked twice once crashed in Chromium; the upload's tour walks every page from every
        # page, the journeys below each open a page from the menu).
        for label in ["Cohorts", "Data", "Overview", "Cohorts", "Movements"]:
            _menu(page, runs, label)
            no_exception(page)
            main = page.locator('[data-testid="stMain"]').inner_text()
            if label == "Overview":
                assert len(_metrics(page)) == 11
            elif label == "Movements":
                assert page.locator('[data-testid="stVegaLiteChart"]').count() == 2
                assert "the same as the table" in main
            elif label == "Data":
                assert "Billing DW" in main and "10,603" in main
            else:  # Cohorts, Segments, Customers, Scenarios, Expansion
                assert page.locator('[data-testid="stVegaLiteChart"]').count() >= 1
        # The sample is still a choice (the radio of a page showing figures), and the warehouse
        # comes back.
        _menu(page, runs, "Overview")
        page.locator(SIDEBAR).get_by_text("Sample: a B2B SaaS, 4 years").click()
        runs.idle()
        _menu(page, runs, "Scenarios")
        no_exception(page)
        assert page.locator('[data-testid="stVegaLiteChart"]').count() >= 1
        page.locator(SIDEBAR).get_by_text("Your warehouse").click()
        runs.idle()
        _menu(page, runs, "Overview")
        assert "Billing DW" in page.locator(SIDEBAR).inner_text()
        no_exception(page)
    except Exception:
        keep_evidence(page, "warehouse-pages")
        raise
    finally:
        context.close()


def test_in_french(app):
    context, page, runs = _open(app["browser"], f"{app['base']}?{AS_OF}&lang=fr")
    try:
        no_exception(page)
        assert len(_metrics(page)) == 11
        _menu(page, runs, "Données")
        assert "est la source de données" in page.inner_text("body")
        _menu(page, runs, "Clients")
        assert "restent dans l'entrepôt" in page.inner_text("body")  # the list's first 250
        _menu(page, runs, "Scénarios")  # (every page runs on a warehouse)
        assert "Projection depuis la fin" in page.inner_text("body")
        no_exception(page)
    except Exception:
        keep_evidence(page, "warehouse-french")
        raise
    finally:
        context.close()


EN = number_format("en", "EUR")
PERIOD = "from=2025-11&to=2026-10"
_SAMPLE: dict = {}


def _sample_movements():
    if not _SAMPLE:
        _SAMPLE["mv"] = mrrkit.movements(mrrkit.load_sample(), as_of="2026-10-31")
    return _SAMPLE["mv"]


def _reconciled(month, kind, end=None) -> str:
    """The line the Movements page shows under a movement figure, from the sample in pandas."""
    rows = movements_in(_sample_movements(), month, kind, end)
    return (f"{EN.count(len(rows))} movements adding up to {EN.money(rows['amount'].sum(), 2)}: "
            "the same as the table")


def _alert(page, text: str) -> None:
    page.locator("[data-testid='stAlert']").filter(has_text=text).first.wait_for()


def _bar(page, chart: int, label: str):
    return page.locator("[data-testid='stVegaLiteChart']").nth(chart).locator(
        f"path[aria-label*='{label}']").first


def test_the_movements_page_lists_the_warehouses_movements(app):
    context, page, runs = _open(app["browser"], f"{app['base']}?{AS_OF}&{PERIOD}")
    try:
        _menu(page, runs, "Movements")
        no_exception(page)
        _alert(page, _reconciled("2026-10", "churn"))
        # A click on the bridge's expansion bar: the period's expansions, 500 of them shown.
        _bar(page, 0, "label: Expansion").click()
        page.wait_for_url(lambda u: "mv.kind=expansion" in u)
        runs.idle()
        _alert(page, _reconciled("2025-11", "expansion", "2026-10"))
        rows = movements_in(_sample_movements(), "2025-11", "expansion", "2026-10")
        main = page.locator('[data-testid="stMain"]')
        assert f"The 500 largest of {EN.count(len(rows))} are shown" in main.inner_text()
        # Its download (built on the click, in the warehouse): every movement, with its lines.
        with page.expect_download() as info:
            page.locator("[data-testid='stDownloadButton']").nth(4).click()
        assert info.value.suggested_filename == "expansion_period.csv"
        listing = pd.read_csv(info.value.path(), encoding="utf-8-sig")
        assert len(listing) == len(rows)
        assert listing["Change"].sum() == pytest.approx(rows["amount"].sum(), abs=1e-6)
        assert listing["Lines that changed"].str.contains("starts ").all()
        # A customer's trail: the third of the listing.
        box = main.locator("[data-testid='stSelectbox']").filter(has_text="Customer audit trail")
        box.locator("input").click()
        third = page.get_by_role("option").nth(2)
        third.wait_for()
        customer = third.inner_text().strip()
        third.click()
        page.wait_for_url(lambda u: f"mv.customer={customer}" in u)
        runs.idle()
        trail = _sample_movements().frame
        trail = trail[trail["customer_id"] == customer]
        assert f"Every movement of {customer}" in main.inner_text()
        assert main.locator("[data-testid='stDataFrame']").count() == 5
        assert len(trail) > 0
        # A reload keeps the figure and the customer (the address holds them).
        page.reload()
        page.locator('[data-testid="stMain"] h1').first.wait_for()
        runs.idle()
        _alert(page, _reconciled("2025-11", "expansion", "2026-10"))
        assert f"Every movement of {customer}" in main.inner_text()
        # The bridge's end bar: the customers paying at the end of the period.
        _bar(page, 0, "label: MRR at end").click()
        page.wait_for_url(lambda u: "mv.kind=mrr_end" in u)
        runs.idle()
        end = mrrkit.monthly(_sample_movements()).loc["2026-10"]
        _alert(page, f"{EN.count(end['customers'])} customers paying {EN.money(end['mrr'], 2)} "
                     "at the end of Oct 2026: the same as the table")
        # Away and back from the menu, twice.
        for _ in range(2):
            _menu(page, runs, "Overview")
            _menu(page, runs, "Movements")
            no_exception(page)
            _alert(page, "at the end of Oct 2026: the same as the table")
    except Exception:
        keep_evidence(page, "warehouse-movements")
        raise
    finally:
        context.close()


def _main(page) -> str:
    return page.locator('[data-testid="stMain"]').inner_text()


def _box(page, label: str):
    """The input of the main area's select box ``label`` (its value is the option shown; the
    tables are drawn on a canvas, the select boxes and captions are text)."""
    return page.locator('[data-testid="stMain"] [data-testid="stSelectbox"]').filter(
        has_text=label).locator("input")


def _pick(page, runs, label: str, option: str) -> None:
    """Choose ``option`` in the main area's select box ``label``, as a user does."""
    open_dropdown(page, _box(page, label), option)
    page.get_by_role("option", name=option, exact=True).click()
    runs.idle()


def test_segments_and_customers_from_the_menu_a_dimension_a_search_a_customer(app):
    lines = mrrkit.load_sample()
    mv = mrrkit.movements(lines, as_of="2026-10-31")
    context, page, runs = _open(app["browser"], f"{app['base']}?{AS_OF}")
    try:
        for _ in range(2):
            _menu(page, runs, "Segments")
            no_exception(page)
            assert _box(page, "Split by").input_value() == "Company size"
            assert "Period Nov 2025 to Oct 2026" in _main(page)
            _menu(page, runs, "Customers")
            no_exception(page)
            assert "2,979 customers listed" in _main(page)
        # Segments: another dimension, the MRR lost by reason follows it; a reload keeps it.
        _menu(page, runs, "Segments")
        _pick(page, runs, "Split by", "Industry")
        page.wait_for_function("location.search.includes('seg.dim=industry')", timeout=STEP_MS)
        runs.idle()
        assert page.locator('[data-testid="stVegaLiteChart"]').count() == 3
        page.reload()
        page.locator('[data-testid="stMain"] h1').first.wait_for()
        runs.idle()
        assert _box(page, "Split by").input_value() == "Industry"
        no_exception(page)

        # Customers: search a customer, open it, reload.
        _menu(page, runs, "Customers")
        summary = mrrkit.customer_summary(mv)
        wanted = "cus_1488"
        field = page.locator('[data-testid="stMain"] [data-testid="stTextInput"] input')
        field.fill("cus_148")
        field.press("Enter")
        runs.idle()
        page.wait_for_function("location.search.includes('cus.q=cus_148')", timeout=STEP_MS)
        listed = summary[summary.index.str.contains("cus_148")]
        page.locator('[data-testid="stMain"]').get_by_text(
            f"{len(listed)} customers listed").wait_for()  # (the search's run drawn)
        _pick(page, runs, "Customer", wanted)
        page.wait_for_function(f"location.search.includes('cus.id={wanted}')", timeout=STEP_MS)
        page.locator('[data-testid="stMain"]').get_by_text(f"MRR history of {wanted}").wait_for()
        mrr = summary.at[wanted, "mrr"]
        assert f"€{mrr:,.2f}" in _main(page)
        page.reload()
        page.locator('[data-testid="stMain"] h1').first.wait_for()
        runs.idle()
        assert f"MRR history of {wanted}" in _main(page)
        assert _box(page, "Customer").input_value() == wanted
        assert page.locator('[data-testid="stVegaLiteChart"]').count() >= 1
        no_exception(page)
    except Exception:
        keep_evidence(page, "warehouse-segments-customers")
        raise
    finally:
        context.close()


# --- the Scenarios and Expansion pages ----------------------------------------------------------


def _summary(page, expected: str | None = None, other_than: str | None = None) -> str:
    """The scenarios' summary table (the page's last table) as text, once drawn: once it shows
    ``expected`` when given, or anything but ``other_than`` (the grid redraws its cells a moment
    after the run that changed them)."""
    table = page.locator('[data-testid="stMain"] [data-testid="stDataFrame"]').last
    table.scroll_into_view_if_needed()
    text = None
    for _ in range(STEP_MS // 100):
        text = table.text_content()
        if (text and "Baseline" in text and expected in (None, text)
                and (other_than is None or text != other_than)):
            return text
        page.wait_for_timeout(100)
    raise AssertionError(f"the scenarios' summary table shows {text!r}")


def _choose(page, box, option: str) -> None:
    """Choose ``option`` in a selectbox as a user does: typed, then Enter."""
    box.locator("input").click()
    page.keyboard.type(option)
    page.get_by_role("option", name=option, exact=True).wait_for()
    page.keyboard.press("Enter")


def _wait_for(page, runs, script: str) -> None:
    page.wait_for_function(script, timeout=STEP_MS)
    runs.idle()


def test_the_scenarios_page_moves_its_levers_and_scope_in_the_warehouse(app):
    context, page, runs = _open(app["browser"], f"{app['base']}?{AS_OF}")
    try:
        for _ in range(2):
            _menu(page, runs, "Scenarios")
            no_exception(page)
            main = page.locator('[data-testid="stMain"]')
            assert len(_metrics(page)) >= 5  # the retention model's tiles
            _menu(page, runs, "Overview")
        _menu(page, runs, "Scenarios")
        before = _summary(page)
        # The price lever, one step to the right with the keyboard.
        lever = main.locator('[data-testid="stSlider"]').filter(has_text="Price change")
        lever.locator('input[type="range"]').first.focus()
        page.keyboard.press("ArrowRight")
        _wait_for(page, runs, "location.search.includes('sc.1.price_change_pct=1')")
        moved = _summary(page, other_than=before)
        # The scope: one industry.
        scope = main.locator('[data-testid="stSelectbox"]').filter(
            has=page.get_by_text("Applies to", exact=True))
        _choose(page, scope, "Industry")
        _wait_for(page, runs, "location.search.includes('sc.1.scope_dim=industry')")
        assert "In scope:" in main.inner_text()
        first_value = _summary(page, other_than=moved)
        value = main.locator('[data-testid="stSelectbox"]').filter(
            has=page.get_by_text("Segment", exact=True))
        _choose(page, value, "Software")
        _wait_for(page, runs, "location.search.includes('sc.1.scope_value=Software')")
        scoped = _summary(page, other_than=first_value)
        said = [line for line in main.inner_text().splitlines() if "In scope:" in line]
        assert len(said) == 1
        page.reload()
        page.locator('[data-testid="stMain"] h1').first.wait_for()
        runs.idle()
        assert _summary(page, scoped) == scoped
        assert [line for line in main.inner_text().splitlines() if "In scope:" in line] == said
        no_exception(page)
    except Exception:
        keep_evidence(page, "warehouse-scenarios")
        raise
    finally:
        context.close()


def _tables(page) -> list[str]:
    """Every table of the page as text, once each is drawn."""
    tables = page.locator('[data-testid="stMain"] [data-testid="stDataFrame"]')
    out = []
    for i in range(tables.count()):
        table = tables.nth(i)
        table.scroll_into_view_if_needed()
        for _ in range(STEP_MS // 100):
            text = table.text_content()
            if text:
                break
            page.wait_for_timeout(100)
        out.append(text)
    return out


def test_the_expansion_page_moves_its_choices_in_the_warehouse(app):
    context, page, runs = _open(app["browser"], f"{app['base']}?{AS_OF}")
    try:
        for _ in range(2):
            _menu(page, runs, "Expansion")
            no_exception(page)
            main = page.locator('[data-testid="stMain"]')
            assert len(_metrics(page)) == 11  # expansion, top plan and tier-limit tiles
            _menu(page, runs, "Overview")
        _menu(page, runs, "Expansion")
        before = _metrics(page)
        split_by = main.locator('[data-testid="stSelectbox"]').filter(
            has=page.get_by_text("Split by", exact=True))
        _choose(page, split_by, "Industry")
        _wait_for(page, runs, "location.search.includes('ex.dim=industry')")
        near = main.locator('[data-testid="stSelectbox"]').filter(
            has=page.get_by_text("Near the limit from", exact=True))
        _choose(page, near, "60%")
        _wait_for(page, runs, "location.search.includes('ex.near=60')")
        after = _metrics(page)
        assert after[-3:] != before[-3:]  # the tier-limit tiles
        tables = _tables(page)
        assert any("Healthcare" in text for text in tables)
        page.reload()
        page.locator('[data-testid="stMain"] h1').first.wait_for()
        runs.idle()
        assert _metrics(page) == after
        assert any("Healthcare" in text for text in _tables(page))
        no_exception(page)
    except Exception:
        keep_evidence(page, "warehouse-expansion")
        raise
    finally:
        context.close()
