"""Every rejection reason the readers can give is in ``mrrkit.io.formats.REJECTION_REASONS``.

The list is what the app translates (tests/test_pages_data.py holds every entry to a French and
an Italian text), so a reason given anywhere else would reach French and Italian readers in
English. Two checks, one on the source and one on what the readers do:

- the source of every mrrkit module is parsed, and every reason it can hand to a rejection
  (``Reasons.reject``, a status ``Rule``, a broken CSV row, a ``*_REASONS`` table...) is turned
  into a template that must be in the list; an expression the parser cannot follow fails the
  test, so a new way of giving reasons has to be taught here;
- every reason given when reading the fixtures (and in the fuzz tests, through
  ``tests.test_exports_fuzz.check_result``) must match a template of the list.
"""

from __future__ import annotations

import ast
import itertools
import re
import string
from pathlib import Path

import pytest

import mrrkit
from mrrkit.io.formats import REASON_FIELDS, REJECTION_REASONS

SOURCE = Path(mrrkit.__file__).parent
FIXTURES = Path(__file__).parent / "fixtures" / "exports"
FX = {"EUR": 1.1, "GBP": 1.25, "JPY": 0.0067, "USD": 1.0}

#: Expressions that give reasons collected elsewhere: a status rule's reason (from the ``Rule``
#: calls), the reasons of a nested ``Reasons`` (from its own ``reject`` calls), and an array of
#: reasons filled by assignments (collected as such).
INDIRECT = {"rule.reason", "sub.text", "reason"}


def normalised(template: str) -> str:
    """A template with each placeholder written ``{}``."""
    return re.sub(r"\{[^{}]*\}", "{}", template)


class Reasons:
    """The reason templates of one module's source."""

    def __init__(self, path: Path):
        self.path = path
        self.tree = ast.parse(path.read_text(encoding="utf-8"))
        self.functions = {
            n.name: n for n in ast.walk(self.tree) if isinstance(n, ast.FunctionDef)
        }
        self.constants = {
            t.id: n.value
            for n in self.tree.body
            if isinstance(n, ast.Assign)
            for t in n.targets
            if isinstance(t, ast.Name)
        }
        self.found: dict[str, list[int]] = {}
        self.unresolved: list[str] = []

    def templates(self, node) -> list[str]:
        """The reasons an expression can give, ``{}`` for each value put in."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value]
        if isinstance(node, ast.JoinedStr):
            parts = [[v.value] if isinstance(v, ast.Constant) else ["{}"] for v in node.values]
            return ["".join(p) for p in itertools.product(*parts)]
        if isinstance(node, ast.IfExp):
            return self.templates(node.body) + self.templates(node.orelse)
        if isinstance(node, ast.Lambda):
            return self.templates(node.body)
        if isinstance(node, ast.Call):
            name = ast.unparse(node.func)
            if name == "per_value":  # per_value(column, function of a cell)
                return self.templates(node.args[1])
            if name.endswith(".get") and name.split(".")[0].endswith("_REASONS"):
                return self.templates(node.args[1])  # the table's values are collected as such
            if name == "np.char.add":  # text joined to an array of values
                a, b = (self.templates(x) if self._is_text(x) else ["{}"] for x in node.args)
                return [x + y for x in a for y in b]
        if isinstance(node, ast.Name) and node.id in self.functions:
            returns = [n for n in ast.walk(self.functions[node.id]) if isinstance(n, ast.Return)]
            return [t for r in returns if r.value is not None for t in self.templates(r.value)]
        if isinstance(node, ast.Name) and node.id in self.constants:
            return self.templates(self.constants[node.id])
        if ast.unparse(node) in INDIRECT:
            return []
        self.unresolved.append(f"{self.path.name}:{node.lineno}: {ast.unparse(node)}")
        return []

    def _is_text(self, node) -> bool:
        return isinstance(node, (ast.Constant, ast.JoinedStr, ast.Call))

    def add(self, node) -> None:
        for template in self.templates(node):
            if template:  # "" stands for "no reason" (an empty mask)
                self.found.setdefault(template, []).append(node.lineno)

    def collect(self) -> Reasons:
        for n in ast.walk(self.tree):
            if isinstance(n, ast.Call):
                name = ast.unparse(n.func)
                if name.endswith(".reject"):
                    self.add(n.args[1] if len(n.args) > 1 else n.keywords[0].value)
                elif name == "Rule":
                    for kw in n.keywords:
                        if kw.arg == "reason":
                            self.add(kw.value)
                elif name.endswith("broken.append"):  # (row, reason, raw line)
                    self.add(n.args[0].elts[1])
            if isinstance(n, ast.Assign):
                for target in n.targets:
                    if isinstance(target, ast.Subscript) and (
                        ast.unparse(target.value) in ("reason", "reasons")
                        or ast.unparse(target.value).endswith("reasons.text")
                    ):
                        self.add(n.value)
                    if (
                        isinstance(target, ast.Name)
                        and target.id.endswith("_REASONS")
                        and isinstance(n.value, ast.Dict)
                    ):
                        for value in n.value.values:
                            self.add(value)
        return self

    def fields(self) -> set[str]:
        """The ``what`` given to the functions that write "<what>: cannot read ..." reasons
        (empty: reasons thrown away, as when a period is read only to guess an interval)."""
        out = set()
        takers = {
            name: [a.arg for a in f.args.args].index("what")
            for name, f in self.functions.items()
            if "what" in [a.arg for a in f.args.args]
        }
        for n in ast.walk(self.tree):
            if not isinstance(n, ast.Call):
                continue
            name = n.func.id if isinstance(n.func, ast.Name) else getattr(n.func, "attr", "")
            if name not in takers:
                continue
            at = takers[name]
            arg = n.args[at] if len(n.args) > at else next(
                (kw.value for kw in n.keywords if kw.arg == "what"), None
            )
            if arg is not None:
                out |= {t for t in self.templates(arg) if t}
        return out


def reading_modules() -> list[Path]:
    """mrrkit.io.read and every mrrkit module it imports, directly or not (the readers)."""
    seen, todo = set(), [SOURCE / "io" / "read.py"]
    while todo:
        path = todo.pop()
        if path in seen or not path.exists():
            continue
        seen.add(path)
        for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(n, ast.ImportFrom) and n.level >= 1 and n.module:
                base = path.parent
                for _ in range(n.level - 1):
                    base = base.parent
                todo.append(base.joinpath(*n.module.split(".")).with_suffix(".py"))
    return sorted(seen)


def test_the_readers_are_found():
    names = {p.stem for p in reading_modules()}
    assert {"read", "formats", "vendors", "table", "parse", "headers"} <= names


def source_reasons() -> tuple[dict[str, list[str]], set[str], list[str]]:
    found: dict[str, list[str]] = {}
    fields: set[str] = set()
    unresolved: list[str] = []
    for path in reading_modules():
        module = Reasons(path).collect()
        for template, lines in module.found.items():
            found.setdefault(template, []).extend(f"{path.name}:{n}" for n in lines)
        fields |= module.fields()
        unresolved += module.unresolved
    return found, fields, unresolved


def template_of(reason: str) -> str | None:
    """The template of ``REJECTION_REASONS`` a reason was written from, or None."""
    for template, pattern in _PATTERNS:
        if pattern.fullmatch(reason):
            return template
    return None


def _pattern(template: str) -> re.Pattern:
    field = "|".join(
        re.escape(f).replace(re.escape("{status}"), r"\w+") for f in REASON_FIELDS
    )
    out = ""
    for literal, name, _, _ in string.Formatter().parse(template):
        out += re.escape(literal)
        if name is not None:
            out += f"(?:{field})" if name == "field" else ".+"
    return re.compile(out, re.DOTALL)


_PATTERNS = [(t, _pattern(t)) for t in REJECTION_REASONS]


def test_the_source_gives_only_listed_reasons():
    found, _, unresolved = source_reasons()
    assert not unresolved, f"reasons these tests cannot follow (teach them): {unresolved}"
    listed = {normalised(t) for t in REJECTION_REASONS}
    # A template with its field written out ("start: cannot read ...") is the listed one.
    unlisted = {
        t: where
        for t, where in found.items()
        if normalised(t) not in listed and template_of(t) is None
    }
    assert not unlisted, f"reasons missing from mrrkit.io.formats.REJECTION_REASONS: {unlisted}"
    # And the list holds nothing the source no longer gives.
    given = {normalised(t) for t in found}
    assert {t for t in REJECTION_REASONS if normalised(t) not in given} == set()


def test_the_source_reads_only_listed_fields():
    _, fields, _ = source_reasons()
    assert {normalised(f) for f in fields} == {normalised(f) for f in REASON_FIELDS}


def test_the_collector_sees_reasons_however_they_are_given(tmp_path):
    """The checks above fail on a reason given in each way the readers give them."""
    module = tmp_path / "reader.py"
    module.write_text(
        "_X_REASONS = {'a': 'table reason'}\n"
        "RULES = {'on_hold': Rule('reject', reason='rule reason')}\n"
        "NAMED = 'named reason'\n"
        "def read(reasons, status, what):\n"
        "    def why(s):\n"
        "        return _X_REASONS.get(s, f'function reason {s!r}')\n"
        "    reasons.reject(mask, 'plain reason')\n"
        "    reasons.reject(mask, f'{what}: formatted reason {status!r}')\n"
        "    reasons.reject(mask, per_value(status, lambda s: f'lambda reason {s}'))\n"
        "    reasons.reject(mask, per_value(status, why))\n"
        "    reasons.reject(mask, NAMED if flag else 'other branch')\n"
        "    reason[at] = np.char.add(np.char.add('joined ', month), ' reason')\n"
        "    broken.append((row, 'broken reason', raw))\n"
        "    draft.reasons.text[empty] = 'assigned reason'\n"
        "    read(reasons, status, 'a field')\n"
        "    reasons.reject(mask, something_else)\n"
    )
    reader = Reasons(module).collect()
    assert set(reader.found) == {
        "table reason",
        "rule reason",
        "function reason {}",
        "plain reason",
        "{}: formatted reason {}",
        "lambda reason {}",
        "named reason",
        "other branch",
        "joined {} reason",
        "broken reason",
        "assigned reason",
    }
    assert reader.unresolved == ["reader.py:16: something_else"]
    assert reader.fields() == {"a field"}


def fixture_results():
    """Every fixture read as is, with rates to dollars, and in euros without rates."""
    readings = ({}, {"reporting_currency": "USD", "fx_rates": FX}, {"reporting_currency": "EUR"})
    for path in sorted(FIXTURES.iterdir()):
        for kwargs in readings:
            try:
                yield path.name, mrrkit.read_export(path, **kwargs)
            except mrrkit.ExportError:
                pass


def test_every_reason_given_on_the_fixtures_is_listed():
    seen = set()
    for name, result in fixture_results():
        for reason in result.rejected["reason"].unique():
            assert template_of(reason) is not None, (name, reason)
            seen.add(template_of(reason))
    assert len(seen) >= 15  # the fixtures reject rows for many reasons: the check bites


DATE = "{field}: cannot read the date in {column!r}"


@pytest.mark.parametrize(
    ("reason", "template"),
    [
        ("start: cannot read the date in 'Start (UTC)'", DATE),
        ("canceled date: cannot read the date in 'x'", DATE),
        ("colour: cannot read the date in 'x'", None),  # not a field the readers use
        ("unknown status 'frozen'", "unknown status {status!r}"),
        ("unknown status", None),
        ("no GBP rate for 2024-01 or earlier", "no {currency} rate for {month} or earlier"),
    ],
)
def test_template_of(reason, template):
    assert template_of(reason) == template
