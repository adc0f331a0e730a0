"""Golden views: every recorded URL still shows what the app showed before the issue-13
restructuring (tests/fixtures/golden_views.json, see tests/golden.py): the same texts, widget
values, table cells and chart data, the same "Link to this view" addresses, and a saved share
link (?view=<token>) opening the same view.

A failure lists the first differences (a path into the record, what was recorded, what is shown
now). If the change is meant (a figure or a text was changed on purpose), re-record with
``python -m tests.golden --record`` and review the fixture's diff.
"""

from __future__ import annotations

import pytest

from tests import golden

FIXTURE = golden.load()
CASES = {case["id"]: case for case in FIXTURE["cases"]}


@pytest.fixture(autouse=True)
def settings(monkeypatch, tmp_path):
    """No access gate, the default share settings, and each case its own (empty) store of shared
    views: what the pages show must not depend on the machine's environment."""
    for name in golden.ENV_UNSET:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MRRKIT_VIEWS_DIR", str(tmp_path / "views"))


def expected(case: dict) -> dict:
    # A "Link to this view" address must show the very view it was copied from.
    return CASES[case["same_as"]]["record"] if "same_as" in case else case["record"]


def describe(case: dict) -> str:
    if "address" in case:
        return f"the address {case['address']}"
    if "saved_view" in case:
        return f"{case['page']}?view=<saved view {case['saved_view']['state']}>"
    actions = f" then {case['actions']}" if case.get("actions") else ""
    return f"{case['page']} {case.get('params') or {}}{actions}"


@pytest.mark.parametrize("case_id", list(CASES))
def test_the_page_shows_what_was_recorded(case_id):
    case = CASES[case_id]
    at = golden.open_case(case)
    assert not at.exception, [e.value for e in at.exception]
    diff = golden.differences(expected(case), golden.capture(at))
    if diff:
        pytest.fail(
            f"{describe(case)} shows something else than recorded at commit "
            f"{FIXTURE['commit'][:12]} (first differences, recorded -> now):\n  "
            + "\n  ".join(diff)
            + "\nIf this change is meant: python -m tests.golden --record (and review the diff).",
            pytrace=False,
        )


def test_the_fixture_covers_every_page_and_the_links():
    """The record is not silently thinned out: every page at its default URL, the three link
    addresses and the saved view are there."""
    defaults = {case["page"] for case in CASES.values() if case.get("params") == {}}
    pages = {"app.py", *(f"pages/{p.name}" for p in (golden.ROOT / "pages").glob("[!_]*.py"))}
    covered = {golden.page_file(p) for p in defaults}
    if "app.py" in covered:  # "/": app.py runs the Overview, pages/0_Overview.py since issue 13
        covered.add("pages/0_Overview.py")
    assert covered >= pages
    assert sum("address" in case for case in CASES.values()) == 3
    assert any("saved_view" in case for case in CASES.values())
