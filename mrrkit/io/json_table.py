"""JSON exports read as a table: a list of objects, Stripe's list output, or JSON Lines.

Three layouts are read (UTF-8, with or without a BOM):

- a **list of objects**, ``[{...}, {...}]``;
- an object holding a ``data`` list of objects: Stripe's list object, what the API and the CLI
  give for ``stripe subscriptions list`` or ``stripe invoices list``
  (``{"object": "list", "data": [...], "has_more": false, "url": "/v1/subscriptions"}``,
  https://docs.stripe.com/api/pagination);
- **JSON Lines**: one object a line, as the Stripe Data Pipeline, BigQuery or ``jq -c`` write.

Each object is flattened to one row, its columns named as the Stripe API readers take them:

- a nested object's fields are joined with ``_``: ``plan.amount`` is ``plan_amount``,
  ``price.recurring.interval`` is ``price_recurring_interval``, ``metadata.seats`` is
  ``metadata_seats``;
- the first nested *list object* of an object (a value holding a ``data`` list of objects, as
  Stripe nests a subscription's ``items`` and an invoice's ``lines``) gives **one row per
  element**, the object's other fields copied on each: ``items.data[].price.unit_amount`` is
  ``items_data_price_unit_amount``, ``lines.data[].period.start`` is ``lines_data_period_start``.
  Each price of a subscription is billed, so each is a row; an object whose list is empty is
  still one row (which its reader then rejects, with a reason). A second list object of the
  same object is not multiplied with the first: its ``data`` is one cell of JSON text;
- any other list (``discounts``, ``default_tax_rates``, ``discount_amounts``...) is one cell of
  JSON text, compact (``[{"amount":500,"discount":"di_1"}]``), blank when empty (an empty
  object too): it keeps what the list holds, and the readers that take such a list read its
  JSON (the invoice lines' ``discount_amounts``);
- numbers are written as the Parquet reader writes them (``4900``, ``0.5``), so Unix seconds stay
  Unix seconds for the date readers; ``true`` / ``false``; ``null`` is a blank cell.

Rows are numbered ``1..n`` in the file's order, as the table's data rows (one per element of an
exploded list), so the import accounts for each; a note says how many objects gave how many
rows. A line of a JSON Lines file that is no object, or a list element that is none, is a
broken row with its reason; a file cut short keeps the objects before the cut, the rest is one
broken row ("unreadable JSON from here on"), as a CSV file's is. A file with no list of objects
at all (a number, an object without a ``data`` list, ``[]``) is refused (``json_no_records``),
one that cannot be read from its start too (``bad_json``).

The objects are parsed one at a time (a 100 MB list is never held as Python objects whole):
the server's limits on rows, columns and cells (:mod:`mrrkit.io.limits`) are checked as rows
are made, and a large file is read in the child process with its time and memory budget
(:func:`~mrrkit.io.limits.run_limited`), as a Parquet file is.

Examples
--------
>>> data = b'{"object": "list", "data": [{"id": "sub_1", "customer": "cus_A",'
>>> data += b' "items": {"object": "list", "data": [{"price": {"unit_amount": 4900}},'
>>> data += b' {"price": {"unit_amount": 1000}}]}, "cancel_at_period_end": false}]}'
>>> frame, rows, broken, notes = json_frame(data)
>>> frame[["id", "items_data_price_unit_amount", "cancel_at_period_end"]].values.tolist()
[['sub_1', '4900', 'false'], ['sub_1', '1000', 'false']]
>>> rows.tolist(), [str(n) for n in notes]  # doctest: +NORMALIZE_WHITESPACE
([1, 2], ['read as JSON: 1 object(s)',
          "1 object(s) read as 2 rows: one per element of 'items.data'"])
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd

from .cells import number_text
from .headers import dedupe
from .limits import Limits, check_cells, check_columns, check_rows, limits
from .messages import ExportError, Note, Reason, note, reason

__all__ = ["json_frame", "looks_like_json"]

#: Where a file is JSON: its first character (after a BOM and blanks) opens an object, or opens
#: a list whose first character is a JSON value's (``[Customer],[Start]``, a bracketed header
#: some databases write, stays a CSV file).
_JSON_START = re.compile(rb'\s*(?:\{|\[\s*(?:[\[{"\]\-0-9]|true\b|false\b|null\b))')
_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
#: Characters of a broken row's raw text kept (as the CSV reader keeps 200).
_RAW = 200
#: Nesting flattened into columns; a deeper object is one cell of JSON text (no export nests
#: so deep; a hostile file's depth costs no recursion of ours).
_MAX_DEPTH = 32


def looks_like_json(data: bytes) -> bool:
    """Whether a file is JSON, by its first characters.

    >>> looks_like_json(b'\\xef\\xbb\\xbf [{"a": 1}]'), looks_like_json(b'{"a": 1}\\n')
    (True, True)
    >>> looks_like_json(b"[Customer],[Start]\\n"), looks_like_json(b"customer,start\\n")
    (False, False)
    """
    head = data[:256]
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    return _JSON_START.match(head) is not None


class _Rows:
    """The table being made: one list of cells per column (padded with blanks where a row has
    no such field), the broken rows, and what the notes say."""

    def __init__(self, lim: Limits):
        self.lim = lim
        self.columns: dict[str, list[str]] = {}
        self.n = 0  # rows made, broken ones included (their numbers are taken in turn)
        self.rows: list[int] = []
        self.broken: list[tuple[int, Reason, str]] = []
        self.objects = 0
        self.exploded = 0  # objects with a list object made into rows
        self.lists: dict[str, None] = {}  # those lists' paths, in order ("items.data")

    def _take(self, count: int) -> int:
        """The number of the first of ``count`` new rows (the row limit checked first)."""
        check_rows(self.n + count, self.lim, at_least=True)
        first = self.n + 1
        self.n += count
        return first

    def add(self, record: dict) -> None:
        self.objects += 1
        key = _list_key(record)
        base: dict[str, str] = {}
        if key is None:
            _flatten(record, "", base, 0)
            made = [base]
        else:
            listed = record[key]
            _flatten({k: v for k, v in record.items() if k != key}, "", base, 0)
            _flatten({k: v for k, v in listed.items() if k != "data"}, f"{key}_", base, 1)
            made = []
            for element in listed["data"]:
                row = dict(base)
                _flatten(element, f"{key}_data_", row, 1)
                made.append(row)
            made = made or [base]
            self.exploded += 1
            self.lists[f"{key}.data"] = None
        first = self._take(len(made))
        for i, row in enumerate(made):
            at = first - 1 + i  # 0-based position among all rows, broken ones included
            for name, value in row.items():
                cells = self.columns.get(name)
                if cells is None:
                    check_columns(len(self.columns) + 1, self.lim, at_least=True)
                    cells = self.columns[name] = []
                if len(cells) < at:
                    cells.extend([""] * (at - len(cells)))
                cells.append(value)
            self.rows.append(at + 1)

    def add_broken(self, why: Reason, raw: str) -> None:
        self.broken.append((self._take(1), why, raw[:_RAW]))

    def frame(self) -> tuple[pd.DataFrame, np.ndarray, list[Note]]:
        """The rows made (broken ones left out), in order, their numbers, and the notes on
        fields renamed (keys that differ only by spaces around them)."""
        check_cells(len(self.rows), len(self.columns), self.lim)
        keep = np.asarray(self.rows, dtype=np.int64) - 1
        names, renamed = dedupe(list(self.columns))
        data = {}
        for name, cells in zip(names, self.columns.values()):
            if len(cells) < self.n:
                cells.extend([""] * (self.n - len(cells)))
            column = np.asarray(cells, dtype=object)
            data[name] = pd.Series(column[keep] if len(keep) < self.n else column, dtype="str")
        frame = pd.DataFrame(data, index=pd.RangeIndex(len(keep)))
        return frame, keep + 1, renamed


def _list_key(record: dict) -> str | None:
    """The first field of ``record`` holding a list object (a ``data`` list of objects)."""
    for key, value in record.items():
        if isinstance(value, dict) and isinstance(value.get("data"), list):
            if all(isinstance(e, dict) for e in value["data"]):
                return key
    return None


def _cell(value) -> str:
    """A JSON value as one cell's text."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return number_text(value)
    if not value:  # [] or {}
        return ""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _flatten(obj: dict, prefix: str, out: dict[str, str], depth: int) -> None:
    """``obj``'s fields into ``out``, nested objects joined with ``_``."""
    for key, value in obj.items():
        name = prefix + key
        if name in out:  # ("plan.amount" beside a field named "plan_amount")
            k = 2
            while f"{name} ({k})" in out:
                k += 1
            name = f"{name} ({k})"
        if isinstance(value, dict) and value and depth < _MAX_DEPTH:
            _flatten(value, name + "_", out, depth + 1)
        else:
            out[name] = _cell(value)


def _skip(text: str, pos: int) -> int:
    return _WS.match(text, pos).end()


def _raw(text: str, pos: int) -> str:
    return text[pos : pos + _RAW]


def _read_list(text: str, pos: int, table: _Rows) -> int:
    """The elements of the list opening at ``pos``, each a row (or a broken row); the position
    after the list. Where an element cannot be read, the rest is one broken row (then -1)."""
    pos = _skip(text, pos + 1)
    if text.startswith("]", pos):
        return pos + 1
    while True:
        try:
            value, end = _DECODER.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            _cut(text, pos, exc, table)
            return -1
        if isinstance(value, dict):
            table.add(value)
        else:
            table.add_broken(reason("not_json_object", value=text[pos:end][:60]), text[pos:end])
        pos = _skip(text, end)
        if text.startswith(",", pos):
            pos = _skip(text, pos + 1)
        elif text.startswith("]", pos):
            return pos + 1
        else:
            _cut(text, pos, json.JSONDecodeError("Expecting ',' delimiter", text, pos), table)
            return -1


def _cut(text: str, pos: int, exc: json.JSONDecodeError, table: _Rows) -> None:
    """The file cannot be read from ``pos`` on: refused when nothing was read before, else the
    rest is one broken row."""
    if not table.objects and not table.broken:
        raise ExportError("bad_json", detail=str(exc)) from None
    table.add_broken(reason("unreadable_json", detail=str(exc)), _raw(text, pos))


def _read_document(text: str, table: _Rows) -> bool:
    """A list, or an object with a ``data`` list; whether the list said ``has_more``."""
    pos = _skip(text, 0)
    if text.startswith("[", pos):
        end = _read_list(text, pos, table)
        _check_end(text, end, table)
        return False
    # An object: its fields one by one, the ``data`` list read element by element.
    more = found = False
    pos = _skip(text, pos + 1)
    if text.startswith("}", pos):
        raise ExportError("json_no_records")
    while True:
        try:
            key, pos = _DECODER.raw_decode(text, pos)
            pos = _skip(text, pos)
            if not (isinstance(key, str) and text.startswith(":", pos)):
                raise json.JSONDecodeError("Expecting property name and ':'", text, pos)
            pos = _skip(text, pos + 1)
            if key == "data" and text.startswith("[", pos) and not found:
                found = True
                pos = _read_list(text, pos, table)
                if pos < 0:
                    return more
            else:
                value, pos = _DECODER.raw_decode(text, pos)
                more = more or (key == "has_more" and value is True)
            pos = _skip(text, pos)
            if text.startswith(",", pos):
                pos = _skip(text, pos + 1)
                continue
            if text.startswith("}", pos):
                _check_end(text, pos + 1, table)
                break
            raise json.JSONDecodeError("Expecting ',' delimiter", text, pos)
        except json.JSONDecodeError as exc:
            _cut(text, exc.pos, exc, table)
            return more
    if not found:
        raise ExportError("json_no_records")
    return more


def _check_end(text: str, end: int, table: _Rows) -> None:
    """Only blanks after the document (else the rest is unreadable)."""
    if end < 0:
        return
    pos = _skip(text, end)
    if pos < len(text):
        _cut(text, pos, json.JSONDecodeError("Extra data", text, pos), table)


def _is_json_lines(text: str) -> bool:
    """One object a line: the first line is a whole object and another line follows."""
    start = _skip(text, 0)
    if not text.startswith("{", start):
        return False
    cut = text.find("\n", start)
    if cut < 0 or not text[cut:].strip():
        return False
    try:
        return isinstance(json.loads(text[start:cut]), dict)
    except (ValueError, RecursionError):
        return False


def _read_lines(text: str, table: _Rows) -> None:
    for line in text.split("\n"):
        if not line.strip():
            continue  # a blank line is no row, as in a CSV file
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            table.add_broken(reason("bad_json_line", detail=str(exc)), line)
            continue
        if isinstance(value, dict):
            table.add(value)
        else:
            table.add_broken(reason("not_json_object", value=line.strip()[:60]), line)


def json_frame(data: bytes, lim: Limits | None = None):
    """A JSON file as ``(frame, rows, broken, notes)``: its rows as text (one column per field,
    ``str`` dtype), their data row numbers, the broken rows (``(row, reason, raw)``) and how it
    was read.

    Raises
    ------
    ExportError
        ``bad_json`` (not UTF-8, or no JSON from its start), ``json_no_records`` (no list of
        objects in it), or a limit's code (:mod:`mrrkit.io.limits`).
    """
    lim = lim or limits()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ExportError("bad_json", detail=str(exc)) from None
    del data
    table = _Rows(lim)
    lines = _is_json_lines(text)
    try:
        if lines:
            _read_lines(text, table)
            more = False
        else:
            more = _read_document(text, table)
    except RecursionError as exc:  # nested past the parser's depth: a hostile file
        raise ExportError("bad_json", detail=f"{type(exc).__name__}: {exc}") from None
    if not table.objects:
        raise ExportError("json_no_records")
    notes: list[Note] = [note("json_lines" if lines else "json", count=table.objects)]
    if table.exploded:
        notes.append(
            note("json_rows", count=table.objects, lines=len(table.rows),
                 lists=list(table.lists))
        )
    if more:
        notes.append(note("json_has_more"))
    frame, rows, renamed = table.frame()
    return frame, rows, table.broken, notes + renamed
