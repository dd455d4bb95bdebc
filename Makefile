# The two commands of the README: `make example` and `make test`. Both set up what they need.
VENV ?= .venv
SEED := eval/datasets/seed/000_f0d77478487422c7.txt

.PHONY: example test setup setup-dev lint bench schema eval

example: setup
	$(VENV)/bin/extractor run $(SEED)

test: setup-dev lint
	$(VENV)/bin/pytest

setup:
	scripts/setup.sh runtime

setup-dev:
	scripts/setup.sh dev

lint:
	$(VENV)/bin/ruff check extractor tests scripts
	$(VENV)/bin/lint-imports

bench: setup
	$(VENV)/bin/python scripts/bench.py text --output eval/results/bench-text.json

schema: setup
	$(VENV)/bin/python scripts/gen_schema.py

eval: setup
	$(VENV)/bin/extractor eval --dataset seed --gate eval/thresholds.toml
