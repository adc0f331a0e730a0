"""XLSX workbooks: the first sheet read as pandas reads it, with the server's limits checked
before each costly step (:mod:`mrrkit.io.limits`)."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from .cells import is_blank_value, number_text
from .headers import dedupe
from .limits import Limits, check_cells, check_columns, check_rows, check_unpacked
from .messages import ExportError, Note, note

__all__ = ["sheet_table"]

#: Top rows of a sheet where its header is looked for.
_HEADER_SEARCH = 20


def sheet_table(data: bytes, lim: Limits) -> tuple[pd.DataFrame, np.ndarray, list[Note]]:
    """A workbook's first sheet as a table: its frame (typed columns), the data row number of
    each row and the notes on how it was read. Run in the reading child process
    (:func:`mrrkit.io.limits.run_limited`) by :func:`mrrkit.io.table.read_table`."""
    try:
        raw = _sheet_frame(data, lim)
    except ImportError:
        raise ExportError("needs_openpyxl") from None
    except (ExportError, MemoryError):
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged zip fails anywhere in zipfile/zlib/openpyxl/lxml
        raise ExportError("bad_xlsx", detail=f"{type(exc).__name__}: {exc}") from None
    raw = raw.dropna(how="all").dropna(axis=1, how="all")
    if raw.empty:
        raise ExportError("empty_sheet")
    # Header: the first of the top rows whose cells are mostly filled with text.
    head = raw.head(_HEADER_SEARCH)
    width = raw.shape[1]
    header_pos = 0
    for pos, (_, rec) in enumerate(head.iterrows()):
        cells = [c for c in rec if not is_blank_value(c)]
        if len(cells) >= max(2, width // 2) and all(isinstance(c, str) for c in cells):
            header_pos = pos
            break
    headers, notes = dedupe([("" if is_blank_value(c) else str(c)) for c in raw.iloc[header_pos]])
    body = raw.iloc[header_pos + 1 :]
    # Spreadsheet line numbers (1-based) -> data row numbers below the header line.
    sheet_lines = body.index.to_numpy() + 1
    header_line = int(raw.index[header_pos]) + 1
    frame = body.reset_index(drop=True)
    frame.columns = headers
    frame = frame.apply(_typed_column)
    rows = (sheet_lines - header_line).astype(np.int64)
    notes.insert(0, note("xlsx"))
    if header_line > 1:
        notes.append(note("header_line", line=header_line))
    return frame, rows, notes


def _sheet_frame(data: bytes, lim: Limits) -> pd.DataFrame:
    """The first sheet as ``pd.read_excel(sheet_name=0, header=None, dtype=object)`` reads it
    (the same cells through the same parser), with the limits checked before each costly step:
    the zip's declared unpacked size before anything is unpacked, the sheet's declared dimension
    before any row is read, each row's width and the rows' count as they stream in, and the
    rectangle pandas pads the rows into before it is built."""
    import zipfile

    from openpyxl import load_workbook
    from pandas.io.parsers import TextParser

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        # zipfile never unpacks more than an entry declares (a larger entry fails its CRC).
        check_unpacked(sum(info.file_size for info in archive.infolist()), lim)
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    try:
        sheet = book.worksheets[0]
        # The declared dimension (<dimension ref="A1:C30"/>), when the sheet has one.
        declared_rows, declared_columns = sheet.max_row, sheet.max_column
        if declared_rows and declared_columns:
            check_columns(declared_columns, lim)
            check_rows(declared_rows, lim)
            check_cells(declared_rows, declared_columns, lim)
        # As pandas does: the real extent, whatever the sheet declares.
        sheet.reset_dimensions()
        rows: list[list] = []
        last, width = -1, 0
        max_rows, max_columns, max_cells = lim.max_rows, lim.max_columns, lim.max_cells
        empty: list = []  # one list for every line without cells (never changed)
        for number, row in enumerate(sheet.rows):
            if max_rows and number >= max_rows:
                check_rows(number + 1, lim, at_least=True)
            if not row:  # a line without cells (openpyxl gives one per missing line)
                rows.append(empty)
                continue
            if max_columns and len(row) > max_columns:
                check_columns(len(row), lim, at_least=True)
            values = [_sheet_value(cell) for cell in row]
            while values and values[-1] == "":
                values.pop()
            if values:
                last, width = number, max(width, len(values))
            if max_cells and (number + 1) * width > max_cells:
                check_cells(number + 1, width, lim)
            rows.append(values if values else empty)
    finally:
        book.close()
    rows = rows[: last + 1]
    if not rows:
        return pd.DataFrame()
    rows = [r + [""] * (width - len(r)) if len(r) < width else r for r in rows]
    return TextParser(rows, header=None, dtype=object, skip_blank_lines=False).read()


def _sheet_value(cell):
    """A cell's value as pandas' openpyxl reader gives it."""
    value = cell.value
    if value is None:
        return ""
    if cell.data_type == "e":  # an error (#N/A, #DIV/0!...)
        return np.nan
    if cell.data_type == "n":
        whole = int(value)
        return whole if whole == value else float(value)
    return value


def _typed_column(col: pd.Series) -> pd.Series:
    """A spreadsheet column as numbers, dates or text, whichever all its filled cells are."""
    filled = col[~col.map(is_blank_value)]
    if (
        len(filled)
        and filled.map(
            lambda v: (
                isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
            )
        ).all()
    ):
        return pd.to_numeric(col.where(~col.map(is_blank_value)), errors="coerce").astype("float64")
    if (
        len(filled)
        and filled.map(
            lambda v: isinstance(v, (pd.Timestamp, np.datetime64)) or hasattr(v, "isoformat")
        ).all()
    ):
        return pd.to_datetime(col.where(~col.map(is_blank_value)), errors="coerce")
    return col.map(
        lambda v: (
            "" if is_blank_value(v)
            else v.isoformat() if hasattr(v, "isoformat") else number_text(v)
        )
    ).astype("str")
