# Quick start: `make run` (sandbox bot at http://127.0.0.1:8000/sandbox) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PRISM_DIR ?= $(HOME)/.cache/rongtook-prism
export PRISM_BIN ?= $(PRISM_DIR)/node_modules/.bin/prism

.PHONY: run test lint bench-webhook bench-routing bench-reminders bench-kpi prism clean

$(BIN)/rongtook: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

run: $(BIN)/rongtook
	$(BIN)/rongtook run

test: $(BIN)/rongtook
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(BIN)/rongtook
	$(BIN)/ruff check .

bench-webhook: $(BIN)/rongtook
	$(BIN)/python -m bench.webhook_bench $(BENCH_ARGS)

bench-routing: $(BIN)/rongtook
	$(BIN)/python -m bench.routing_bench $(BENCH_ARGS)

bench-reminders: $(BIN)/rongtook
	$(BIN)/python -m bench.reminders_bench $(BENCH_ARGS)

bench-kpi: $(BIN)/rongtook
	$(BIN)/python -m bench.kpi_bench $(BENCH_ARGS)

# Prism (a mock of LINE's OpenAPI spec) for the contract tests, installed outside the repository.
prism: $(PRISM_BIN)
$(PRISM_BIN):
	mkdir -p $(PRISM_DIR)
	cd $(PRISM_DIR) && ([ -f package.json ] || npm init -y >/dev/null) && npm install --no-audit --no-fund @stoplight/prism-cli@5

clean:
	rm -rf $(VENV) instance .pytest_cache
