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

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from mrrkit import KPI_NAMES

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
STRIPE = ROOT / "tests" / "fixtures" / "exports" / "stripe_subscriptions.csv"
PASSWORD = "e2e secret"
STEP_MS = 30_000  # any single browser step
STARTUP_S = 60

pytestmark = pytest.mark.e2e

METRIC = '[data-testid="stMetric"]'
SIDEBAR = '[data-testid="stSidebar"]'


def _playwright():
    if not Path(CHROMIUM).exists():
        pytest.skip(
            f"no browser at {CHROMIUM}: `make test` installs Debian's chromium when run as root "
            "with apt-get (apt-get install chromium); browser test skipped"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install -r requirements-dev.txt); "
                    "browser test skipped")
    return sync_playwright


def _free_port(taken: set[int] = frozenset()) -> int:
    wanted = os.environ.get("MRRKIT_E2E_PORTS", "").strip()
    candidates = [0]
    if wanted:
        first, _, last = wanted.partition("-")
        candidates = [p for p in range(int(first), int(last or first) + 1) if p not in taken]
    for port in candidates:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise RuntimeError(f"no free port in MRRKIT_E2E_PORTS={wanted}")


def _start(port: int, views: Path, log: Path, password: str | None,
           secrets: Path | None = None) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MRRKIT_")}
    env["MRRKIT_VIEWS_DIR"] = str(views)
    if password:
        env["MRRKIT_PASSWORD"] = password
    # Only the secrets given here, never a developer's own ~/.streamlit or .streamlit ones.
    secrets = secrets or log.with_suffix(".secrets.toml")
    if not secrets.exists():
        secrets.write_text("")
    env["AUTHLIB_INSECURE_TRANSPORT"] = "1"  # the test's identity provider is plain http on loopback
    return subprocess.Popen(
        [
            sys.executable, "-m", "streamlit", "run", "app.py",
            "--server.headless", "true", "--server.port", str(port),
            "--server.address", "127.0.0.1", "--server.fileWatcherType", "none",
            "--browser.gatherUsageStats", "false", "--secrets.files", str(secrets),
        ],
        cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stopping it stops its children only
    )


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def _wait_healthy(port: int, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"streamlit exited ({proc.returncode}):\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"streamlit not healthy after {STARTUP_S} s:\n{log.read_text()[-2000:]}")


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """An open server and a password-protected one, started together, sharing a views store."""
    sync_playwright = _playwright()
    tmp = tmp_path_factory.mktemp("e2e")
    views = tmp / "views"
    ports = {"open": _free_port()}
    ports["gated"] = _free_port({ports["open"]})
    procs = {}
    try:
        for name, port in ports.items():
            procs[name] = _start(port, views, tmp / f"{name}.log", PASSWORD if name == "gated" else None)
        for name, port in ports.items():
            _wait_healthy(port, procs[name], tmp / f"{name}.log")
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
            _stop(proc)


class Runs:
    """The app's script runs seen from one browser page, read from its websocket (Streamlit's
    protobuf messages): when the browser asked for a run, and when runs finished. Exact where the
    page's look (spinners, stale elements) is only a hint."""

    def __init__(self, page) -> None:
        self.page = page
        self.requested: list[float] = []
        self.finished: list[float] = []
        page.on("websocket", self._watch)

    def _watch(self, ws) -> None:
        ws.on("framesent", self._sent)
        ws.on("framereceived", self._received)

    def _sent(self, payload) -> None:
        from streamlit.proto.BackMsg_pb2 import BackMsg

        if isinstance(payload, str):
            return
        msg = BackMsg()
        try:
            msg.ParseFromString(payload)
        except Exception:  # noqa: BLE001 - not a BackMsg: not ours to judge
            return
        if msg.WhichOneof("type") == "rerun_script":
            self.requested.append(time.monotonic())

    def _received(self, payload) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        if isinstance(payload, str):
            return
        msg = ForwardMsg()
        try:
            msg.ParseFromString(payload)
        except Exception:  # noqa: BLE001
            return
        # A run cut short by a newer request is not the end of the work.
        if (
            msg.WhichOneof("type") == "script_finished"
            and msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN
        ):
            self.finished.append(time.monotonic())

    def idle(self, quiet: float = 0.3) -> None:
        """Wait until the last run asked for has finished, nothing happened for ``quiet`` s, and
        the browser has drawn every element (it shows a skeleton while it loads an element's
        code, which takes a while on a busy machine)."""
        deadline = time.monotonic() + STEP_MS / 1000
        skeletons = self.page.locator('[data-testid^="stSkeleton"]')
        while time.monotonic() < deadline:
            asked = max(self.requested, default=0.0)
            done = max(self.finished, default=0.0)
            if done > asked and time.monotonic() - done >= quiet and skeletons.count() == 0:
                return
            self.page.wait_for_timeout(50)
        raise AssertionError("the app did not finish its run in time")

    def click(self, locator, tries: int = 3) -> None:
        """Click a widget and wait for the run it causes. A click the browser never turned into
        a run request (it landed while the page was being redrawn) is repeated."""
        for _ in range(tries):
            since = time.monotonic()
            locator.click()
            while time.monotonic() - since < 5:
                if any(t > since for t in self.requested):
                    self.idle()
                    return
                self.page.wait_for_timeout(50)
        raise AssertionError(f"clicking {locator} never reached the app")


def _open_dropdown(page, field, option: str, tries: int = 3) -> None:
    """Open a select's list until ``option`` shows: a click that lands while the sidebar is
    still sliding an expander open focuses the field without opening its list."""
    wanted = page.get_by_role("option", name=option, exact=True)
    for attempt in range(tries):
        field.click()
        last = attempt == tries - 1
        try:
            wanted.wait_for(timeout=STEP_MS if last else 5_000)
            return
        except Exception:
            if last:
                raise
            page.keyboard.press("Escape")  # close a half-open list before clicking again


def _page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(STEP_MS)
    page = context.new_page()
    return context, page, Runs(page)


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


def _no_exception(page) -> None:
    problem = page.locator('[data-testid="stException"]')
    assert problem.count() == 0, problem.first.inner_text()


def _keep_evidence(page, name: str) -> None:
    """A screenshot and the sidebar's text for the failure report (printed by pytest)."""
    path = Path(tempfile.gettempdir()) / f"mrrkit-e2e-{name}.png"
    try:
        page.screenshot(path=str(path), full_page=True)
        print(f"screenshot of the failing page: {path}")
        print("sidebar:", " | ".join(page.locator(SIDEBAR).inner_text().split("\n")))
    except Exception:  # noqa: BLE001 - evidence is best effort, the real error follows
        pass


def _sidebar_link(page, label: str):
    return page.locator(SIDEBAR).get_by_role("link", name=label, exact=True)


def test_upload_filter_share_and_reopen(servers):
    browser, base = servers["browser"], servers["open"]
    context, page, runs = _page(browser)
    try:
        page.goto(base)
        sample = _kpis(page, runs)
        assert sample["MRR"].startswith("€")  # the bundled sample

        _sidebar_link(page, "Data").click()
        page.get_by_text("Every page shows the bundled sample.").wait_for()
        page.locator('[data-testid="stFileUploader"] input[type="file"]').first.set_input_files(
            STRIPE
        )
        page.get_by_text("Detected format: Stripe subscriptions export").wait_for()
        runs.idle()
        runs.click(page.get_by_role("button", name="Use this data"))
        page.get_by_text(f"Every page uses {STRIPE.name} for this session.").wait_for()
        _no_exception(page)

        _sidebar_link(page, "Overview").click()
        page.get_by_role("heading", name="MRR overview").wait_for()
        uploaded = _kpis(page, runs)
        assert uploaded["MRR"].startswith("$") and uploaded != sample

        sidebar = page.locator(SIDEBAR)
        sidebar.locator("summary", has_text="Segments").click()  # an expander: no run
        industry = sidebar.locator('[data-testid="stMultiSelect"]').filter(has_text="Industry")
        _open_dropdown(page, industry.locator("input"), "saas")
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
        _no_exception(page)
    except Exception:
        _keep_evidence(page, "share")
        raise
    finally:
        context.close()

    # A colleague opens the link: a new browser context is a new session with nothing uploaded.
    context, page, runs = _page(browser)
    try:
        page.goto(link)
        assert _kpis(page, runs) == filtered
        chosen = page.locator(SIDEBAR).locator('[data-testid="stMultiSelect"]').filter(
            has_text="Industry"
        )
        assert "saas" in chosen.inner_text()
        page.get_by_text("You are looking at a shared view").wait_for()
        _no_exception(page)
    except Exception:
        _keep_evidence(page, "reopen")
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
    for path in PAGE_PATHS:  # a fresh browser context each: a visitor with nothing but the link
        context, page, runs = _page(browser)
        try:
            page.goto(f"{base}{path}?view={token}&lang=fr")
            page.locator('input[type="password"]').wait_for()
            runs.idle()
            assert _main_text(page) == GATE_TEXT, (path, _main_text(page))
            for hidden in (METRIC, '[data-testid="stDataFrame"]', '[data-testid="stVegaLiteChart"]',
                           '[data-testid="stFileUploader"]', SIDEBAR):
                assert page.locator(hidden).count() == 0, (path, hidden)
            _no_exception(page)
        except Exception:
            _keep_evidence(page, f"gate-{path or 'home'}")
            raise
        finally:
            context.close()

    # Let in: the deep link opens the shared data with its filter, on the page it named.
    if "token" not in servers["shared"]:
        pytest.fail("no shared link to open: test_upload_filter_share_and_reopen failed before "
                    "its Share click (see its failure); the gate itself was checked above")
    context, page, runs = _page(browser)
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
        _no_exception(page)
    except Exception:
        _keep_evidence(page, "gate-login")
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
    port = _free_port(servers["ports"])
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
    proc = _start(port, servers["views"], log, None, secrets=secrets_file)
    base = f"http://127.0.0.1:{port}/"
    try:
        _wait_healthy(port, proc, log)
        context, page, runs = _page(servers["browser"])
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
            _no_exception(page)
        except Exception:
            _keep_evidence(page, "oidc")
            raise
        finally:
            context.close()

        idp.email = "eve@evil.example"  # signs in fine at the provider, outside acme.com
        context, page, runs = _page(servers["browser"])
        try:
            page.goto(f"{base}Segments?view={token}")
            page.get_by_role("button", name="Sign in").click()
            page.get_by_text("eve@evil.example is not allowed to open this app.").wait_for()
            runs.idle()
            for hidden in (METRIC, '[data-testid="stDataFrame"]', '[data-testid="stVegaLiteChart"]',
                           SIDEBAR):
                assert page.locator(hidden).count() == 0, hidden
            assert idp.sign_ins == 2
            _no_exception(page)
        except Exception:
            _keep_evidence(page, "oidc-refused")
            raise
        finally:
            context.close()
    finally:
        _stop(proc)
        idp.stop()


def test_a_deleted_link_opens_nothing(servers):
    browser, base = servers["browser"], servers["open"]
    token = servers["shared"].get("token")
    if token is None:
        pytest.skip("the share test did not make a link")
    context, page, runs = _page(browser)
    try:
        page.goto(f"{base}?view={token}")
        _kpis(page, runs)
        sidebar = page.locator(SIDEBAR)
        sidebar.get_by_role("button", name="Delete this link").click()  # a popover: no run
        runs.click(page.get_by_role("button", name="Delete the link for everyone"))
        page.get_by_text("The link was deleted").wait_for()
        _no_exception(page)
    except Exception:
        _keep_evidence(page, "delete")
        raise
    finally:
        context.close()
    context, page, runs = _page(browser)
    try:
        page.goto(f"{base}?view={token}")
        page.get_by_text("This shared link is unknown or has expired").wait_for()
        runs.idle()
        assert STRIPE.name not in page.locator(SIDEBAR).inner_text()
        _no_exception(page)
    except Exception:
        _keep_evidence(page, "deleted")
        raise
    finally:
        context.close()
