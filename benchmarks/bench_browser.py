"""Page changes from the sidebar menu, timed in a real browser (issue 11: "a page change from the
menu re-renders in < 1 s in the browser on the sample").

Usage::

    .venv/bin/python benchmarks/bench_browser.py [--passes 2] [--lang en|fr]
        [--period "from=2025-06&to=2026-03&f.industry=Software"] [--json out.json]

Starts ``streamlit run app.py`` on a free loopback port (the helpers of ``tests/_browser.py``) and
opens it in Debian's Chromium, driven by Playwright (``/usr/bin/chromium``, never a browser
Playwright downloads), in a 1440x900 window, on the bundled sample, with the language and the
period/filter of the command line in the first address (the app keeps them across pages).

After the first render, a **warm-up pass** clicks through all 56 ordered pairs of the 8 pages (a
tour that takes every pair once, as ``tests/e2e/test_journey.py`` does): the first visit of a page
fills the server's caches for it and the browser loads the code of each kind of element, and
neither belongs in the figure. Then ``--passes`` measured passes of the same tour. For each click
of a menu link, from the click (a capture listener in the page notes its time) to:

(a) **run finished**: the arrival in the page of the last ``script_finished`` message of the
    runs the click caused (read from the app's websocket, Streamlit's ``ForwardMsg`` protobuf;
    a run cut short for a newer one does not count; a follow-up run requested within 0.25 s of
    the end counts);
(b) **settled**: the first animation frame from that arrival on in which the page shows the
    target page's own title (the main ``h1``, visible) at its own address, no element marked
    stale (``data-stale="true"``, what Streamlit puts on the previous run's elements until the
    new run replaces or drops them), no skeleton (an element whose code is still loading), and
    every visible chart drawn (a canvas or svg in each ``stVegaLiteChart``). That frame is the
    one that paints the settled page.

Both ends are read with the page's own clock (``performance.now()``: the click listener, a
timestamp on each websocket message, a check of the page on every animation frame), so the
figures hold none of the time Playwright takes to pass events to this script.

**The peer** (figures are quoted as ratios against a peer measured in the same run, on the same
busy or quiet machine): a **browser reload** of the same page, with the same address (period,
filter, language), until settled as above, timed from the navigation's start. It is the closest
peer there is: it does all the work of a page change -- the page script run on the server for a
session, the messages, React drawing every element, Vega drawing every chart -- plus a new
session (the websocket, the app's first run for it, the frontend started again from its cached
files), and a busy machine slows both the same way, on the server's core and the browser's. A
ratio below 1 says the menu is the faster way to a page. The reload is timed once per page per
pass, after the tour (one untimed reload of each page in the warm-up). The Data page's address
holds no period or filter (they live in the session), so after its reload the next pass starts
again from the first address; a period or filter missing from another page's address after a
click is reported.
Also measured, as the browser's floor on this machine: the time Chromium takes to render a
**static HTML copy of the same settled page** (its DOM and styles, scripts removed, charts drawn
on canvas left blank) served from this machine (Playwright answers the request; the fonts and
style files come from the app's server, cached), from the navigation's start to the first
frame after its load event. This one has no Python and no React in it: the ratio to it says
how much of a page change is the app and Streamlit, and it follows the browser's speed alone.

The load average (``/proc/loadavg``) and the CPU time of a fixed pure-Python loop (the reference
loop of ``bench_ui.py``: 0.30 s of CPU on a quiet machine) are printed before and after: other
work on the machine slows every figure, so compare runs by their ratios. The run fails (exit 1,
with the page, the step and the app's message) as soon as a page shows an exception
(``stException``), and reports the browser console's errors (but Streamlit's probes for its base
address on a deep link, answered 404, as in ``tests/e2e/test_journey.py``). The server and the browser
are always stopped. A full run (warm-up + 2 passes: 168 page changes, 24 reloads) takes about 3-4
minutes on the 2-core development machine.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, parse_qsl, urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests._browser import (  # noqa: E402
    CHROMIUM,
    Console,
    CHROMIUM_ARGS,
    SIDEBAR,
    STEP_MS,
    Runs,
    free_port,
    start_server,
    stop_server,
    tour,
    wait_healthy,
)

#: Menu labels, in English and French, in menu order (as in tests/e2e/test_journey.py).
PAGES = {
    "en": ["Overview", "Movements", "Cohorts", "Segments", "Customers", "Scenarios", "Expansion",
           "Data"],
    "fr": ["Vue d'ensemble", "Mouvements", "Cohortes", "Segments", "Clients", "Scénarios",
           "Expansion", "Données"],
}
VIEWPORT = {"width": 1440, "height": 900}
QUIET_S = 0.25  # no new run asked for this long after the last one finished: the change is over
BUDGET_MS = 1000
EXCEPTION = '[data-testid="stException"]'

#: In every document of the measured page: the click time, a timestamp per websocket message,
#: and on every animation frame whether the page is settled (since when).
WATCH_JS = r"""
(() => {
  if (window.__bench) return;
  const b = window.__bench = {frames: [], click: null, ok: false, okSince: null, want: null};
  try { b.want = JSON.parse(sessionStorage.getItem('__benchWant') || 'null'); } catch (e) {}
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', () => b.frames.push(performance.now()));
    }
  };
  document.addEventListener('click', () => { b.click = performance.now(); }, true);
  const settled = () => {
    const main = document.querySelector('[data-testid="stMain"]');
    const h1 = main && main.querySelector('h1');
    if (!h1 || !h1.checkVisibility()) return false;
    const want = b.want;
    if (want && want.path && location.pathname !== want.path) return false;
    if (want && want.title && h1.textContent.trim() !== want.title) return false;
    if (document.querySelector('[data-stale="true"], [data-testid^="stSkeleton"]')) return false;
    for (const chart of document.querySelectorAll('[data-testid="stVegaLiteChart"]')) {
      if (chart.checkVisibility() && !chart.querySelector('canvas, svg')) return false;
    }
    return true;
  };
  const tick = () => {
    const ok = settled();
    if (ok && !b.ok) b.okSince = performance.now();
    b.ok = ok;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();
"""

#: In the static copy's document: the first animation frame after the load event.
STATIC_JS = r"""
window.addEventListener('load', () => requestAnimationFrame(() => {
  window.__painted = performance.now();
}));
"""

#: The settled page as static HTML: its DOM, the styles Streamlit inserted through the CSSOM
#: (emotion's <style> tags are empty in the DOM), its style files; no scripts.
SNAPSHOT_JS = r"""
() => {
  const root = document.documentElement.cloneNode(true);
  const live = [...document.querySelectorAll('style')];
  [...root.querySelectorAll('style')].forEach((copy, i) => {
    const sheet = live[i] && live[i].sheet;
    if (sheet) copy.textContent = [...sheet.cssRules].map(r => r.cssText).join('\n');
  });
  root.querySelectorAll('script, link[rel="modulepreload"], link[rel="preload"], iframe')
      .forEach(n => n.remove());
  const base = document.createElement('base');
  base.href = location.origin + '/';
  root.querySelector('head').prepend(base);
  return '<!DOCTYPE html>\n' + root.outerHTML;
}
"""


class BenchError(RuntimeError):
    """The run cannot go on: an exception on a page, a click that never reached the app..."""


class Frames(Runs):
    """:class:`tests._browser.Runs` plus every message received on the current websocket, in
    order, and which of them ended a run: the page numbers its messages the same way, so the
    page's own time of a run's end can be looked up."""

    def __init__(self, page) -> None:
        self.frames: list[bool] = []  # per message: a script_finished (not cut short)?
        super().__init__(page)

    def _watch(self, ws) -> None:
        self.frames = []  # a new socket (a reload): the page's numbering starts again too
        super()._watch(ws)

    def _received(self, payload) -> None:
        before = len(self.finished)
        super()._received(payload)
        self.frames.append(len(self.finished) > before)

    def last_finish(self) -> int | None:
        return next((i for i in range(len(self.frames) - 1, -1, -1) if self.frames[i]), None)

    def wait_done(self, since: float, timeout: float = STEP_MS / 1000) -> None:
        """Wait until a run was asked after ``since``, the last run asked has finished and no
        other was asked for ``QUIET_S``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            asked = max(self.requested, default=0.0)
            done = max(self.finished, default=0.0)
            if asked > since and done > asked and time.monotonic() - done >= QUIET_S:
                return
            self.page.wait_for_timeout(20)
        raise BenchError(f"no finished run {timeout:.0f} s after the action")


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())


def reference_loop() -> float:
    """CPU seconds of 10 million additions in pure Python (``bench_ui.py``'s reference loop:
    0.30 s on a quiet machine): the machine's speed at the time."""
    t0 = time.process_time()
    total = 0
    for i in range(10_000_000):
        total += i
    return time.process_time() - t0


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def summary(values: list[float]) -> str:
    if not values:
        return "- / - / -"
    return f"{statistics.median(values):.0f} / {p90(values):.0f} / {max(values):.0f}"


def commit() -> str:
    def git(*args: str) -> str:
        res = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return res.stdout.rstrip()

    head = git("rev-parse", "--short", "HEAD").strip()
    if not head:
        return "? (not a git work tree)"
    dirty = git("status", "--porcelain", "--", "app.py", "ui", "pages", "mrrkit", "data",
                ".streamlit")
    if dirty:
        paths = ", ".join(line[3:] for line in dirty.splitlines())
        return f"{head} + uncommitted changes ({paths})"
    return head


class Bench:
    def __init__(self, browser, base: str, query: str, labels: list[str]) -> None:
        self.browser = browser
        self.base = base
        self.query = query
        self.labels = labels
        self.context = browser.new_context(viewport=VIEWPORT)
        self.context.set_default_timeout(STEP_MS)
        self.context.add_init_script(WATCH_JS)
        self.page = self.context.new_page()
        self.runs = Frames(self.page)
        self.console = Console(self.page)
        self.want: dict[str, dict] = {}  # label -> {path, title}, learnt in the warm-up
        self.snapshots: dict[str, str] = {}  # label -> static HTML of the settled page
        self.where = "first render"
        self.lost: list[str] = []  # the period or a filter gone from the address

    def close(self) -> None:
        self.context.close()

    # -- the page -----------------------------------------------------------------------------

    def _set_want(self, want: dict | None) -> None:
        self.page.evaluate(
            "w => { sessionStorage.setItem('__benchWant', JSON.stringify(w));"
            " if (window.__bench) window.__bench.want = w; }", want)

    def _settled(self, timeout: float = STEP_MS / 1000) -> tuple[float, float]:
        """(the page's time of the last run's end, of the first settled frame from then on)."""
        index = self.runs.last_finish()
        deadline = time.monotonic() + timeout
        while True:
            state = self.page.evaluate(
                "i => { const b = window.__bench; return {ok: b.ok, since: b.okSince,"
                " n: b.frames.length, at: i === null ? null : b.frames[i]}; }", index)
            self._no_exception()
            if state["ok"]:
                break
            if time.monotonic() > deadline:
                raise BenchError(f"{self.where}: the page did not settle in {timeout:.0f} s")
            self.page.wait_for_timeout(20)
        if index is None or state["n"] != len(self.runs.frames) or state["at"] is None:
            raise BenchError(f"{self.where}: the page saw {state['n']} websocket messages, "
                             f"Playwright {len(self.runs.frames)}: cannot tell the run's end")
        return state["at"], max(state["since"], state["at"])

    def _no_exception(self) -> None:
        problem = self.page.locator(EXCEPTION)
        if problem.count():
            text = " ".join(problem.first.inner_text().split())
            raise BenchError(f"{self.where}: the page shows an exception: {text[:800]}")

    def _learn(self, label: str) -> None:
        """The page's address and title once settled (the warm-up's visit), and its copy."""
        self.want[label] = self.page.evaluate(
            "() => ({path: location.pathname, title: document.querySelector("
            "'[data-testid=\"stMain\"] h1').textContent.trim()})")
        self.snapshots[label] = self.page.evaluate(SNAPSHOT_JS)

    # -- the actions ------------------------------------------------------------------------

    def open(self) -> None:
        """Open the first address (the Overview page) and wait until it is settled."""
        if self.labels[0] in self.want:  # (not on about:blank: no storage there)
            self._set_want(self.want[self.labels[0]])
        since = time.monotonic()
        self.page.goto(self.base + self.query, wait_until="commit")
        self.runs.wait_done(since, timeout=60)
        self._settled(timeout=60)
        if self.labels[0] not in self.want:
            self._learn(self.labels[0])

    def change(self, label: str, tries: int = 3) -> tuple[float, float]:
        """Click ``label`` in the menu; (click -> run finished, click -> settled) in ms."""
        self._set_want(self.want.get(label))
        link = self.page.locator(SIDEBAR).get_by_role("link", name=label, exact=True)
        link.scroll_into_view_if_needed()
        box = link.bounding_box()
        if box is None:
            raise BenchError(f"{self.where}: no menu link {label!r} on screen")
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        for _ in range(tries):
            since = time.monotonic()
            asked = len(self.runs.requested)
            self.page.mouse.click(x, y)
            while time.monotonic() - since < 5 and len(self.runs.requested) == asked:
                self.page.wait_for_timeout(20)
            if len(self.runs.requested) > asked:
                break
        else:
            raise BenchError(f"{self.where}: clicking {label!r} never reached the app")
        self.runs.wait_done(since)
        finished, settled = self._settled()
        click = self.page.evaluate("() => window.__bench.click")
        if label not in self.want:
            self._learn(label)
        if label != self.labels[-1]:  # the Data page's address has no period or filter
            self._kept(label)
        return finished - click, settled - click

    def _kept(self, label: str) -> None:
        """Note when the address no longer holds the first address's period and filters."""
        now = parse_qs(self.page.evaluate("location.search").lstrip("?"))
        lost = [f"{k}={v}" for k, v in parse_qsl(self.query.lstrip("?")) if v not in now.get(k, [])]
        if lost:
            self.lost.append(f"{self.where}: {'&'.join(lost)} no longer in the address")

    def reload(self, label: str) -> tuple[float, float]:
        """Reload the page; (navigation start -> run finished, -> settled) in ms."""
        self._set_want(self.want[label])
        since = time.monotonic()
        self.page.reload(wait_until="commit")
        self.runs.wait_done(since)
        return self._settled()

    def static(self, repeats: int) -> dict[str, list[float]]:
        """Render the static copy of each page ``repeats`` times (after one untimed load):
        navigation start -> first frame after the load event, in ms."""
        context = self.browser.new_context(viewport=VIEWPORT)
        context.set_default_timeout(STEP_MS)
        context.add_init_script(STATIC_JS)
        prefix = self.base.rstrip("/") + "/__bench_static/"
        pages = {f"p{i}": label for i, label in enumerate(self.snapshots)}

        def serve(route) -> None:
            label = pages[route.request.url.rsplit("/", 1)[-1]]
            route.fulfill(status=200, content_type="text/html; charset=utf-8",
                          body=self.snapshots[label])

        context.route(prefix + "*", serve)
        out: dict[str, list[float]] = {label: [] for label in self.snapshots}
        try:
            page = context.new_page()
            for turn in range(repeats + 1):
                for name, label in pages.items():
                    page.goto(prefix + name, wait_until="load")
                    page.wait_for_function("() => window.__painted !== undefined")
                    if turn:
                        out[label].append(page.evaluate("() => window.__painted"))
        finally:
            context.close()
        return out

    def tour(self, walk: list[int], measured: dict | None, reloads: dict | None) -> None:
        for step, (i, j) in enumerate(zip(walk, walk[1:]), 1):
            came, label = self.labels[i], self.labels[j]
            self.where = f"step {step}: {came} -> {label}"
            finished, settled = self.change(label)
            if measured is not None:
                measured.setdefault(label, []).append((came, finished, settled))
        for label in self.labels:  # every page reloaded once, from the menu's order
            if label != self.labels[walk[-1]]:
                self.where = f"menu -> {label} (before its reload)"
                self.change(label)
            self.where = f"reload of {label}"
            timed = self.reload(label)
            if reloads is not None:
                reloads.setdefault(label, []).append(timed)
        # The Data page's address holds no period or filter (they live in the session): its
        # reload, a new session, forgets them. Start again from the first address.
        self.where = "first address again"
        self.open()


def report(labels, measured, reloads, static, passes: int) -> dict:
    print(f"\n## Page change from the sidebar menu ({passes} passes x 7 origins per page; "
          "ms: median / 90th percentile / max)\n")
    print("| target page | changes | click -> run finished | click -> settled "
          "| reload: run finished / settled (median) | static copy (median) "
          "| settled / reload | settled / static |")
    print("|---|---:|---|---|---|---:|---:|---:|")
    all_run, all_settled, all_reload, all_static = [], [], [], []
    for label in labels:
        rows = measured.get(label, [])
        run = [r[1] for r in rows]
        settled = [r[2] for r in rows]
        rl_run = [r[0] for r in reloads.get(label, [])]
        rl_settled = [r[1] for r in reloads.get(label, [])]
        st = static.get(label, [])
        all_run += run
        all_settled += settled
        all_reload += rl_settled
        all_static += st
        print(f"| {label} | {len(rows)} | {summary(run)} | {summary(settled)} | "
              f"{statistics.median(rl_run):.0f} / {statistics.median(rl_settled):.0f} | "
              f"{statistics.median(st):.0f} | "
              f"{statistics.median(settled) / statistics.median(rl_settled):.2f} | "
              f"{statistics.median(settled) / statistics.median(st):.1f} |")
    med = statistics.median(all_settled)
    out = {
        "run_finished": {"median": statistics.median(all_run), "p90": p90(all_run),
                         "max": max(all_run)},
        "settled": {"median": med, "p90": p90(all_settled), "max": max(all_settled)},
        "reload_settled_median": statistics.median(all_reload),
        "static_median": statistics.median(all_static),
    }
    print(f"| **all pages** | {len(all_settled)} | {summary(all_run)} | {summary(all_settled)} | "
          f"- / {out['reload_settled_median']:.0f} | {out['static_median']:.0f} | "
          f"{med / out['reload_settled_median']:.2f} | {med / out['static_median']:.1f} |")
    slowest = sorted(((r[2], r[0], label) for label in labels for r in measured.get(label, [])),
                     reverse=True)[:5]
    print("\nslowest changes (settled): " + ", ".join(
        f"{came} -> {label} {ms:.0f} ms" for ms, came, label in slowest))
    worst = max(all_settled)
    print(f"\npage change, click -> settled: median {med:.0f} ms, 90th percentile "
          f"{p90(all_settled):.0f} ms, max {worst:.0f} ms -> "
          f"{'within' if worst < BUDGET_MS else 'OVER'} the {BUDGET_MS} ms budget; "
          f"peer: reload of the same page {out['reload_settled_median']:.0f} ms (ratio "
          f"{med / out['reload_settled_median']:.2f}), static copy {out['static_median']:.0f} ms "
          f"(ratio {med / out['static_median']:.1f})")
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=2, help="measured tours (default 2)")
    parser.add_argument("--lang", choices=sorted(PAGES), default="en")
    parser.add_argument("--period", default="",
                        help="the first address's query: period and filters, e.g. "
                             "'from=2025-06&to=2026-03&f.industry=Software'")
    parser.add_argument("--json", type=Path, help="also write the raw figures there")
    args = parser.parse_args(argv)

    params = [(k, v) for k, v in parse_qsl(args.period.lstrip("?"), keep_blank_values=True)
              if k != "lang"]
    if args.lang != "en":
        params.append(("lang", args.lang))
    query = "?" + urlencode(params, safe=":") if params else ""
    labels = PAGES[args.lang]

    # A SIGTERM ends the run through the finally clauses: the server and browser are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if not Path(CHROMIUM).exists():
        print(f"no browser at {CHROMIUM} (apt-get install chromium)", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    print(f"commit {commit()}; load average {loadavg()} on {os.cpu_count()} cores; "
          f"reference loop {reference_loop():.2f} s of CPU (0.30 s quiet)")
    print(f"address: /{query or ''} ({len(labels)} pages, {args.passes} measured passes after a "
          f"warm-up pass; viewport {VIEWPORT['width']}x{VIEWPORT['height']})")
    tmp = Path(tempfile.mkdtemp(prefix="mrrkit-bench-browser-"))
    log = tmp / "server.log"
    port = free_port()
    started = time.monotonic()
    proc = start_server(port, tmp / "views", log, None)
    bench = None
    try:
        wait_healthy(port, proc, log)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                         args=CHROMIUM_ARGS, timeout=STEP_MS)
            try:
                bench = Bench(browser, f"http://127.0.0.1:{port}/", query, labels)
                bench.open()
                walk = tour(len(labels))
                t0 = time.monotonic()
                bench.tour(walk, None, None)
                print(f"warm-up pass: {time.monotonic() - t0:.0f} s", flush=True)
                measured: dict = {}
                reloads: dict = {}
                for n in range(args.passes):
                    t0 = time.monotonic()
                    bench.tour(walk, measured, reloads)
                    print(f"pass {n + 1}: {time.monotonic() - t0:.0f} s; load average "
                          f"{loadavg()}", flush=True)
                static = bench.static(args.passes)
                final = bench.page.evaluate("location.search")
                console = list(bench.console.errors)
                lost = list(bench.lost)
                bench.close()
                bench = None
            finally:
                if bench is not None:
                    bench.close()
                browser.close()
    except BenchError as exc:
        print(f"\nFAILED: {exc}", file=sys.stderr)
        tail = log.read_text(errors="replace").splitlines()[-30:] if log.exists() else []
        print(f"server log ({log}), last lines:\n" + "\n".join(tail), file=sys.stderr)
        return 1
    finally:
        stop_server(proc)

    out = report(labels, measured, reloads, static, args.passes)
    print(f"\naddress at the end: /{final}")
    if lost:
        print(f"the address lost the period or a filter {len(lost)} time(s): "
              + "; ".join(lost[:5]))
    print(f"browser console: {len(console)} error(s)"
          + "".join(f"\n  - {e[:300]}" for e in console[:10]))
    print(f"load average after: {loadavg()}; reference loop {reference_loop():.2f} s of CPU; "
          f"whole run {time.monotonic() - started:.0f} s")
    if args.json:
        out.update(lang=args.lang, query=query, commit=commit(), measured=measured,
                   reloads=reloads, static=static, console=console)
        args.json.write_text(json.dumps(out, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    import perfdoc  # benchmarks/perfdoc.py: the figures into docs/performance.md

    with perfdoc.recorded("bench_browser"):
        sys.exit(main())
