"""Shared test settings and fixtures (the builders of test data are in :mod:`tests.builders`).

``MRRKIT_TODAY`` pins the app's "today" (the default "as of" day of an upload that does not say
when it was exported) to the bundled sample's own day, so that the in-process page tests show
the same figures whatever the day they run. A test that needs another day sets it itself.
"""

import functools
import os

import pytest

#: The sample's export day (its last date); see ``ui.data.today``.
TODAY = "2026-10-31"
os.environ["MRRKIT_TODAY"] = TODAY


def _scan_installed_components_once() -> None:
    """Streamlit's AppTest looks for installed custom components on each new AppTest's first
    run, reading the metadata of every installed distribution (about 440 here, 0.26 s a
    time: a third of the in-process page tests' time). What is installed does not change
    while the tests run, so the scan is done once per process; the result is the same."""
    try:
        from streamlit.components.v2 import manifest_scanner
    except ImportError:  # (another Streamlit: nothing to spare)
        return
    scan = getattr(manifest_scanner, "scan_component_manifests", None)
    if scan is None or getattr(scan, "scanned_once", False):
        return
    found = functools.cache(scan)

    def scan_once():
        return list(found())

    scan_once.scanned_once = True
    manifest_scanner.scan_component_manifests = scan_once


_scan_installed_components_once()

#: Small apps the browser and gate tests serve (one raises on purpose): not test modules.
collect_ignore_glob = ["apps/*.py"]


@pytest.fixture
def fresh_gate():
    """The access gate's process-wide memory (wrong passwords per client address, browsers let
    in, where browsers were going) starts and ends empty, so a lock-out in one test never refuses
    another test's right password, nor an admission lets another test's browser upload."""
    from server import browsers, throttle

    memories = (throttle._CLIENT_FAILURES, browsers._ADMITTED, browsers._RETURN_TARGETS)
    for memory in memories:
        memory.clear()
    yield
    for memory in memories:
        memory.clear()


def pytest_collection_modifyitems(config, items):
    """The files with tests marked ``e2e`` or ``slow`` first, the others after them (each file's
    tests in their order): ``make test`` runs whole files on two workers (``--dist loadfile``,
    ``--no-loadscope-reorder``), and a long browser file handed out last kept one worker busy
    alone for a minute or more at the end, while files of quick tests can fill the gaps."""
    heavy = {item.nodeid.split("::", 1)[0] for item in items
             if item.get_closest_marker("e2e") or item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.nodeid.split("::", 1)[0] not in heavy)
