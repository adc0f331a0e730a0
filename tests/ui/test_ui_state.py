"""URL binding (ui/state.py): what Streamlit's own binding (``bind="query-params"``) does with
the app's addresses, measured here so that ui/state.py's choice (Streamlit's binding for the
widgets whose values are their URL text, the app's own for the others) is checked against the
installed Streamlit: if one of these starts failing, Streamlit changed and more widgets may bind
natively. Then the app's natively bound keys: in the link, in a saved view, and a bad link
value said."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests._pages import TIMEOUT, assert_clean, link_params, open_page, shown_text
from ui import state


def _bound_app():
    import datetime

    import streamlit as st

    languages = {"en": "English", "fr": "Français"}
    st.selectbox("lang", list(languages), key="lang", format_func=languages.get,
                 bind="query-params")
    st.radio("by", ["month", "quarter"], key="by", format_func=str.title, bind="query-params")
    st.multiselect("f", ["Pro", "(none)"], key="f", bind="query-params",
                   format_func=lambda v: "(missing)" if v == "(none)" else v)
    st.select_slider("period", ["2024-01", "2024-02", "2024-03"], value=("2024-01", "2024-03"),
                     key="period", bind="query-params")
    st.checkbox("open", key="open", bind="query-params")
    st.date_input("asof", value=datetime.date(2024, 3, 31), key="asof", bind="query-params")
    if st.session_state.pop("_reset", False):  # the app resets the search to its default
        del st.session_state["q"]
    st.text_input("q", key="q", bind="query-params")


def _open(params: dict) -> AppTest:
    at = AppTest.from_function(_bound_app, default_timeout=TIMEOUT)
    at.query_params.update(params)
    return at.run()


def test_choice_widgets_bind_their_labels_not_their_values():
    # Today's links (values) are not understood: a saved ?lang=fr would show English.
    at = _open({"lang": "fr", "by": "quarter", "f": "(none)"})
    assert at.selectbox(key="lang").value == "en"
    assert at.radio(key="by").value == "month"
    assert at.multiselect(key="f").value == []
    # Labels are: translated, a link would not survive a change of language.
    at = _open({"lang": "Français", "by": "Quarter", "f": "(missing)"})
    assert at.selectbox(key="lang").value == "fr"
    assert at.radio(key="by").value == "quarter"
    assert at.multiselect(key="f").value == ["(none)"]


def test_a_range_slider_binds_one_key_and_a_checkbox_true_or_false():
    at = _open({"from": "2024-02", "to": "2024-02", "open": "1"})
    assert at.select_slider(key="period").value == ("2024-01", "2024-03")  # from/to: not read
    assert at.checkbox(key="open").value is False  # "1": not read
    at = _open({"period": ["2024-02", "2024-02"], "open": "true"})
    assert at.select_slider(key="period").value == ("2024-02", "2024-02")
    assert at.checkbox(key="open").value is True


def test_days_and_texts_bind_as_they_are_written():
    import datetime

    at = _open({"asof": "2024-02-15", "q": "soft"})
    assert at.date_input(key="asof").value == datetime.date(2024, 2, 15)
    assert at.text_input(key="q").value == "soft"


def test_a_bound_value_is_set_again_from_the_url():
    # A widget reset through st.session_state gets the URL's value back: the app cannot take a
    # bound value out of the address (the "as of" day of a new upload could not reset).
    at = _open({"q": "soft"})
    at.session_state["_reset"] = True
    at.run()
    assert at.text_input(key="q").value == "soft"


def _switching_app():
    import streamlit as st

    def first():
        st.text_input("q", key="q", bind="query-params")
        if st.button("go"):
            try:
                st.switch_page(second_page)
            except st.errors.StreamlitAPIException as exc:
                st.write(f"refused: {exc}")

    def second():
        st.write("the second page")

    second_page = st.Page(second, title="Second", url_path="second")
    st.navigation([st.Page(first, title="First", default=True), second_page],
                  position="hidden").run()


def test_switch_page_refuses_while_a_bound_key_is_in_the_url():
    # The Movements page's "open customer" button switches page: nothing on it may bind.
    at = AppTest.from_function(_switching_app, default_timeout=TIMEOUT)
    at.query_params["q"] = "soft"
    at.run()
    at.button[0].click().run()
    assert "bound to widgets" in at.markdown[0].value


# --- the app's natively bound keys ---------------------------------------------------------------


def test_native_keys_are_in_the_link_where_the_page_draws_them():
    at = open_page("pages/5_Scenarios.py", {"sc.count": "2", "sc.2.name": "Pro", "lang": "fr"})
    assert_clean(at)
    link = link_params(at)
    assert link["sc.count"] == ["2"] and link["sc.2.name"] == ["Pro"]
    assert "sc.1.name" not in link  # the default name: not written
    keys = list(link)
    assert keys.index("sc.count") < keys.index("sc.1.scope_dim") < keys.index("sc.2.name")
    assert state.widget_key("sc.count") == "sc.count"
    assert state.widget_key("sc.months") == "w:sc.months"


def test_a_bad_native_link_value_is_said():
    at = open_page("pages/5_Scenarios.py", {"sc.count": "7"})
    assert_clean(at)
    assert at.radio(key="sc.count").value == "1"
    assert [shown_text(t.proto.body) for t in at.toast] == [
        "Link value sc.count=7 not understood: showing the default instead."]


def test_a_saved_view_gives_native_widgets_their_values(monkeypatch, tmp_path):
    from server.view_store import ViewStore

    monkeypatch.setenv("MRRKIT_VIEWS_DIR", str(tmp_path / "views"))
    token = ViewStore(tmp_path / "views").save(
        None, {"version": 1, "params": {"cus.q": ["cus_012"], "cus.status": ["churned"]},
               "name": "sample", "currency": "EUR"})
    at = open_page("pages/4_Customers.py", {"view": token})
    assert_clean(at)
    assert at.text_input(key="cus.q").value == "cus_012"
    assert at.radio(key="w:cus.status").value == "churned"
    assert link_params(at)["cus.q"] == ["cus_012"]
