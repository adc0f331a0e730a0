"""ui/views.py and ui/chart_cache.py: every cached computation is a named function of explicit
arguments (issue 13). A view is cached per data (source, day, filters) and arguments, a view of
every customer once for every selection; pages cache nothing themselves; chart specs are cached
by the content of their data, on Streamlit's public API only."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

import mrrkit
from ui import chart_cache, charts, memory, views
from ui.data import sample_source
from ui.format import number_format

ROOT = Path(__file__).resolve().parents[2]
AS_OF = pd.Timestamp("2026-10-31")


def _data(filters=()):
    return views.select(sample_source(), AS_OF, filters)


def test_a_view_is_kept_per_data_filters_and_arguments():
    everyone, software = _data(), _data((("industry", ("Software",)),))
    end = everyone.base.monthly.index[-1]
    first = views.bridge(everyone, end - 11, end)
    assert views.bridge(_data(), end - 11, end) is first  # the same data: the same object
    assert views.bridge(software, end - 11, end) is not first
    assert views.bridge(everyone, end - 5, end) is not first
    keys = [k for k in memory.DATA.keys() if k[0] == "ui.views.bridge"]
    assert (("ui.views.bridge", everyone.key, (), end - 11, end) in keys
            and ("ui.views.bridge", software.key, software.filters, end - 11, end) in keys)
    # The figures are mrrkit's, of the selected customers.
    pd.testing.assert_frame_equal(views.bridge(software, end - 11, end),
                                  mrrkit.mrr_bridge(software.movements, end - 11, end))


def test_a_view_of_every_customer_is_made_once_for_every_selection():
    software = _data((("industry", ("Software",)),))
    assert views.churn_reasons(software) is views.churn_reasons(_data())
    assert views.default_top_plans(software) is views.default_top_plans(_data())
    assert software.everyone == _data() and software.everyone.segment.customers == 3000


def test_data_is_told_apart_by_key_and_filters_only():
    a, b = _data(), _data()
    assert a == b and hash(a) == hash(b) and a is not b
    assert a != _data((("plan", ("Pro monthly",)),))
    assert a.key == f"{sample_source().key}@2026-10-31"


def test_pages_cache_nothing_themselves():
    """Pages read widgets, call views and draw: no cache of their own, no hand-written key."""
    for path in [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]:
        text = path.read_text(encoding="utf-8")
        for pattern in (r"st\.cache_(data|resource)", r"\bmemory\.", r"\bderived\(",
                        r"\.compute(_all)?\(", r"name=\"[a-z_]+\.[a-z_]+\""):
            assert not re.search(pattern, text), (path.name, pattern)


def test_no_private_streamlit_internals():
    paths = [ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "ui").rglob("*.py")]
    for path in paths:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"_altair_globals_lock|convert_anything_to_arrow_bytes", text), path
        if path.name != "upload_guard.py":  # the server's middleware reads Streamlit's messages
            assert not re.search(r"from streamlit\.(runtime|elements|dataframe_util)", text), path


def test_a_chart_spec_is_cached_by_the_content_of_its_data():
    monthly = _data().base.monthly.iloc[-12:]
    first = chart_cache.spec(charts.mrr_chart, monthly, lang="en", currency="EUR")
    again = chart_cache.spec(charts.mrr_chart, monthly.copy(), lang="en", currency="EUR")
    assert first == again and first is not again  # a fresh copy each time
    name = first["data"]["name"]
    assert again["datasets"][name] is first["datasets"][name]  # of one cached spec
    other = chart_cache.spec(charts.mrr_chart, monthly.iloc[1:], lang="en", currency="EUR")
    assert other["datasets"] != first["datasets"]
    french = chart_cache.spec(charts.mrr_chart, monthly, lang="fr", currency="EUR")
    assert french["config"]["locale"] != first["config"]["locale"]


def test_a_template_serves_data_of_its_shape_only():
    split = pd.DataFrame({"upsell": [1.0, 2.0], "cross_sell": [0.5, 0.0]},
                         index=pd.period_range("2026-01", periods=2, freq="M", name="month"))
    with_other = split.assign(other=[0.1, 0.2])
    for data in (split, with_other, split * 2):
        got = chart_cache.spec(charts.expansion_split_chart, data, lang="en", currency="EUR",
                               frames=charts.expansion_split_chart_frame)
        own = chart_cache.spec_of(charts.localized(
            charts.expansion_split_chart(data), number_format("en", "EUR")))
        assert _rows(got) == _rows(own)


def _rows(spec: dict) -> list:
    return sorted(map(repr, (r for frame in spec["datasets"].values()
                             for r in frame.to_dict("records"))))


def test_a_layout_has_no_data():
    curves = pd.DataFrame({"Baseline": [1.0, 2.0], "Price +8%": [1.0, 3.0]},
                          index=pd.period_range("2026-01", periods=2, freq="M", name="month"))
    layout = chart_cache.layout(charts.scenario_chart, curves, "mrr", lang="en", currency="EUR")
    assert "datasets" not in layout and "data" not in layout
    again = chart_cache.layout(charts.scenario_chart, curves * 2, "mrr", lang="en", currency="EUR")
    assert again == layout  # the same names and metric: the same layout
