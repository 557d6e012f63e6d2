# eoscope: `make run` serves the demo on http://127.0.0.1:$(PORT); `make test` runs every test.
PORT ?= 8080
VENV ?= .venv
EOSCOPE = $(VENV)/bin/eoscope
VAR = var

.PHONY: run test setup setup-test viewer lint bench notebooks clean

run: setup $(VAR)/archive/.complete-six-sources
	$(EOSCOPE) ingest
	$(EOSCOPE) serve --port $(PORT)

test: setup-test
	$(VENV)/bin/python -m pytest -ra

setup:
	@bash deploy/setup.sh

setup-test:
	@bash deploy/setup.sh --test

# The demo archive is made once; `eoscope ingest` then re-indexes only new or changed products
# and regenerates the service configurations, so a second `make run` starts in seconds.
$(VAR)/archive/.complete-six-sources:
	$(EOSCOPE) demo-data
	touch $@

# The viewer's street overlay for the demo archive (same defaults as `eoscope demo-data`);
# an extra prerequisite of `run`, written once.
run: $(VAR)/archive/overlay.geojson
$(VAR)/archive/overlay.geojson: | setup
	$(VENV)/bin/python -m services.viewer.overlay $(VAR)/archive

# Rebuild the web viewer (viewer/ -> viewer/dist/); setup does this when its sources changed.
viewer:
	cd viewer && npm ci --no-audit --no-fund && npm run build

lint: setup-test
	$(VENV)/bin/ruff check services wps_processes tests bench notebooks

# JupyterLab over notebooks/ on http://127.0.0.1:$(NOTEBOOK_PORT), its kernels in the project's
# venv, talking to the gateway of `make run` (EOSCOPE_URL); installs JupyterLab the first time.
NOTEBOOK_PORT ?= 8888
notebooks: setup-test
	@$(VENV)/bin/python -c "import jupyterlab" 2>/dev/null || \
		$(VENV)/bin/python -m pip install -q -e ".[test,notebooks]"
	EOSCOPE_URL=$${EOSCOPE_URL:-http://127.0.0.1:$(PORT)} $(VENV)/bin/jupyter lab \
		--ip 127.0.0.1 --port $(NOTEBOOK_PORT) --no-browser --allow-root --notebook-dir notebooks

bench: setup-test
	$(VENV)/bin/python -m bench.run

clean:
	rm -rf $(VAR) mapfiles/*.map viewer/dist
