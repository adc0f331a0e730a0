"""The Movements page's drill-down in a real browser: the app served by ``streamlit run``, driven
by Playwright through Debian's chromium.

A click on a bar of the monthly movements chart, or of the bridge (waterfall), picks that figure;
the pickers can change it by hand; each time the list below adds up to the figure of mrrkit's
monthly table, and the chart highlights the bar that is listed. AppTest cannot click a chart:
only a browser runs Vega's selection and sends it back to the server.

Skipped, saying why, when chromium or Playwright cannot be found. The server is started on the
first free port of 8630-8639 (else any free port) and always stopped.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

import mrrkit
from mrrkit.views.bridge import movements_in
from ui.format import number_format

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
STEP_MS = 30_000
EN = number_format("en", "EUR")
PERIOD = {"from": "2025-11", "to": "2026-10"}

pytestmark = pytest.mark.e2e


def _port() -> int:
    for port in [*range(8630, 8640), 0]:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise RuntimeError("no free port")


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no browser at {CHROMIUM} (apt-get install chromium); browser test skipped")
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    port = _port()
    log = tmp_path_factory.mktemp("browser") / "streamlit.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MRRKIT_")}
    env["MRRKIT_VIEWS_DIR"] = str(log.parent / "views")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"streamlit exited:\n{log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError(f"streamlit not up:\n{log.read_text()[-2000:]}") from None
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def browser(app_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


def _expected(month, kind, end=None) -> str:
    """The reconciliation line the page must show for a movements figure, from mrrkit."""
    _, mv = _sample()
    rows = movements_in(mv, month, kind, end)
    return (f"{EN.count(len(rows))} movements adding up to {EN.money(rows['amount'].sum(), 2)}: "
            "the same as the table")


_CACHE = {}


def _sample():
    if not _CACHE:
        lines = mrrkit.load_sample()
        _CACHE["v"] = (lines, mrrkit.movements(lines))
    return _CACHE["v"]


def _wait(page, url_part: str, text: str) -> None:
    page.wait_for_url(lambda u: url_part in u, timeout=STEP_MS)
    page.locator("[data-testid='stAlert']").filter(has_text=text).first.wait_for(timeout=STEP_MS)


def _bar(page, chart: int, label: str):
    return page.locator("[data-testid='stVegaLiteChart']").nth(chart).locator(
        f"path[aria-label*='{label}']").first


def _highlighted(page, expected: list[str] | int) -> list[str]:
    """Month and movement of the bars drawn at full opacity in the movements chart, once they
    are ``expected`` (a list, or how many), or what they are when the wait ends."""
    deadline = time.monotonic() + STEP_MS / 1000
    while True:
        bars = page.locator("[data-testid='stVegaLiteChart']").nth(1).locator(
            "path[aria-label*='Movement:']")
        out = []
        try:
            for i in range(bars.count()):
                bar = bars.nth(i)
                if (bar.get_attribute("opacity", timeout=2000) or "1") == "1":
                    label = bar.get_attribute("aria-label", timeout=2000)
                    out.append(label.split("Month: ")[1].split("; MRR")[0])
        except Exception:  # noqa: BLE001 - the chart was redrawn while being read: read again
            out = None
        done = out is not None and (out == expected if isinstance(expected, list)
                                    else len(out) == expected)
        if done or time.monotonic() > deadline:
            return out
        time.sleep(0.25)


def test_click_a_bar_or_pick_to_list_what_makes_up_the_figure(app_url, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 2400})
    page.set_default_timeout(STEP_MS)
    page.goto(f"{app_url}/Movements?from={PERIOD['from']}&to={PERIOD['to']}")
    page.locator("[data-testid='stAlert']").filter(has_text=_expected("2026-10", "churn")).wait_for()
    assert _highlighted(page, ["Oct 2026; Movement: Churn"]) == ["Oct 2026; Movement: Churn"]

    # 1. A click on April's churn bar lists April's churns, adding up to the table's cell.
    _bar(page, 1, "Month: Apr 2026; Movement: Churn").click()
    _wait(page, "mv.month=2026-04", _expected("2026-04", "churn"))
    assert _highlighted(page, ["Apr 2026; Movement: Churn"]) == ["Apr 2026; Movement: Churn"]

    # 2. Another bar, another kind.
    _bar(page, 1, "Month: Jun 2026; Movement: New").click()
    _wait(page, "mv.kind=new", _expected("2026-06", "new"))
    assert "mv.month=2026-06" in page.url

    # 3. Pick a month by hand: the chart follows (no stale selection).
    box = page.locator("[data-testid='stMain'] [data-testid='stSelectbox']").filter(has_text="Month")
    box.locator("button").click()
    page.get_by_role("option", name="Feb 2026").click()
    _wait(page, "mv.month=2026-02", _expected("2026-02", "new"))
    assert _highlighted(page, ["Feb 2026; Movement: New"]) == ["Feb 2026; Movement: New"]

    # 4. ... and a click on June's new bar again picks it again.
    _bar(page, 1, "Month: Jun 2026; Movement: New").click()
    _wait(page, "mv.month=2026-06", _expected("2026-06", "new"))

    # 5. A click on the bridge's contraction bar lists the whole period's contractions.
    _bar(page, 0, "label: Contraction").click()
    _wait(page, "mv.month=period", _expected("2025-11", "contraction", "2026-10"))
    assert "mv.kind=contraction" in page.url
    assert len(_highlighted(page, 12)) == 12  # every month's contraction bar

    # 6. The bridge's end bar: the customers paying at the end, adding up to the end MRR.
    _bar(page, 0, "label: MRR at end").click()
    _, mv = _sample()
    table = mrrkit.monthly(mv)
    end = table.loc["2026-10"]
    _wait(page, "mv.kind=mrr_end",
          f"{EN.count(end['customers'])} customers paying {EN.money(end['mrr'], 2)} at the end of "
          "Oct 2026: the same as the table")

    # 7. The whole period's expansions: 500 on screen, all of them (with their lines) in the CSV.
    _bar(page, 0, "label: Expansion").click()
    rows = movements_in(mv, "2025-11", "expansion", "2026-10")
    _wait(page, "mv.kind=expansion", _expected("2025-11", "expansion", "2026-10"))
    assert len(rows) > 500
    buttons = page.locator("[data-testid='stDownloadButton']")
    with page.expect_download(timeout=STEP_MS) as info:
        buttons.nth(4).click()  # the listing's CSV (after the monthly table's and the bridge's)
    assert info.value.suggested_filename == "expansion_period.csv"
    listing = pd.read_csv(info.value.path(), encoding="utf-8-sig")
    assert len(listing) == len(rows)
    assert listing["Change"].sum() == pytest.approx(rows["amount"].sum(), abs=1e-6)
    assert listing["Lines that changed"].str.contains("starts ").all()
    page.close()
