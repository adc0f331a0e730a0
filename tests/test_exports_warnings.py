"""Every note the readers give on how they read a file is in ``mrrkit.io.formats.WARNING_TEMPLATES``.

The list is what the app translates (tests/test_pages_data.py holds every entry to a French and
an Italian text), so a note written anywhere else would reach French and Italian readers in
English. As for rejection reasons (tests/test_exports_reasons.py), two checks:

- the source of every reading module is parsed: every ``note(...)`` must be written from a
  template of the list (an expression the parser cannot follow fails), nothing but a
  ``note(...)`` may go into a list of notes (no plain string, no f-string), and the list holds
  nothing the source no longer writes;
- every note given when reading the fixtures (and in the fuzz tests, through
  :func:`check_warnings`) is a :class:`~mrrkit.io.notes.Note` of a listed template whose values
  fill its placeholders, mrrkit's own words (``WARNING_TERMS``) among the listed ones.

The words put into notes (encodings, separators, date conventions) are each shown reachable.
"""

from __future__ import annotations

import ast
import io
import pickle
import string
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mrrkit
from mrrkit.io.formats import WARNING_TEMPLATES, WARNING_TERMS
from mrrkit.io.notes import Note, note
from mrrkit.io.parse import DATE_CONVENTIONS, parse_dates
from mrrkit.io.table import DELIMITER_NAMES, ENCODING_NAMES, read_table
from tests.test_exports_reasons import FIXTURES, FX, reading_modules

#: Methods that put one note (the last argument) or a list of notes into a list.
_ONE = {"append": -1, "insert": -1}
_MANY = {"extend": 0}


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _is_notes(node) -> bool:
    """A list of notes, by its name (``notes``, ``draft.notes``, ``money_notes``...)."""
    return ast.unparse(node).split(".")[-1].endswith("notes")


class Notes:
    """The note templates of one module's source, and the places that give notes otherwise."""

    def __init__(self, path: Path):
        self.path = path
        self.tree = ast.parse(path.read_text(encoding="utf-8"))
        self.constants = {
            t.id: n.value
            for n in self.tree.body
            if isinstance(n, ast.Assign)
            for t in n.targets
            if isinstance(t, ast.Name)
        }
        self.found: dict[str, list[int]] = {}
        self.unresolved: list[str] = []
        self.raw: list[str] = []

    def where(self, node) -> str:
        return f"{self.path.name}:{node.lineno}: {ast.unparse(node)[:80]}"

    def templates(self, node) -> list[str]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value]
        if isinstance(node, ast.IfExp):
            return self.templates(node.body) + self.templates(node.orelse)
        if isinstance(node, ast.Name) and node.id in self.constants:
            return self.templates(self.constants[node.id])
        self.unresolved.append(self.where(node))
        return []

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
        elif not _is_notes(node):
            self.raw.append(self.where(node))

    def collect(self) -> Notes:
        for n in ast.walk(self.tree):
            if isinstance(n, ast.Call):
                name = ast.unparse(n.func)
                if name == "note":
                    if n.args:
                        for template in self.templates(n.args[0]):
                            self.found.setdefault(template, []).append(n.lineno)
                    else:
                        self.unresolved.append(self.where(n))
                elif name == "Note" and self.path.name != "notes.py":
                    self.unresolved.append(self.where(n))  # only note() writes notes
                elif isinstance(n.func, ast.Attribute) and _is_notes(n.func.value) and n.args:
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


def source_notes() -> tuple[dict[str, list[str]], list[str], list[str]]:
    found: dict[str, list[str]] = {}
    unresolved: list[str] = []
    raw: list[str] = []
    for path in reading_modules():
        module = Notes(path).collect()
        for template, lines in module.found.items():
            found.setdefault(template, []).extend(f"{path.name}:{n}" for n in lines)
        unresolved += module.unresolved
        raw += module.raw
    return found, unresolved, raw


def test_the_readers_write_notes_only_from_listed_templates():
    found, unresolved, raw = source_notes()
    assert not unresolved, f"notes these tests cannot follow (teach them): {unresolved}"
    assert not raw, f"notes given without note(...) (the app cannot translate them): {raw}"
    unlisted = {t: where for t, where in found.items() if t not in WARNING_TEMPLATES}
    assert not unlisted, f"notes missing from mrrkit.io.formats.WARNING_TEMPLATES: {unlisted}"
    # And the list holds nothing the source no longer writes, each template once.
    assert set(WARNING_TEMPLATES) - set(found) == set()
    assert len(set(WARNING_TEMPLATES)) == len(WARNING_TEMPLATES)
    assert len(found) >= 50  # the collector does see the readers' notes


def test_the_collector_sees_notes_however_they_are_given(tmp_path):
    """The check above fails on a note given in each way it could be."""
    module = tmp_path / "reader.py"
    module.write_text(
        "NAMED = 'named note {count}'\n"
        "def read(notes, draft, flag, x):\n"
        "    notes = [note('listed note')]\n"
        "    notes.append(note(NAMED, count=2))\n"
        "    draft.notes.append(note('a {x}', x=x) if flag else note('b'))\n"
        "    notes.insert(0, note('inserted'))\n"
        "    notes += money_notes\n"
        "    notes.append('plain text')\n"
        "    draft.notes.append(f'formatted {x}')\n"
        "    notes.insert(0, 'inserted text')\n"
        "    money_notes: list = ['in a literal']\n"
        "    notes += [f'added {x}']\n"
        "    notes.extend(other_list)\n"
        "    read(notes=['keyword'])\n"
        "    notes.append(note(something))\n"
        "    notes.append(Note('t', {}))\n"
    )
    reader = Notes(module).collect()
    assert set(reader.found) == {"listed note", "named note {count}", "a {x}", "b", "inserted"}
    assert sorted(int(r.split(":")[1]) for r in reader.raw) == [8, 9, 10, 11, 12, 13, 14, 16]
    assert sorted(int(u.split(":")[1]) for u in reader.unresolved) == [15, 16]


def test_every_template_is_a_format_string_of_named_values():
    for template in WARNING_TEMPLATES:
        fields = list(string.Formatter().parse(template))
        assert all(name != "" for _, name, _, _ in fields), template  # no positional "{}"
        for term in WARNING_TERMS:
            if term in placeholders(template):
                assert f"{{{term}}}" in template, template  # a term is written as it is


# --- what the readers give -----------------------------------------------------------------------


def check_warnings(warnings) -> set[str]:
    """Each warning is a Note of a listed template, its values filling exactly its
    placeholders, mrrkit's own words among the listed ones; the templates seen."""
    seen = set()
    for w in warnings:
        assert isinstance(w, Note), repr(w)
        assert w.template in WARNING_TEMPLATES, w.template
        assert set(w.values) == placeholders(w.template), (w.template, w.values)
        assert str(w) == str(Note(w.template, w.values))
        for term, allowed in WARNING_TERMS.items():
            if term in w.values:
                assert w.values[term] in allowed, (term, w.values[term])
        seen.add(w.template)
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
        "customers file: {count} row(s) rejected (see read_customers)",
        "{count} customer(s) of the customers file have no subscription line (e.g. {examples})",
        "{count} customer(s) with lines are not in the customers file (e.g. {examples})",
        "customers file attributes {columns} replace the export's",
    }
    # The English sentences as the readers always wrote them (lists as 'a', 'b').
    assert "customers file: 2 row(s) rejected (see read_customers)" in warnings
    assert "1 customer(s) with lines are not in the customers file (e.g. cus_B)" in warnings
    assert "customers file attributes 'industry', 'company_size' replace the export's" in warnings


def test_a_note_keeps_its_template_and_values_through_a_pickle():
    n = note("{count} row(s) converted to {currency} from {currencies}", count=3,
             currency="EUR", currencies="GBP, USD")
    back = pickle.loads(pickle.dumps(n))
    assert back == n == "3 row(s) converted to EUR from GBP, USD"
    assert isinstance(back, Note) and back.template == n.template and back.values == n.values
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
    assert notes[0].template == "read as {encoding} text, {delimiter}-separated"
    assert notes[0].values["encoding"] == encoding


def test_encodings_and_separators_listed():
    assert set(WARNING_TERMS["encoding"]) == set(ENCODING_NAMES)
    assert set(WARNING_TERMS["delimiter"]) == set(DELIMITER_NAMES.values())
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
            if w.template == "{column!r} read as {convention}"
        }
        column = "end" if ends is not None else "start"
        assert (column, convention) in named, (convention, named)
        seen |= {c for _, c in named}
    assert seen == set(WARNING_TERMS["convention"])


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
    assert w.template in WARNING_TEMPLATES
    assert set(w.values) == {"count", "months"} | ({"plans"} if plan else set())
    assert str(w).startswith("1 row(s) without a billing interval read as billed every 1 month")
    assert ("(plans: 'Pro')" in str(w)) == bool(plan)
