"""Every message the readers can give is a code of ``mrrkit.io.messages``' catalog.

The catalog is what the app translates (tests/app/test_pages_data.py holds every code to a text in
each language), so a message given any other way would reach French and Italian readers in
English. Two checks:

- the source of every reading module is parsed: every reason, note and refusal is given by a
  code written as it is (``reason("negative_amount")``, ``reasons.reject(mask, "one_off")``,
  ``note("cents", column=h)``, ``ExportError("empty")``, a status ``Rule``'s ``reason=``...),
  each code is in the catalog under its kind, and each code of the catalog is given somewhere; a
  code the parser cannot follow fails the test, so a new way of giving messages has to be
  taught here. Giving a code that is not in the catalog, or values that do not fill its
  template, also fails when the reader runs (the messages check both);
- every reason given when reading the fixtures (and in the fuzz tests, through
  :func:`check_reasons`) is a :class:`~mrrkit.io.messages.Reason` of the catalog, its values
  filling its template, mrrkit's own words (``TERMS``) among the listed ones.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import mrrkit
from mrrkit.io.messages import (
    MESSAGES,
    NOTES,
    REASONS,
    REFUSALS,
    TERMS,
    ExportError,
    Reason,
    placeholders,
)

SOURCE = Path(mrrkit.__file__).parent
FIXTURES = Path(__file__).parents[1] / "fixtures" / "exports"
FX = {"EUR": 1.1, "GBP": 1.25, "JPY": 0.0067, "USD": 1.0}

#: The calls that give a message, by the kind of message, with the position of the code among
#: their arguments (an int) or its keyword (a str).
GIVERS = {
    "reason": {"reason": 0, "Reason": 0, "reject": 1, "reject_all": 1, "Rule": "reason"},
    "note": {"note": 0, "Note": 0},
    "refusal": {
        "ExportError": 0,
        "Refusal": 0,
        "refuse": 0,
        "followed_by": 0,
        "RefusedExport": "refusal",
    },
}
CATALOGS = {"reason": REASONS, "note": NOTES, "refusal": REFUSALS}
#: Codes given through a name whose values are collected where they are written: a status
#: rule's reason (from the ``Rule`` calls), a code of a ``*_REASONS`` table (from the table), a
#: refused export's refusal (from its record), the key handed to the functions that make
#: messages (from their callers).
INDIRECT = {"rule.reason", "code", "refused.refusal", "key"}


def reading_modules() -> list[Path]:
    """Every module of mrrkit.io (the readers) but the catalog itself."""
    return sorted(p for p in (SOURCE / "io").rglob("*.py") if p.name != "messages.py")


def test_the_readers_are_found():
    names = {p.stem for p in reading_modules()}
    assert {"read", "inspect", "rules", "table", "parse", "headers", "fx"} <= names
    assert {"stripe_invoices", "paddle_transactions", "chargebee_subscriptions"} <= names


class Codes:
    """The message codes one module's source gives, by kind."""

    def __init__(self, path: Path):
        self.path = path
        self.tree = ast.parse(path.read_text(encoding="utf-8"))
        self.found: dict[str, dict[str, list[int]]] = {kind: {} for kind in GIVERS}
        self.unresolved: list[str] = []

    def _add(self, kind: str, node) -> None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            self.found[kind].setdefault(node.value, []).append(node.lineno)
        elif isinstance(node, ast.IfExp):  # "a.variant" if flag else "a"
            self._add(kind, node.body)
            self._add(kind, node.orelse)
        elif ast.unparse(node) not in INDIRECT:
            self.unresolved.append(f"{self.path.name}:{node.lineno}: {ast.unparse(node)}")

    def collect(self) -> Codes:
        for n in ast.walk(self.tree):
            if isinstance(n, ast.Call):
                name = n.func.id if isinstance(n.func, ast.Name) else getattr(n.func, "attr", "")
                for kind, givers in GIVERS.items():
                    where = givers.get(name)
                    if isinstance(where, int) and len(n.args) > where:
                        self._add(kind, n.args[where])
                    elif isinstance(where, str):
                        for kw in n.keywords:
                            if kw.arg == where:
                                self._add(kind, kw.value)
            elif isinstance(n, ast.Assign) and isinstance(n.value, ast.Dict):
                if any(isinstance(t, ast.Name) and t.id.endswith("_REASONS") for t in n.targets):
                    for value in n.value.values:
                        self._add("reason", value)
        return self


def source_codes() -> tuple[dict[str, dict[str, list[str]]], list[str]]:
    found: dict[str, dict[str, list[str]]] = {kind: {} for kind in GIVERS}
    unresolved: list[str] = []
    for path in reading_modules():
        module = Codes(path).collect()
        for kind, codes in module.found.items():
            for code, lines in codes.items():
                found[kind].setdefault(code, []).extend(f"{path.name}:{n}" for n in lines)
        unresolved += module.unresolved
    return found, unresolved


def test_the_source_gives_only_catalogued_codes_and_every_one_of_them():
    found, unresolved = source_codes()
    assert not unresolved, f"codes these tests cannot follow (teach them): {unresolved}"
    for kind, catalog in CATALOGS.items():
        unlisted = {c: where for c, where in found[kind].items() if c not in catalog}
        assert not unlisted, f"{kind} codes missing from mrrkit.io.messages: {unlisted}"
        # And the catalog holds nothing the source no longer gives.
        assert set(catalog) - set(found[kind]) == set(), kind
    assert len(found["reason"]) >= 50 and len(found["note"]) >= 50  # the collector does see them


def test_the_collector_sees_codes_however_they_are_given(tmp_path):
    """The check above fails on a code given in each way the readers give them."""
    module = tmp_path / "reader.py"
    module.write_text(
        "_X_REASONS = {'a': 'table_code'}\n"
        "RULES = {'on_hold': Rule('reject', reason='rule_code')}\n"
        "def read(reasons, draft, status, flag):\n"
        "    reasons.reject(mask, 'plain_code')\n"
        "    reasons.reject(mask, 'valued_code', status=status)\n"
        "    draft.reasons.reject_all(mask, 'replacing_code')\n"
        "    notes.append(note('note_code', column='x'))\n"
        "    raise ExportError('refusal_code.variant' if flag else 'refusal_code')\n"
        "    raise exc.followed_by('added_code')\n"
        "    VENDOR = RefusedExport(name='x', refusal='refused_code')\n"
        "    found = reason('built_code')\n"
        "    for value, code in _X_REASONS.items():\n"
        "        reasons.reject(mask, code)\n"
        "    reasons.reject(mask, rule.reason)\n"
        "    reasons.reject(mask, something_else)\n"
        "    notes.append(note(CODE))\n"
    )
    found = Codes(module).collect()
    assert set(found.found["reason"]) == {
        "table_code", "rule_code", "plain_code", "valued_code", "replacing_code", "built_code"
    }
    assert set(found.found["note"]) == {"note_code"}
    assert set(found.found["refusal"]) == {
        "refusal_code.variant", "refusal_code", "added_code", "refused_code"
    }
    assert [u.split(": ")[1] for u in found.unresolved] == ["something_else", "CODE"]


def test_the_catalog():
    """Codes are words of the kind, variants of a code of the same kind; templates name their
    values (no positional ``{}``); mrrkit's own words are written as they are."""
    for kind, catalog in CATALOGS.items():
        for key, template in catalog.items():
            code, _, variant = key.partition(".")
            assert code.isidentifier() and (not variant or variant.isidentifier()), key
            assert code in catalog, f"the variant {key} of no {kind} code"
            assert "" not in placeholders(template) and "{}" not in template, key
            for term in TERMS:
                if term in placeholders(template):
                    assert f"{{{term}}}" in template, key
    assert len(MESSAGES) == len(REASONS) + len(NOTES) + len(REFUSALS)


def test_messages_refuse_unknown_codes_and_wrong_values():
    with pytest.raises(KeyError):
        Reason("no_such_reason")
    with pytest.raises(KeyError):
        Reason("cents", {"column": "x"})  # a note's code is no reason
    with pytest.raises(ValueError):
        Reason("unknown_status", {})
    with pytest.raises(ValueError):
        Reason("negative_amount", {"extra": 1})
    with pytest.raises(KeyError):
        ExportError("no_such_refusal")


# --- what the readers give -----------------------------------------------------------------------


def check_reasons(result) -> set[str]:
    """Each rejection reason of a reading is a Reason of the catalog (``result.reasons``), its
    values filling its template, mrrkit's own words among the listed ones; the codes seen."""
    seen = set()
    for sentence in result.rejected["reason"].unique():
        found = result.reasons[sentence]
        assert isinstance(found, Reason) and str(found) == sentence, sentence
        assert found.key in REASONS, found.key
        assert set(found.values) == placeholders(found.template), (found.key, found.values)
        assert str(Reason(found.key, found.values)) == sentence
        for term, words in TERMS.items():
            if term in found.values:
                assert found.values[term] in words.values(), (term, found.values[term])
        seen.add(found.code)
    assert set(result.reasons) == set(result.rejected["reason"].unique())
    return seen


def fixture_results():
    """Every fixture read as is, with rates to dollars, and in euros without rates."""
    readings = ({}, {"reporting_currency": "USD", "fx_rates": FX}, {"reporting_currency": "EUR"})
    for path in sorted(FIXTURES.iterdir()):
        for kwargs in readings:
            try:
                yield path.name, mrrkit.read_export(path, **kwargs)
            except mrrkit.ExportError:
                pass


def test_every_reason_given_on_the_fixtures_is_catalogued():
    seen = set()
    for _, result in fixture_results():
        seen |= check_reasons(result)
    assert len(seen) >= 15  # the fixtures reject rows for many reasons: the check bites


def test_customers_file_reasons():
    file = mrrkit.read_customers(b"customer_id,plan\na,x\n,y\na,z\n,\n")
    assert file.rejected["reason"].tolist() == [
        "duplicate customer id (a later row wins)", "missing customer id", "empty row"
    ]
    assert {r.code for r in file.reasons.values()} == {
        "duplicate_customer", "missing_customer", "empty_row"
    }


@pytest.mark.parametrize(
    ("key", "values", "sentence"),
    [
        ("bad_date", {"field": "start", "column": "Start (UTC)"},
         "start: cannot read the date in 'Start (UTC)'"),
        ("bad_status_date", {"status": "canceled", "column": "x"},
         "canceled date: cannot read the date in 'x'"),
        ("unknown_status", {"status": "frozen"}, "unknown status 'frozen'"),
        ("no_rate_month", {"currency": "GBP", "month": "2024-01"},
         "no GBP rate for 2024-01 or earlier"),
        ("no_rate.reporting", {"currency": "USD", "reporting": "EUR"},
         "no exchange rate for USD (reporting currency EUR)"),
    ],
)
def test_reasons_keep_their_english(key, values, sentence):
    found = Reason(key, values)
    assert found == sentence and found.code == key.split(".")[0]
