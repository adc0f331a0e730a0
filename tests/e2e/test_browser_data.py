"""The Data page's file uploaders in a real browser: the app served by ``streamlit run``, driven by
Playwright through Debian's chromium.

Streamlit's uploader writes its own English ("Upload", "200MB per file • CSV, ...", "Drag and drop
a file here") and has no parameter to change it; the page hides those words with a style block
and writes the reader's through CSS ``content`` (ui.data.uploader_style). AppTest only sees the
style block: only a browser shows whether its selectors still find Streamlit's elements. The
words are read as a person sees them: text drawn (not hidden, not shrunk to nothing) and the
``::before``/``::after`` contents.

Skipped, saying why, when chromium or Playwright cannot be found. The server is always stopped.
"""

from __future__ import annotations

import pytest

from tests._browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    STEP_MS,
    free_port,
    keep_evidence,
    new_page,
    no_exception,
    playwright,
    start_server,
    stop_server,
    wait_healthy,
)
from tests.app.test_pages_data import STRIPE, UPLOADER_ENGLISH
from ui.i18n import text

pytestmark = pytest.mark.e2e

UPLOADER = '[data-testid="stFileUploader"]'
DROPZONE = '[data-testid="stFileUploaderDropzone"]'
#: The words a person sees in an element: its text nodes that are drawn (no ``display: none`` on
#: the way, a font size above 0) and the contents of the ``::before``/``::after`` it draws; Material
#: icons (their ligature's name is text, "upload") left out.
SHOWN = """root => {
  const out = [];
  const drawn = (style) => style.display !== 'none' && parseFloat(style.fontSize) > 0;
  const walk = (el) => {
    if (el.dataset.testid === 'stIconMaterial' || el.tagName === 'svg') return;
    const style = getComputedStyle(el);
    if (style.display === 'none') return;
    for (const node of el.childNodes) {
      if (node.nodeType === Node.TEXT_NODE && node.textContent.trim() && drawn(style)) {
        out.push(node.textContent.trim());
      } else if (node.nodeType === Node.ELEMENT_NODE) {
        walk(node);
      }
    }
    for (const pseudo of ['::before', '::after']) {
      const p = getComputedStyle(el, pseudo);
      if (p.content.startsWith('"') && drawn(p)) out.push(JSON.parse(p.content));
    }
  };
  walk(root);
  return out;
}"""


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    sync_playwright = playwright()
    tmp = tmp_path_factory.mktemp("uploader")
    port = free_port()
    log = tmp / "streamlit.log"
    proc = start_server(port, tmp / "views", log, None)
    try:
        wait_healthy(port, proc, log)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, timeout=STEP_MS,
            )
            try:
                yield browser, f"http://127.0.0.1:{port}/"
            finally:
                browser.close()
    finally:
        stop_server(proc)


def _english(words: list[str]) -> list[str]:
    """The words Streamlit would have written (Italian's "200 MB per file" is Italian)."""
    return [w for w in words for english in UPLOADER_ENGLISH
            if english in w.replace(" MB per file", "")]


@pytest.mark.parametrize("lang", ["fr", "it"])
def test_the_uploaders_show_no_english(app, lang):
    browser, base = app
    t = text(lang)
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    limit = t("data.upload_limit", size=str(config["server"]["maxUploadSize"]))  # the server's
    context, page, runs = new_page(browser)
    try:
        page.goto(f"{base}Data?lang={lang}")
        page.locator('[data-testid="stFileUploaderDropzoneInstructions"]').first.wait_for()
        runs.idle()
        no_exception(page)
        uploaders = page.locator(UPLOADER)
        assert uploaders.count() == 2
        for i, label in enumerate([t("data.subscriptions"), t("data.customers")]):
            shown = uploaders.nth(i).evaluate(SHOWN)
            types = "CSV, TSV, TXT, XLSX, XLS, PARQUET, JSON, JSONL, NDJSON"
            assert shown == [label, t("data.upload_button"), f"{limit} • {types}"], shown
        # A file dragged over the dropzone: its banner.
        dragged = page.evaluate_handle(
            "() => { const d = new DataTransfer();"
            " d.items.add(new File(['a,b'], 'x.csv', {type: 'text/csv'})); return d; }"
        )
        zone = page.locator(DROPZONE).first
        zone.dispatch_event("dragenter", {"dataTransfer": dragged})
        page.get_by_text("Drag and drop a file here").wait_for(state="attached")
        shown = zone.evaluate(SHOWN)
        assert shown[0] == t("data.upload_drop") and not _english(shown), shown
        zone.dispatch_event("dragleave", {"dataTransfer": dragged})
        # A file read: its name and size, nothing in English.
        page.locator(f"{UPLOADER} input[type=file]").first.set_input_files(STRIPE)
        page.get_by_text(t("data.format", format=t("format.stripe_subscriptions"))).wait_for()
        runs.idle()
        shown = uploaders.first.evaluate(SHOWN)
        assert STRIPE.name[:7] in " ".join(shown) and not _english(shown), shown
        no_exception(page)
    except Exception:
        keep_evidence(page, f"uploader-{lang}")
        raise
    finally:
        context.close()


def _upload_on_data_page(page, runs, base: str, path) -> None:
    """Open the Data page and put ``path`` in its subscriptions uploader."""
    page.goto(f"{base}Data")
    page.locator('[data-testid="stFileUploaderDropzoneInstructions"]').first.wait_for()
    runs.idle()
    page.locator(f"{UPLOADER} input[type=file]").first.set_input_files(path)


def test_the_end_date_choice_reads_the_file_again_and_stays(app, tmp_path):
    """Issue 14: a billing-period table whose ends are the last day billed. The page says it
    detected that; clicking "the first day not paid" reads the file again that way, and the
    choice stays chosen (no snapping back to the detected one)."""
    from tests.app.test_pages_data import _invoices_with_last_billed_days

    browser, base = app
    t = text("en")
    path = tmp_path / "invoices.csv"
    path.write_bytes(_invoices_with_last_billed_days())
    context, page, runs = new_page(browser)
    try:
        _upload_on_data_page(page, runs, base, path)
        group = page.get_by_role("radiogroup", name=t("data.ends"))
        detected = group.get_by_text(t("data.ends.detected_inclusive"))
        detected.wait_for()
        runs.idle()
        assert group.get_by_role("radio").nth(0).is_checked()
        # (The notes are in a folded expander: there, not drawn.)
        page.get_by_text("End dates read as the last day paid", exact=False).first.wait_for(
            state="attached")
        group.get_by_text(t("data.ends.exclusive")).click()
        group.get_by_text(t("data.ends.auto")).wait_for()  # the first choice no longer "detected"
        runs.idle()
        assert group.get_by_role("radio").nth(2).is_checked()
        assert page.get_by_text("End dates read as the last day paid", exact=False).count() == 0
        page.wait_for_timeout(1500)  # a late rerun would put the old choice back
        runs.idle()
        assert group.get_by_role("radio").nth(2).is_checked()
        no_exception(page)
    except Exception:
        keep_evidence(page, "end-dates")
        raise
    finally:
        context.close()


def test_a_status_value_given_a_meaning_reads_the_file_again_and_stays(app, tmp_path):
    """Issue 14: an invoice table whose status 'dormant' no usual word explains. The page shows
    what each value means, 'dormant' with none (its row rejected); the user picks "Paused",
    applies, and the file is read again with that meaning, which stays chosen."""
    from tests._browser import open_dropdown
    from tests.app.test_pages_data import INVOICE_LINES

    browser, base = app
    t = text("en")
    path = tmp_path / "invoices.csv"
    path.write_bytes(INVOICE_LINES)
    context, page, runs = new_page(browser)
    try:
        _upload_on_data_page(page, runs, base, path)
        page.get_by_text(t("data.meanings")).first.wait_for()  # unfolded: a value has no meaning
        runs.idle()
        label = t.plural("data.meaning_of", 1, value="dormant", count="1")
        field = page.get_by_role("combobox", name=label)
        assert field.input_value() == t("data.meaning_none")
        lines = page.locator("[data-testid='stMetric']").filter(has_text="Lines").locator(
            "[data-testid='stMetricValue']")
        assert lines.inner_text().strip() == "5"
        open_dropdown(page, field, t("data.meaning.paused"))
        page.get_by_role("option", name=t("data.meaning.paused"), exact=True).click()
        page.get_by_role("button", name=t("data.meanings_apply")).click()
        page.get_by_role("button", name=t("data.meanings_reset")).wait_for()
        runs.idle()
        assert field.input_value() == t("data.meaning.paused")
        assert lines.inner_text().strip() == "6"
        page.wait_for_timeout(1500)  # a late rerun would put the old meaning back
        runs.idle()
        assert field.input_value() == t("data.meaning.paused")
        no_exception(page)
    except Exception:
        keep_evidence(page, "meanings")
        raise
    finally:
        context.close()


def test_a_file_not_used_yet_survives_a_visit_to_another_page(app, tmp_path):
    """A click-through found the upload gone after visiting another page before "Use this
    data" (Streamlit's uploader forgets its file when unmounted): it stays, its reading too."""
    from tests.app.test_pages_data import INVOICE_LINES

    browser, base = app
    t = text("en")
    path = tmp_path / "invoices.csv"
    path.write_bytes(INVOICE_LINES)
    context, page, runs = new_page(browser)
    try:
        _upload_on_data_page(page, runs, base, path)
        page.get_by_text(t("data.meanings")).first.wait_for()
        runs.idle()
        page.get_by_role("link", name=t("page.movements")).click()
        page.wait_for_url("**/Movements**")
        runs.idle()
        page.get_by_role("link", name=t("page.data")).click()
        page.wait_for_url("**/Data**")
        page.get_by_text("is still loaded, not in use yet", exact=False).wait_for()
        runs.idle()
        lines = page.locator("[data-testid='stMetric']").filter(has_text="Lines").locator(
            "[data-testid='stMetricValue']")
        assert lines.inner_text().strip() == "5"
        page.get_by_role("button", name=t("data.pending_forget")).click()
        page.get_by_text(t("data.where")).first.wait_for()
        no_exception(page)
    except Exception:
        keep_evidence(page, "pending-upload")
        raise
    finally:
        context.close()
