"""Deployable as is (issue 6): what a host installs and what the Docker image contains.

No Docker engine is needed: the Dockerfile and .dockerignore are read as text, and the build
context is worked out with Docker's own matching rules for the patterns used here.
"""

from __future__ import annotations

import ast
import fnmatch
import importlib.metadata
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APP_SOURCES = [ROOT / "app.py", ROOT / "serve.py", *sorted((ROOT / "pages").glob("*.py")),
               *(path for package in ("mrrkit", "server", "ui")
                 for path in sorted((ROOT / package).rglob("*.py")))]


def _instructions() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out


def _ignored(path: str, patterns: list[str]) -> bool:
    """Whether .dockerignore leaves ``path`` out of the build context (patterns without '!')."""
    parts = path.split("/")
    for depth in range(1, len(parts) + 1):
        prefix = "/".join(parts[:depth])
        for pattern in patterns:
            if pattern.startswith("**/"):
                if fnmatch.fnmatchcase(parts[depth - 1], pattern[3:]):
                    return True
            elif fnmatch.fnmatchcase(prefix, pattern):
                return True
    return False


def _dockerignore() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert not any(p.startswith("!") for p in patterns)  # _ignored does not handle exceptions
    return patterns


def test_the_image_runs_the_app_as_a_non_root_user_with_a_healthcheck_and_a_views_volume():
    steps = _instructions()
    keywords = [k for k, _ in steps]
    base = dict(steps)["FROM"]
    version = re.match(r"python:(\d+)\.(\d+)", base)
    assert version and (int(version[1]), int(version[2])) >= (3, 11), base  # pandas 3
    health = dict(steps)["HEALTHCHECK"]
    assert "/_stcore/health" in health and "CMD" in health
    user = [rest for k, rest in steps if k == "USER"]
    assert user and re.fullmatch(r"[1-9]\d*(:[1-9]\d*)?", user[-1]), user  # numeric, not root
    assert keywords.index("USER") > keywords.index("COPY")
    assert keywords.index("USER") < keywords.index("CMD")
    volumes = " ".join(rest for k, rest in steps if k == "VOLUME")
    assert "/data" in volumes
    env = " ".join(rest for k, rest in steps if k == "ENV")
    assert re.search(r"MRRKIT_VIEWS_DIR=/data/", env)  # shared views on the volume
    assert "STREAMLIT_CLIENT_SHOW_ERROR_DETAILS=none" in env  # no tracebacks to browsers
    assert "MALLOC_ARENA_MAX=2" in env  # freed memory goes back to the system (ui/memory.py)
    cmd = dict(steps)["CMD"]
    assert '"streamlit", "run", "serve.py"' in cmd and "0.0.0.0" in cmd  # the upload guard
    assert "8501" in dict(steps)["EXPOSE"] and ":8501/_stcore/health" in health


def test_the_build_context_has_what_the_app_needs_and_no_secrets():
    patterns = _dockerignore()
    needed = ["app.py", "serve.py", "requirements.txt", ".streamlit/config.toml",
              "data/sample_subscriptions.csv", *(p.relative_to(ROOT).as_posix() for p in APP_SOURCES)]
    assert [p for p in needed if _ignored(p, patterns)] == []
    kept_out = [".streamlit/secrets.toml", "sub/dir/secrets.toml", ".env", "deploy/.env.prod",
                "certs/server.key", "certs/server.pem", ".mrrkit-views/index.sqlite3",
                ".git/config", ".venv/bin/python", "tests/server/test_gate.py"]
    assert [p for p in kept_out if not _ignored(p, patterns)] == []


def _imported_distributions() -> set[str]:
    local = {"mrrkit", "server", "ui", "tests"}
    modules = set()
    for path in APP_SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    modules -= local | set(sys.stdlib_module_names) | {"__future__"}
    owners = importlib.metadata.packages_distributions()
    return {owners[m][0] for m in modules}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_requirements_pin_every_package_the_app_imports():
    lines = [line.split("#")[0].strip()
             for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()]
    pins = dict(line.split("==", 1) for line in lines if line)
    assert all(version.strip() for version in pins.values()), "every requirement pinned with =="
    pinned = {_normal(name.split("[")[0]) for name in pins}  # (a pin may name extras)
    imported = {_normal(name) for name in _imported_distributions()}
    assert imported, "found no third-party import: the scan is broken"
    assert imported - pinned == set()
    assert "authlib" in pinned  # st.login needs it (the streamlit[auth] extra)


# --- what a browser is shown (issue 12, item 7) --------------------------------------------------


def _config() -> dict:
    import tomllib

    return tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))


def test_the_shipped_config_shows_no_error_details_and_caps_uploads():
    """Not only the Docker image: `streamlit run app.py` with the project's config shows a
    browser no traceback (file paths, values), and uploads stop at the documented size."""
    config = _config()
    assert config["client"]["showErrorDetails"] == "none"
    limit = config["server"]["maxUploadSize"]
    assert limit == 50
    readme = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    assert f"server.maxUploadSize = {limit}" in readme.replace("`", "")


@pytest.mark.e2e
def test_a_crash_under_the_shipped_config_is_redacted_and_still_fails_the_browser_tests(tmp_path):
    """With showErrorDetails = "none" the browser gets a generic sentence in Streamlit's error box:
    no message, no path; tests/_browser.no_exception still fails on it, quoting the server log."""
    from tests._browser import (
        CHROMIUM,
        CHROMIUM_ARGS,
        REDACTED_ERROR,
        STEP_MS,
        free_port,
        new_page,
        no_exception,
        playwright,
        start_server,
        stop_server,
        wait_healthy,
    )

    sync_playwright = playwright()
    port, log = free_port(), tmp_path / "server.log"
    proc = start_server(port, tmp_path / "views", log, None, script="tests/apps/crash_page.py")
    try:
        wait_healthy(port, proc, log)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                         args=CHROMIUM_ARGS, timeout=STEP_MS)
            try:
                context, page, _ = new_page(browser)
                page.goto(f"http://127.0.0.1:{port}/")
                page.locator('[data-testid="stException"]').wait_for()
                shown = page.locator('[data-testid="stMain"]').inner_text()
                assert REDACTED_ERROR in shown and "before the error" in shown
                for secret in ("secret-value-42", "RuntimeError", str(ROOT), "crash_page.py"):
                    assert secret not in shown
                with pytest.raises(AssertionError, match="secret-value-42") as failed:
                    no_exception(page)  # the test's report has the server log's traceback
                assert REDACTED_ERROR in str(failed.value)
                context.close()
            finally:
                browser.close()
    finally:
        stop_server(proc)


def test_the_server_package_runs_without_streamlit():
    """server/ (the shared-views store, the gate's rules) never imports Streamlit, not even
    through pandas or another package: it can be used and tested on its own."""
    import subprocess

    probe = ("import importlib, pkgutil, sys, server\n"
             "for info in pkgutil.walk_packages(server.__path__, 'server.'):\n"
             "    importlib.import_module(info.name)\n"
             "print(len([m for m in sys.modules if m.startswith('server.')]),"
             " 'streamlit' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.split()
    assert int(out[0]) >= 5 and out[1] == "False", out
