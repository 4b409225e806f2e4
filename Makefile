# The two commands of the README: `make demo` and `make test`. Each installs what it needs into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck bench postgres redis chromium tts clean samples

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/heard demo

postgres:
	bash scripts/ensure-postgres.sh

redis:
	bash scripts/ensure-redis.sh

chromium:
	bash scripts/ensure-chromium.sh

tts:
	bash scripts/ensure-tts.sh

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts

typecheck: $(STAMP)
	$(BIN)/mypy

test: $(STAMP) postgres redis chromium tts lint typecheck
	$(BIN)/pytest -n 2 -q

bench: $(STAMP)
	$(BIN)/python benchmarks/ingest.py

samples: $(STAMP)
	$(BIN)/python scripts/build_samples.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis .screenshots
