"""Golden views: what the reader sees on a set of URLs, recorded from the app as it was, so that a
restructuring of the code (modules moving, imports changing) can be checked to show exactly the
same pages.

:func:`capture` turns a finished ``AppTest`` into a JSON-able record of what the reader sees --
texts in page order, widget labels and current values (never their keys), tables (shape, headers,
a digest of every displayed cell, the first rows), charts (a digest of each dataset's values and
the mark types, not the spec's layout), the address bar -- so that it survives internal
refactors and changes with any figure or text. :data:`CASES` are the URLs (a page and its query
parameters, an action, a "Link to this view" address, a saved share link), :func:`open_case`
opens one, and ``tests/fixtures/golden_views.json`` holds their records, checked by
``tests/app/test_golden_views.py``.

Re-record, only when a figure or a text is *meant* to change (and review the diff of the JSON)::

    python -m tests.golden --record
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import hashlib
import io
import json
import math
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from streamlit.testing.v1 import AppTest

from tests import conftest  # noqa: F401 - pins MRRKIT_TODAY (the sample's day), as under pytest
from tests._pages import ROOT, TIMEOUT, shown_text, table

FIXTURE = Path(__file__).parent / "fixtures" / "golden_views.json"
#: What the browser reports as the app's address (``st.context.url``): the "Link to this view"
#: then shows a full address, as it does in a browser.
BASE_URL = "http://localhost:8501/"
#: The token the saved share link is stored under in the test (43 URL-safe characters, the shape
#: of a real token). Fixed, so the page that shows it is the same every run.
SAVED_TOKEN = "GoldenViewGoldenViewGoldenViewGoldenView123"
#: The saved view's creation time given to the store (2100-01-01 UTC): the page shows when the
#: link expires (creation + lifetime), which with the real clock would change every day.
SAVED_CREATED = 4_102_444_800.0
#: Environment settings that change what the pages show: unset for every case.
ENV_UNSET = ("MRRKIT_PASSWORD", "MRRKIT_PASSWORD_HASH", "MRRKIT_VIEWS_MAX_MB",
             "MRRKIT_VIEW_MAX_MB", "MRRKIT_VIEWS_TTL_DAYS")
#: Options listed in full up to this many; longer lists are recorded as a count and a digest.
MAX_OPTIONS = 12
#: Significant digits kept of a chart's or a raw table's float (rounding noise from a different
#: order of operations is not a changed figure; anything a reader could see is).
DIGITS = 10

OV, DATA, MV, COH, SEG, CUS, SC, EX = (
    "app.py", "pages/0_Data.py", "pages/1_Movements.py", "pages/2_Cohorts.py",
    "pages/3_Segments.py", "pages/4_Customers.py", "pages/5_Scenarios.py", "pages/6_Expansion.py",
)

#: The recorded URLs. ``page`` and ``params`` open a fresh session; ``actions`` are then done in
#: it (``["quick", name]``: a quick-period button). ``link_of`` (record time only): open the
#: "Link to this view" address that case shows, which must show the same record. ``share``
#: (record time only): the view state the Share button stores for that URL, saved in the test
#: under :data:`SAVED_TOKEN` and opened as ``?view=<token>``.
CASES: list[dict[str, Any]] = [
    # Every page at its default URL.
    {"id": "overview", "page": OV, "params": {}},
    {"id": "data", "page": DATA, "params": {}},
    {"id": "movements", "page": MV, "params": {}},
    {"id": "cohorts", "page": COH, "params": {}},
    {"id": "segments", "page": SEG, "params": {}},
    {"id": "customers", "page": CUS, "params": {}},
    {"id": "scenarios", "page": SC, "params": {}},
    {"id": "expansion", "page": EX, "params": {}},
    # Global keys: period, segment filters, languages, as-of day, fiscal year, quick periods.
    {"id": "overview-period-filter-fr", "page": OV,
     "params": {"from": "2025-04", "to": "2026-03", "f.industry": ["Healthcare", "Logistics"],
                "lang": "fr"}},
    {"id": "overview-asof-it", "page": OV, "params": {"asof": "2026-09-15", "lang": "it"}},
    {"id": "overview-fy-last-fiscal-year", "page": OV, "params": {"fy": "4"},
     "actions": [["quick", "last_fiscal_year"]]},
    {"id": "overview-quick-ytd-it", "page": OV, "params": {"lang": "it"},
     "actions": [["quick", "ytd"]]},
    {"id": "overview-churn-reason-filter", "page": OV,
     "params": {"f.churn_reason": ["budget", "switched to competitor"]}},
    {"id": "overview-bad-link-values", "page": OV,
     "params": {"from": "2010-01", "to": "2026-03", "lang": "xx", "nope": "1",
                "f.nothing": "x", "fy": "13"}},
    {"id": "data-fr", "page": DATA, "params": {"lang": "fr"}},
    {"id": "movements-month-kind", "page": MV,
     "params": {"from": "2025-04", "to": "2026-03", "mv.month": "2026-01",
                "mv.kind": "expansion"}},
    {"id": "movements-filter-it", "page": MV,
     "params": {"f.plan": ["Pro monthly", "Pro annual"], "lang": "it", "mv.kind": "new"}},
    {"id": "cohorts-quarter-customers", "page": COH,
     "params": {"coh.by": "quarter", "coh.value": "customers", "f.company_size": "11-50"}},
    {"id": "cohorts-dim-values-fr", "page": COH,
     "params": {"coh.dim": "channel", "coh.values": ["partner", "referral"], "coh.value": "arpa",
                "lang": "fr", "from": "2024-01", "to": "2025-12"}},
    {"id": "segments-plan-nrr", "page": SEG,
     "params": {"seg.dim": "plan", "seg.metric": "nrr", "f.country": ["FR", "DE"]}},
    {"id": "segments-industry-grr-it", "page": SEG,
     "params": {"seg.dim": "industry", "seg.metric": "grr", "from": "2024-07", "to": "2025-06",
                "lang": "it"}},
    {"id": "customers-id", "page": CUS, "params": {"cus.id": "cus_0776"}},
    {"id": "customers-search-churned-fr", "page": CUS,
     "params": {"cus.q": "cus_07", "cus.status": "churned", "lang": "fr"}},
    {"id": "scenarios-sliders", "page": SC,
     "params": {"sc.1.price_change_pct": "5", "sc.1.churn_elasticity": "0.5",
                "sc.1.churn_reduction_pct": "20", "sc.1.upsell_conversion_rate": "0.1",
                "sc.1.avg_uplift_pct": "15", "sc.1.addon_adoption_rate": "0.05",
                "sc.1.addon_mrr": "12.5", "sc.1.new_business_growth_pct": "10",
                "sc.1.cs_team_cost": "8000"}},
    {"id": "scenarios-two-scoped-fr", "page": SC,
     "params": {"sc.count": "2", "sc.method": "empirical", "sc.months": "36", "sc.metric": "arr",
                "sc.ret_dim": "plan", "sc.2.name": "Pro", "sc.2.scope_dim": "plan",
                "sc.2.scope_value": "Pro monthly", "sc.2.churn_reduction_pct": "30",
                "sc.2.price_change_pct": "-10", "lang": "fr"}},
    {"id": "expansion-dim-top-near", "page": EX,
     "params": {"ex.dim": "industry", "ex.top": ["Growth annual", "Growth monthly"],
                "ex.near": "90"}},
    {"id": "expansion-filter-asof-it", "page": EX,
     "params": {"lang": "it", "f.company_size": "51-200", "asof": "2026-06-30"}},
    # The app's own "Link to this view" address of three of those states.
    {"id": "link-overview-period-filter-fr", "link_of": "overview-period-filter-fr"},
    {"id": "link-cohorts-dim-values-fr", "link_of": "cohorts-dim-values-fr"},
    {"id": "link-scenarios-sliders", "link_of": "scenarios-sliders"},
    # A saved share link (?view=<token>) of a view with a period, a filter and French.
    {"id": "saved-view-movements-fr", "page": MV,
     "share": {"from": "2025-06", "to": "2026-03", "f.channel": ["partner", "referral"],
               "lang": "fr"}},
]


# --- opening a URL ---------------------------------------------------------------------------


def url_name(path: str) -> str:
    """The URL path Streamlit gives a page file (``pages/1_Movements.py`` -> ``Movements``; the
    main script is the root)."""
    if path == "app.py":
        return ""
    return re.sub(r"^[0-9]*[_ -]*", "", Path(path).stem)


def page_file(page: str) -> str:
    """The page file of a recorded page: the same file, else the one Streamlit serves at the same
    URL path (so a page file renamed without changing its URL is still found)."""
    if (ROOT / page).exists():
        return page
    wanted = url_name(page)
    for path in sorted((ROOT / "pages").glob("*.py")):
        if url_name(f"pages/{path.name}") == wanted:
            return f"pages/{path.name}"
    raise FileNotFoundError(f"no page file for {page!r} (URL path /{wanted})")


def page_of_address(address: str) -> tuple[str, dict[str, list[str]]]:
    """(page file, query parameters) of a full address of the app."""
    parts = urlsplit(address)
    name = parts.path.strip("/")
    params: dict[str, list[str]] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        params.setdefault(key, []).append(value)
    if not name:
        return "app.py", params
    for path in sorted((ROOT / "pages").glob("*.py")):
        if url_name(f"pages/{path.name}") == name:
            return f"pages/{path.name}", params
    raise FileNotFoundError(f"no page is served at /{name}")


def view_store_class():
    """The saved-views store class (``ui.saved_views.ViewStore``; looked for elsewhere in the
    app's packages if that module moved)."""
    try:
        from ui.saved_views import ViewStore

        return ViewStore
    except ImportError:
        pass
    import importlib
    import pkgutil

    for package in ("server", "ui", "mrrkit"):
        try:
            root = importlib.import_module(package)
        except ImportError:
            continue
        for info in pkgutil.walk_packages(root.__path__, f"{package}."):
            try:
                module = importlib.import_module(info.name)
            except Exception:  # noqa: BLE001 - a module that does not import alone
                continue
            if hasattr(module, "ViewStore"):
                return module.ViewStore
    raise ImportError("no ViewStore found in the app's packages")


def save_view(directory: str | os.PathLike[str], state: dict, token: str = SAVED_TOKEN) -> None:
    """Store ``state`` for the bundled sample under ``token`` in ``directory``, created at
    :data:`SAVED_CREATED` with the store's default lifetime."""
    store = view_store_class()(directory, clock=lambda: SAVED_CREATED)
    store.save(None, state, token=token)


def open_url(page: str, params: dict[str, Any] | None = None, url: str | None = None) -> AppTest:
    """A fresh session on ``page`` with ``params`` in its URL, the browser reporting ``url``
    (default: the page's own address) as the app's address."""
    page = page_file(page)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.secrets["_isolated"] = True  # never a developer's own secrets.toml
    at.context = {"url": url if url is not None else BASE_URL + url_name(page)}
    if page != "app.py":
        at.switch_page(page)
    if params:
        at.query_params.update(params)
    return at.run()


def _quick_periods(at: AppTest):
    groups = [g for g in at.sidebar.get("button_group")]
    keyed = [g for g in groups if g.key == "_mrrkit_quick_period"]
    if keyed:
        return keyed[0]
    if len(groups) == 1:
        return groups[0]
    raise LookupError("the quick-period buttons are not in the sidebar")


def act(at: AppTest, actions: list[list[str]]) -> AppTest:
    for kind, value in actions:
        if kind == "quick":
            _quick_periods(at).set_value(value).run()
        else:
            raise ValueError(f"unknown action {kind!r}")
    return at


def open_case(case: dict[str, Any]) -> AppTest:
    """Open a recorded case (the store directory for a saved view is ``MRRKIT_VIEWS_DIR``)."""
    if "address" in case:
        page, params = page_of_address(case["address"])
        return open_url(page, params, url=case["address"].split("?", 1)[0])
    if "saved_view" in case:
        saved = case["saved_view"]
        save_view(os.environ["MRRKIT_VIEWS_DIR"], saved["state"], saved["token"])
        return open_url(case["page"], {"view": saved["token"]})
    at = open_url(case["page"], case.get("params"))
    return act(at, case.get("actions", []))


# --- canonical values ------------------------------------------------------------------------


def _number(x: float) -> int | float | None:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    value = float(f"{float(x):.{DIGITS}g}")
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def canonical(value: Any) -> Any:
    """A JSON value for one datum: numbers rounded to :data:`DIGITS` significant digits (whole
    ones as integers), missing values as ``None``, dates as ISO text."""
    import numpy as np
    import pandas as pd

    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating, decimal.Decimal)):
        return _number(float(value))
    if isinstance(value, str):
        return value
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, pd.Period):
        return str(value)
    if isinstance(value, (pd.Timedelta, dt.timedelta)):
        return str(pd.Timedelta(value))
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [canonical(v) for v in value]
    return str(value)


def cell(value: Any) -> str:
    """A table cell as text (what the CSV of the displayed values holds)."""
    value = canonical(value)
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def options(values: list[str]) -> list[str] | dict[str, Any]:
    values = [str(v) for v in values]
    if len(values) <= MAX_OPTIONS:
        return values
    return {"n": len(values), "first": values[:3], "last": values[-1],
            "sha256": digest(json.dumps(values, ensure_ascii=False))}


# --- tables ----------------------------------------------------------------------------------


def _label(name: Any) -> str:
    if isinstance(name, tuple):
        return " / ".join(str(n) for n in name)
    return "" if name is None else str(name)


def table_record(element, frame) -> dict[str, Any]:
    """A dataframe as the reader sees it: the visible columns (config order, labels, hidden ones
    dropped), the index unless hidden, every displayed cell as text."""
    import pandas as pd

    try:
        config = json.loads(element.proto.columns or "{}")
    except ValueError:
        config = {}
    index_conf = config.get("_index", {})
    if "hidden" in index_conf:
        show_index = not index_conf["hidden"]
    else:  # Streamlit's default: a plain 0..n-1 index is not shown
        show_index = not isinstance(frame.index, pd.RangeIndex)
    names = [c for c in frame.columns if not config.get(_label(c), {}).get("hidden", False)]
    order = list(element.proto.column_order)
    if order:
        names = [c for o in order for c in names if _label(c) == o]
    headers = [config.get(_label(c), {}).get("label") or _label(c) for c in names]
    index_names = [_label(n) for n in frame.index.names] if show_index else []
    rows = []
    for position in range(len(frame)):
        row = []
        if show_index:
            key = frame.index[position]
            row.extend(cell(k) for k in (key if isinstance(key, tuple) else (key,)))
        row.extend(cell(frame.iloc[position, frame.columns.get_loc(c)]) for c in names)
        rows.append(row)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*index_names, *headers])
    writer.writerows(rows)
    return {
        "shape": [len(rows), len(headers)],
        "index": index_names,
        "columns": headers,
        "sha256": digest(buffer.getvalue()),
        "head": rows[:3],
    }


# --- charts ----------------------------------------------------------------------------------


def _arrow_records(data: bytes) -> list[dict]:
    import pyarrow as pa

    if not data:
        return []
    rows = pa.ipc.open_stream(data).read_all().to_pylist()
    # pandas' own index columns (if any) are not data the chart draws.
    return [{k: v for k, v in row.items() if not k.startswith("__index_level_")} for row in rows]


def _walk(node: Any):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def dataset_record(rows: list[dict]) -> dict[str, Any]:
    """A dataset's values, whatever its name or place in the spec: row count, field names and
    the digest of its canonical rows (row order left aside)."""
    lines = sorted(json.dumps(canonical(row), sort_keys=True, ensure_ascii=False) for row in rows)
    fields = sorted({k for row in rows for k in row})
    return {"rows": len(rows), "fields": fields, "sha256": digest("\n".join(lines))}


def chart_record(proto) -> dict[str, Any]:
    """A Vega-Lite chart's data (every dataset: Streamlit's Arrow ones, the spec's named and
    inline ones, in layers too), its mark types and the titles it shows."""
    spec = json.loads(proto.spec)
    datasets = [_arrow_records(d.data.data) for d in proto.datasets]
    if proto.HasField("data") and proto.data.data:
        datasets.append(_arrow_records(proto.data.data))
    for rows in (spec.get("datasets") or {}).values():
        if isinstance(rows, list):
            datasets.append(rows)
    marks, titles = [], set()
    for node in _walk(spec):
        data = node.get("data")
        if isinstance(data, dict) and isinstance(data.get("values"), list):
            datasets.append(data["values"])
        mark = node.get("mark")
        if isinstance(mark, str):
            marks.append(mark)
        elif isinstance(mark, dict) and isinstance(mark.get("type"), str):
            marks.append(mark["type"])
        title = node.get("title")
        if isinstance(title, dict):
            title = title.get("text")
        for text in title if isinstance(title, list) else [title]:
            if isinstance(text, str) and text.strip():
                titles.add(text)
    records = {json.dumps(r, sort_keys=True): r for r in map(dataset_record, datasets)}
    locale = (spec.get("config") or {}).get("locale")
    out = {
        "data": sorted(records.values(), key=lambda r: r["sha256"]),
        "marks": sorted(marks),
        "titles": sorted(titles),
    }
    if locale is not None:  # the number and date formats the chart writes its figures with
        out["locale"] = digest(json.dumps(locale, sort_keys=True, ensure_ascii=False))
    return out


def plotly_record(proto) -> dict[str, Any]:
    figure = json.loads(proto.spec or proto.figure.spec or "{}")
    traces = figure.get("data", [])
    return {"data": [digest(json.dumps(canonical(t), sort_keys=True)) for t in traces],
            "types": [t.get("type", "scatter") for t in traces]}


# --- the page --------------------------------------------------------------------------------


def _fmt(widget, value: Any) -> str:
    """A widget's value as the widget writes it (its format function), else as text."""
    try:
        return str(widget.format_func(value))
    except Exception:  # noqa: BLE001 - no format function stored for this widget
        return cell(value)


def _help(element) -> str | None:
    text = getattr(getattr(element, "proto", None), "help", "")
    return shown_text(text) if isinstance(text, str) and text else None


_TEXT = ("title", "header", "subheader", "markdown", "caption", "latex", "info", "warning",
         "error", "success", "text")
_LABELLED = ("button", "download_button", "file_uploader", "form_submit_button")
_SKIP = ("empty", "space", "spinner", "balloons", "snow", "event")


def _html_words(body: str) -> dict[str, Any]:
    """What an ``st.html`` block shows: its text, and the words its CSS writes (``content:``)."""
    said = re.findall(r'content:\s*"((?:[^"\\]|\\.)*)"', body)
    visible = re.sub(r"<(style|script)\b.*?</\1>", " ", body, flags=re.S | re.I)
    visible = " ".join(re.sub(r"<[^>]+>", " ", visible).split())
    return {"text": visible, "css_content": said}


def _element(el, at: AppTest, tables: list, charts: list, frames: dict) -> dict | None:
    kind = el.type
    item: dict[str, Any] = {"kind": kind}
    if kind in _TEXT:
        item["text"] = shown_text(el.value)
    elif kind == "divider":
        pass
    elif kind == "toast":
        item["text"] = shown_text(el.proto.body)
    elif kind == "exception":
        item["text"] = el.proto.message  # never the traceback (paths, line numbers)
    elif kind == "metric":
        item.update(label=shown_text(el.label), value=el.value, delta=el.delta)
    elif kind in ("selectbox", "radio"):
        item.update(label=el.label, value=None if el.value is None else _fmt(el, el.value),
                    options=options(el.options))
    elif kind == "multiselect":
        item.update(label=el.label, value=[_fmt(el, v) for v in el.value],
                    options=options(el.options))
    elif kind == "select_slider":
        value = el.value
        item.update(label=el.label, value=[_fmt(el, v) for v in value]
                    if isinstance(value, (list, tuple)) else _fmt(el, value),
                    options=options(list(el.options)))
    elif kind in ("slider", "number_input", "text_input", "text_area", "checkbox", "toggle",
                  "date_input", "time_input", "color_picker"):
        value = el.value
        item.update(label=el.label, value=[cell(v) for v in value]
                    if isinstance(value, (list, tuple)) else cell(value))
    elif kind == "button_group":
        item.update(label=el.proto.label, value=list(el.formatted_values),
                    options=options(el.options))
    elif kind in _LABELLED:
        item["label"] = el.label if hasattr(el, "label") else el.proto.label
    elif kind == "link_button":
        item.update(label=el.label, url=el.proto.url)
    elif kind == "page_link":
        item.update(label=el.proto.label, page=el.proto.page)
    elif kind == "code":
        item.update(text=el.value, language=el.language)
    elif kind == "json":
        item["text"] = el.proto.body
    elif kind == "html":
        item.update(_html_words(el.proto.body))
    elif kind in ("dataframe", "table"):
        index = frames[id(el)]
        item["table"] = len(tables)
        tables.append(table_record(el, table(at, index) if kind == "dataframe" else el.value))
    elif kind == "vega_lite_chart":
        item["chart"] = len(charts)
        charts.append(chart_record(el.proto))
    elif kind == "plotly_chart":
        item["chart"] = len(charts)
        charts.append(plotly_record(el.proto))
    elif kind in _SKIP:
        return None
    # Any other element: its kind only (its content is not known to be stable).
    help_text = _help(el)
    if help_text:
        item["help"] = help_text
    return item


def _block_label(block) -> dict | None:
    kind = getattr(block, "type", None)
    if kind in ("expander", "status", "tab"):
        return {"kind": kind, "label": block.label}
    proto = getattr(block, "proto", None)
    if proto is not None and hasattr(proto, "WhichOneof"):
        try:
            which = proto.WhichOneof("type")
        except (TypeError, ValueError):
            which = None
        if which == "popover":
            return {"kind": "popover", "label": proto.popover.label}
    return None


def capture(at: AppTest) -> dict[str, Any]:
    """What the reader sees after ``at`` ran: ``main`` and ``sidebar`` (and any other area) in
    page order, ``tables`` and ``charts`` (referred to from their place in the page by index),
    and the address bar's ``query`` (the view's URL parameters)."""
    from streamlit.testing.v1.element_tree import Block

    frames = {id(el): i for i, el in enumerate(at.dataframe)}
    tables: list = []
    charts: list = []
    areas: dict[str, list] = {}

    def walk(node, out: list) -> None:
        for key in sorted(node.children):
            child = node.children[key]
            if isinstance(child, Block):
                label = _block_label(child)
                if label is not None:
                    out.append(label)
                walk(child, out)
            else:
                item = _element(child, at, tables, charts, frames)
                if item is not None:
                    out.append(item)

    for key in sorted(at._tree.children):
        area = at._tree.children[key]
        items: list = []
        walk(area, items)
        if items:
            areas[getattr(area, "type", None) or f"area{key}"] = items
    query = sorted([k, list(at.query_params.get_all(k)) if hasattr(at.query_params, "get_all")
                    else _as_list(at.query_params[k])] for k in at.query_params)
    return {**areas, "tables": tables, "charts": charts, "query": query}


def _as_list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]


def link_address(record: dict[str, Any]) -> str:
    """The "Link to this view" address a captured page shows (the sidebar's first code box)."""
    codes = [i["text"] for i in record.get("sidebar", []) if i["kind"] == "code"]
    if not codes:
        raise LookupError("the page shows no link to its view")
    return codes[0]


# --- comparing ---------------------------------------------------------------------------------


def differences(expected: Any, actual: Any, path: str = "$", limit: int = 12) -> list[str]:
    """Readable differences between two records (the first ``limit``)."""
    out: list[str] = []

    def short(value: Any) -> str:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
        return text if len(text) <= 300 else text[:297] + "..."

    def go(a: Any, b: Any, where: str) -> None:
        if len(out) >= limit or a == b:
            return
        if isinstance(a, dict) and isinstance(b, dict):
            for key in sorted(set(a) | set(b), key=str):
                if key not in b:
                    out.append(f"{where}.{key}: missing now (was {short(a[key])})")
                elif key not in a:
                    out.append(f"{where}.{key}: new {short(b[key])}")
                else:
                    go(a[key], b[key], f"{where}.{key}")
                if len(out) >= limit:
                    return
        elif isinstance(a, list) and isinstance(b, list):
            for i, (x, y) in enumerate(zip(a, b)):
                go(x, y, f"{where}[{i}]")
                if len(out) >= limit:
                    return
            if len(a) > len(b):
                out.append(f"{where}: {len(a) - len(b)} item(s) fewer now; first missing "
                           f"{short(a[len(b)])}")
            elif len(b) > len(a):
                out.append(f"{where}: {len(b) - len(a)} more item(s) now; first new "
                           f"{short(b[len(a)])}")
        else:
            out.append(f"{where}: expected {short(a)}, got {short(b)}")

    go(expected, actual, path)
    return out


# --- recording ---------------------------------------------------------------------------------


def _prepare_env(views_dir: str) -> None:
    for name in ENV_UNSET:
        os.environ.pop(name, None)
    os.environ["MRRKIT_VIEWS_DIR"] = views_dir


def _clean(at: AppTest, what: str) -> None:
    if at.exception:
        raise RuntimeError(f"{what}: {[e.value for e in at.exception]}")


def _shared_state(page: str, params: dict[str, Any]) -> dict[str, Any]:
    """The state the Share button stores for ``params`` on ``page`` (as the store holds it)."""
    at = open_url(page, params)
    _clean(at, "share")
    share = [b for b in at.sidebar.button if b.key == "_mrrkit_share_button"]
    share[0].click().run()
    _clean(at, "share")
    token = at.session_state["_mrrkit_shared_view"]["token"]
    _, state = view_store_class()(os.environ["MRRKIT_VIEWS_DIR"]).load(token)
    return state


def record() -> dict[str, Any]:
    """Open every case and return the fixture (see the module)."""
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout.strip()
    cases: list[dict[str, Any]] = []
    recorded: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n, case in enumerate(CASES):
            views = Path(tmp) / f"views-{n}"
            _prepare_env(str(views))
            out = {k: v for k, v in case.items() if k not in ("link_of", "share")}
            if "link_of" in case:
                out["address"] = link_address(recorded[case["link_of"]])
                out["same_as"] = case["link_of"]
            if "share" in case:
                out["shared_from"] = {"page": case["page"], "params": case["share"]}
                # Verbatim what the current app stores for that view.
                out["saved_view"] = {"token": SAVED_TOKEN,
                                     "state": _shared_state(case["page"], case["share"])}
                views = Path(tmp) / f"views-{n}-open"  # opened from a store holding it alone
                _prepare_env(str(views))
            at = open_case(out)
            _clean(at, case["id"])
            got = capture(at)
            if "same_as" in out:
                diff = differences(recorded[out["same_as"]], got)
                if diff:
                    raise RuntimeError(f"{case['id']}: the link shows another view:\n"
                                       + "\n".join(diff))
            else:
                out["record"] = got
            recorded[case["id"]] = got
            cases.append(out)
            print(f"recorded {case['id']}", file=sys.stderr)
    return {
        "_comment": (
            f"Recorded at commit {commit} of mrrkit (first at 56901a3, the app before the "
            "issue-13 restructuring; each re-recording is a commit of this file saying what was "
            "meant to change): what every page shows on these URLs (texts, widget values, tables "
            "and chart data as digests). tests/app/test_golden_views.py checks the app still shows "
            "exactly this. Re-record with `python -m tests.golden --record` ONLY when a figure "
            "or a text is meant to change, and review the diff."
        ),
        "commit": commit,
        "cases": cases,
    }


def dumps(value: Any, indent: int = 0) -> str:
    """Pretty JSON with sorted keys, a list of plain values on one line (a table row, a widget's
    options): readable diffs in a file a few times smaller."""
    pad, inner = " " * indent, " " * (indent + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{inner}{json.dumps(k, ensure_ascii=False)}: {dumps(value[k], indent + 1)}"
                 for k in sorted(value)]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list):
        if all(not isinstance(v, (dict, list)) for v in value):
            return json.dumps(value, ensure_ascii=False)
        return "[\n" + ",\n".join(inner + dumps(v, indent + 1) for v in value) + "\n" + pad + "]"
    return json.dumps(value, ensure_ascii=False)


def load() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def main(argv: list[str]) -> int:
    if argv != ["--record"]:
        print("usage: python -m tests.golden --record", file=sys.stderr)
        return 2
    fixture = record()
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    FIXTURE.write_text(dumps(fixture) + "\n", encoding="utf-8")
    print(f"wrote {FIXTURE} ({FIXTURE.stat().st_size:,} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
