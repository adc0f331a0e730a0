"""End to end in a real browser (issue 6): the app served by ``streamlit run``, driven by
Playwright through Debian's chromium (never a browser Playwright downloads).

1. Open the home page, go to the Data page through the sidebar, upload a Stripe subscriptions
   export, use it, change a segment filter, click Share; open the link in a new browser context
   (a new session, as a colleague would) and see the same KPI figures and the same filter.
2. On a fresh server started with ``MRRKIT_PASSWORD``, every page opened directly by its URL (a
   deep link with the shared view's token) shows the password gate and nothing else; after the
   password, the deep link opens the shared data and filter, and the tables offer no unescaped
   CSV download of their own.
3. With OIDC sign-in (``st.login`` against a small local OpenID provider, tests/apps/fake_oidc.py)
   a deep link shows only "Sign in"; after signing in, the browser comes back to the page and
   the shared view it opened; an account outside the allowed domains sees no data.
4. Deleting the link (behind a confirmation) makes it open nothing for anyone.

Ports: free ones from the system, or from ``MRRKIT_E2E_PORTS=first-last`` when set (a machine
shared with other servers).

Skipped, saying why, only when chromium or Playwright cannot be found (``make test`` installs
chromium with apt-get when it can). Every wait is bounded; the servers are always stopped.
"""

from __future__ import annotations

import pytest

from mrrkit import KPI_NAMES
from tests._browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    METRIC,
    ROOT,
    SIDEBAR,
    STEP_MS,
    Runs,
    free_port,
    keep_evidence,
    new_page,
    no_exception,
    open_dropdown,
    playwright,
    sidebar_link,
    start_server,
    stop_server,
    wait_healthy,
)

STRIPE = ROOT / "tests" / "fixtures" / "exports" / "stripe_subscriptions.csv"
PASSWORD = "e2e secret"

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """An open server and a password-protected one, started together, sharing a views store."""
    sync_playwright = playwright()
    tmp = tmp_path_factory.mktemp("e2e")
    views = tmp / "views"
    ports = {"open": free_port()}
    ports["gated"] = free_port({ports["open"]})
    procs = {}
    try:
        for name, port in ports.items():
            procs[name] = start_server(port, views, tmp / f"{name}.log", PASSWORD if name == "gated" else None)
        for name, port in ports.items():
            wait_healthy(port, procs[name], tmp / f"{name}.log")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, timeout=STEP_MS,
            )
            try:
                yield {
                    "browser": browser,
                    **{name: f"http://127.0.0.1:{port}/" for name, port in ports.items()},
                    "shared": {},
                    "views": views,
                    "tmp": tmp,
                    "ports": set(ports.values()),
                }
            finally:
                browser.close()
    finally:
        for proc in procs.values():
            stop_server(proc)


def _kpis(page, runs: Runs) -> dict[str, str]:
    """The KPI tiles of the overview, label -> value, once all are drawn."""
    page.locator(METRIC).first.wait_for()
    runs.idle()
    tiles = page.locator(METRIC)
    assert tiles.count() == len(KPI_NAMES), page.locator('[data-testid="stMain"]').inner_text()
    out = {}
    for i in range(tiles.count()):
        tile = tiles.nth(i)
        label = tile.locator('[data-testid="stMetricLabel"]').inner_text().strip()
        out[label] = tile.locator('[data-testid="stMetricValue"]').inner_text().strip()
    return out


def test_upload_filter_share_and_reopen(servers):
    browser, base = servers["browser"], servers["open"]
    context, page, runs = new_page(browser)
    try:
        page.goto(base)
        sample = _kpis(page, runs)
        assert sample["MRR"].startswith("€")  # the bundled sample

        sidebar_link(page, "Data").click()
        page.get_by_text("Every page shows the bundled sample.").wait_for()
        page.locator('[data-testid="stFileUploader"] input[type="file"]').first.set_input_files(
            STRIPE
        )
        page.get_by_text("Detected format: Stripe subscriptions export").wait_for()
        runs.idle()
        runs.click(page.get_by_role("button", name="Use this data"))
        page.get_by_text(f"Every page uses {STRIPE.name} for this session.").wait_for()
        no_exception(page)

        sidebar_link(page, "Overview").click()
        page.get_by_role("heading", name="MRR overview").wait_for()
        uploaded = _kpis(page, runs)
        assert uploaded["MRR"].startswith("$") and uploaded != sample

        sidebar = page.locator(SIDEBAR)
        sidebar.locator("summary", has_text="Segments").click()  # an expander: no run
        industry = sidebar.locator('[data-testid="stMultiSelect"]').filter(has_text="Industry")
        open_dropdown(page, industry.locator("input"), "saas")
        runs.click(page.get_by_role("option", name="saas", exact=True))
        page.keyboard.press("Escape")
        filtered = _kpis(page, runs)
        assert filtered != uploaded, "the filter changed no figure"

        sidebar.locator("summary", has_text="Share with the data").click()
        runs.click(sidebar.get_by_role("button", name="Share", exact=True))
        link_box = page.locator(".st-key-mrrkit-share code")
        link_box.wait_for(state="attached")
        link = link_box.inner_text().strip()
        # st.context.url: the page's address without a trailing slash on the home page
        assert link.startswith(f"{base.rstrip('/')}?view="), link
        servers["shared"]["token"] = link.rsplit("=", 1)[1]
        no_exception(page)
    except Exception:
        keep_evidence(page, "share")
        raise
    finally:
        context.close()

    # A colleague opens the link: a new browser context is a new session with nothing uploaded.
    context, page, runs = new_page(browser)
    try:
        page.goto(link)
        assert _kpis(page, runs) == filtered
        chosen = page.locator(SIDEBAR).locator('[data-testid="stMultiSelect"]').filter(
            has_text="Industry"
        )
        assert "saas" in chosen.inner_text()
        page.get_by_text("You are looking at a shared view").wait_for()
        no_exception(page)
    except Exception:
        keep_evidence(page, "reopen")
        raise
    finally:
        context.close()


#: Every page's address (Streamlit names a page after its file, without the number).
PAGE_PATHS = ["", *sorted(p.stem.split("_", 1)[1] for p in (ROOT / "pages").glob("*.py"))]
# The deep links below ask for French (?lang=fr): the gate speaks it too.
GATE_TEXT = ["mrrkit",
             "Cette application est protégée. Saisissez le mot de passe qui vous a été donné.",
             "Mot de passe", "Entrer"]


def _main_text(page) -> list[str]:
    lines = page.locator('[data-testid="stMain"]').inner_text().split("\n")
    return [line.strip() for line in lines if line.strip() and line.strip() != "visibility"]


def test_every_page_opened_by_its_url_shows_only_the_gate_then_the_shared_view(servers):
    browser, base = servers["browser"], servers["gated"]
    token = servers["shared"].get("token", "A" * 43)
    assert len(PAGE_PATHS) >= 8  # the home page and every file in pages/
    # A visitor with nothing but the link, on each page: one browser context whose cookies and
    # storage are emptied before each link (a new context each took 2-3 s to load Streamlit's
    # code again; the cookies are what a visitor brings).
    context, page, runs = new_page(browser)
    try:
        for path in PAGE_PATHS:
            context.clear_cookies()
            if page.url.startswith("http"):
                page.evaluate("localStorage.clear(); sessionStorage.clear()")
            page.goto(f"{base}{path}?view={token}&lang=fr")
            page.locator('input[type="password"]').wait_for()
            runs.idle()
            assert _main_text(page) == GATE_TEXT, (path, _main_text(page))
            for hidden in (METRIC, '[data-testid="stDataFrame"]', '[data-testid="stVegaLiteChart"]',
                           '[data-testid="stFileUploader"]', SIDEBAR):
                assert page.locator(hidden).count() == 0, (path, hidden)
            no_exception(page)
    except Exception:
        keep_evidence(page, f"gate-{path or 'home'}")
        raise
    finally:
        context.close()

    # Let in: the deep link opens the shared data with its filter, on the page it named.
    if "token" not in servers["shared"]:
        pytest.fail("no shared link to open: test_upload_filter_share_and_reopen failed before "
                    "its Share click (see its failure); the gate itself was checked above")
    context, page, runs = new_page(browser)
    try:
        page.goto(f"{base}Segments?view={token}")
        page.locator('input[type="password"]').fill(PASSWORD)
        runs.click(page.get_by_role("button", name="Enter"))
        page.get_by_text("You are looking at a shared view").wait_for()
        runs.idle()
        chosen = page.locator(SIDEBAR).locator('[data-testid="stMultiSelect"]').filter(
            has_text="Industry"
        )
        assert "saas" in chosen.inner_text()
        assert STRIPE.name in page.locator(SIDEBAR).inner_text()
        table = page.locator('[data-testid="stElementContainer"]').filter(
            has=page.locator('[data-testid="stDataFrame"]')
        ).first
        table.hover()
        toolbar = table.locator('[data-testid="stElementToolbar"]')
        toolbar.get_by_role("button", name="Search").wait_for()  # the toolbar is there...
        # ...without Streamlit's own CSV export, which writes "=..." cells unescaped.
        assert toolbar.get_by_role("button", name="Download as CSV").count() == 0
        assert page.get_by_role("button", name="Download as CSV").count() == 0
        no_exception(page)
    except Exception:
        keep_evidence(page, "gate-login")
        raise
    finally:
        context.close()


def test_oidc_sign_in_comes_back_to_the_shared_link(servers):
    """st.login for real, against a local OpenID provider: only "Sign in" on a deep link; after
    the round trip the browser is back on that page with the shared view; a refused account sees
    no data."""
    import secrets as random

    from tests.apps.fake_oidc import FakeOIDC

    token = servers["shared"].get("token")
    if token is None:
        pytest.skip("the share test did not make a link")
    idp = FakeOIDC("mrrkit-e2e", "e2e-client-secret", email="ann@acme.com")
    port = free_port(servers["ports"])
    tmp = servers["tmp"]
    secrets_file = tmp / "oidc-secrets.toml"
    secrets_file.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{random.token_hex(32)}"\n'
        'client_id = "mrrkit-e2e"\nclient_secret = "e2e-client-secret"\n'
        f'server_metadata_url = "{idp.metadata_url}"\n'
        'allowed_domains = ["acme.com"]\n'
    )
    log = tmp / "oidc.log"
    proc = start_server(port, servers["views"], log, None, secrets=secrets_file)
    base = f"http://127.0.0.1:{port}/"
    try:
        wait_healthy(port, proc, log)
        context, page, runs = new_page(servers["browser"])
        try:
            page.goto(f"{base}Segments?view={token}")
            sign_in = page.get_by_role("button", name="Sign in")
            sign_in.wait_for()
            runs.idle()
            assert _main_text(page) == ["mrrkit", "This app is protected. Sign in to continue.",
                                        "Sign in"]
            assert page.locator(SIDEBAR).count() == 0
            sign_in.click()  # to the provider and back: a new page load, a new session
            page.get_by_text("You are looking at a shared view").wait_for()
            runs.idle()
            assert idp.sign_ins == 1
            assert page.url.startswith(f"{base}Segments?") and f"view={token}" in page.url
            chosen = page.locator(SIDEBAR).locator('[data-testid="stMultiSelect"]').filter(
                has_text="Industry"
            )
            assert "saas" in chosen.inner_text()
            assert STRIPE.name in page.locator(SIDEBAR).inner_text()
            assert page.locator(SIDEBAR).get_by_role("button", name="Sign out").count() == 1
            no_exception(page)
        except Exception:
            keep_evidence(page, "oidc")
            raise
        finally:
            context.close()

        idp.email = "eve@evil.example"  # signs in fine at the provider, outside acme.com
        context, page, runs = new_page(servers["browser"])
        try:
            page.goto(f"{base}Segments?view={token}")
            page.get_by_role("button", name="Sign in").click()
            page.get_by_text("eve@evil.example is not allowed to open this app.").wait_for()
            runs.idle()
            for hidden in (METRIC, '[data-testid="stDataFrame"]', '[data-testid="stVegaLiteChart"]',
                           SIDEBAR):
                assert page.locator(hidden).count() == 0, hidden
            assert idp.sign_ins == 2
            no_exception(page)
        except Exception:
            keep_evidence(page, "oidc-refused")
            raise
        finally:
            context.close()
    finally:
        stop_server(proc)
        idp.stop()


def test_a_deleted_link_opens_nothing(servers):
    browser, base = servers["browser"], servers["open"]
    token = servers["shared"].get("token")
    if token is None:
        pytest.skip("the share test did not make a link")
    context, page, runs = new_page(browser)
    try:
        page.goto(f"{base}?view={token}")
        _kpis(page, runs)
        sidebar = page.locator(SIDEBAR)
        sidebar.get_by_role("button", name="Delete this link").click()  # a popover: no run
        runs.click(page.get_by_role("button", name="Delete the link for everyone"))
        page.get_by_text("The link was deleted").wait_for()
        no_exception(page)
    except Exception:
        keep_evidence(page, "delete")
        raise
    finally:
        context.close()
    context, page, runs = new_page(browser)
    try:
        page.goto(f"{base}?view={token}")
        page.get_by_text("This shared link is unknown or has expired").wait_for()
        runs.idle()
        assert STRIPE.name not in page.locator(SIDEBAR).inner_text()
        no_exception(page)
    except Exception:
        keep_evidence(page, "deleted")
        raise
    finally:
        context.close()
