"""Each benchmark writes its figures into its own section of ``docs/performance.md``.

A benchmark script ends with::

    if __name__ == "__main__":
        with perfdoc.recorded("bench_core"):
            main()

Everything the script prints is still printed, and kept; when the script ends without an error
its section of the page (between ``<!-- bench_core: start -->`` and ``<!-- bench_core: end -->``,
appended to the page the first time) is replaced by: the first paragraph of the script's
docstring, the command, the machine (cores, CPU, memory), the date, the commit, the load average
before and after, and the report as it was printed (its ratios against a peer measured in the
same run are the script's own). The page is thus written by the benchmarks, never by hand;
commit it with the change the figures are about.

Nothing is written for ``--help``, for a script's child process (``skip=True``), when the script
fails, or when ``MRRKIT_BENCH_DOCS=0`` (a trial run whose figures should not be kept).
"""

from __future__ import annotations

import ast
import contextlib
import io
import os
import platform
import re
import shlex
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "performance.md"


def markers(name: str) -> tuple[str, str]:
    """The comments that open and close a benchmark's section of the page."""
    return f"<!-- {name}: start -->", f"<!-- {name}: end -->"


def replace_section(page: str, name: str, body: str) -> str:
    """``page`` with the section ``name`` holding ``body`` (added at the end when absent)."""
    start, end = markers(name)
    block = f"{start}\n{body.strip()}\n{end}"
    found = re.search(re.escape(start) + r".*?" + re.escape(end), page, flags=re.S)
    if found is None:
        return page.rstrip("\n") + "\n\n" + block + "\n"
    return page[: found.start()] + block + page[found.end():]


def machine() -> str:
    """Cores, CPU model and memory of this machine, as said in each section."""
    model = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = " ".join(line.split(":", 1)[1].split())
                break
    memory = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
        memory = f", {kib / 2**20:.0f} GiB"
    return f"{os.cpu_count()} cores ({model}){memory}, Python {platform.python_version()}"


def commit() -> str:
    """The commit the figures were measured at, ``+changes`` when the tree differs from it."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                              timeout=30).stdout.strip()
    try:
        head = git("rev-parse", "--short", "HEAD") or "unknown"
        dirty = git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!docs")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + (" +changes" if dirty else "")


def shown(path: Path) -> str:
    """A path as written in the page: relative to the repository when inside it."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def load() -> str:
    """The 1, 5 and 15 minute load averages."""
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def section(name: str, *, summary: str, command: str, started: datetime, load_before: str,
            report: str) -> str:
    """The Markdown of one benchmark's section (its heading level is the page's ``##``)."""
    fence = "```"
    while fence in report:
        fence += "`"
    return "\n".join([
        f"## {name}",
        "",
        summary,
        "",
        f"Run on {started:%Y-%m-%d %H:%M} UTC at commit {commit()}: `{command}`; {machine()}; "
        f"load average {load_before} before, {load()} after.",
        "",
        f"{fence}text",
        report.strip("\n"),
        fence,
    ])


class _Tee(io.TextIOBase):
    """Writes to the terminal and keeps a copy."""

    def __init__(self, terminal):
        self.terminal, self.kept = terminal, io.StringIO()

    def write(self, text: str) -> int:
        self.kept.write(text)
        return self.terminal.write(text)

    def flush(self) -> None:
        self.terminal.flush()

    def isatty(self) -> bool:
        return self.terminal.isatty()


def docstring_summary(script: Path) -> str:
    """The first paragraph of a script's module docstring, on one line."""
    doc = ast.get_docstring(ast.parse(script.read_text(encoding="utf-8"))) or ""
    return " ".join(doc.strip().split("\n\n")[0].split())


@contextlib.contextmanager
def recorded(name: str, *, skip: bool = False, page: Path = PAGE):
    """Keep what the block prints; on success, write it into section ``name`` of ``page``."""
    if skip or os.environ.get("MRRKIT_BENCH_DOCS") == "0" or {"-h", "--help"} & set(sys.argv):
        yield
        return
    script = Path(sys.argv[0]).resolve()
    started, load_before = datetime.now(timezone.utc), load()
    tee = _Tee(sys.stdout)
    ok = False
    try:
        with contextlib.redirect_stdout(tee):
            try:
                yield
            except SystemExit as stop:
                ok = stop.code in (None, 0)
                raise
            ok = True
    finally:
        if ok:
            command = shlex.join(["python", shown(script), *sys.argv[1:]])
            body = section(name, summary=docstring_summary(script), command=command,
                           started=started, load_before=load_before, report=tee.kept.getvalue())
            text = page.read_text(encoding="utf-8") if page.exists() else ""
            page.write_text(replace_section(text, name, body), encoding="utf-8")
            print(f"(figures written to {shown(page)}, section {name})", file=sys.stderr)
