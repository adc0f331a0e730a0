"""Share: the sidebar button stores this session's data and view state (server.view_store), and
a ``?view=<token>`` link reopens the same data, filters and choices in a fresh session; a bad,
expired or deleted token is a warning, never an error; the password gate comes first."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import mrrkit
from server import browsers
from server.view_store import ViewStore
from tests._pages import ROOT, TIMEOUT
from ui import gate
from ui.data import upload_source

STRIPE = Path(__file__).parents[1] / "fixtures" / "exports" / "stripe_subscriptions.csv"
SHARE = "_mrrkit_share_button"
SHARED = "_mrrkit_shared_view"


@pytest.fixture(autouse=True)
def views(monkeypatch, tmp_path, fresh_gate):
    """Each test its own store directory (ui.data keys its store on the MRRKIT_VIEW* settings)."""
    monkeypatch.delenv("MRRKIT_PASSWORD", raising=False)
    monkeypatch.delenv("MRRKIT_PASSWORD_HASH", raising=False)
    for name in ("MRRKIT_VIEWS_MAX_MB", "MRRKIT_VIEW_MAX_MB", "MRRKIT_VIEWS_TTL_DAYS"):
        monkeypatch.delenv(name, raising=False)
    directory = tmp_path / "views"
    monkeypatch.setenv("MRRKIT_VIEWS_DIR", str(directory))
    return directory


def session(
    path: str = "app.py",
    params: dict | None = None,
    state: dict | None = None,
    *,
    secrets: dict | None = None,
    user: dict | None = None,
    url: str | None = None,
) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.secrets["_isolated"] = True  # never a developer's own secrets.toml
    for key, value in (secrets or {}).items():
        at.secrets[key] = value
    if user is not None:
        at.user = user
    if url is not None:
        at.context = {"url": url}
    if path != "app.py":
        at.switch_page(path)
    at.query_params.update(params or {})
    for key, value in (state or {}).items():
        at.session_state[key] = value
    return at.run()


def clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def share(at: AppTest) -> str:
    at.button(key=SHARE).click().run()
    clean(at)
    token = at.session_state[SHARED]["token"]
    assert f"?view={token}" in [c.value for c in at.sidebar.code]  # no browser: the query only
    return token


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def stripe_source():
    return upload_source("stripe.csv", mrrkit.read_export(STRIPE).lines, "USD")


def test_a_shared_sample_view_reopens_the_same_page_filters_and_choices(views):
    params = {"f.channel": ["referral", "partner"], "seg.dim": "plan", "lang": "fr",
              "from": "2025-06", "to": "2026-03"}
    first = session("pages/3_Segments.py", params)
    clean(first)
    token = share(first)
    assert [s.value for s in first.sidebar.success] == ["Lien prêt : copiez-le ci-dessous."]
    assert any(c.value.startswith("Le lien fonctionne jusqu'au ") for c in first.sidebar.caption)
    # The store holds no data for the sample, and the URL state including the page's own keys.
    lines, saved = ViewStore(views).load(token)
    assert lines is None
    assert saved["params"] == {"lang": ["fr"], "from": ["2025-06"], "to": ["2026-03"],
                               "f.channel": ["partner", "referral"], "seg.dim": ["plan"]}

    second = session("pages/3_Segments.py", {"view": token})
    clean(second)
    assert second.multiselect(key="w:f.channel").value == ["partner", "referral"]
    assert second.selectbox(key="w:seg.dim").value == "plan"
    assert second.selectbox(key="w:lang").value == "fr"
    pd.testing.assert_frame_equal(second.dataframe[0].value, first.dataframe[0].value)
    assert second.query_params["view"] == token  # kept: a reload keeps the shared view
    assert [i.value for i in second.info][0].startswith("Vous regardez une vue partagée")


def test_a_shared_upload_reopens_with_its_data_and_numbers():
    source = stripe_source()
    first = session("app.py", {"f.industry": "saas"}, {"source": source})
    clean(first)
    assert first.sidebar.radio[0].value == "upload"
    token = share(first)

    second = session("app.py", {"view": token})
    clean(second)
    assert metrics(second) == metrics(first)
    assert second.metric[0].value.startswith("$")  # the upload's currency came along
    assert second.multiselect(key="w:f.industry").value == ["saas"]
    opened = second.session_state["source"]
    assert opened.name == "stripe.csv" and opened.key == source.key
    pd.testing.assert_frame_equal(opened.lines, source.lines)
    # The opened view shows its link, expiry and a delete control.
    assert f"?view={token}" in [c.value for c in second.sidebar.code]
    assert second.button(key="_mrrkit_share_delete")


def test_the_link_lasts_as_long_as_chosen(views):
    at = session()
    lifetime = at.selectbox(key="_mrrkit_share_ttl.en")
    assert lifetime.label == "The link works for"
    assert lifetime.options == ["1 day", "7 days", "30 days", "90 days", "365 days"]
    assert lifetime.value == 30  # the server's default (MRRKIT_VIEWS_TTL_DAYS)
    lifetime.set_value(7).run()
    token = share(at)
    info = ViewStore(views).info(token)
    assert info.expires - info.created == pytest.approx(7 * 86_400)
    assert any("works until" in c.value for c in at.sidebar.caption)
    # In French: the same lifetime, in French words (it stayed "7 days" in English).
    at.selectbox(key="w:lang").set_value("fr").run()
    french = at.selectbox(key="_mrrkit_share_ttl.fr")
    assert french.value == 7 and french.options[1] == "7 jours"


def test_url_parameters_of_a_reloaded_shared_view_win_over_the_saved_ones():
    token = share(session("app.py", {"f.industry": "saas"}, {"source": stripe_source()}))
    # The address bar after changing the filter: ?view=<token>&f.industry=retail&...
    reloaded = session("app.py", {"view": token, "f.industry": "retail"})
    clean(reloaded)
    assert reloaded.multiselect(key="w:f.industry").value == ["retail"]
    assert reloaded.session_state["source"].name == "stripe.csv"


@pytest.mark.parametrize("token", ["A" * 43, "../../index.sqlite3", "short"])
def test_an_unknown_or_malformed_token_is_a_warning(token):
    at = session("pages/2_Cohorts.py", {"view": token})
    clean(at)
    assert [w.value for w in at.warning] == [
        "This shared link is unknown or has expired: showing the data of this session instead."
    ]
    assert "view" not in at.query_params
    assert at.sidebar.radio == [] or at.sidebar.radio[0].value == "sample"


def test_an_expired_link_is_a_warning(monkeypatch):
    monkeypatch.setenv("MRRKIT_VIEWS_TTL_DAYS", "0.00001")  # under a second
    token = share(session())
    time.sleep(1.0)
    at = session("app.py", {"view": token})
    clean(at)
    assert "has expired" in at.warning[0].value


def test_delete_this_link():
    first = session("app.py", state={"source": stripe_source()})
    token = share(first)
    # Behind a confirmation that says what it does: the popover "Delete this link" holds it.
    popover = first.sidebar.get("popover")
    assert [p.proto.popover.label for p in popover] == ["Delete this link"]
    assert "Everyone who has the link loses access" in popover[0].caption[0].value
    assert first.button(key="_mrrkit_share_delete") in popover[0].button
    assert first.button(key="_mrrkit_share_delete").label == "Delete the link for everyone"
    first.button(key="_mrrkit_share_delete").click().run()
    clean(first)
    assert SHARED not in first.session_state
    assert "The link was deleted: it no longer opens anything." in [
        s.value for s in first.sidebar.success
    ]
    assert "view" not in first.query_params
    later = session("app.py", {"view": token})
    assert later.warning and "source" not in later.session_state


def test_whoever_opened_a_link_can_delete_it():
    """The link is the capability: its creator, whose session has ended, deletes it by opening
    it; once deleted it opens nothing for anyone."""
    token = share(session("app.py", state={"source": stripe_source()}))
    opener = session("app.py", {"view": token})
    clean(opener)
    opener.button(key="_mrrkit_share_delete").click().run()
    clean(opener)
    assert "view" not in opener.query_params
    assert "has expired" in session("app.py", {"view": token}).warning[0].value


def test_a_view_over_the_size_limit_is_refused_with_a_message(monkeypatch):
    monkeypatch.setenv("MRRKIT_VIEW_MAX_MB", "0.000001")  # one byte
    at = session("app.py", state={"source": stripe_source()})
    at.button(key=SHARE).click().run()
    assert not at.exception
    assert SHARED not in at.session_state
    assert [e.value for e in at.sidebar.error][0].startswith("This view could not be shared: ")


def test_a_misconfigured_store_does_not_break_the_page(monkeypatch):
    monkeypatch.setenv("MRRKIT_VIEWS_TTL_DAYS", "soon")
    at = session()
    at.button(key=SHARE).click().run()
    assert not at.exception and at.metric  # the page is still there
    assert "MRRKIT_VIEWS_TTL_DAYS" in at.sidebar.error[0].value


def test_nothing_is_stored_until_share_is_clicked(views):
    clean(session("app.py", state={"source": stripe_source()}))
    assert not views.exists()  # not even an empty index: nothing touches the disk


def test_the_gate_comes_before_a_shared_view(monkeypatch):
    token = share(session("app.py", {"f.industry": "saas"}, {"source": stripe_source()}))
    monkeypatch.setenv("MRRKIT_PASSWORD", "open sesame")
    at = session("pages/3_Segments.py", {"view": token})
    assert not at.exception
    assert at.text_input[0].label == "Password"
    assert not at.metric and not at.dataframe and "source" not in at.session_state

    at.text_input[0].input("open sesame")
    at.button[0].click().run()
    clean(at)
    assert at.session_state["source"].name == "stripe.csv"  # opened once let in
    assert at.multiselect(key="w:f.industry").value == ["saas"]
    assert [b.label for b in at.sidebar.button if b.label == "Sign out"] == ["Sign out"]


def test_no_sign_out_button_without_a_gate():
    at = session()
    assert "Sign out" not in [b.label for b in at.sidebar.button]


OIDC = {
    "redirect_uri": "https://mrr.example/oauth2callback",
    "cookie_secret": "x" * 40,
    "client_id": "client",
    "client_secret": "shh",
    "server_metadata_url": "https://idp.example/.well-known/openid-configuration",
}
SIGNED_IN = {"is_logged_in": True, "email": "ann@acme.com", "email_verified": True}


def test_after_signing_in_a_shared_link_opens_where_it_pointed(monkeypatch):
    """Streamlit's sign-in ends on the home page without the link's page and query: the gate
    remembers them for the browser and goes there once signed in, once, for that browser only."""
    token = share(session("app.py", {"f.industry": "saas"}, {"source": stripe_source()}))
    browser = ["browser-1"]
    monkeypatch.setattr(gate, "_current_browser_key", lambda: browser[0])
    secrets = {"auth": dict(OIDC)}

    stopped = session("pages/3_Segments.py", {"view": token}, secrets=secrets, user={},
                      url="https://mrr.example/Segments")
    assert [b.label for b in stopped.button] == ["Sign in"]
    assert "source" not in stopped.session_state

    browser[0] = "browser-2"  # someone else signing in gets the home page, not that link
    other = session(secrets=secrets, user=SIGNED_IN, url="https://mrr.example/")
    clean(other)
    assert "source" not in other.session_state and other.metric

    browser[0] = "browser-1"  # back from the identity provider, on the home page
    back = session(secrets=secrets, user=SIGNED_IN, url="https://mrr.example/")
    clean(back)
    assert back.session_state["source"].name == "stripe.csv"  # the shared data
    assert back.multiselect(key="w:f.industry").value == ["saas"]  # the shared filter
    assert back.selectbox(key="w:seg.dim")  # on the Segments page

    again = session(secrets=secrets, user=SIGNED_IN, url="https://mrr.example/")
    clean(again)
    assert "source" not in again.session_state  # only once


def test_a_stale_sign_in_target_is_dropped(monkeypatch):
    monkeypatch.setattr(gate, "_current_browser_key", lambda: "browser-1")
    monkeypatch.setattr(browsers, "_RETURN_TTL", -1.0)  # already past
    secrets = {"auth": dict(OIDC)}
    session("pages/2_Cohorts.py", {"lang": "fr"}, secrets=secrets, user={},
            url="https://mrr.example/Cohorts")
    home = session(secrets=secrets, user=SIGNED_IN, url="https://mrr.example/")
    clean(home)
    assert home.metric  # the overview's KPI tiles: still the home page
    assert home.selectbox(key="w:lang").value == "en"  # not the remembered ?lang=fr


# --- nothing uploaded reaches another session -----------------------------------------------------


def test_another_session_cannot_reach_an_upload_it_was_not_given(views):
    """Session A uploads (and even shares); session B, without the link, tries every handle
    the app could expose -- the content key, its digest, the store's file names, the source
    choice -- and sees only the bundled sample."""
    from ui.data import lines_digest

    source = stripe_source()
    a = session("app.py", {"f.industry": "saas"}, {"source": source})
    clean(a)
    token = share(a)
    sample = metrics(session())
    stored = [p.stem for p in views.glob("*.parquet")]
    assert len(stored) == 1
    digest = lines_digest(source.lines)
    for params in [
        {"view": digest[:43]}, {"view": stored[0][:43]}, {"view": token[:-1] + ("B" if token.endswith("A") else "A")},
        {"source": "upload"}, {"source": source.key}, {"key": source.key},
        {"_mrrkit_source_choice": "upload"}, {"f.industry": "saas"},
    ]:
        b = session("app.py", params)
        assert not b.exception
        assert "source" not in b.session_state, params
        assert b.sidebar.radio == [], params  # no "uploaded data" choice at all
        if "f.industry" not in params:
            assert metrics(b) == sample, params
    assert metrics(session("app.py", {"view": token})) == metrics(a)  # the link itself does


def test_content_keys_tell_apart_frames_that_hash_alike():
    """Cache keys of uploads are content digests; two different frames must never share one
    (one session would then be served the other's analysis)."""
    from ui.data import lines_digest

    lines = mrrkit.read_export(STRIPE).lines
    seconds = lines.assign(start=lines["start"].dt.as_unit("s"))
    # The same integers read as nanoseconds: other dates, same row hashes.
    nanos = seconds.assign(
        start=pd.Series(seconds["start"].astype("int64").to_numpy().view("datetime64[ns]"))
    )
    assert not seconds["start"].equals(nanos["start"])
    assert lines_digest(seconds) != lines_digest(nanos)
    assert lines_digest(lines) == lines_digest(lines.copy())


def test_sharing_leaves_the_sharers_own_view_as_it_is():
    """Issue 12, item 6: upload, filter Industry, Share, change the language: the figures stayed
    filtered in the shared link but the sharer's own page went back to every customer (MRR
    20,135 instead of 9,939) and the filter left the URL, because the session's own new ?view=
    token was 'opened' on the next run. The session never opens a token it made itself."""
    import re

    first = session("app.py", {}, {"source": stripe_source()})
    clean(first)
    everyone = metrics(first)["MRR"]
    first.multiselect(key="w:f.industry").select("saas").run()
    clean(first)
    filtered = metrics(first)["MRR"]
    assert filtered != everyone
    token = share(first)
    assert first.query_params["view"] == token
    first.selectbox(key="w:lang").set_value("fr").run()
    clean(first)

    def digits(value: str) -> str:
        return re.sub(r"\D", "", value)

    shown = {m.label: m.value for m in first.metric}
    assert digits(shown["MRR"]) == digits(filtered), (shown, filtered, everyone)
    assert first.multiselect(key="w:f.industry").value == ["saas"]
    assert first.query_params["f.industry"] == "saas" and first.query_params["lang"] == "fr"
    assert first.query_params["view"] == token  # still the link to this very view
    assert not [i.value for i in first.info if "partag" in i.value]  # no "opened a shared view"
    assert first.session_state[SHARED]["opened"] is False
    assert first.session_state["source"].name == "stripe.csv"
    # Every later run too (a page change, a rerun) keeps the view.
    first.run()
    assert digits({m.label: m.value for m in first.metric}["MRR"]) == digits(filtered)


def test_a_damaged_view_file_reads_as_unknown_and_names_no_path(views):
    """Issue 12, item 7: a damaged view file showed the views directory's absolute path and
    said sharing was unavailable. It reads as an unknown link, and the broken entry is gone."""
    token = share(session("app.py", state={"source": stripe_source()}))
    (path,) = views.glob("*.parquet")
    path.write_bytes(b"PAR1 damaged")
    at = session("app.py", {"view": token})
    clean(at)
    shown = [w.value for w in at.warning]
    assert shown == [
        "This shared link is unknown or has expired: showing the data of this session instead."
    ]
    assert str(views) not in " ".join(shown) and "view" not in at.query_params
    assert at.sidebar.radio == [] or at.sidebar.radio[0].value == "sample"
    assert not path.exists()
    with pytest.raises(KeyError):
        ViewStore(views).info(token)
    # Share still works (the store is fine), and opening the link again is just unknown.
    assert share(session("app.py", state={"source": stripe_source()}))
    again = session("app.py", {"view": token})
    assert "unknown" in again.warning[0].value
