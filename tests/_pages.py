"""Helpers for the AppTest page tests: open a page the way a deep link does, read chart specs."""

from __future__ import annotations

import json
import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

import mrrkit
from mrrkit.views.segments import filter_movements, segment_columns, segment_labels, select_customers

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 90
#: The Overview's page file: what "/" runs (``app.py``, the entry point, is no page to switch to).
HOME = "pages/0_Overview.py"


def open_page(path: str = "app.py", params: dict | None = None) -> AppTest:
    """A fresh session opening ``path`` (relative to the repo) with ``params`` in its URL."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    if path != "app.py":
        at.switch_page(path)
    if params:
        at.query_params.update(params)
    return at.run()


def link_params(at: AppTest) -> dict[str, list[str]]:
    """The query of the page's "Link to this view" (the sidebar's first code box): the view's
    URL, keys Streamlit binds itself included (``AppTest`` does not see those in its
    ``query_params``: the browser writes them)."""
    from urllib.parse import parse_qs, urlsplit

    link = next(c.value for c in at.sidebar.code)
    return parse_qs(urlsplit(link).query, keep_blank_values=True)


def specs(at: AppTest) -> list[dict]:
    """The Vega-Lite specs of the page's charts."""
    return [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]


def tooltips(spec: dict) -> list[list[str]]:
    """Tooltip titles of each layer (or of the single chart)."""
    layers = spec.get("layer", [spec])
    return [[t.get("title", t.get("field")) for t in layer.get("encoding", {}).get("tooltip", [])]
            for layer in layers]


def shown_text(markdown: str) -> str:
    """Markdown as the reader sees it, for text the app escaped (``ui.format.plain_md``):
    ``"from=not\\-a\\-month"`` reads ``"from=not-a-month"``."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


_SAMPLE = {}


def sample():
    """(lines, movements, labels) of the bundled sample, computed once per test process."""
    if not _SAMPLE:
        lines = mrrkit.load_sample()
        attrs = mrrkit.customer_attributes(lines)
        _SAMPLE["v"] = (lines, mrrkit.movements(lines), segment_labels(attrs, segment_columns(attrs)))
    return _SAMPLE["v"]


def segment(filters: dict):
    """The sample's movements of the customers that pass ``filters``."""
    _, mv, labels = sample()
    return filter_movements(mv, select_customers(labels, filters))


def table(at: AppTest, index: int):
    """Table ``index`` as the reader sees it: the formatted text of every cell (a table shown with
    a Styler keeps numbers underneath; this gives its display values)."""
    from streamlit import dataframe_util

    element = at.dataframe[index]
    styled = element.proto.arrow_data.styler.display_values
    if styled:
        return dataframe_util.convert_arrow_bytes_to_pandas_df(styled)
    return element.value


def chart_data(at: AppTest, index: int) -> dict:
    """The named datasets of chart ``index`` (Streamlit ships them as Arrow next to the spec)."""
    import pyarrow as pa

    proto = at.get("vega_lite_chart")[index].proto
    return {d.name: pa.ipc.open_stream(d.data.data).read_pandas() for d in proto.datasets}
