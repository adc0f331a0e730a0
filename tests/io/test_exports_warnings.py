"""Every note the readers give on how they read a file is a :class:`~mrrkit.io.messages.Note`
of ``mrrkit.io.messages.NOTES``.

The catalog is what the app translates (tests/app/test_pages_data.py holds every code to a text in
each language), so a note written any other way would reach French and Italian readers in
English. tests/io/test_exports_reasons.py holds the source to the catalog's codes; here:

- the source of every reading module is parsed: nothing but a ``note(...)`` may go into a list
  of notes (no plain string, no f-string);
- every note given when reading the fixtures (and in the fuzz tests, through
  :func:`check_warnings`) is a Note of the catalog whose values fill its template, mrrkit's own
  words (``TERMS``) among the listed ones.

The words put into notes (encodings, separators, date conventions) are each shown reachable.
"""

from __future__ import annotations

import ast
import io
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mrrkit
from mrrkit.io.dates import DATE_CONVENTIONS, parse_dates
from mrrkit.io.messages import NOTES, TERMS, Note, note, placeholders
from mrrkit.io.table import DELIMITER_NAMES, ENCODING_NAMES, read_table
from tests.io.test_exports_reasons import FIXTURES, FX, reading_modules

#: Methods that put one note (the last argument) or a list of notes into a list.
_ONE = {"append": -1, "insert": -1}
_MANY = {"extend": 0}


def _is_notes(node) -> bool:
    """A list of notes, by its name (``notes``, ``draft.notes``, ``money_notes``...)."""
    return ast.unparse(node).split(".")[-1].endswith("notes")


def _is_copy_of_notes(node) -> bool:
    """``list(notes)``: a copy of a list of notes."""
    return (
        isinstance(node, ast.Call)
        and ast.unparse(node.func) == "list"
        and len(node.args) == 1
        and _is_notes(node.args[0])
    )


class Notes:
    """The places of one module's source that put anything but a note into a list of notes."""

    def __init__(self, path: Path):
        self.path = path
        self.tree = ast.parse(path.read_text(encoding="utf-8"))
        self.raw: list[str] = []

    def where(self, node) -> str:
        return f"{self.path.name}:{node.lineno}: {ast.unparse(node)[:80]}"

    def _is_note(self, node) -> bool:
        if isinstance(node, ast.IfExp):
            return self._is_note(node.body) and self._is_note(node.orelse)
        return isinstance(node, ast.Call) and ast.unparse(node.func) == "note"

    def _one(self, node) -> None:
        if not self._is_note(node):
            self.raw.append(self.where(node))

    def _many(self, node) -> None:
        if isinstance(node, (ast.List, ast.Tuple)):
            for element in node.elts:
                self._one(element)
        elif not (_is_notes(node) or _is_copy_of_notes(node)):
            self.raw.append(self.where(node))

    def collect(self) -> Notes:
        for n in ast.walk(self.tree):
            if isinstance(n, ast.Call):
                if isinstance(n.func, ast.Attribute) and _is_notes(n.func.value) and n.args:
                    if n.func.attr in _ONE:
                        self._one(n.args[_ONE[n.func.attr]])
                    elif n.func.attr in _MANY:
                        self._many(n.args[_MANY[n.func.attr]])
                for kw in n.keywords:
                    if kw.arg == "notes":
                        self._many(kw.value)
            elif isinstance(n, (ast.Assign, ast.AnnAssign)) and n.value is not None:
                targets = n.targets if isinstance(n, ast.Assign) else [n.target]
                if any(_is_notes(t) for t in targets if not isinstance(t, ast.Tuple)):
                    # A list of notes, or what a function returns with them (checked there).
                    if isinstance(n.value, (ast.List, ast.Tuple)):
                        self._many(n.value)
            elif isinstance(n, ast.AugAssign) and _is_notes(n.target):
                self._many(n.value)
        return self


def test_the_readers_put_only_notes_into_lists_of_notes():
    raw = [where for path in reading_modules() for where in Notes(path).collect().raw]
    assert not raw, f"notes given without note(...) (the app cannot translate them): {raw}"


def test_the_collector_sees_notes_however_they_are_given(tmp_path):
    """The check above fails on a note given in each way it could be."""
    module = tmp_path / "reader.py"
    module.write_text(
        "def read(notes, draft, flag, x):\n"
        "    notes = [note('listed')]\n"
        "    notes.append(note('named', count=2))\n"
        "    draft.notes.append(note('a', x=x) if flag else note('b'))\n"
        "    notes.insert(0, note('inserted'))\n"
        "    notes += money_notes\n"
        "    notes.append('plain text')\n"
        "    draft.notes.append(f'formatted {x}')\n"
        "    notes.insert(0, 'inserted text')\n"
        "    money_notes: list = ['in a literal']\n"
        "    notes += [f'added {x}']\n"
        "    notes.extend(other_list)\n"
        "    read(notes=['keyword'])\n"
        "    notes.append(Note('t', {}))\n"
    )
    reader = Notes(module).collect()
    assert sorted(int(r.split(":")[1]) for r in reader.raw) == [7, 8, 9, 10, 11, 12, 13, 14]


# --- what the readers give -----------------------------------------------------------------------


def check_warnings(warnings) -> set[str]:
    """Each warning is a Note of the catalog, its values filling exactly its placeholders,
    mrrkit's own words among the listed ones; the codes seen."""
    seen = set()
    for w in warnings:
        assert isinstance(w, Note), repr(w)
        assert w.key in NOTES, w.key
        assert set(w.values) == placeholders(w.template), (w.key, w.values)
        assert str(w) == str(Note(w.key, w.values))
        for term, words in TERMS.items():
            if term in w.values:
                assert w.values[term] in words.values(), (term, w.values[term])
        seen.add(w.code)
    return seen


#: A customers file for the fixtures: one id of most fixtures, one no export has, a duplicate.
CUSTOMERS = (
    b"customer_id,industry,company_size\n"
    b"cus_A,SaaS,11-50\nnobody,Retail,1-10\ncus_A,SaaS,51-200\n,Media,1-10\n"
)


def fixture_warnings():
    readings = ({}, {"reporting_currency": "USD", "fx_rates": FX}, {"reporting_currency": "EUR"},
                {"customers": CUSTOMERS})
    for path in sorted(FIXTURES.iterdir()):
        for kwargs in readings:
            try:
                yield path.name, mrrkit.read_export(path, **kwargs).warnings
            except mrrkit.ExportError:
                pass


def test_every_note_given_on_the_fixtures_is_listed():
    seen = set()
    for _, warnings in fixture_warnings():
        seen |= check_warnings(warnings)
    assert len(seen) >= 30  # the fixtures give many kinds of notes: the check bites


def test_customers_file_notes():
    lines = (
        b"customer_id,start,mrr,industry,company_size\n"
        b"cus_A,2024-01-01,10,x,1\ncus_B,2024-01-01,20,y,2\n"
    )
    warnings = mrrkit.read_export(lines, customers=CUSTOMERS).warnings
    assert check_warnings(warnings) >= {
        "customers_rejected", "customers_unused", "customers_missing", "customers_replace"
    }
    # The English sentences as the readers always wrote them (lists as 'a', 'b').
    assert "customers file: 2 row(s) rejected (see read_customers)" in warnings
    assert "1 customer(s) with lines are not in the customers file (e.g. cus_B)" in warnings
    assert "customers file attributes 'industry', 'company_size' replace the export's" in warnings


def test_a_note_keeps_its_code_and_values_through_a_pickle():
    n = note("converted", count=3, currency="EUR", currencies="GBP, USD")
    back = pickle.loads(pickle.dumps(n))
    assert back == n == "3 row(s) converted to EUR from GBP, USD"
    assert isinstance(back, Note) and back.code == n.code and back.values == n.values
    assert list(dict.fromkeys([n, str(n)])) == [n]  # the same note written twice is one


# --- mrrkit's words in notes: each listed one is reachable ---------------------------------------


@pytest.mark.parametrize(
    ("content", "encoding"),
    [
        ("client;début\nacme;1\n".encode(), "UTF-8"),
        (b"\xef\xbb\xbf" + "client;début\nacme;1\n".encode(), "UTF-8 with BOM"),
        ("client\tdébut\nacme\t1\n".encode("utf-16"), "UTF-16 (Excel Unicode text)"),
        ("client;début\nacme;1 €\n".encode("cp1252"), "Windows-1252 (Latin-1)"),
        (b"client;d\x81but\nacme;1\n", "Latin-1"),  # 0x81 is no Windows-1252 character
    ],
)
def test_every_encoding_named_in_notes_is_reachable(content, encoding):
    notes = read_table(content).notes
    assert notes[0].code == "text_file"
    assert notes[0].values["encoding"] == encoding


def test_encodings_and_separators_listed():
    assert set(TERMS["encoding"].values()) == set(ENCODING_NAMES)
    assert set(TERMS["delimiter"].values()) == set(DELIMITER_NAMES.values())
    for sep, name in DELIMITER_NAMES.items():
        notes = read_table(f"a{sep}b\n1{sep}2\n".encode()).notes
        assert notes[0].values["delimiter"] == name


#: A date column written each way, and the convention the note names.
DATE_NOTES = [
    (["31/01/2024", "01/02/2024"], None, "DD/MM/YYYY"),
    (["01/31/2024", "02/01/2024"], None, "MM/DD/YYYY"),
    (["01/02/2024", "03/04/2024"], None, "DD/MM/YYYY (assumed: no day above 12 tells)"),
    (["31/01/2024", "01/31/2024"], None, "DD/MM/YYYY (some rows say month-first: rejected)"),
    (["15 Jan 2024", "1er février 2024"], None, "dates with month names"),
    (["01/2024", "02/2024"], None, "months (the 1st of each)"),
    (["soon", "later"], None, "no date format recognised"),
    (["1704067200000", "1706745600000"], None, "Unix timestamps (ms)"),
    (["1704067200", "1706745600"], None, "Unix timestamps (s)"),
    (["20240131", "20240201"], None, "YYYYMMDD numbers"),
    (["45292", "45323"], None, "Excel serial dates"),
    (["31/01/2024", "15/02/2024"], ["01/02/2025", ""],
     "DD/MM/YYYY (like the file's other date columns; its own values never tell)"),
    (["01/31/2024", "02/15/2024"], ["01/02/2025", ""],
     "MM/DD/YYYY (like the file's other date columns; its own values never tell)"),
]


def test_every_date_convention_named_in_notes_is_reachable():
    seen = set()
    for starts, ends, convention in DATE_NOTES:
        frame = {"customer_id": ["a", "b"], "start": starts, "mrr": ["10", "20"]}
        if ends is not None:
            frame["end"] = ends
        csv = pd.DataFrame(frame).to_csv(index=False).encode()
        warnings = mrrkit.read_export(csv).warnings
        check_warnings(warnings)
        named = {
            (w.values["column"], w.values["convention"])
            for w in warnings
            if w.code == "date_convention"
        }
        column = "end" if ends is not None else "start"
        assert (column, convention) in named, (convention, named)
        seen |= {c for _, c in named}
    assert seen == set(TERMS["convention"].values())


def test_parse_dates_gives_only_listed_conventions():
    """DATE_CONVENTIONS is what parse_dates gives: each reachable, no other seen."""
    cases = [
        (pd.Series(["2024-01-31", "2024-02-01"]), None),
        (pd.Series(pd.to_datetime(["2024-01-31"])), None),
        (pd.Series(["", " "]), None),
        (pd.Series(["01/02/2024"]), True),
        (pd.Series(["01/02/2024"]), False),
        (pd.Series([45292.0, np.nan]), None),
        (pd.Series([20240131]), None),
        *[(pd.Series(starts), None) for starts, _, _ in DATE_NOTES],
        *[(pd.Series([*starts, "", "", "", ""]), None) for starts, _, _ in DATE_NOTES],
    ]
    seen = {parse_dates(col, dayfirst).convention for col, dayfirst in cases}
    assert seen == set(DATE_CONVENTIONS)


def test_notes_keep_their_english():
    """mrrkit's English is as it was (other tests compare some of it)."""
    csv = "client;date de début;montant;périodicité\nacme;31/01/2024;1 234,50;\n".encode("cp1252")
    warnings = mrrkit.read_export(csv).warnings
    assert warnings == [
        "read as Windows-1252 (Latin-1) text, semicolon-separated",
        "'date de début' read as DD/MM/YYYY",
        "1 row(s) without a billing interval read as billed every 1 month(s): check their MRR, "
        "or give the interval in a mapping",
        "'montant' read with a decimal comma",
    ]
    buf = io.BytesIO()
    pd.DataFrame({"customer_id": ["a"], "start": ["2024-01-01"], "mrr": [1]}).to_parquet(buf)
    assert mrrkit.read_export(buf.getvalue()).warnings == ["read as a Parquet file"]


@pytest.mark.parametrize("plan", ["", "Pro"])
def test_a_row_without_interval_is_noted_with_the_values_of_its_template(plan):
    """Found by the fuzz test: a row with no billing interval and no plan name gave the
    plan-less template a ``plans`` value it does not have."""
    raw = ("Cliente;Data inizio;Importo;Periodicità;Piano\n"
           f"Bianchi;10/01/2024;1.200,00;;{plan}\nVerdi;01/05/2023;300,00;Mensile;Base\n")
    result = mrrkit.read_export(raw.encode())
    notes = [w for w in result.warnings if "without a billing interval" in w]
    assert len(notes) == 1
    (w,) = notes
    assert w.code == ("interval_assumed_plans" if plan else "interval_assumed")
    assert set(w.values) == {"count", "months"} | ({"plans"} if plan else set())
    assert str(w).startswith("1 row(s) without a billing interval read as billed every 1 month")
    assert ("(plans: 'Pro')" in str(w)) == bool(plan)
