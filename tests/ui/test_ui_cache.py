"""The app's caches: shared objects are never modified by the pages that read them, and the
cached chart specs carry exactly the data Altair itself would embed.

The per-source analysis, the segment views and every view of ``ui.views`` are shared objects:
one object for every rerun and every session with the same data (no pickled copy per rerun, see
``ui/views.py``). That is only safe if nothing modifies them, which the first tests check by
fingerprinting every cached object a page receives and fingerprinting it again after all the
pages ran.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re

import altair as alt
import numpy as np
import pandas as pd
import pytest
import mrrkit
from tests._pages import assert_clean, open_page
from ui import charts, memory
from ui.chart_cache import filled, records, spec_of, template
from ui.data import lines_digest, sample_source
from ui.format import number_format
from ui.views import analysis


def fingerprint(obj, _depth: int = 0) -> str:
    """A digest of an object's content (frames, arrays, containers, dataclasses, scalars)."""
    h = hashlib.sha256()

    def add(x, depth):
        if depth > 20:
            raise ValueError("object too deep to fingerprint")
        if isinstance(x, (pd.DataFrame, pd.Series)):
            frame = isinstance(x, pd.DataFrame)
            dtypes = list(map(str, x.dtypes)) if frame else [str(x.dtype)]
            names = list(map(str, x.columns)) if frame else x.name
            h.update(repr((type(x).__name__, x.shape, dtypes, names)).encode())
            h.update(pd.util.hash_pandas_object(x.reset_index(drop=True), index=False)
                     .to_numpy().tobytes() if len(x) else b"")
            add(x.index, depth + 1)
            add(dict(x.attrs), depth + 1)
        elif isinstance(x, pd.Index):
            h.update(repr((type(x).__name__, str(x.dtype), x.name)).encode())
            h.update(pd.util.hash_pandas_object(x).to_numpy().tobytes() if len(x) else b"")
        elif isinstance(x, np.ndarray):
            h.update(repr((x.dtype.str, x.shape)).encode())
            h.update(x.tobytes() if x.dtype != object else repr(x.tolist()).encode())
        elif isinstance(x, dict):
            h.update(b"{")
            for k, v in x.items():
                h.update(repr(k).encode())
                add(v, depth + 1)
            h.update(b"}")
        elif isinstance(x, (list, tuple)):
            h.update(f"{type(x).__name__}[{len(x)}]".encode())
            for v in x:
                add(v, depth + 1)
        elif dataclasses.is_dataclass(x) and not isinstance(x, type):
            h.update(type(x).__name__.encode())
            for f in dataclasses.fields(x):
                h.update(f.name.encode())
                add(getattr(x, f.name), depth + 1)
        elif isinstance(x, (bytes, bytearray)):
            h.update(bytes(x))
        else:
            h.update(repr(x).encode())

    add(obj, _depth)
    return h.hexdigest()


def test_fingerprint_sees_in_place_changes():
    frame = pd.DataFrame({"a": [1.0, 2.0]}, index=pd.Index(["x", "y"], name="id"))
    frame.attrs["as_of"] = pd.Timestamp("2024-01-31")
    before = fingerprint((frame, {"k": np.arange(3)}))
    for change in (
        lambda f, d: f.__setitem__("a", [1.0, 3.0]),
        lambda f, d: f.__setitem__("b", 1),
        lambda f, d: setattr(f, "index", pd.Index(["z", "y"], name="id")),
        lambda f, d: f.attrs.__setitem__("as_of", pd.Timestamp("2024-02-29")),
        lambda f, d: d["k"].__setitem__(0, 7),
    ):
        f, d = frame.copy(deep=True), {"k": np.arange(3)}
        f.attrs = dict(frame.attrs)
        change(f, d)
        assert fingerprint((f, d)) != before
    assert fingerprint((frame.copy(), {"k": np.arange(3)})) == before


#: Pages opened (with their URL) to collect the cached objects they read.
VISITS = [
    ("app.py", {}),
    ("app.py", {"f.channel": "referral", "lang": "fr"}),
    ("pages/1_Movements.py", {"mv.kind": "new"}),
    ("pages/1_Movements.py", {"f.channel": "referral"}),
    ("pages/2_Cohorts.py", {"coh.value": "arpa", "coh.by": "quarter"}),
    ("pages/2_Cohorts.py", {"f.channel": "referral"}),
    ("pages/3_Segments.py", {"seg.dim": "industry", "seg.metric": "nrr"}),
    ("pages/3_Segments.py", {"f.channel": "referral"}),
    ("pages/4_Customers.py", {"cus.q": "soft", "cus.status": "churned"}),
    ("pages/4_Customers.py", {"f.channel": "referral"}),
    ("pages/5_Scenarios.py", {"sc.ret_dim": "company_size", "sc.count": "2"}),
    ("pages/5_Scenarios.py", {"f.channel": "referral", "sc.method": "empirical"}),
    ("pages/6_Expansion.py", {"ex.dim": "company_size"}),
    ("pages/6_Expansion.py", {"f.channel": "referral"}),
]


@pytest.fixture(scope="module")
def cached_reads(monkeypatch_module):
    """Every cached object the pages received, with its fingerprint when received."""
    seen: dict[int, tuple[str, object, str]] = {}
    real = memory.DATA.get

    def recording(key, compute, tag=None):
        out = real(key, compute, tag)
        if id(out) not in seen:
            seen[id(out)] = (repr(key)[:200], out, fingerprint(out))
        return out

    monkeypatch_module.setattr(memory.DATA, "get", recording)
    for path, params in VISITS:
        at = open_page(path, params)
        assert_clean(at)
        # Rerun once more: a second run reads every view back from the caches.
        at.run()
        assert_clean(at)
    return seen


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


def test_pages_do_not_modify_cached_views(cached_reads):
    assert len(cached_reads) > 40  # the pages did read their views through the cache
    changed = [label for label, obj, digest in cached_reads.values() if fingerprint(obj) != digest]
    assert changed == [], "\n".join(changed)


def test_pages_do_not_modify_the_shared_analysis(cached_reads):
    source = sample_source()
    # The cached sample lines are still the file's content...
    assert lines_digest(source.lines) == lines_digest(mrrkit.load_sample())
    # ... and the cached analysis still what mrrkit computes from them.
    base = analysis(source.key, source.lines)
    fresh = mrrkit.movements(mrrkit.load_sample())
    pd.testing.assert_frame_equal(base.movements.frame, fresh.frame, check_exact=True)
    assert base.movements.as_of == fresh.as_of
    pd.testing.assert_frame_equal(base.monthly, mrrkit.monthly(fresh), check_exact=True)
    pd.testing.assert_frame_equal(
        base.attributes, mrrkit.customer_attributes(mrrkit.load_sample()), check_exact=True
    )


# --- cached chart specs -----------------------------------------------------------------------


def _altair_path(chart) -> tuple[dict, dict[str, pd.DataFrame]]:
    """What ``st.vega_lite_chart(chart.to_dict())`` ships: to_dict's spec, and its row datasets
    as the frame Streamlit makes of rows (before it turns frames into Arrow)."""
    spec = chart.to_dict(validate=False)
    frames = {name: pd.DataFrame(rows) for name, rows in spec.pop("datasets", {}).items()}
    return spec, frames


def _same_chart(chart) -> None:
    old_spec, old_tables = _altair_path(chart)
    new_spec = spec_of(chart)
    assert all(isinstance(v, pd.DataFrame) for v in new_spec["datasets"].values())
    new_tables = dict(new_spec.pop("datasets"))
    old_text, new_text = json.dumps(old_spec, sort_keys=True), json.dumps(new_spec, sort_keys=True)
    # Dataset names differ (content hashes of different serialisations): compare by position.
    for tables, text in ((old_tables, old_text), (new_tables, new_text)):
        order = sorted(tables, key=text.find)
        for i, name in enumerate(order):
            text = text.replace(name, f"dataset-{i}")
        tables["_text"] = text
        tables["_order"] = order
    assert old_tables.pop("_text") == new_tables.pop("_text")
    old_order, new_order = old_tables.pop("_order"), new_tables.pop("_order")
    assert len(old_order) == len(new_order)
    for a, b in zip(old_order, new_order):
        pd.testing.assert_frame_equal(old_tables[a], new_tables[b], check_exact=True)


def test_chart_data_of_every_dtype_reaches_the_browser_unchanged():
    n = 6
    frame = pd.DataFrame({
        "day": pd.to_datetime(["2024-01-01", None, "2024-03-01", "2024-04-01", "2024-05-01",
                               "2024-06-01"]),
        "utc": pd.date_range("2024-01-01", periods=n, freq="D", tz="UTC"),
        "month": pd.period_range("2024-01", periods=n, freq="M").to_timestamp(),
        "text": pd.Series(["a", None, "c", "d", "é", ""], dtype="str"),
        "obj": pd.Series(["a", None, 3, 4.5, "x", np.nan], dtype=object),
        "cat": pd.Categorical(["x", "y", None, "x", "y", "x"]),
        "int_cat": pd.Categorical([1, 2, 1, 2, 1, 2]),
        "flag": [True, False, True, True, False, False],
        "nullable_flag": pd.array([True, None, False, True, None, False], dtype="boolean"),
        "count": np.arange(n, dtype="int64"),
        "small": np.arange(n, dtype="int8"),
        "nullable": pd.array([1, None, 3, 4, 5, 6], dtype="Int64"),
        "value": [1.5, np.nan, np.inf, -np.inf, 0.1 + 0.2, -0.0],
        "f32": np.array([1.5, np.nan, 2.25, 3, 4, 5], dtype="float32"),
    })
    # Every column but the mixed object one is converted by spec_of itself (not Altair).
    assert records(frame.drop(columns="obj")) is not None
    assert records(frame) is None
    for data in (frame.drop(columns="obj"), frame):
        chart = alt.Chart(data).mark_point().encode(x="day:T", y="value:Q", tooltip=list(data))
        _same_chart(chart)
    # Several datasets (layers), an index that is not a range, attrs on the frame.
    other = frame.set_index("text")
    other.attrs["as_of"] = pd.Timestamp("2024-06-30")
    _same_chart(alt.layer(chart, alt.Chart(other.reset_index()).mark_line().encode(x="day:T")))


def test_chart_data_of_other_types_goes_through_altair():
    # A Period column is not one spec_of converts itself: Altair's own conversion is used.
    frame = pd.DataFrame({"p": pd.period_range("2024-01", periods=3, freq="M"), "v": [1, 2, 3]})
    _same_chart(alt.Chart(frame).mark_bar().encode(x="v:Q"))
    assert records(frame) is None


def test_app_charts_are_unchanged():
    lines = mrrkit.load_sample()
    monthly = mrrkit.monthly(mrrkit.movements(lines)).iloc[-12:]
    nf = number_format("fr", "EUR")
    for chart in (charts.movement_chart(monthly, selectable=True), charts.mrr_chart(monthly)):
        _same_chart(charts.localized(chart, nf))


def _by_content(spec: dict) -> str:
    """A spec as text with each dataset named by its content and Altair's generated view and
    parameter names left out: equal for the same chart drawn with the same data."""
    text = json.dumps({k: v for k, v in spec.items() if k != "datasets"}, sort_keys=True)
    for name, frame in spec["datasets"].items():
        payload = frame.to_json(orient="split", date_format="iso").encode()
        text = text.replace(name, hashlib.sha256(payload).hexdigest())
    return re.sub(r'"(view|param)_[^"]*"', r'"\1_n"', text)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_chart_template_filled_with_other_data_is_that_data_s_chart(lang):
    """The Overview's and Movements page's charts are built once per language and shape of
    data and given each segment's data (ui.chart_cache's frames=): the spec drawn must be the
    one the segment's own chart would have, for every segment (and a period with other
    months)."""
    from ui.i18n import text

    t, nf = text(lang), number_format(lang, "EUR")
    lines = mrrkit.load_sample()
    mv = mrrkit.movements(lines)
    attrs = mrrkit.customer_attributes(lines)
    first = mrrkit.monthly(mv).iloc[-12:]  # the period the templates are made on
    segments = [mv] + [mrrkit.filter_movements(mv, attrs.index[attrs[dim] == value])
                       for dim, value in [("industry", "Software"), ("company_size", "1000+"),
                                          ("channel", "referral"), ("churn_reason", "budget")]]
    makers = [
        (lambda m: charts.movement_chart(m, t=t, selectable=True),
         lambda m: charts.movement_chart_frames(m, t)),
        (lambda m: charts.movement_chart(m, t=t), lambda m: charts.movement_chart_frames(m, t)),
        (lambda b: charts.waterfall_chart(b, t=t, selectable=True),
         lambda b: [charts.waterfall_chart_frame(b, t)]),
    ]
    months = first.index
    for i, (make, frames) in enumerate(makers):
        def data(part, start=months[0], end=months[-1]):
            if i < 2:
                return mrrkit.monthly(part).loc[start:end]
            return mrrkit.views.bridge.mrr_bridge(part, start, end)

        shape = template(spec_of(charts.localized(make(data(mv)), nf)), frames(data(mv)))
        assert shape is not None
        for part in segments:
            for period in ((months[0], months[-1]), (months[-12] - 12, months[-1] - 6)):
                table = data(part, *period)
                own = spec_of(charts.localized(make(table), nf))
                assert _by_content(filled(shape, frames(table))) == _by_content(own)


@pytest.mark.parametrize("lang", ["en", "it"])
def test_the_expansion_and_forecast_templates_too(lang):
    """The same for the Expansion page's charts over time and the Scenarios page's forecast."""
    from ui.i18n import text

    t, nf = text(lang), number_format(lang, "EUR")
    lines = mrrkit.load_sample()
    mv = mrrkit.movements(lines)
    attrs = mrrkit.customer_attributes(lines)
    parts = [(mv, lines)]
    for dim, value in [("industry", "Software"), ("plan", "Starter monthly"), ("country", "SE")]:
        ids = attrs.index[attrs[dim] == value]
        parts.append((mrrkit.filter_movements(mv, ids), lines[lines["customer_id"].isin(ids)]))
    summaries = [mrrkit.expansion_summary(mrrkit.monthly(m)).iloc[-12:] for m, _ in parts]
    kinds = ["upsell", "cross_sell", "price_increase"]
    splits = [mrrkit.expansion_breakdown_by_month(mrrkit.expansion_breakdown(ls, data=m))
              .reindex(summaries[0].index, fill_value=0.0)[kinds] for m, ls in parts]
    forecasts = [mrrkit.forecast(m, months=12) for m, _ in parts[:3]]
    cases = [
        (lambda s: charts.expansion_chart(s, t=t), lambda s: [charts.expansion_chart_frame(s, t)],
         summaries),
        (lambda s: charts.expansion_share_chart(s, t=t),
         lambda s: [charts.expansion_share_chart_frame(s, t)], summaries),
        (lambda s: charts.expansion_split_chart(s, t=t),
         lambda s: [charts.expansion_split_chart_frame(s, t)], splits),
    ]
    history = mrrkit.monthly(mv).iloc[-12:]
    bandless = [f.drop(columns=[c for c in f.columns if c.endswith(("_low", "_high"))])
                for f in forecasts]
    for metric, projections in (("mrr", forecasts), ("customers", forecasts), ("arr", forecasts),
                                ("mrr", bandless)):
        cases.append((
            lambda f, metric=metric: charts.forecast_chart(history, f, metric, t=t),
            lambda f, metric=metric: charts.forecast_chart_frames(history, f, metric, t),
            projections,
        ))
    for make, frames, datas in cases:
        shape = template(spec_of(charts.localized(make(datas[0]), nf)), frames(datas[0]))
        assert shape is not None
        for data in datas:
            own = spec_of(charts.localized(make(data), nf))
            assert _by_content(filled(shape, frames(data))) == _by_content(own)


# --- what the pages' caches rely on -------------------------------------------------------------


@pytest.mark.parametrize("method", ["sbg", "empirical"])
def test_a_shorter_forecast_is_the_start_of_the_horizon_forecast(method):
    # The Scenarios page computes the forecast over the whole horizon once per method and
    # slices it to the chosen number of months.
    from mrrkit.models.forecast import forecast
    from mrrkit.models.scenarios import scenario_inputs

    lines = mrrkit.load_sample()
    inputs = scenario_inputs(mrrkit.movements(lines), method=method, horizon=36)
    full = forecast(None, months=36, inputs=inputs)
    for months in (12, 24, 30):
        part = forecast(None, months=months, inputs=inputs)
        pd.testing.assert_frame_equal(part, full.iloc[:months], check_exact=True)
        assert part.attrs == full.iloc[:months].attrs
