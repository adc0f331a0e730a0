"""The hostile files of ``bench_hostile.py`` (issue 12), each generated in memory: a test
(``tests/io/test_hostile.py``) and the benchmark build the same bytes.

Examples
--------
>>> [line.count(b",") + 1 for line in csv_wide(5).splitlines()]  # header and two rows
[5, 5, 5]
"""

from __future__ import annotations

import io
import re
import zipfile


MB = 1 << 20
HEADER = ["customer_id", "start", "mrr"]
ROWS = [["acme", "2024-01-01", 100], ["beta", "2024-02-01", 50]]

# --------------------------------------------------------------------------------------------
# The hostile files
# --------------------------------------------------------------------------------------------


def _xlsx(rows, write_only: bool = False) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=write_only)
    sheet = book.create_sheet() if write_only else book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _rezip(data: bytes, replace: dict) -> bytes:
    """The zip ``data`` with entries replaced or added: name -> function of the old bytes (b""
    for a new entry) giving the new bytes, or an iterable of chunks (streamed into the entry,
    for entries too large to build)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(
        out, "w", zipfile.ZIP_DEFLATED, compresslevel=9
    ) as dst:
        names = [info.filename for info in src.infolist()]
        for name in names + [n for n in replace if n not in names]:
            old = src.read(name) if name in names else b""
            new = replace.get(name)
            if new is None:
                dst.writestr(name, old)
            elif callable(new):
                dst.writestr(name, new(old))
            else:
                with dst.open(name, "w", force_zip64=True) as fh:
                    for chunk in new:
                        fh.write(chunk)
    return out.getvalue()


SHEET = "xl/worksheets/sheet1.xml"
FAR_ROW = b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'


def xlsx_huge_dimension() -> bytes:
    """A 3-row sheet declaring A1:XFD1048576 (17 billion cells), with a cell at XFD1048576."""

    def patch(xml: bytes) -> bytes:
        xml = re.sub(rb"<dimension ref=\"[^\"]*\"\s*/>", b'<dimension ref="A1:XFD1048576"/>', xml)
        return xml.replace(b"</sheetData>", FAR_ROW)

    return _rezip(_xlsx([HEADER, *ROWS]), {SHEET: patch})


def xlsx_far_cell() -> bytes:
    """The same far cell, the sheet declaring no dimension at all."""

    def patch(xml: bytes) -> bytes:
        xml = re.sub(rb"<dimension ref=\"[^\"]*\"\s*/>", b"", xml)
        return xml.replace(b"</sheetData>", FAR_ROW)

    return _rezip(_xlsx([HEADER, *ROWS]), {SHEET: patch})


def xlsx_wide(columns: int = 20_000, rows: int = 3) -> bytes:
    """``columns`` columns (past Excel's 16,384: written by hand, cells without a reference,
    which the format allows and readers number in turn), no declared dimension."""
    header = "".join(
        f'<c t="inlineStr"><is><t>{name}</t></is></c>'
        for name in ["customer_id", "start", "mrr"] + [f"c{i}" for i in range(3, columns)]
    )
    row = '<c t="inlineStr"><is><t>acme</t></is></c><c t="inlineStr"><is><t>2024-01-01</t></is>'
    row += "</c>" + "<c><v>1</v></c>" * (columns - 2)
    body = "".join(f'<row r="{i}">{row}</row>' for i in range(2, rows + 1))

    def patch(xml: bytes) -> bytes:
        start = xml.index(b"<sheetData")
        end = xml.index(b"</sheetData>") + len(b"</sheetData>")
        xml = re.sub(rb"<dimension ref=\"[^\"]*\"\s*/>", b"", xml[:start]) + xml[end:]
        at = xml.index(b"<sheetFormatPr" if b"<sheetFormatPr" in xml else b"<pageMargins")
        sheet = f'<sheetData><row r="1">{header}</row>{body}</sheetData>'.encode()
        return xml[:at] + sheet + xml[at:]

    return _rezip(_xlsx([HEADER, *ROWS]), {SHEET: patch})


def xlsx_zip_bomb(unpacked_mb: int = 1024) -> bytes:
    """A valid workbook whose sharedStrings.xml is replaced by ``unpacked_mb`` MiB of strings."""
    one = b"<si><t>" + b"a" * 56 + b"</t></si>"
    chunk = one * 16384
    count = unpacked_mb * MB // len(chunk)

    def strings():
        yield (
            b'<?xml version="1.0" encoding="UTF-8"?>\n<sst xmlns="http://schemas.openxmlformats.org'
            b'/spreadsheetml/2006/main" count="%d" uniqueCount="%d">' % ((count * 16384,) * 2)
        )
        for _ in range(count):
            yield chunk
        yield b"</sst>"

    def types(xml: bytes) -> bytes:
        return xml.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType='
                           b'"application/vnd.openxmlformats-officedocument.spreadsheetml.'
                           b'sharedStrings+xml"/></Types>')

    def rels(xml: bytes) -> bytes:
        return xml.replace(b"</Relationships>", b'<Relationship Id="rIdStrings" Type="http://'
                           b'schemas.openxmlformats.org/officeDocument/2006/relationships/'
                           b'sharedStrings" Target="sharedStrings.xml"/></Relationships>')

    return _rezip(_xlsx([HEADER, *ROWS]), {
        "[Content_Types].xml": types, "xl/_rels/workbook.xml.rels": rels,
        "xl/sharedStrings.xml": strings(),
    })


def csv_wide(columns: int) -> bytes:
    header = ",".join(["customer_id", "start", "mrr"] + [f"c{i}" for i in range(3, columns)])
    row = ",".join(["acme", "2024-01-01", "100"] + ["1"] * (columns - 3))
    return (header + "\n" + row + "\n" + row + "\n").encode()


def one_line(size: int = 50_000_000) -> bytes:
    """``size`` bytes on one line, no end: a header of three columns whose last cell goes on."""
    return b"customer_id,start," + b"9" * (size - 18)


def json_nested(size: int = 50_000_000, depth: int = 100_000) -> bytes:
    """``{"a":{"a":...[1,1,1,...]...}}``: ``size`` bytes on one line, ``depth`` levels deep."""
    opening, closing = b'{"a":' * depth, b"}" * depth
    items = max(1, (size - len(opening) - len(closing) - 2) // 2)
    return opening + b"[" + b"1," * (items - 1) + b"1]" + closing


def parquet_rows_bomb(rows: int = 50_000_000) -> bytes:
    """``rows`` rows of one constant per column: a dictionary of one value, indices in RLE."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    zeros = pa.array(np.zeros(rows, dtype=np.int8))
    table = pa.table(
        {
            name: pa.DictionaryArray.from_arrays(zeros, pa.array([value]))
            for name, value in zip(HEADER, ["acme", "2024-01-01", "100"])
        }
    )
    out = io.BytesIO()
    # No stored Arrow schema: a reader decodes the dictionaries, as any Parquet writer's file.
    pq.write_table(table, out, compression="zstd", store_schema=False, row_group_size=1 << 22)
    return out.getvalue()


def parquet_dictionary_bomb(rows: int = 20_000, value_mb: int = 1) -> bytes:
    """``rows`` rows whose one dictionary value is ``value_mb`` MiB: tiny on disk and in the
    metadata (one dictionary page), rows x value once decoded."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    zeros = pa.array(np.zeros(rows, dtype=np.int8))
    big = pa.DictionaryArray.from_arrays(zeros, pa.array(["x" * (value_mb * MB)]))
    small = pa.DictionaryArray.from_arrays(zeros, pa.array(["2024-01-01"]))
    table = pa.table({"customer_id": big, "start": small, "mrr": small})
    out = io.BytesIO()
    pq.write_table(table, out, compression="zstd", store_schema=False)
    return out.getvalue()


#: (name in the table, file name, generator).
HOSTILE = (
    ("XLSX, declared dimension A1:XFD1048576 + far cell", "dimension.xlsx", xlsx_huge_dimension),
    ("XLSX, far cell XFD1048576, no dimension", "far_cell.xlsx", xlsx_far_cell),
    ("XLSX, 20,000 columns", "wide.xlsx", xlsx_wide),
    ("XLSX zip bomb, sharedStrings 1 GiB", "zip_bomb.xlsx", xlsx_zip_bomb),
    ("CSV, 100,000 columns", "cols_100k.csv", lambda: csv_wide(100_000)),
    ("CSV, 1,000,000 columns", "cols_1m.csv", lambda: csv_wide(1_000_000)),
    ("text, one 50 MB line", "one_line.csv", one_line),
    # (named .txt: Streamlit's uploader takes no .json, whatever a client sends)
    ("JSON, 50 MB, one line, 100,000 levels deep", "nested.json.txt", json_nested),
    ("Parquet, 50M rows of a constant (RLE)", "rows_bomb.parquet", parquet_rows_bomb),
    ("Parquet, dictionary bomb: 20k rows x 1 MiB value", "dict_bomb.parquet",
     parquet_dictionary_bomb),
)
