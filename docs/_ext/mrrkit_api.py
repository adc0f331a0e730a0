"""The ``mrrkit-api`` directive: the reference of every name in ``mrrkit.__all__``.

The list is read from the package at build time, never written down here, so the reference
follows the public API as it changes. Names are grouped by the subpackage ``mrrkit/__init__.py``
imports them from (``engine``, ``views``, ``models``, ``io``...); each group gets a section with a
one-line summary of each name, then its autodoc entry (functions with their docstrings, classes
with their public methods, constants with their values). Use it inside ``{eval-rst}``: autodoc
needs reStructuredText around it.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.errors import PycodeError
from sphinx.pycode import ModuleAnalyzer
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

#: Section titles of the groups, in this order; a group not listed here comes after them,
#: titled by its name.
GROUPS = {
    "engine": "Engine: lines, movements, monthly table",
    "views": "Views: retention, cohorts, segments, customers, expansion, KPIs",
    "models": "Models: retention (sBG), forecast, scenarios",
    "io": "Reading billing exports",
    "sample": "Sample data",
}
#: The same for other packages documented by the directive (``.. mrrkit-api:: mrrkit.sql``).
PACKAGE_GROUPS = {
    "mrrkit.sql": {
        "connect": "Where the lines live",
        "lines": "Lines in the database",
        "movements": "Movements in the database",
        "views": "Views computed in the database",
        "listings": "What is behind a figure, in the database",
        "segments": "Segments in the database",
        "customers": "Customers in the database",
        "forecast": "Retention fits and forecast inputs from sums in the database",
        "expansion": "Expansion in the database",
    },
}


def imported_from(package) -> dict[str, str]:
    """Name -> module it is imported from in the package's ``__init__.py`` (``views.bridge``),
    from the source, so constants (which have no ``__module__``) are placed too."""
    tree = ast.parse(Path(package.__file__).read_text(encoding="utf-8"))
    origin = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            for alias in node.names:
                origin[alias.asname or alias.name] = node.module
    return origin


def group_of(name: str, obj, origin: dict[str, str]) -> str:
    """The first part of the module a public name comes from (``views`` for ``views.bridge``)."""
    module = origin.get(name)
    if module is None:
        module = getattr(obj, "__module__", "") or ""
        module = module.removeprefix("mrrkit").lstrip(".")
    return module.split(".")[0] or "mrrkit"


def defining_module(package, name: str, origin: dict[str, str]) -> str:
    """The module a public name is defined in (``mrrkit.views.bridge``)."""
    obj = getattr(package, name)
    if name in origin:
        return f"{package.__name__}.{origin[name]}"
    return getattr(obj, "__module__", None) or package.__name__


def public_groups(package_name: str = "mrrkit") -> dict[str, list[str]]:
    """Every name of ``__all__`` in its group, groups in :data:`GROUPS` order, names by module
    then by their order in ``__all__``."""
    package = importlib.import_module(package_name)
    origin = imported_from(package)
    names = list(package.__all__)
    groups: dict[str, list[str]] = {}
    for name in sorted(names, key=lambda n: (origin.get(n, ""), names.index(n))):
        groups.setdefault(group_of(name, getattr(package, name), origin), []).append(name)
    titles = PACKAGE_GROUPS.get(package_name, GROUPS)
    order = [g for g in titles if g in groups] + sorted(set(groups) - set(titles))
    return {g: groups[g] for g in order}


def constant_doc(name: str, module: str) -> list[str]:
    """The ``#:`` comment above a constant in the module that defines it (autodoc reads such
    comments only under the defining module's name, not under ``mrrkit.NAME``)."""
    try:
        docs = ModuleAnalyzer.for_module(module).find_attr_docs()
    except PycodeError:
        return []
    return list(docs.get(("", name), []))


def summary(name: str, obj, module: str) -> str:
    """The first sentence of an object's docstring (a constant's ``#:`` comment)."""
    if inspect.isclass(obj) or callable(obj):
        doc = inspect.getdoc(obj) or ""
    else:
        doc = "\n".join(constant_doc(name, module))
    first = " ".join(doc.strip().split("\n\n")[0].split())
    # A literal or a reference may span lines: cut at a sentence end outside them.
    end = re.search(r"[.:;](\s|$)", re.sub(r"``.*?``|`.*?`", lambda m: "x" * len(m[0]), first))
    if end is None:
        return first
    return first[: end.start() + (first[end.start()] == ".")]  # "...: " ends without its colon


def entry(qualified: str, obj, module: str) -> list[str]:
    """The reStructuredText documenting one public name."""
    if inspect.isclass(obj):
        return [f".. autoclass:: {qualified}", "   :members:", ""]
    if callable(obj):
        return [f".. autofunction:: {qualified}", ""]
    name = qualified.rpartition(".")[2]
    value = " ".join(repr(obj).split())
    if len(value) > 300:
        value = value[:300] + " ..."
    lines = [f".. py:data:: {qualified}", f"   :value: {value}", ""]
    return lines + ["   " + line for line in constant_doc(name, module)] + [""]


def is_section_header(lines: list[str], i: int) -> bool:
    """A numpydoc section header: an unindented title underlined by dashes."""
    return (i + 1 < len(lines) and bool(lines[i].strip()) and not lines[i].startswith(" ")
            and set(lines[i + 1].strip()) == {"-"})


#: The section a prose Returns section becomes (conf.py registers it with napoleon).
PROSE_RETURNS = "Return value"


def prose_returns(app, what, name, obj, options, lines: list[str]) -> None:
    """A Returns section written as prose ("DataFrame indexed by ``month``, ..."), as most of
    mrrkit's are, is shown as that prose under its own heading: numpydoc parsing would take its
    first line for a type and split literals that run onto the next line."""
    for i in range(len(lines) - 1):
        if lines[i].strip() == "Returns" and is_section_header(lines, i):
            break
    else:
        return
    first = next((line for line in lines[i + 2:] if line.strip()), "")
    if " : " in first or len(first.split()) <= 2 or first.startswith(" "):
        return  # numpydoc's own form: "name : type" or a type with an indented description
    lines[i:i + 2] = [PROSE_RETURNS, "-" * len(PROSE_RETURNS)]


class MrrkitApi(SphinxDirective):
    """Sections of autodoc entries for ``mrrkit.__all__``, one per subpackage."""

    has_content = False
    optional_arguments = 1  # the package, default mrrkit

    def run(self) -> list[nodes.Node]:
        package_name = self.arguments[0] if self.arguments else "mrrkit"
        package = importlib.import_module(package_name)
        self.env.note_dependency(package.__file__)
        origin = imported_from(package)
        sections = []
        for group, names in public_groups(package_name).items():
            title = PACKAGE_GROUPS.get(package_name, GROUPS).get(group, group)
            prefix = "" if package_name == "mrrkit" else package_name.removeprefix("mrrkit.") + "-"
            section = nodes.section(ids=[nodes.make_id(f"api-{prefix}{group}")],
                                    names=[title.lower()])
            section += nodes.title(text=title)
            lines = []
            for name in names:
                text = summary(name, getattr(package, name), defining_module(package, name, origin))
                lines.append(f"* :py:obj:`{package_name}.{name}`" + (f" -- {text}" if text else ""))
            lines.append("")
            for name in names:
                lines += entry(f"{package_name}.{name}", getattr(package, name),
                               defining_module(package, name, origin))
            content = StringList(lines, source=f"<mrrkit-api {group}>")
            nested_parse_with_titles(self.state, content, section)
            self.state.document.note_implicit_target(section)
            sections.append(section)
        return sections


def setup(app):
    app.add_directive("mrrkit-api", MrrkitApi)
    # Before napoleon (priority 500), which would read the prose as a type.
    app.connect("autodoc-process-docstring", prose_returns, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
