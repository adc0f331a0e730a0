"""The README's table of presets and docs/definitions.md's sources say what
:mod:`mrrkit.engine.definitions` holds (issue 15: "a table preset x switch with sources")."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from mrrkit import DEFINITION_PRESETS, Definitions
from mrrkit.engine.definitions import SOURCES

ROOT = Path(__file__).parents[2]


def _cell(value) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def readme_table() -> str:
    """Switches by preset, a preset's own choices in bold."""
    names = list(DEFINITION_PRESETS)
    own = Definitions()
    rows = ["| switch | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for f in fields(Definitions):
        cells = []
        for name in names:
            value = getattr(DEFINITION_PRESETS[name], f.name)
            changed = name != "mrrkit" and value != getattr(own, f.name)
            cells.append(f"**{_cell(value)}**" if changed else _cell(value))
        rows.append(f"| `{f.name}` | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def sources_section() -> str:
    """Each preset's switches with their value and the vendor's page saying so."""
    out = []
    for name, switches in SOURCES.items():
        out.append(f"**{name}**\n")
        for switch, (value, source) in switches.items():
            out.append(f"- `{switch}` = {_cell(value)}: {source}")
        out.append("")
    return "\n".join(out).rstrip("\n")


def test_the_readme_table_is_the_presets():
    assert readme_table() in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_definitions_page_gives_every_source():
    assert sources_section() in (ROOT / "docs" / "definitions.md").read_text(encoding="utf-8")
