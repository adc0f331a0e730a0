"""From an uploaded file to a table of text: file kind, encoding, delimiter and header row.

Everything a billing export can be is read here: CSV/TSV (any of ``, ; tab |`` separators,
UTF-8, UTF-8 with BOM, UTF-16 "Unicode text" from Excel, Windows-1252/Latin-1), XLSX, Parquet
and JSON (a list of objects, Stripe's list output, JSON Lines: :mod:`mrrkit.io.json_table`,
one row per object, or per element of its nested list of items or invoice lines). The result
keeps every data row with its number as the user sees it, so the import can account for each
one: rows the CSV grammar cannot read (wrong number of fields, an unterminated quote) come back
as ``broken`` rows with a reason, never silently skipped.

Row numbers are *data row* numbers: 1 is the first row below the header. In a CSV file they count
records (blank lines are not rows; a quoted cell may span lines); in an XLSX sheet the row is
the sheet line minus the header's line, so the row is always on sheet line ``row + header line``
(``row + 1`` when the header is on line 1), even past blank sheet lines.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from .cells import is_blank_value, number_text
from .headers import dedupe
from .json_table import json_frame, looks_like_json
from .limits import (
    Limits,
    check_cells,
    check_columns,
    check_line_length,
    check_rows,
    check_unpacked,
    count_lines,
    limits,
    run_limited,
)
from .messages import ExportError, Note, Reason, note, reason
from .xlsx import sheet_table

__all__ = ["DELIMITER_NAMES", "ENCODING_NAMES", "Table", "read_table"]

_DELIMITERS = (",", ";", "\t", "|")
#: How the notes name each separator (``{delimiter}`` of "read as ... text, ...-separated").
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
#: How the notes name each encoding a text file is read in (``{encoding}``).
ENCODING_NAMES = (
    "UTF-8",
    "UTF-8 with BOM",
    "UTF-16 (Excel Unicode text)",
    "Windows-1252 (Latin-1)",
    "Latin-1",
)
_SAMPLE_LINES = 50
_HEADER_SEARCH = 20


@dataclass(frozen=True, eq=False)
class Table:
    """A file read as text.

    Attributes
    ----------
    frame : DataFrame
        One column per header (duplicates renamed ``name (2)``), ``str`` dtype for text files;
        spreadsheets and Parquet keep numbers and dates typed.
    rows : ndarray of int
        Data row number of each frame row.
    broken : DataFrame
        Rows that could not be split into the header's columns: ``row``, ``reason``, ``raw``.
    kind : str
        ``"csv"``, ``"xlsx"``, ``"parquet"`` or ``"json"``.
    notes : list of Note
        How the file was read (encoding, separator, header line, renamed headers).
    name : str
        The file name when known.
    """

    frame: pd.DataFrame
    rows: np.ndarray
    broken: pd.DataFrame
    kind: str
    notes: list[Note] = field(default_factory=list)
    name: str = ""

    @property
    def rows_read(self) -> int:
        return len(self.frame) + len(self.broken)


def _source_bytes(source) -> tuple[bytes, str]:
    """Bytes and a file name from a path, bytes or a file-like (an upload)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), ""
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        try:
            with open(path, "rb") as fh:
                return fh.read(), os.path.basename(path)
        except OSError as exc:
            raise ExportError("cannot_open", path=path, detail=str(exc.strerror or exc)) from None
    if hasattr(source, "read"):
        name = os.path.basename(str(getattr(source, "name", "") or ""))
        if hasattr(source, "getvalue"):  # BytesIO and Streamlit's UploadedFile: whole content
            data = source.getvalue()
        else:
            if hasattr(source, "seek"):
                try:
                    source.seek(0)
                except (OSError, ValueError):
                    pass
            data = source.read()
        if isinstance(data, str):
            data = data.encode("utf-8")
        return bytes(data), name
    raise TypeError(
        f"source must be a path, bytes or a file-like object, got {type(source).__name__}"
    )


def read_table(source) -> Table:
    """Read a CSV/TSV, XLSX, Parquet or JSON source into a :class:`Table` of text.

    Parameters
    ----------
    source : str, path, bytes or file-like
        The file. The kind is told by its content (XLSX is a zip, Parquet starts with ``PAR1``,
        JSON with ``[`` or ``{``: :func:`~mrrkit.io.json_table.looks_like_json`), not by its
        name.

    Raises
    ------
    ExportError
        Empty file, binary content that is no spreadsheet, a single column, no header, JSON
        with no list of objects (:func:`~mrrkit.io.json_table.json_frame`); or a file
        past one of the server's limits (:mod:`mrrkit.io.limits`: columns, rows, cells, line length,
        unpacked size, time and memory of a read), refused whole with the limit's ``code``.
    """
    data, name = _source_bytes(source)
    lim = limits()
    if not data or data.isspace():  # (no copy of a large file, unlike strip())
        raise ExportError("empty")
    if data[:4] == b"PAR1":
        table = _read_parquet(data, lim)
    elif data[:2] == b"PK":
        table = _read_xlsx(data, lim)
    elif data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ExportError("xls")
    elif looks_like_json(data):
        table = _read_json(data, lim)
    else:
        table = _read_text(data, lim=lim)
    return Table(table.frame, table.rows, table.broken, table.kind, table.notes, name)


# --------------------------------------------------------------------------------------------
# Text files
# --------------------------------------------------------------------------------------------


def _decode(data: bytes) -> tuple[str, str, tuple[str, np.ndarray] | None]:
    """The text, its encoding's name and, for a UTF-8 file some of whose lines are not UTF-8,
    the encoding those lines were read in and their numbers (0-based, as ``_split_lines``)."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "UTF-8 with BOM", None
        except UnicodeDecodeError:
            mixed = _decode_mixed(data[3:])
            if mixed is not None:
                return mixed[0], "UTF-8 with BOM", mixed[1:]
        return data[3:].decode("utf-8", errors="replace"), "UTF-8 with BOM", None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace"), "UTF-16 (Excel Unicode text)", None
    head = data[:4096]
    if b"\x00" in head:
        raise ExportError("binary")
    try:
        return data.decode("utf-8"), "UTF-8", None
    except UnicodeDecodeError:
        pass
    mixed = _decode_mixed(data)
    if mixed is not None:
        return mixed[0], "UTF-8", mixed[1:]
    try:
        return data.decode("cp1252"), "Windows-1252 (Latin-1)", None
    except UnicodeDecodeError:
        return data.decode("latin-1"), "Latin-1", None


def _utf8_errors(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where the well-formed UTF-8 characters beyond ASCII start, and which bytes break UTF-8
    (RFC 3629: a lead byte followed by its continuation bytes, no overlong form, no surrogate,
    nothing past U+10FFFF), all at once rather than byte by byte in Python. Positions in ``arr``
    (uint8), sorted."""
    high = np.flatnonzero(arr >= 0x80)
    b = arr[high]
    need = np.full(len(high), -1, np.int64)  # continuation bytes a lead byte needs; -1: none
    need[(b >= 0xC2) & (b <= 0xDF)] = 1
    need[(b >= 0xE0) & (b <= 0xEF)] = 2
    need[(b >= 0xF0) & (b <= 0xF4)] = 3
    cont = (b >= 0x80) & (b <= 0xBF)
    lead = need > 0
    ok_lead = lead.copy()
    covered = np.zeros(len(high), bool)
    for k in (1, 2, 3):
        at = np.flatnonzero(lead & (need >= k))
        nxt = at + k
        inside = nxt < len(high)
        good = np.zeros(len(at), bool)
        good[inside] = (high[nxt[inside]] == high[at[inside]] + k) & cont[nxt[inside]]
        ok_lead[at[~good]] = False
    # The second byte's narrower ranges: E0 A0-BF, ED 80-9F, F0 90-BF, F4 80-8F.
    at = np.flatnonzero(ok_lead)
    second = np.zeros(len(at), np.int64)
    second[:] = arr[np.minimum(high[at] + 1, len(arr) - 1)]
    first = b[at]
    ok_lead[at] &= ~(
        ((first == 0xE0) & (second < 0xA0))
        | ((first == 0xED) & (second > 0x9F))
        | ((first == 0xF0) & (second < 0x90))
        | ((first == 0xF4) & (second > 0x8F))
    )
    for k in (1, 2, 3):
        at = np.flatnonzero(ok_lead & (need >= k))
        covered[at + k] = True
    return high[ok_lead], high[~(ok_lead | (cont & covered))]


def _distinct(sorted_values: np.ndarray) -> np.ndarray:
    """The distinct values of a sorted array (without np.unique's hashing of millions)."""
    if len(sorted_values) < 2:
        return sorted_values
    return sorted_values[np.concatenate(([True], sorted_values[1:] != sorted_values[:-1]))]


def _decode_mixed(data: bytes) -> tuple[str, str, np.ndarray] | None:
    r"""A UTF-8 file some of whose lines are not UTF-8 (a file put together from two exports, a
    line typed in a legacy editor): each line that is UTF-8 read as UTF-8, the others as
    Windows-1252 (Latin-1 where a byte is no Windows-1252 character). The text, that legacy
    encoding's name and the numbers of the lines read in it (0-based). None when no line beyond
    ASCII is UTF-8: a legacy file throughout, read whole as before.

    >>> data = "Café\n".encode() + "Café\n".encode("cp1252") + "naïve\n".encode()
    >>> text, legacy, lines = _decode_mixed(data)
    >>> text, legacy, lines.tolist()
    ('Café\nCafé\nnaïve\n', 'Windows-1252 (Latin-1)', [1])
    """
    arr = np.frombuffer(data, dtype=np.uint8)
    utf8, errors = _utf8_errors(arr)
    if not len(errors) or not len(utf8):
        return None  # no UTF-8 character beyond ASCII at all: a legacy file (the usual case)
    newlines = np.flatnonzero(arr == 0x0A)
    bad = _distinct(np.searchsorted(newlines, errors))  # a line's number = newlines before it
    utf8_lines = _distinct(np.searchsorted(newlines, utf8))
    at = np.minimum(np.searchsorted(bad, utf8_lines), len(bad) - 1)
    good = utf8_lines[bad[at] != utf8_lines]  # lines beyond ASCII that are UTF-8 throughout
    if not len(good):
        return None  # no line beyond ASCII is UTF-8
    # Lines are cut after their newline; ASCII lines read the same in both encodings, so a run
    # of bad lines is cut from the first bad line to the last one before a UTF-8 line.
    bounds = np.concatenate(([0], newlines + 1, [len(arr)]))
    cut = np.searchsorted(good, bad)  # bad lines with the same count of UTF-8 lines before
    runs = np.flatnonzero(np.diff(cut, prepend=-1))
    starts = bad[runs]
    ends = np.append(bad[runs[1:] - 1], bad[-1])
    pieces_legacy = [bytes(data[bounds[a] : bounds[z + 1]]) for a, z in zip(starts, ends)]
    legacy = "Windows-1252 (Latin-1)"
    try:
        decoded = [piece.decode("cp1252") for piece in pieces_legacy]
    except UnicodeDecodeError:
        legacy = "Latin-1"
        decoded = [piece.decode("latin-1") for piece in pieces_legacy]
    parts = []
    at = 0
    for a, z, piece in zip(starts, ends, decoded):
        parts.append(data[at : bounds[a]].decode("utf-8", errors="replace"))
        parts.append(piece)
        at = bounds[z + 1]
    parts.append(data[at:].decode("utf-8", errors="replace"))
    return "".join(parts), legacy, bad


def _split_lines(text: str) -> list[str]:
    """Lines ending at ``\n`` (with their ends), as CSV sees them; unlike ``str.splitlines``,
    control characters such as ``\x1c`` inside a cell do not break a line."""
    parts = text.split("\n")
    out = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        out.append(parts[-1])
    return out


def _records(lines: list[str], delimiter: str) -> list[list[str]]:
    try:
        return list(csv.reader(lines, delimiter=delimiter))
    except csv.Error:
        return []


def _sniff(text: str) -> tuple[str, int, bool]:
    """Delimiter, index of the header among the non-blank sample lines, and whether the first
    line was Excel's ``sep=`` hint."""
    lines = [ln.rstrip("\r\n") for ln in _split_lines(text)[: _SAMPLE_LINES * 2] if ln.strip()][
        :_SAMPLE_LINES
    ]
    if lines and lines[0].lower().startswith("sep=") and len(lines[0].strip()) == 5:
        return lines[0].strip()[4], 1, True
    best = None
    for d in _DELIMITERS:
        counts = [len(r) for r in _records(lines, d)]
        if not counts:
            continue
        widths, freq = np.unique(counts, return_counts=True)
        width = int(widths[np.argmax(freq)])
        if width < 2:
            continue
        score = (int(freq.max()), width)
        if best is None or score > best[0]:
            best = (score, d, width)
    if best is None:
        raise ExportError("not_table")
    _, delimiter, width = best
    # The header is the first line with the table's width whose cells are mostly filled:
    # exports from spreadsheets often carry a title or a date line above it.
    for i, rec in enumerate(_records(lines[:_HEADER_SEARCH], delimiter)):
        filled = sum(1 for c in rec if c.strip())
        if len(rec) >= width and filled >= max(2, width // 2):
            return delimiter, i, False
    return delimiter, 0, False


def _utf8_sample(data: bytes, size: int = 1 << 16) -> str | None:
    """The start of the file as text when the whole file is UTF-8, else None."""
    if not data.isascii():  # pure ASCII (most exports) is checked in one fast pass
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return None
    sample = data[:size]
    return sample.decode("utf-8", errors="ignore")  # only a character cut at the end is dropped


def _header_offset(lines: list[str], header_at: int) -> int:
    """Index of the header line among ``lines``: ``header_at`` counts non-blank lines."""
    seen = 0
    for i, line in enumerate(lines):
        if line.strip():
            if seen == header_at:
                return i
            seen += 1
    return len(lines)


def _read_text(data: bytes, as_bytes: bool = True, lim: Limits | None = None) -> Table:
    lim = lim or limits()
    bom = data.startswith(b"\xef\xbb\xbf")
    utf16 = data.startswith((b"\xff\xfe", b"\xfe\xff"))
    old_mac = not utf16 and b"\r" in data and b"\n" not in data
    if old_mac:  # Excel's "CSV (Macintosh)": lines end with CR alone (byte-safe in UTF-8/Latin-1)
        data = data.replace(b"\r", b"\n")
    sample = None if utf16 or not as_bytes else _utf8_sample(data[3:] if bom else data)
    if sample is not None and b"\x00" not in data[:4096]:
        # UTF-8: hand the bytes to pyarrow as they are (it checks the encoding of every value).
        encoding = "UTF-8 with BOM" if bom else "UTF-8"
        raw = data[3:] if bom else data
        text_sample = sample
        redecoded = None
    else:
        text, encoding, redecoded = _decode(data)
        if "\r" in text and "\n" not in text:
            old_mac = True
            text = text.replace("\r", "\n")
        raw = None
        text_sample = text[: 1 << 16]
    delimiter, header_at, sep_line = _sniff(text_sample)
    notes = [note("text_file", encoding=encoding, delimiter=DELIMITER_NAMES[delimiter])]
    if old_mac:
        notes.append(note("old_mac"))
    if header_at and not sep_line:
        notes.append(note("lines_skipped", count=header_at))
    sample_lines = _split_lines(text_sample)
    first = _header_offset(sample_lines, header_at)
    if raw is not None:
        body = raw[len("".join(sample_lines[:first]).encode("utf-8")) :]
    else:
        body = "".join(_split_lines(text)[first:]).encode("utf-8")
    end = body.find(b"\n")
    header_bytes = body[: end if end >= 0 else len(body)]
    _check_text(data, body, header_bytes, delimiter, lim)
    header_line = header_bytes.decode("utf-8", errors="replace")
    try:
        header_rec = next(csv.reader([header_line.rstrip("\r")], delimiter=delimiter), [])
    except csv.Error as exc:
        raise ExportError("bad_header", detail=str(exc)) from None
    headers, dup_notes = dedupe(header_rec)
    notes += dup_notes
    if redecoded is not None:  # a UTF-8 file with lines that are not
        redecoded_notes = _redecoded_notes(text.split("\n"), first, delimiter, *redecoded)
        notes += redecoded_notes
    fast = _read_text_fast(body, delimiter, headers)
    if fast is not None:
        frame = fast
        rows = np.arange(1, len(frame) + 1)
        broken = _broken([])
    elif len(body) > _SLOW_IN_PROCESS:
        # Python's csv module (tens of times slower than pyarrow's reader) on a large file: in
        # the child process, with its time and memory budget, off the server's interpreter.
        frame, rows, broken = run_limited(_read_text_slow, body, delimiter, headers, lim=lim)
    else:
        frame, rows, broken = _read_text_slow(body, delimiter, headers)
    return Table(frame, rows, broken, "csv", notes)


#: Bytes of a malformed text file read by the careful reader in the server process; a larger one
#: is read in the child process (:func:`mrrkit.io.limits.run_limited`).
_SLOW_IN_PROCESS = 4 << 20


def _check_text(data: bytes, body: bytes, header: bytes, delimiter: str, lim: Limits) -> None:
    """A text file's limits, on its bytes, before any of it is parsed: the header's width (its
    separators, counted before the lines' length, so that a very wide header is said to be too
    wide), every line's length, then the number of lines and of cells."""
    width = header.count(delimiter.encode()) + 1
    if b'"' not in header:
        check_columns(width, lim)  # exact: no separator is quoted
    check_line_length(data, lim)
    if b'"' in header:  # (a quoted separator is no column: the header's line is read as CSV)
        try:
            width = len(next(csv.reader([header.decode("utf-8", "replace")], delimiter=delimiter)))
        except (csv.Error, StopIteration):
            pass
        check_columns(width, lim)
    # Every row takes at least one line end: no count while the bytes cannot hold too many rows
    # (small files), else one vectorised pass (~2% of pyarrow's read).
    if (lim.max_rows and len(body) > lim.max_rows) or (
        lim.max_cells and len(body) * width > lim.max_cells
    ):
        rows = max(count_lines(body) - 1, 0)  # the header's line is no row
        check_rows(rows, lim)
        check_cells(rows, width, lim)


#: How many row numbers a note on rows that were not UTF-8 lists (then "and N more").
_LISTED_ROWS = 20


def _redecoded_notes(
    lines: list[str], first: int, delimiter: str, legacy: str, bad: np.ndarray
) -> list[Note]:
    """Notes on the lines of a UTF-8 file read in a legacy encoding: the header's, and the data
    rows they are in (numbered as the readers number rows). Lines above the header are skipped
    and said to be; a blank line is no row."""
    notes = []
    if first in bad:
        notes.append(note("not_utf8_header", encoding=legacy))
    rows = _rows_of_lines(lines[first:], delimiter, bad[bad > first] - first)
    if not rows:
        return notes
    listed = ", ".join(str(r) for r in rows[:_LISTED_ROWS])
    if len(rows) <= _LISTED_ROWS:
        notes.append(
            note(
                "not_utf8_rows",
                count=len(rows),
                encoding=legacy,
                rows=listed,
            )
        )
    else:
        notes.append(
            note(
                "not_utf8_rows_more",
                count=len(rows),
                encoding=legacy,
                rows=listed,
                more=len(rows) - _LISTED_ROWS,
            )
        )
    return notes


def _rows_of_lines(lines: list[str], delimiter: str, wanted: np.ndarray) -> list[int]:
    """The data rows (sorted, distinct) holding the lines ``wanted`` (indices into ``lines``,
    whose first is the header), counted as :func:`_read_text_slow` counts them: blank lines are
    no rows, a quoted cell may span lines, and from a line the CSV grammar cannot read on, the
    rest is one row. Reads only as far as the last line wanted.

    >>> _rows_of_lines(["a,b", "1,2", "", "3,4", '5,"x', 'y"', "7,8"], ",", [3, 5, 6])
    [2, 3, 4]
    """
    wanted = sorted(int(w) for w in wanted)
    if not wanted:
        return []
    last = wanted[-1]
    if not any('"' in line or "\x00" in line for line in lines[: last + 1]):
        # No quote: a line is a row unless blank (the csv module's blank: no separator, only
        # spaces), and nothing stops the reader. Ten times faster than the csv module.
        rows, row, k = [], 0, 0
        for i in range(1, last + 1):
            line = lines[i]
            if line.strip() or delimiter in line:
                row += 1
                if wanted[k] == i:
                    rows.append(row)
            while k < len(wanted) and wanted[k] <= i:
                k += 1
        return rows
    reader = csv.reader(iter(lines), delimiter=delimiter, strict=True)
    try:
        next(reader)  # header
    except (StopIteration, csv.Error):
        return []
    rows: list[int] = []
    row, k = 0, 0
    while k < len(wanted):
        try:
            rec = next(reader)
        except StopIteration:
            break
        except csv.Error:
            rows.append(row + 1)
            break
        blank = not rec or (len(rec) == 1 and not rec[0].strip())
        row += not blank
        # The record just read ends on line ``reader.line_num - 1``.
        upto = k
        while upto < len(wanted) and wanted[upto] < reader.line_num:
            upto += 1
        if upto > k and not blank:
            rows.append(row)
        k = upto
    return sorted(set(rows))


def _read_text_fast(body: bytes, delimiter: str, headers: list[str]) -> pd.DataFrame | None:
    """pyarrow's multithreaded CSV reader, every column as text; None when any row is irregular,
    so the careful reader can number and explain every row."""
    irregular = []

    def on_invalid(row):
        irregular.append(row)
        return "error"  # the careful reader takes the file from the first irregular row on

    try:
        table = pacsv.read_csv(
            io.BytesIO(body),
            read_options=pacsv.ReadOptions(column_names=headers, skip_rows=1, block_size=1 << 22),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                # Quoted line breaks need the careful (single-threaded) mode; without quotes the
                # reader splits the file across cores.
                newlines_in_values=b'"' in body,
                invalid_row_handler=on_invalid,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in headers},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=False,  # the whole file was checked before (ASCII or a strict decode)
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowException, ValueError):
        return None
    if irregular:
        return None
    frame = table.to_pandas()
    frame.columns = headers
    return frame


def _broken(records: list[tuple[int, Reason, str]]) -> pd.DataFrame:
    """Broken rows: ``row``, ``reason`` (a :class:`~mrrkit.io.messages.Reason` each, kept as
    such), ``raw``."""
    reasons = np.empty(len(records), dtype=object)
    reasons[:] = [r for _, r, _ in records]
    return pd.DataFrame(
        {
            "row": pd.Series([r for r, _, _ in records], dtype="int64"),
            "reason": pd.Series(reasons, dtype=object),
            "raw": pd.Series([raw for _, _, raw in records], dtype="str"),
        }
    )


def _read_text_slow(body, delimiter: str, headers: list[str]):
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    width = len(headers)
    good: list[list[str]] = []
    rows: list[int] = []
    broken: list[tuple[int, Reason, str]] = []
    source = io.StringIO(body)
    reader = csv.reader(source, delimiter=delimiter, strict=True)
    row = 0
    try:
        next(reader)  # header
    except (StopIteration, csv.Error):
        pass
    while True:
        try:
            rec = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            row += 1
            rest = source.read()
            broken.append((row, reason("unreadable_csv", detail=str(exc)), rest[:200]))
            break
        if not rec or (len(rec) == 1 and not rec[0].strip()):
            continue  # blank line
        row += 1
        if len(rec) != width:
            broken.append(
                (
                    row,
                    reason("fields", fields=len(rec), width=width),
                    delimiter.join(rec)[:200],
                )
            )
            continue
        good.append(rec)
        rows.append(row)
    frame = (
        pd.DataFrame(good, columns=headers, dtype="str")
        if good
        else pd.DataFrame({h: pd.Series([], dtype="str") for h in headers})
    )
    frame.columns = headers
    return frame, np.asarray(rows, dtype=np.int64), _broken(broken)


# --------------------------------------------------------------------------------------------
# Spreadsheets and Parquet
# --------------------------------------------------------------------------------------------


def _read_xlsx(data: bytes, lim: Limits | None = None) -> Table:
    """A workbook's first sheet, read in the child process (:func:`mrrkit.io.limits.run_limited`):
    openpyxl's pure-Python parsing has no cost an upload's size bounds."""
    lim = lim or limits()
    frame, rows, notes = run_limited(sheet_table, data, lim, lim=lim)
    return Table(frame, rows, _broken([]), "xlsx", notes)


def _read_parquet(data: bytes, lim: Limits | None = None) -> Table:
    """A Parquet file: rows, columns and uncompressed size from its metadata first; the
    decoding (whose dictionary and delta encodings no metadata bounds) in the child process."""
    import pyarrow.parquet as pq

    lim = lim or limits()
    try:
        meta = pq.ParquetFile(io.BytesIO(data)).metadata
    except Exception as exc:  # noqa: BLE001 - a damaged footer can fail anywhere in Arrow's reader
        raise ExportError("bad_parquet", detail=f"{type(exc).__name__}: {exc}") from None
    check_columns(meta.num_columns, lim)
    check_rows(meta.num_rows, lim)
    check_cells(meta.num_rows, meta.num_columns, lim)
    unpacked = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    check_unpacked(unpacked, lim, holds=True)
    return run_limited(_parquet_table, data, lim=lim)


#: Bytes of a JSON file read in the server process; a larger one is read in the child process
#: (its objects are Python objects one at a time, but parsing has no cost its size bounds well).
_JSON_IN_PROCESS = 4 << 20


def _read_json(data: bytes, lim: Limits | None = None) -> Table:
    """A JSON file (:mod:`mrrkit.io.json_table`): rows, columns and cells checked as its objects
    are read; a large one in the child process, with its time and memory budget."""
    lim = lim or limits()
    if len(data) > _JSON_IN_PROCESS:
        frame, rows, broken, notes = run_limited(json_frame, data, lim, lim=lim)
    else:
        frame, rows, broken, notes = json_frame(data, lim)
    return Table(frame, rows, _broken(broken), "json", notes)


def _parquet_table(data: bytes) -> Table:
    import pyarrow.parquet as pq

    try:
        # ParquetFile (not read_table's dataset reader) also reads files with duplicated column
        # names.
        table = pq.ParquetFile(io.BytesIO(data)).read()
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged file can fail anywhere in Arrow's reader
        raise ExportError("bad_parquet", detail=f"{type(exc).__name__}: {exc}") from None
    headers, notes = dedupe([str(n) for n in table.column_names])
    try:
        frame = table.rename_columns(headers).to_pandas()
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - a column type pandas cannot hold
        raise ExportError("bad_parquet_table", detail=f"{type(exc).__name__}: {exc}") from None
    for name in frame.columns:
        col = frame[name]
        if pd.api.types.is_integer_dtype(col.dtype) or col.dtype == object:
            frame[name] = col.map(
                lambda v: "" if is_blank_value(v) else number_text(v)
            ).astype("str")
    notes.insert(0, note("parquet"))
    return Table(frame, np.arange(1, len(frame) + 1, dtype=np.int64), _broken([]), "parquet", notes)
