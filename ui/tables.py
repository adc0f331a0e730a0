"""Tables for people: formatted in the reader's locale on screen, downloadable as CSV and Excel.

On screen the numbers are formatted for the reader's locale (``1 234 €``). With ``numeric=True``
the cells stay numbers under a pandas Styler that only changes how they are written, so a click
on a column header sorts by value (``€9`` before ``€1,000``) and numbers are right-aligned. It
costs more than text: Streamlit writes the display values into a copy column by column (measured
8-25 ms of CPU per table of 5 to 17 columns, 65 ms for 500 rows x 13 columns, on the 2-core
machine at load 10, against a few ms as text), so pages use it for the tables people sort
(monthly figures, listings, comparisons) and plain text for short or chronological ones.
The downloads carry the raw numbers (via :mod:`ui.downloads`, safe against formula injection) with
the same translated headers, and are generated only when clicked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import pandas as pd
import streamlit as st

from . import memory
from .downloads import to_csv_bytes, to_excel_bytes
from .format import DASH, LOCALES, NumberFormat

__all__ = ["downloads", "for_download", "formatters", "month_labels", "number_columns",
           "right_aligned", "show_table"]

#: Column kind -> how to show it.
KINDS = ("money", "money2", "signed_money", "signed_money2", "count", "pct", "pts", "ratio",
         "number", "date", "text")
#: The kinds that are numbers (right-aligned, like every number in a table).
NUMBER_KINDS = frozenset(KINDS) - {"date", "text"}
#: Money kinds in whole units -> the same with cents: a table mixing both shows all its money
#: with cents (one number of decimals for money in one table).
_WITH_CENTS = {"money": "money2", "signed_money": "signed_money2"}


def formatters(formats: Mapping[str, str], nf: NumberFormat) -> dict[str, Callable]:
    """Column -> formatting function for the given column kinds (see ``KINDS``).

    Examples
    --------
    >>> from ui.format import number_format
    >>> f = formatters({"a": "money", "b": "pct"}, number_format("en", "EUR"))
    >>> f["a"](1234.4), f["b"](0.25)
    ('€1,234', '25.0%')
    """
    table = {
        "money": lambda x: nf.money(x),
        "money2": lambda x: nf.money(x, 2),
        "signed_money": lambda x: nf.money(x, signed=True),
        "signed_money2": lambda x: nf.money(x, 2, signed=True),
        "count": lambda x: nf.count(x),
        "pct": lambda x: nf.pct(x),
        "pts": lambda x: nf.pts(x),
        "ratio": lambda x: nf.ratio(x),
        "number": lambda x: nf.number(x, 1),
        "date": lambda x: "" if pd.isna(x) else (
            x if isinstance(x, str) else pd.Timestamp(x).strftime("%Y-%m-%d")),
        "text": lambda x: "" if x is None or (isinstance(x, float) and x != x) else str(x),
    }
    unknown = set(formats.values()) - set(table)
    if unknown:
        raise ValueError(f"unknown column kinds {sorted(unknown)}; expected {KINDS}")
    return {col: table[kind] for col, kind in formats.items()}


def _missing(x) -> bool:
    """True for None, NaN, NA and NaT (a cell with nothing to show)."""
    return x is None or x is pd.NA or x is pd.NaT or (isinstance(x, float) and x != x)


def _lang(nf: NumberFormat) -> str:
    return next((lang for lang, loc in LOCALES.items() if loc == nf.locale), "en")


def month_labels(months, nf: NumberFormat) -> list[str]:
    """Months (Periods, or ``2025-11`` text) as the charts and captions write them, in the
    language of ``nf``: ``Nov 2025``, ``nov 2025`` (:func:`ui.shell.month_label`).

    >>> from ui.format import number_format
    >>> months = pd.period_range("2025-11", periods=2, freq="M")
    >>> month_labels(months, number_format("en")), month_labels(["2025-11"], number_format("fr"))
    (['Nov 2025', 'Dec 2025'], ['nov 2025'])
    """
    from .shell import month_label  # the shell imports Streamlit pages' glue: only when needed

    lang = _lang(nf)
    return ["" if _missing(m) else month_label(str(m), lang) for m in months]


def _is_month(values) -> bool:
    dtype = getattr(values, "dtype", None)
    return isinstance(dtype, pd.PeriodDtype) and dtype == pd.PeriodDtype("M")


@lru_cache(maxsize=16)
def _number_text(nf: NumberFormat) -> re.Pattern:
    """What ``nf`` writes for a number (money, percentage, points, plain), a range of two
    (``2.1% – 5.3%``), a dash or infinity: a text cell that is a number for the reader."""
    digits = rf"\d[\d{re.escape(nf.group + nf.decimal)}]*"
    sign = f"[{re.escape(nf.minus + nf.plus)}]?"
    one = "|".join([
        rf"{sign}{re.escape(nf.money_prefix)}{sign}{digits}{re.escape(nf.money_suffix)}",
        rf"{re.escape(nf.percent_prefix)}{sign}{digits}{re.escape(nf.percent_suffix)}",
        rf"{sign}{digits} {re.escape(nf.points)}",
        rf"{sign}{digits}",
    ])
    return re.compile(rf"(?:{one})(?:\s*{DASH}\s*(?:{one}))?|{DASH}|-?∞")


def number_columns(frame: pd.DataFrame, nf: NumberFormat,
                   kinds: Mapping[str, str] | None = None) -> list:
    """The columns of ``frame`` that hold numbers: of a number kind in ``kinds`` (``KINDS``), of
    a numeric dtype, or text that reads as numbers written by ``nf`` (``€1,234``, ``12.5%``,
    ``+1.0 pts``, ``2.1% – 5.3%``, a dash for a missing one) in every non-blank cell.

    >>> from ui.format import number_format
    >>> f = pd.DataFrame({"a": ["€1,234", "–", "-€5"], "b": ["12.0%", "x", "1%"], "c": [1, 2, 3],
    ...                   "d": ["2.1% – 5.3%", "", "0.0%"], "e": ["cus_0001", "12", "3"]})
    >>> number_columns(f, number_format("en"))
    ['a', 'c', 'd']
    >>> fr = number_format("fr")
    >>> number_columns(f.assign(a=[fr.money(1234.5, 2), fr.pct(0.5), fr.pts(-0.01)]), fr)
    ['a', 'c']
    """
    kinds = kinds or {}
    pattern = _number_text(nf)
    out = []
    for col in frame.columns:
        values = frame[col]
        if isinstance(values, pd.DataFrame):  # a repeated header: leave it to Streamlit
            continue
        if kinds.get(col) in NUMBER_KINDS or (
                pd.api.types.is_numeric_dtype(values.dtype)
                and not pd.api.types.is_bool_dtype(values.dtype)):
            out.append(col)
            continue
        cells = [x for x in values.tolist() if not _missing(x) and x != ""]
        if cells and all(isinstance(x, str) and pattern.fullmatch(x.strip()) for x in cells):
            out.append(col)
    return out


def right_aligned(frame: pd.DataFrame, nf: NumberFormat, column_config: Mapping | None = None,
                  kinds: Mapping[str, str] | None = None) -> dict:
    """``column_config`` for ``st.dataframe`` with every number column of ``frame`` (see
    :func:`number_columns`) right-aligned: numbers written as text are left-aligned otherwise.
    A column's own config is kept, with ``alignment`` added when it has none.

    >>> from ui.format import number_format
    >>> f = pd.DataFrame({"MRR": ["€1,234", "€5"], "Customer": ["a", "b"]})
    >>> right_aligned(f, number_format("en"))
    {'MRR': {'alignment': 'right'}}
    >>> right_aligned(f, number_format("en"), {"MRR": "Monthly", "Customer": None})["MRR"]
    {'label': 'Monthly', 'alignment': 'right'}
    """
    return _aligned(column_config, number_columns(frame, nf, kinds))


def _plain(x, nf: NumberFormat) -> str:
    """A cell of a column without a kind: blank when missing, numbers in the locale.

    >>> from ui.format import number_format
    >>> fr = number_format("fr")
    >>> [_plain(v, fr) for v in (None, float("nan"), 10.0, 2.5, 1234, "x")] == ["", "", "10", "2,5", "1\u202f234", "x"]
    True
    >>> _plain(2.001, fr), _plain(0.375, number_format("en"))
    ('2', '0.38')
    """
    if _missing(x):
        return ""
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, (int, np.integer)):
        return nf.count(x)
    if isinstance(x, (float, np.floating)):
        if float(x).is_integer():
            return nf.count(x)
        text = nf.number(x, 2)
        return text.rstrip("0").rstrip(nf.decimal) if nf.decimal in text else text
    if isinstance(x, pd.Timestamp):
        return x.strftime("%Y-%m-%d")
    return str(x)


def downloads(frame, name: str, key: str, labels: tuple[str, str] = ("CSV", "Excel"),
              container=None) -> None:
    """CSV and Excel download buttons for ``frame`` (built on click, not on every rerun).

    ``frame`` may also be a function returning the frame, called only on a click (for a download
    that costs more to build than the table on screen)."""
    where = container or st
    get = frame if callable(frame) else (lambda: frame)
    row = where.container(horizontal=True, gap="small")
    row.download_button(
        f"⬇ {labels[0]}", data=lambda: to_csv_bytes(get()), file_name=f"{name}.csv",
        mime="text/csv", key=f"dl-csv:{key}", on_click="ignore",
    )
    row.download_button(
        f"⬇ {labels[1]}", data=lambda: to_excel_bytes(get(), name[:31]), file_name=f"{name}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"dl-xlsx:{key}", on_click="ignore",
    )


#: A table wider than this (px) overflows the main column of a 1440 px wide window (the sidebar
#: open): :func:`show_table` then says it scrolls sideways.
WIDE_TABLE_PX = 980


def estimated_width(frame: pd.DataFrame, fmt: Mapping | None = None, index: bool = True) -> int:
    """Roughly how wide Streamlit draws ``frame`` (px): each column as wide as its longest text
    among the header and the first 50 cells (6 px a character, 21 px of padding, at least 50 px:
    within 3% of what Chromium drew for the Segments, Movements and Customers tables).

    >>> narrow = pd.DataFrame({"MRR": [1.0, 2.0]})
    >>> wide = pd.DataFrame({f"A long column name {i}": [1.0] for i in range(12)})
    >>> estimated_width(narrow) < WIDE_TABLE_PX < estimated_width(wide)
    True
    """
    fmt = dict(fmt or {})

    def width(name, values) -> int:
        f = fmt.get(name, str)
        cells = [len(str(f(x))) for x in values[:50]]
        return max(50, int(6 * max([len(str(name)), *cells]) + 21))

    total = sum(width(c, frame[c].tolist()) for c in frame.columns) if frame.columns.is_unique \
        else 120 * frame.shape[1]
    if index:
        total += width(frame.index.name or "", list(frame.index))
    return total


class _Display(NamedTuple):
    """What :func:`show_table` draws, prepared once per content (see :func:`_display`)."""

    shown: pd.DataFrame  # headers translated, months and gappy columns written as text
    styled: tuple  # (column, kind) a Styler formats (``numeric``); empty: ``shown`` is all text
    numbers: tuple  # the number columns (right-aligned)
    wide: bool  # wider than the main column: it scrolls sideways
    index: bool  # whether the row labels are shown


def show_table(
    frame: pd.DataFrame,
    name: str,
    key: str,
    nf: NumberFormat,
    formats: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    download: pd.DataFrame | None = None,
    labels: tuple[str, str] = ("CSV", "Excel"),
    height: int | str | None = None,
    index: bool = True,
    numeric: bool = False,
    column_config: Mapping | None = None,
) -> None:
    """Show ``frame`` formatted, with its CSV/Excel downloads.

    Parameters
    ----------
    formats : column -> kind (``KINDS``); other columns are shown as they are.
    headers : column -> display name (screen and downloads).
    download : what the buttons export (default: ``frame``, raw numbers), or a function that
        returns it, called only when a button is clicked.
    numeric : keep the cells numbers (sortable by value) and format them with a Styler.
    column_config : passed to ``st.dataframe`` (keys are display names).
    """
    headers = dict(headers or {})
    # A small table is formatted again (a few ms at most): hashing it for the cache would cost
    # about as much, on every run.
    prepare = _display if frame.size >= CACHED_CELLS else _prepare
    display = prepare(frame, tuple((formats or {}).items()), tuple(headers.items()),
                      _lang(nf), nf.currency, index, numeric)
    data = display.shown
    if display.styled:
        # One formatter per column (the other cells as plain text too, so a Styler shows no
        # "10.000000"); missing numbers as a dash.
        fmt = formatters(dict(display.styled), nf)
        plain = lambda x: _plain(x, nf)  # noqa: E731
        data = data.style.format({c: fmt.get(c, plain) for c in data.columns}, na_rep=DASH)
    if height is None:  # every row up to 25, then scroll
        height = 38 + 35 * min(len(display.shown), 25)
    if display.wide:
        from .i18n import text

        st.caption(text(_lang(nf))("table.scroll_hint",
                                   columns=nf.count(len(display.shown.columns))))
    st.dataframe(data, height=height, hide_index=not display.index, width="stretch",
                 column_config=_aligned(column_config, display.numbers) or None)
    # The downloads are built on a click only (renaming and copying every run cost 1-2 ms a table).
    raw = download if callable(download) else (lambda: frame if download is None else download)
    downloads(lambda: for_download(raw(), headers), name, key, labels)


def _prepare(frame: pd.DataFrame, formats: tuple, headers: tuple, lang: str, currency: str,
             index: bool, numeric: bool) -> _Display:
    """``frame`` ready to draw: ``formats`` and ``headers`` as :func:`show_table` takes them."""
    from .format import number_format

    nf = number_format(lang, currency)
    headers = dict(headers)
    shown = frame.rename(columns=headers)
    shown.attrs = {}  # Arrow cannot carry Timestamps/Periods in attrs; the screen needs none
    if frame.index.name in headers:
        shown = shown.rename_axis(headers[frame.index.name])  # a new index: never rename in place
    # Months read as in the charts ("Nov 2025"), on screen; the downloads keep "2025-11".
    if _is_month(shown.index):
        shown.index = pd.Index(month_labels(shown.index, nf), name=shown.index.name)
    for col in [c for c in shown.columns if _is_month(shown[c])] if shown.columns.is_unique else []:
        shown[col] = month_labels(shown[col], nf)
    formats = dict(formats)
    if "money2" in formats.values():  # money with cents somewhere: with cents everywhere
        formats = {c: _WITH_CENTS.get(k, k) for c, k in formats.items()}
    kinds = {headers.get(c, c): k for c, k in formats.items()}
    fmt = {col: f for col, f in formatters(kinds, nf).items() if col in shown}
    if numeric and index and not shown.index.is_unique:
        shown, index = shown.reset_index(), False  # a Styler needs unique row labels
    # The grid draws an empty cell as a grey "None" whatever a formatter or Styler says: dashes
    # in text columns, dates with gaps as ISO text (which still sorts by date), and numbers with
    # gaps (a cohort table's unobserved ages) as their formatted text.
    for col in list(shown.columns) if shown.columns.is_unique else []:
        values = shown[col]
        if not values.isna().any():
            continue
        if col in fmt and (pd.api.types.is_numeric_dtype(values.dtype)
                           or values.dtype == object):
            f = fmt.pop(col)
            shown[col] = [DASH if _missing(x) else f(x) for x in values.tolist()]
        elif pd.api.types.is_numeric_dtype(values.dtype):
            continue
        elif pd.api.types.is_datetime64_any_dtype(values.dtype):
            shown[col] = values.dt.strftime("%Y-%m-%d").fillna(DASH)
        elif isinstance(values.dtype, pd.CategoricalDtype):
            if DASH not in values.cat.categories:
                values = values.cat.add_categories([DASH])
            shown[col] = values.fillna(DASH)
        else:
            shown[col] = values.astype("object").where(values.notna(), DASH)
    numbers = tuple(number_columns(shown, nf, kinds))
    wide = estimated_width(shown, fmt, index) > WIDE_TABLE_PX
    if numeric and fmt and shown.columns.is_unique and shown.index.is_unique:
        styled = tuple((c, kinds[c]) for c in fmt)
    else:
        styled = ()
        shown = shown.assign(**{col: [f(x) for x in shown[col].tolist()]
                                for col, f in fmt.items()})
    return _Display(shown, styled, numbers, wide, index)


#: Tables of at least this many cells are prepared once per content (:func:`_display`).
CACHED_CELLS = 2_000

# Shared by every rerun and session, never modified (``st.dataframe`` and a Styler only read
# it): formatting a table cell by cell took 70-130 ms a run for the Expansion page's 15,000- to
# 20,000-row lists on 200,000 customers, on every rerun.
_display = st.cache_resource(show_spinner=False, max_entries=256, ttl=30 * 60,
                             hash_funcs={pd.DataFrame: memory.content})(_prepare)


def _aligned(column_config: Mapping | None, numbers) -> dict:
    """``column_config`` with the ``numbers`` columns right-aligned (see :func:`right_aligned`)."""
    config = dict(column_config or {})
    for col in numbers:
        own = config.get(col, {})
        if own is None:  # hidden
            continue
        if isinstance(own, str):
            own = {"label": own}
        if "alignment" not in own:
            config[col] = {**own, "alignment": "right"}
    return config


def for_download(frame: pd.DataFrame, headers: Mapping[str, str] | None = None) -> pd.DataFrame:
    """``frame`` as :func:`show_table`'s downloads carry it: raw numbers under the translated
    ``headers``, months as ``2025-11`` (which sorts, and reads back, in a spreadsheet).

    >>> f = pd.DataFrame({"mrr": [1.5, 2.0]},
    ...                  index=pd.period_range("2025-11", periods=2, freq="M", name="month"))
    >>> out = for_download(f, {"mrr": "MRR", "month": "Month"})
    >>> out.index.name, out.index.tolist(), out["MRR"].tolist()
    ('Month', ['2025-11', '2025-12'], [1.5, 2.0])
    """
    headers = dict(headers or {})
    out = frame.rename(columns=headers)
    out.attrs = {}
    if out.index.name in headers:
        out = out.rename_axis(headers[out.index.name])
    if _is_month(out.index):
        out = out.set_axis(out.index.astype("str").rename(out.index.name), axis=0)
    months = [c for c in out.columns if _is_month(out[c])] if out.columns.is_unique else []
    return out.assign(**{c: out[c].astype("str") for c in months}) if months else out
