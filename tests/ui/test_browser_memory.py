"""What a browser keeps between page loads (ui.browser_memory): its upload and its password
sign-in, in the view store under digests keyed by the browser; "Forget this data" and "Sign out"
forget them. The module directly (an injected browser key, a temporary store, a fake clock), then
the app through AppTest, where the browser key is injected too (AppTest has no cookies)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import mrrkit
from server.access import AccessConfig
from server.throttle import Throttle
from server.view_store import ViewStore
from tests._pages import ROOT, TIMEOUT
from ui import browser_memory, gate
from ui.browser_memory import SCOPE, BrowserMemory, Settings

STRIPE = Path(__file__).parents[1] / "fixtures" / "exports" / "stripe_subscriptions.csv"
DAY = 86_400.0
BROWSER = hashlib.sha256(b"a browser's xsrf token").hexdigest()  # a browser_key
OTHER = hashlib.sha256(b"another browser's token").hexdigest()


class Clock:
    def __init__(self, now=1_700_000_000.0):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def store(tmp_path, clock):
    return ViewStore(tmp_path / "views", clock=clock)


def lines():
    return mrrkit.read_export(STRIPE).lines


# --- the module --------------------------------------------------------------------------------


def test_an_upload_is_kept_restored_and_forgotten(store, clock):
    memory = BrowserMemory(store, BROWSER)
    assert memory.upload() is None and memory.upload_expires() is None
    expires = memory.remember_upload(lines(), "stripe.csv", "usd", pd.Timestamp("2026-01-31"))
    assert expires == clock.now + 7 * DAY  # the default: a week
    kept = BrowserMemory(store, BROWSER).upload()  # another session of the same browser
    pd.testing.assert_frame_equal(kept.lines, lines())
    assert (kept.name, kept.currency, kept.expires) == ("stripe.csv", "USD", expires)
    assert kept.exported == pd.Timestamp("2026-01-31")
    assert memory.upload_expires() == expires
    assert memory.forget_upload() is True
    assert memory.upload() is None and memory.forget_upload() is False
    assert not list(store.directory.glob("*.parquet"))


def test_a_new_upload_replaces_the_kept_one(store):
    memory = BrowserMemory(store, BROWSER)
    memory.remember_upload(lines(), "first.csv", "USD")
    size = store.used_bytes()
    memory.remember_upload(lines().head(3), "second.csv", "EUR")
    assert memory.upload().name == "second.csv" and len(memory.upload().lines) == 3
    assert len(list(store.directory.glob("*.parquet"))) == 1 and store.used_bytes() < size


def test_the_kept_upload_expires(store, clock):
    memory = BrowserMemory(store, BROWSER, settings=Settings(data_days=2))
    memory.remember_upload(lines(), "stripe.csv", "USD")
    clock.now += 2 * DAY - 1
    assert memory.upload() is not None
    clock.now += 1
    assert memory.upload() is None
    assert not list(store.directory.glob("*.parquet"))  # deleted when found expired


def test_a_lifetime_longer_than_the_store_allows_is_capped(tmp_path, clock):
    store = ViewStore(tmp_path / "v", default_ttl_days=1, max_ttl_days=3, clock=clock)
    memory = BrowserMemory(store, BROWSER, settings=Settings(data_days=30, sign_in_hours=24 * 30))
    assert memory.remember_upload(lines(), "a.csv", "USD") == clock.now + 3 * DAY
    assert memory.remember_sign_in("fp") == clock.now + 3 * DAY


def test_two_browsers_and_two_accounts_are_kept_apart(store):
    mine, theirs = BrowserMemory(store, BROWSER), BrowserMemory(store, OTHER)
    mine.remember_upload(lines(), "mine.csv", "USD")
    assert theirs.upload() is None
    theirs.remember_upload(lines().head(2), "theirs.csv", "EUR")
    assert mine.upload().name == "mine.csv" and theirs.upload().name == "theirs.csv"
    assert theirs.forget_upload() and mine.upload().name == "mine.csv"
    # Behind OIDC, another account signing in from the same browser finds nothing.
    ann = BrowserMemory(store, BROWSER, account="ann@acme.com")
    bob = BrowserMemory(store, BROWSER, account="bob@acme.com")
    ann.remember_upload(lines(), "ann.csv", "USD")
    assert bob.upload() is None and ann.upload().name == "ann.csv"
    mine.remember_sign_in("fp")
    assert not BrowserMemory(store, OTHER).signed_in("fp")


def test_a_sign_in_lasts_its_hours_for_its_password_only(store, clock):
    old = AccessConfig("password", password="old one").fingerprint
    new = AccessConfig("password", password="new one").fingerprint
    memory = BrowserMemory(store, BROWSER)
    assert not memory.signed_in(old)
    assert memory.remember_sign_in(old) == clock.now + 12 * 3600  # the default: 12 hours
    assert memory.signed_in(old)
    assert not memory.signed_in(new)  # the password changed: asked again
    clock.now += 12 * 3600
    assert not memory.signed_in(old)  # expired
    memory.remember_sign_in(old)
    assert memory.forget_sign_in(old) is True and not memory.signed_in(old)


def test_an_upload_is_not_a_sign_in_and_neither_opens_as_a_shared_link(store):
    memory = BrowserMemory(store, BROWSER)
    memory.remember_upload(lines(), "a.csv", "USD")
    memory.remember_sign_in("fp")
    for token in (memory._upload_token(), memory._sign_in_token("fp")):
        with pytest.raises(KeyError):
            store.load(token)  # a ?view= link with the very token finds nothing
        assert store.info(token, scope=SCOPE)
    assert not memory.signed_in(memory._account)  # the upload's digest is no sign-in


def test_nothing_identifying_the_browser_or_the_password_is_stored(store):
    config = AccessConfig("password", password="hunter2")
    memory = BrowserMemory(store, BROWSER)
    memory.remember_upload(lines(), "a.csv", "USD")
    memory.remember_sign_in(config.fingerprint)
    secrets_ = [BROWSER, config.fingerprint, memory._upload_token(),
                memory._sign_in_token(config.fingerprint), "hunter2"]
    for path in store.directory.iterdir():
        content = path.read_bytes()
        for secret in secrets_:
            assert secret not in path.name and secret.encode() not in content, (path, secret)


def test_turned_off_it_keeps_nothing(store):
    memory = BrowserMemory(store, BROWSER, settings=Settings(data_days=0, sign_in_hours=0))
    assert memory.remember_upload(lines(), "a.csv", "USD") is None
    assert memory.remember_sign_in("fp") is None
    assert memory.upload() is None and not memory.signed_in("fp")
    assert not store.directory.exists()


def test_a_full_store_refuses_with_a_value_error(tmp_path, clock):
    store = ViewStore(tmp_path / "tiny", max_bytes=1_000, clock=clock)
    memory = BrowserMemory(store, BROWSER)
    with pytest.raises(ValueError, match="full|limit"):
        memory.remember_upload(lines(), "a.csv", "USD")
    assert memory.upload() is None


@pytest.mark.parametrize(
    ("environ", "message"),
    [({"MRRKIT_REMEMBER_DATA_DAYS": "a week"}, "must be a number"),
     ({"MRRKIT_REMEMBER_SIGN_IN_HOURS": "-1"}, "0 \\(off\\) or a positive"),
     ({"MRRKIT_REMEMBER_DATA_DAYS": "inf"}, "0 \\(off\\) or a positive")],
)
def test_bad_settings_are_refused(environ, message):
    with pytest.raises(ValueError, match=message):
        Settings.from_env(environ)


def test_a_browser_key_is_needed(store):
    with pytest.raises(ValueError):
        BrowserMemory(store, "")


# --- the app (AppTest) -------------------------------------------------------------------------


@pytest.fixture
def app_env(monkeypatch, tmp_path, fresh_gate):
    """A store of its own, no gate, no memory settings, and an injectable browser key."""
    for name in ("MRRKIT_PASSWORD", "MRRKIT_PASSWORD_HASH", "MRRKIT_VIEWS_MAX_MB",
                 "MRRKIT_VIEW_MAX_MB", "MRRKIT_VIEWS_TTL_DAYS", "MRRKIT_REMEMBER_DATA_DAYS",
                 "MRRKIT_REMEMBER_SIGN_IN_HOURS"):
        monkeypatch.delenv(name, raising=False)
    directory = tmp_path / "views"
    monkeypatch.setenv("MRRKIT_VIEWS_DIR", str(directory))
    browser = {"key": BROWSER}
    monkeypatch.setattr(gate, "_current_browser_key", lambda: browser["key"])
    return {"browser": browser, "views": directory}


def session(path="app.py", params=None, *, secrets=None, user=None) -> AppTest:
    """A new session (a reload, a new tab, a copied link) of the browser the fixture names."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.secrets["_isolated"] = True
    for key, value in (secrets or {}).items():
        at.secrets[key] = value
    if user is not None:
        at.user = user
    if path != "app.py":
        at.switch_page(path)
    at.query_params.update(params or {})
    return at.run()


def clean(at):
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def metrics(at):
    return {m.label: m.value for m in at.metric}


def use_stripe(at: AppTest) -> AppTest:
    at.file_uploader(key="data.export").set_value(
        ("stripe_subscriptions.csv", STRIPE.read_bytes(), "text/csv"))
    at.run()
    at.button(key="data.use").click().run()
    clean(at)
    return at


def buttons(at, label):
    return [b for b in at.button if b.label == label]


def test_an_upload_comes_back_in_a_new_session_of_the_same_browser_only(app_env):
    first = use_stripe(session("pages/0_Data.py"))
    assert first.session_state["source"].name == "stripe_subscriptions.csv"
    kept = [c.value for c in first.caption if c.value.startswith("This browser keeps this data")]
    assert len(kept) == 1 and "a reload or a new tab opens it again" in kept[0]
    assert first.button(key="data.forget").label == "Forget this data"
    assert not [b for b in first.button if b.key == "data.back"]  # forgetting replaces it

    again = session()  # a reload, a new tab: a new session
    clean(again)
    assert again.session_state["source"].name == "stripe_subscriptions.csv"
    assert again.sidebar.radio[0].value == "upload"
    assert [i.value for i in again.info][0].startswith(
        "Your upload stripe\\_subscriptions\\.csv was restored: this browser keeps it until ")
    assert again.metric[0].value.startswith("$")  # the upload's currency came along
    assert again.button(key="_mrrkit_memory_forget_note").label == "Forget this data"
    assert again.sidebar.button(key="_mrrkit_memory_forget_sidebar").label == "Forget this data"
    again.run()  # the notice is said once
    assert not [i for i in again.info if "was restored" in i.value]

    app_env["browser"]["key"] = OTHER  # another browser: the sample, nothing said
    other = session()
    clean(other)
    assert "source" not in other.session_state and not other.sidebar.radio
    assert not [i for i in other.info if "was restored" in i.value]

    app_env["browser"]["key"] = None  # no browser key (no XSRF cookie): nothing at all
    clean(none := session())
    assert "source" not in none.session_state


def test_a_restored_upload_keeps_the_view_of_the_address(app_env):
    use_stripe(session("pages/0_Data.py"))
    at = session("pages/3_Segments.py", {"f.industry": "saas", "seg.dim": "plan"})
    clean(at)
    assert at.session_state["source"].name == "stripe_subscriptions.csv"
    assert at.multiselect(key="w:f.industry").value == ["saas"]
    assert at.selectbox(key="w:seg.dim").value == "plan"


def test_a_shared_link_wins_over_the_kept_upload(app_env):
    sample = session("app.py", {"f.channel": "partner"})
    sample.button(key="_mrrkit_share_button").click().run()
    token = sample.session_state["_mrrkit_shared_view"]["token"]
    use_stripe(session("pages/0_Data.py"))
    linked = session("app.py", {"view": token})
    clean(linked)
    assert "source" not in linked.session_state  # the link's data: the sample
    assert linked.multiselect(key="w:f.channel").value == ["partner"]
    assert not [i for i in linked.info if "was restored" in i.value]
    assert session().session_state["source"].name == "stripe_subscriptions.csv"  # no link


def test_forget_this_data_in_the_sidebar_the_notice_or_the_data_page(app_env):
    for where in ("_mrrkit_memory_forget_sidebar", "_mrrkit_memory_forget_note", "data.forget"):
        use_stripe(session("pages/0_Data.py"))
        at = session("pages/0_Data.py" if where == "data.forget" else "app.py")
        assert at.session_state["source"].name == "stripe_subscriptions.csv"
        at.button(key=where).click().run()
        clean(at)
        assert "source" not in at.session_state, where  # back to the sample
        assert [s.value for s in at.success] == [
            "This browser no longer keeps the data: every page shows the sample again."], where
        assert not list(app_env["views"].glob("*.parquet")), where  # gone from the server
        fresh = session()
        assert "source" not in fresh.session_state, where
        assert not [i for i in fresh.info if "was restored" in i.value]


def test_a_full_store_is_a_notice_and_the_data_stays_for_the_tab(app_env, monkeypatch):
    use_stripe(session("pages/0_Data.py"))  # kept while there was room
    shared = ViewStore(app_env["views"])  # then someone shares a view: the store is full
    size = shared.info(shared.save(lines(), {})).size
    monkeypatch.setenv("MRRKIT_VIEWS_MAX_MB", str(1.5 * size / 2**20))
    at = session("pages/0_Data.py")
    at.file_uploader(key="data.export").set_value(
        ("other.csv", STRIPE.read_bytes().replace(b"cus_", b"cus_x"), "text/csv"))
    at.run()
    at.button(key="data.use").click().run()
    clean(at)
    assert at.session_state["source"].name == "other.csv"
    notes = [w.value for w in at.warning if w.value.startswith("This data could not be kept")]
    assert len(notes) == 1 and "store is full" in notes[0], [w.value for w in at.warning]
    assert at.button(key="data.back")  # no "Forget": nothing is kept
    fresh = session()
    assert "source" not in fresh.session_state  # not the older upload either


def test_the_memory_can_be_turned_off(app_env, monkeypatch):
    monkeypatch.setenv("MRRKIT_REMEMBER_DATA_DAYS", "0")
    at = use_stripe(session("pages/0_Data.py"))
    assert at.button(key="data.back") and not [b for b in at.button if b.key == "data.forget"]
    assert "source" not in session().session_state
    assert not app_env["views"].exists()


def test_the_notice_speaks_the_language_of_the_link(app_env):
    use_stripe(session("pages/0_Data.py"))
    for lang, start in [("fr", "Votre import stripe\\_subscriptions\\.csv a été rétabli"),
                        ("it", "Il tuo caricamento stripe\\_subscriptions\\.csv è stato")]:
        at = session("app.py", {"lang": lang})
        clean(at)
        assert [i.value for i in at.info][0].startswith(start)
        assert at.sidebar.button(key="_mrrkit_memory_forget_sidebar").label == {
            "fr": "Oublier ces données", "it": "Dimentica questi dati"}[lang]


def test_the_gate_lets_a_signed_in_browser_in_again(app_env, monkeypatch):
    monkeypatch.setenv("MRRKIT_PASSWORD", "open sesame")
    first = session("pages/0_Data.py")
    assert first.text_input[0].label == "Password"
    first.text_input[0].input("open sesame")
    first.button[0].click().run()
    use_stripe(first)

    again = session("pages/3_Segments.py")  # a reload, a new tab: no password, the data
    clean(again)
    assert not [t for t in again.text_input if t.label == "Password"]
    assert again.session_state["source"].name == "stripe_subscriptions.csv"

    app_env["browser"]["key"] = OTHER  # another browser is asked
    assert session().text_input[0].label == "Password"
    app_env["browser"]["key"] = BROWSER
    monkeypatch.setenv("MRRKIT_PASSWORD", "a new password")  # a changed password is asked
    assert session().text_input[0].label == "Password"
    monkeypatch.setenv("MRRKIT_PASSWORD", "open sesame")

    signed = session()
    assert signed.metric
    signed.sidebar.button(key="_mrrkit_gate_signout").click().run()
    assert signed.text_input[0].label == "Password"
    # Signing out forgot the sign-in and the upload: the next page load asks, then shows the
    # sample.
    later = session()
    assert later.text_input[0].label == "Password"
    later.text_input[0].input("open sesame")
    later.button[0].click().run()
    clean(later)
    assert "source" not in later.session_state


def test_a_lock_out_still_stops_guesses_but_not_a_signed_in_browser(app_env, monkeypatch):
    """Wrong passwords from another browser at the same address lock the form as before; a
    browser that typed the right password earlier is no guess and is let in."""
    monkeypatch.setenv("MRRKIT_PASSWORD", "right")
    mine = session()
    mine.text_input[0].input("right")
    mine.button[0].click().run()
    assert mine.metric
    app_env["browser"]["key"] = OTHER
    guesser = session()
    for _ in range(Throttle().free_attempts + 1):
        guesser.text_input[0].input("wrong")
        guesser.button[0].click().run()
    guesser.text_input[0].input("right")
    guesser.button[0].click().run()
    assert "Too many wrong passwords" in guesser.error[0].value and not guesser.metric
    app_env["browser"]["key"] = BROWSER
    again = session()
    clean(again)
    assert again.metric and not again.text_input


OIDC = {
    "redirect_uri": "https://mrr.example/oauth2callback",
    "cookie_secret": "x" * 40,
    "client_id": "client",
    "client_secret": "shh",
    "server_metadata_url": "https://idp.example/.well-known/openid-configuration",
}


def test_behind_oidc_the_upload_is_kept_per_account(app_env):
    """Two accounts signing in from one browser (a shared computer) do not see each other's
    data; signing out forgets it."""
    secrets = {"auth": dict(OIDC)}
    ann = {"is_logged_in": True, "email": "ann@acme.com", "email_verified": True}
    bob = {"is_logged_in": True, "email": "bob@acme.com", "email_verified": True}
    use_stripe(session("pages/0_Data.py", secrets=secrets, user=ann))
    assert session(secrets=secrets, user=ann).session_state["source"].name == (
        "stripe_subscriptions.csv")
    other = session(secrets=secrets, user=bob)
    clean(other)
    assert "source" not in other.session_state
    back = session(secrets=secrets, user=ann)
    assert back.session_state["source"].name == "stripe_subscriptions.csv"
    back.sidebar.button(key="_mrrkit_gate_signout").click().run()  # st.logout: not in AppTest
    assert "source" not in session(secrets=secrets, user=ann).session_state
