"""The documentation: docs/ builds with warnings as errors, the README stays a front door whose
links lead somewhere, the app guide lists every URL key the app's views use, and each benchmark
writes its own section of docs/performance.md."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from benchmarks import perfdoc

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
README = ROOT / "README.md"


def test_the_docs_build_without_a_warning(tmp_path):
    """`make docs`'s build, into a temporary directory: a broken link or reference, a page in no
    table of contents, a docstring Sphinx cannot read (the API reference is every name of
    ``mrrkit.__all__``) fails."""
    done = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-E", "-q", "-b", "html",
         str(DOCS), str(tmp_path / "html")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-5000:]
    api = (tmp_path / "html" / "api.html").read_text(encoding="utf-8")
    import mrrkit

    missing = [name for name in mrrkit.__all__ if f'id="mrrkit.{name}"' not in api]
    assert not missing, f"not in the API reference: {missing}"


def test_the_readme_is_a_front_door():
    text = README.read_text(encoding="utf-8")
    assert len(text.encode("utf-8")) < 12_000
    for command in ("make run", "make test"):
        assert command in text
    # Every relative link leads to a file of the repository.
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    local = [t for t in targets if "://" not in t and not t.startswith("mailto:")]
    assert local, "the README links into docs/"
    assert not [t for t in local if not (ROOT / t).exists()]


def test_every_docs_page_the_readme_names_exists():
    for page in re.findall(r"\(docs/([\w-]+\.md)", README.read_text(encoding="utf-8")):
        assert (DOCS / page).exists(), page


def golden_keys() -> set[str]:
    """Every URL key of the golden views (tests/fixtures/golden_views.json): their parameters,
    full addresses and saved views' states."""
    import json

    cases = json.loads((ROOT / "tests" / "fixtures" / "golden_views.json").read_text())["cases"]
    keys = set()
    for case in cases:
        keys |= set(case.get("params") or {})
        if "address" in case:
            keys |= {k for k, _ in parse_qsl(urlsplit(case["address"]).query)}
        keys |= set(((case.get("saved_view") or {}).get("state") or {}).get("params") or {})
    return keys


def documented(key: str, guide: str) -> bool:
    """``f.industry`` is documented as ``f.<attribute>``, ``sc.2.name`` as ``sc.<i>.name``,
    ``sc.1.addon_mrr`` as a lever of ``sc.<i>.<lever>``."""
    general = re.sub(r"^f\..+", "f.<attribute>", key)
    general = re.sub(r"^sc\.\d+\.", "sc.<i>.", general)
    if f"`{general}`" in guide:
        return True
    lever = re.match(r"sc\.<i>\.(\w+)$", general)
    return bool(lever) and "`sc.<i>.<lever>`" in guide and f"`{lever[1]}`" in guide


def test_the_app_guide_lists_every_url_key():
    guide = (DOCS / "app.md").read_text(encoding="utf-8")
    table = guide[guide.index("### Every URL key"):]
    unknown = {"nope", "f.nothing"}  # the golden "bad link" case: keys no page knows
    missing = sorted(k for k in golden_keys() - unknown if not documented(k, table))
    assert not missing, f"URL keys missing from docs/app.md: {missing}"


# --- docs/performance.md, written by the benchmarks ------------------------------------------

BENCHMARKS = sorted(p.stem for p in (ROOT / "benchmarks").glob("bench_*.py"))


@pytest.mark.parametrize("name", BENCHMARKS)
def test_each_benchmark_writes_its_section(name):
    """Each script hands its figures to perfdoc under its own name; its section of the page
    (there once it has run: its first run appends it) is one well-formed block."""
    source = (ROOT / "benchmarks" / f"{name}.py").read_text(encoding="utf-8")
    assert f'perfdoc.recorded("{name}"' in source
    start, end = perfdoc.markers(name)
    page = perfdoc.PAGE.read_text(encoding="utf-8")
    assert page.count(start) == page.count(end) <= 1
    assert start not in page or page.index(start) < page.index(end)


def test_a_section_is_replaced_or_added():
    page = "# Performance\n\n<!-- a: start -->\nold a\n<!-- a: end -->\n\ntail\n"
    page = perfdoc.replace_section(page, "a", "new a")
    assert page == "# Performance\n\n<!-- a: start -->\nnew a\n<!-- a: end -->\n\ntail\n"
    page = perfdoc.replace_section(page, "b", "## b\n\nfirst b\n")
    assert page.endswith("tail\n\n<!-- b: start -->\n## b\n\nfirst b\n<!-- b: end -->\n")
    assert perfdoc.replace_section(page, "a", "new a") == page


def test_a_run_writes_what_it_printed(tmp_path, monkeypatch, capsys):
    page = tmp_path / "performance.md"
    page.write_text("# Performance\n")
    monkeypatch.setattr(sys, "argv", [str(ROOT / "benchmarks" / "bench_core.py"), "--repeats",
                                      "1"])
    monkeypatch.delenv("MRRKIT_BENCH_DOCS", raising=False)
    with perfdoc.recorded("bench_core", page=page):
        print("| N | mrrkit s | DuckDB s | ratio |\n| 10 | 1.00 | 3.00 | 3.0x |")
    assert "| 10 | 1.00 | 3.00 | 3.0x |" in capsys.readouterr().out  # still printed
    text = page.read_text()
    assert "<!-- bench_core: start -->\n## bench_core\n\nCore benchmark:" in text
    assert "`python benchmarks/bench_core.py --repeats 1`" in text
    assert "```text\n| N | mrrkit s | DuckDB s | ratio |\n| 10 | 1.00 | 3.00 | 3.0x |\n```" in text
    assert re.search(r"Run on \d{4}-\d\d-\d\d \d\d:\d\d UTC at commit \S+.*\d+ cores", text)


def test_a_failed_skipped_or_unwanted_run_writes_nothing(tmp_path, monkeypatch):
    page = tmp_path / "performance.md"
    page.write_text("# Performance\n")
    monkeypatch.setattr(sys, "argv", ["benchmarks/bench_core.py"])
    monkeypatch.delenv("MRRKIT_BENCH_DOCS", raising=False)
    with pytest.raises(RuntimeError), perfdoc.recorded("bench_core", page=page):
        print("half a table")
        raise RuntimeError("the benchmark failed")
    with pytest.raises(SystemExit), perfdoc.recorded("bench_core", page=page):
        sys.exit(1)
    with perfdoc.recorded("bench_core", page=page, skip=True):  # a child process of the script
        print("child")
    monkeypatch.setenv("MRRKIT_BENCH_DOCS", "0")
    with perfdoc.recorded("bench_core", page=page):
        print("a trial run")
    monkeypatch.delenv("MRRKIT_BENCH_DOCS")
    monkeypatch.setattr(sys, "argv", ["benchmarks/bench_core.py", "--help"])
    with pytest.raises(SystemExit), perfdoc.recorded("bench_core", page=page):
        sys.exit(0)
    assert page.read_text() == "# Performance\n"


def test_the_repository_holds_no_environment_or_build_output():
    """The layout the README gives is what is tracked: no virtual environment (a worktree's
    ``.venv`` symlink, once committed, replaced the shared environment by a link to itself on
    checkout) and no built docs."""
    tracked = subprocess.run(["git", "ls-files", "--", ".venv", "docs/_build"], cwd=ROOT,
                             capture_output=True, text=True, timeout=60)
    if tracked.returncode != 0:
        pytest.skip("not a git checkout")
    assert tracked.stdout.split() == [], "untrack them: git rm --cached <path>"


# --- what the docs name exists -----------------------------------------------------------------

#: Names of the docs that are examples, not files or objects of the repository.
EXAMPLES = {"mrrkit/io/vendors/acme_subscriptions.py", "docs/_build/html/index.html"}


def named_in_docs() -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(page, path) of every file path and (page, name) of every ``mrrkit.``/``ui.`` dotted name
    written as code in the README and docs/ (``ui/gate.py``, ``mrrkit.io.messages.REASONS``)."""
    paths, names = set(), set()
    for page in [README, *sorted(DOCS.glob("*.md"))]:
        for token in re.findall(r"`([^`\s]+)`", page.read_text(encoding="utf-8")):
            if re.fullmatch(r"(ui|mrrkit|server|tests|benchmarks|pages|docs|notebooks|data)/"
                            r"[\w/.-]*", token):
                paths.add((page.name, token))
            elif re.fullmatch(r"(mrrkit|ui)\.[A-Za-z_][\w.]*", token):
                names.add((page.name, token))
    return paths, names


def resolves(dotted: str) -> bool:
    """Whether ``a.b.c`` is a module, or an attribute chain of the longest module it starts with."""
    import importlib

    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attribute in parts[i:]:
            if not hasattr(obj, attribute):
                return False
            obj = getattr(obj, attribute)
        return True
    return False


def test_every_file_and_name_the_docs_give_exists():
    """A file moved or a name renamed is followed in the docs: every path and every mrrkit or ui
    name they write as code is there."""
    paths, names = named_in_docs()
    missing = [(page, path) for page, path in sorted(paths)
               if path not in EXAMPLES and not (ROOT / path).exists()]
    missing += [(page, name) for page, name in sorted(names) if not resolves(name)]
    assert not missing, f"named in the docs but not in the repository: {missing}"
