# Two commands: `make run` (set up + open the app on the bundled sample) and `make test`
# (set up + run every test); `make check` runs the fast subset while working. Everything lives
# in .venv, built from the requirements files.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python

.PHONY: run test check setup setup-dev browser bench sample docs clean warm

$(VENV)/.run-deps: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-deps: $(VENV)/.run-deps requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

setup: $(VENV)/.run-deps
setup-dev: $(VENV)/.dev-deps browser

# The browser test drives Debian's chromium (never a browser downloaded by Playwright). Installed
# when we can (root + apt-get); otherwise that one test skips and says why.
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Debian's chromium for the browser test"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null \
	  || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; } \
	  || echo "could not install chromium: the browser test will be skipped"; \
	else echo "no /usr/bin/chromium and no root apt-get: the browser test will be skipped"; fi

run: setup
	$(PY) -m streamlit run app.py

# A warehouse source with a store ([warehouse] in .streamlit/secrets.toml, docs/scaling.md):
# compute what the first visits read (DEFS="mrrkit chartmogul"), with no server running (one
# process writes the store; a running server keeps it warm itself).
warm: setup
	$(PY) -m ui.warehouse --definitions $(or $(DEFS),mrrkit)

# Both cores: each test file runs whole on one worker (the browser tests' servers and the
# order inside a file are kept); the files of e2e and slow tests are handed out first
# (tests/conftest.py), not in xdist's order of most tests per file.
test: setup-dev
	$(PY) -m pytest -n 2 --dist loadfile --no-loadscope-reorder

# The fast subset while working, on both cores: every test but those marked e2e (a real browser
# or the app's own server) or slow (over ~10 s). Measured on the 2-core machine shared with four
# other test runs: 12.8 min for 1,620 tests, against 18.8 min for make test's 1,649 (a third
# less); alone on the machine both take well under half of that.
check: $(VENV)/.dev-deps
	$(PY) -m pytest -n 2 --dist loadfile --no-loadscope-reorder -m "not slow and not e2e"

# The manual (Sphinx + MyST) into docs/_build/html, warnings as errors; `make test` builds it too
# (tests/test_docs.py), with the quickstart notebook run by tests/test_notebook.py.
docs: setup-dev
	$(PY) -m sphinx -W --keep-going -b html docs docs/_build/html

bench: setup-dev
	$(PY) benchmarks/bench_core.py

sample: setup
	$(PY) -m mrrkit.sample

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis docs/_build
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
