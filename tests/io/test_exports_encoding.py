"""Text files mixing UTF-8 and a legacy encoding (issue 12, item 8).

One byte that is not UTF-8 used to make the whole file read as Windows-1252, so every correct
UTF-8 name became mojibake (``CafÃ©``). Now a UTF-8 file is read line by line where it is not
UTF-8 throughout: its UTF-8 lines stay UTF-8, the others are read as Windows-1252 (Latin-1 where a
byte is no Windows-1252 character) and a note lists their data rows. A file in a legacy encoding
throughout is read as before, with a single note.
"""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mrrkit import read_export
from mrrkit.io.messages import Note
from mrrkit.io.table import _rows_of_lines, _utf8_errors, read_table
from tests.io.test_exports_fuzz import check_result

TODAY = "2026-10-31"
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

HEADER = "customer_id,start,mrr,customer_name\n"


def export(names, legacy_rows=(), encoding="cp1252", header=HEADER) -> bytes:
    """A canonical export (mrrkit's own columns plus a name), one row per name, UTF-8 but for
    the rows of ``legacy_rows`` (1-based), written in ``encoding``."""
    out = [header.encode("utf-8")]
    for row, name in enumerate(names, start=1):
        line = f"c{row},2024-01-01,10,{name}\n"
        out.append(line.encode(encoding if row in legacy_rows else "utf-8"))
    return b"".join(out)


def note_of(notes, start: str) -> Note | None:
    found = [n for n in notes if n.template.startswith(start)]
    assert len(found) <= 1
    return found[0] if found else None


def rows_note(notes) -> Note | None:
    return note_of(notes, "{count} row(s) were not UTF-8")


def test_a_thousand_utf8_names_stay_utf8_next_to_two_legacy_lines():
    names = [f"Café {i} Müller – Zoë" for i in range(1, 1001)]
    data = export(names, legacy_rows={12, 40})
    table = read_table(data)
    # Every name reads as written: the two legacy lines too, decoded as Windows-1252.
    assert table.frame["customer_name"].tolist() == names
    assert table.notes[0] == "read as UTF-8 text, comma-separated"
    said = rows_note(table.notes)
    assert said == (
        "2 row(s) were not UTF-8 and were read as Windows-1252 (Latin-1), the rest of the file "
        "as UTF-8: row(s) 12, 40"
    )
    assert said.values == {"count": 2, "encoding": "Windows-1252 (Latin-1)", "rows": "12, 40"}
    result = read_export(data, today=TODAY)
    check_result(result, expected_rows=1000)
    assert result.lines["customer_name"].tolist() == names
    assert rows_note(result.warnings) == said


def test_a_legacy_file_throughout_reads_as_before_with_one_note():
    names = ["Café", "Müller", "Zoë", "plain"]
    data = export(names, legacy_rows={1, 2, 3, 4})
    table = read_table(data)
    assert table.frame["customer_name"].tolist() == names
    assert table.notes == ["read as Windows-1252 (Latin-1) text, comma-separated"]
    # A legacy file whose ASCII lines are valid UTF-8 too is still a legacy file.
    assert read_table(export(names, legacy_rows={1, 2, 3})).notes == table.notes


def test_a_utf8_file_keeps_its_fast_path_and_its_single_note():
    data = export(["Café", "Zoë"])
    table = read_table(data)
    assert table.frame["customer_name"].tolist() == ["Café", "Zoë"]
    assert table.notes == ["read as UTF-8 text, comma-separated"]


def test_lines_with_no_windows_1252_character_are_read_as_latin_1():
    # 0x81 is no Windows-1252 character: those lines are read as Latin-1, and said so.
    data = export(["Café", "x\x81y", "Zoë"], legacy_rows={2}, encoding="latin-1")
    table = read_table(data)
    assert table.frame["customer_name"].tolist() == ["Café", "x\x81y", "Zoë"]
    assert rows_note(table.notes).values["encoding"] == "Latin-1"


def test_many_legacy_rows_list_the_first_twenty():
    names = [f"Café {i}" for i in range(1, 101)]
    legacy = set(range(2, 101, 3))  # 33 rows
    table = read_table(export(names, legacy_rows=legacy))
    assert table.frame["customer_name"].tolist() == names
    said = rows_note(table.notes)
    assert said.template.endswith("rows {rows} and {more} more")
    assert said.values["count"] == 33 and said.values["more"] == 13
    assert said.values["rows"] == ", ".join(str(r) for r in sorted(legacy)[:20])


def test_a_legacy_header_line_is_said_apart_from_the_rows():
    header = "customer_id,start,mrr,société\n".encode("cp1252")
    data = header + "c1,2024-01-01,10,Café\n".encode()
    table = read_table(data)
    assert list(table.frame.columns) == ["customer_id", "start", "mrr", "société"]
    assert table.frame["société"].tolist() == ["Café"]
    assert table.notes[1] == "the header line was not UTF-8 and was read as Windows-1252 (Latin-1)"
    assert rows_note(table.notes) is None


def test_row_numbers_are_the_rows_the_import_report_shows():
    """Lines above the header, blank lines and a quoted name over two lines: the note numbers
    rows as ``ExportResult.source_rows`` and ``rejected`` do (1 = first row below the header)."""
    text = (
        "Subscriptions export\n"
        + HEADER
        + "c1,2024-01-01,10,Zoë\n"
        + "\n"
        + 'c2,2024-01-01,10,"Café\nMüller"\n'
        + "c3,2024-01-01,10,Ana\n"
        + ",2024-01-01,10,Zoë sans id\n"
    )
    lines = text.encode("utf-8").split(b"\n")
    # The second line of c2's name, and the row without an id, written in Windows-1252.
    lines[5] = "Müller\"".encode("cp1252")
    lines[7] = ",2024-01-01,10,Zoë sans id".encode("cp1252")
    data = b"\n".join(lines)
    result = read_export(data, today=TODAY)
    check_result(result, expected_rows=4)
    assert result.lines["customer_name"].tolist() == ["Zoë", "Café\nMüller", "Ana"]
    assert result.rejected[["row", "reason"]].values.tolist() == [[4, "missing customer id"]]
    said = rows_note(result.warnings)
    assert said.values["rows"] == "2, 4"  # c2's row and the rejected row, as numbered


def test_a_utf8_file_with_a_bom_or_old_mac_line_ends_is_read_line_by_line_too():
    names = ["Café", "Zoë", "Müller"]
    bom = b"\xef\xbb\xbf" + export(names, legacy_rows={2})
    table = read_table(bom)
    assert table.frame["customer_name"].tolist() == names
    assert table.notes[0] == "read as UTF-8 with BOM text, comma-separated"
    assert rows_note(table.notes).values["rows"] == "2"
    mac = export(names, legacy_rows={3}).replace(b"\n", b"\r")
    table = read_table(mac)
    assert table.frame["customer_name"].tolist() == names
    assert rows_note(table.notes).values["rows"] == "3"


# --- properties ---------------------------------------------------------------------------------

#: Names with characters from several scripts: Windows-1252 holds some of them, not the others
#: (written with "?" then, as a legacy editor would).
NAMES = st.text(
    alphabet=st.sampled_from(list("abcXYZ 019-éèàçÀÉßøœŒ€™–—’“”ÿ") + ["Ã", "©", "Ω", "日", "😀"]),
    max_size=12,
).map(str.strip)


@PROPERTY
@given(st.lists(st.tuples(NAMES, st.booleans()), min_size=1, max_size=40))
def test_every_valid_utf8_line_is_kept_exactly(rows):
    """Whatever lines are legacy-encoded, each line that is valid UTF-8 reads as UTF-8, each
    other line as the note's legacy encoding, and the note names exactly those rows."""
    lines = [HEADER.encode()]
    written = []
    for i, (name, legacy) in enumerate(rows, start=1):
        line = f"c{i},2024-01-01,10,{name}\n"
        raw = line.encode("cp1252", errors="replace") if legacy else line.encode()
        lines.append(raw)
        written.append(raw)
    data = b"".join(lines)
    table = read_table(data)
    got = table.frame["customer_name"].fillna("").tolist()
    said = rows_note(table.notes)
    whole = table.notes[0].values["encoding"]
    legacy = said.values["encoding"] if said is not None else whole
    not_utf8 = []
    for i, raw in enumerate(written, start=1):
        cell = raw.rstrip(b"\n").split(b",", 3)[3]
        try:
            expected = cell.decode("utf-8")
        except UnicodeDecodeError:
            expected = cell.decode("cp1252" if legacy.startswith("Windows") else "latin-1")
            not_utf8.append(i)
        else:
            if whole.startswith(("Windows", "Latin")):  # a legacy file throughout
                assert raw.isascii() or expected == cell.decode("cp1252")
        assert got[i - 1] == expected.strip(), (i, raw)
    if whole == "UTF-8" and not_utf8:
        assert said is not None
        listed = [int(r) for r in said.values["rows"].split(", ")]
        assert listed == not_utf8[:20] and said.values["count"] == len(not_utf8)
    else:
        assert said is None
    # And the import accounts for every row.
    check_result(read_export(data, today=TODAY), expected_rows=len(rows))


def _bad_lines_by_python(data: bytes) -> list[int]:
    out = []
    for i, line in enumerate(data.split(b"\n")):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            out.append(i)
    return out


PIECES = st.lists(
    st.one_of(
        st.binary(min_size=1, max_size=4),
        st.sampled_from(["é", "€", "😀", "\U0010ffff", "\u0800", "\uffff", "\x7f"]).map(
            str.encode
        ),
        st.sampled_from(
            [b"\n", b"\xe0\x80\x80", b"\xed\xa0\x80", b"\xf0\x80\x80\x80", b"\xf4\x90\x80\x80",
             b"\xf4\x8f\xbf\xbf", b"\xc0\xaf", b"\xe2\x82", b"\xc3", b"\xa9"]
        ),
    ),
    max_size=40,
).map(b"".join)


@settings(max_examples=400, deadline=None)
@given(PIECES)
def test_the_utf8_check_agrees_with_pythons_decoder_line_by_line(data):
    """The vectorised check finds exactly the lines Python's strict decoder refuses (overlong
    forms, surrogates, code points past U+10FFFF, cut sequences included)."""
    arr = np.frombuffer(data, dtype=np.uint8)
    _, errors = _utf8_errors(arr)
    newlines = np.flatnonzero(arr == 0x0A)
    assert sorted(set(np.searchsorted(newlines, errors).tolist())) == _bad_lines_by_python(data)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_a_file_in_one_encoding_gives_no_row_note(encoding):
    frame = pd.DataFrame({"customer_id": ["a", "b"], "start": ["2024-01-01"] * 2,
                          "mrr": ["1", "2"], "customer_name": ["Café", "Zoë"]})
    data = frame.to_csv(index=False).encode(encoding)
    table = read_table(data)
    assert table.frame["customer_name"].tolist() == ["Café", "Zoë"]
    assert rows_note(table.notes) is None and len(table.notes) == 1


def _rows_by_the_csv_module(lines, delimiter, wanted):
    """Rows as the careful reader numbers them (tabular._read_text_slow), line by line."""
    reader = csv.reader(iter(lines), delimiter=delimiter)
    next(reader)
    row, rows, seen = 0, [], 1
    for rec in reader:
        blank = not rec or (len(rec) == 1 and not rec[0].strip())
        row += not blank
        rows += [row for i in range(seen, reader.line_num) if i in wanted and not blank]
        seen = reader.line_num
    return sorted(set(rows))


@PROPERTY
@given(
    st.lists(st.sampled_from(["a,b", "", " ", "\t", ",", " , ", "x", "é,1", "\r"]), min_size=1,
             max_size=30),
    st.sampled_from([",", "\t", ";"]),
    st.data(),
)
def test_rows_of_lines_without_quotes_count_as_the_csv_module(lines, delimiter, data):
    lines = ["h1,h2", *lines]
    wanted = data.draw(st.sets(st.integers(1, len(lines) - 1), min_size=1))
    assert _rows_of_lines(lines, delimiter, wanted) == _rows_by_the_csv_module(
        lines, delimiter, wanted
    )
