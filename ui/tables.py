"""Tables for people: formatted in the reader's locale on screen, downloadable as CSV and Excel.

On screen the numbers are formatted for the reader's locale (``1 234 €``). With ``numeric=True``
the cells stay numbers under a pandas Styler that only changes how they are written, so a click
on a column header sorts by value (``€9`` before ``€1,000``) and numbers are right-aligned. It
costs more than text: Streamlit writes the display values into a copy column by column (measured
8-25 ms of CPU per table of 5 to 17 columns, 65 ms for 500 rows x 13 columns, on the 2-core
machine at load 10, against a few ms as text), so pages use it for the tables people sort
(monthly figures, listings, comparisons) and plain text for short or chronological ones.
The downloads carry the raw numbers (via :mod:`ui.export`, safe against formula injection) with
the same translated headers, and are generated only when clicked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
import streamlit as st

from .export import to_csv_bytes, to_excel_bytes
from .format import DASH, NumberFormat

__all__ = ["downloads", "formatters", "show_table"]

#: Column kind -> how to show it.
KINDS = ("money", "money2", "signed_money", "count", "pct", "pts", "ratio", "number", "date", "text")


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
    shown = frame.rename(columns=headers)
    shown.attrs = {}  # Arrow cannot carry Timestamps/Periods in attrs; the screen needs none
    if frame.index.name in headers:
        shown = shown.rename_axis(headers[frame.index.name])  # a new index: never rename in place
    fmt = formatters({headers.get(c, c): k for c, k in (formats or {}).items()}, nf)
    fmt = {col: f for col, f in fmt.items() if col in shown}
    if height is None:  # every row up to 25, then scroll
        height = 38 + 35 * min(len(shown), 25)
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
    if numeric and fmt and shown.columns.is_unique and shown.index.is_unique:
        # One formatter per column (the other cells as plain text too, so a Styler shows no
        # "10.000000"); missing numbers as a dash.
        plain = lambda x: _plain(x, nf)  # noqa: E731
        data = shown.style.format({c: fmt.get(c, plain) for c in shown.columns}, na_rep=DASH)
    else:
        data = shown.assign(**{col: [f(x) for x in shown[col].tolist()] for col, f in fmt.items()})
    st.dataframe(data, height=height, hide_index=not index, width="stretch",
                 column_config=dict(column_config or {}) or None)
    def prepared(out: pd.DataFrame) -> pd.DataFrame:
        out = out.rename(columns=headers)
        out.attrs = {}
        if out.index.name in headers:
            out = out.rename_axis(headers[out.index.name])
        return out

    if callable(download):
        downloads(lambda: prepared(download()), name, key, labels)
    else:
        downloads(prepared(frame if download is None else download), name, key, labels)
