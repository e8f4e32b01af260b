# Quick start: `make run` (sandbox bot at http://127.0.0.1:8000/sandbox) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PRISM_DIR ?= $(HOME)/.cache/rongtook-prism
export PRISM_BIN ?= $(PRISM_DIR)/node_modules/.bin/prism

# Tests run in parallel (pytest-xdist); the tiers are tests/unit, tests/integration and tests/e2e.
TEST_WORKERS ?= 4
# The shifted-clock runs: every process of the run sees this moment (libfaketime; `AT=... make test-shifted`).
AT ?= 2027-04-14 09:00:00 +0700

.PHONY: run test test-unit test-integration test-e2e test-shifted lint bench-webhook bench-worker bench-routing bench-reminders bench-kpi bench-open311 bench-public bench-admin bench-photos bench-category thai-fonts prism clean

$(BIN)/rongtook: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

run: $(BIN)/rongtook thai-fonts
	$(BIN)/rongtook run

test: $(BIN)/rongtook thai-fonts
	$(BIN)/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

test-unit: $(BIN)/rongtook
	$(BIN)/pytest tests/unit $(PYTEST_ARGS)

test-integration: $(BIN)/rongtook
	$(BIN)/pytest -n $(TEST_WORKERS) tests/integration $(PYTEST_ARGS)

test-e2e: $(BIN)/rongtook
	$(BIN)/pytest -n $(TEST_WORKERS) tests/e2e $(PYTEST_ARGS)

# The unit and integration tiers on SQLite with the clock of every process moved to $(AT). Tests
# marked real_clock (and those that need the PostgreSQL server) are left out, and counted.
# tests/shifted_clock/sitecustomize.py works around libfaketime's time.sleep bug (see there).
SHIFTED = env -u TEST_DATABASE_URL PYTHONPATH=$(CURDIR)/tests/shifted_clock FAKETIME_DONT_FAKE_MONOTONIC=1 faketime "$(AT)"
SHIFTED_SELECTION = -m "not real_clock and not postgresql" tests/unit tests/integration
test-shifted: $(BIN)/rongtook
	@command -v faketime >/dev/null || { echo "test-shifted needs libfaketime: apt-get install faketime"; exit 2; }
	@$(SHIFTED) $(BIN)/python -c 'from models.clock import clock; from zoneinfo import ZoneInfo; \
	  print("shifted clock:", clock.now().astimezone(ZoneInfo("Asia/Bangkok")).strftime("%Y-%m-%d %H:%M"), "in Bangkok")'
	@$(SHIFTED) $(BIN)/pytest --collect-only -q $(SHIFTED_SELECTION) | tail -n 4
	$(SHIFTED) $(BIN)/pytest -n $(TEST_WORKERS) $(SHIFTED_SELECTION) $(PYTEST_ARGS)

lint: $(BIN)/rongtook
	$(BIN)/ruff check .
	$(BIN)/lint-imports

bench-webhook: $(BIN)/rongtook
	$(BIN)/python -m bench.webhook_bench $(BENCH_ARGS)

# Web + worker against a LINE stand-in (150 ms a call): 1,000 events from 50 users, SQLite then PostgreSQL.
bench-worker: $(BIN)/rongtook
	$(BIN)/python -m bench.worker_bench $(BENCH_ARGS)

bench-routing: $(BIN)/rongtook
	$(BIN)/python -m bench.routing_bench $(BENCH_ARGS)

bench-reminders: $(BIN)/rongtook
	$(BIN)/python -m bench.reminders_bench $(BENCH_ARGS)

bench-kpi: $(BIN)/rongtook
	$(BIN)/python -m bench.kpi_bench $(BENCH_ARGS)

# Open311 on a million generated complaints (PostgreSQL): POST p99 at 50/s and GET p95 of a district's page.
bench-open311: $(BIN)/rongtook
	$(BIN)/python -m bench.open311_bench $(BENCH_ARGS)

# The public site on a million generated complaints (PostgreSQL): league table, complaint page and map data
# p95, the whole open-data CSV streamed, each beside its floor (BENCH_ARGS="--complaints 20000" runs quick).
bench-public: $(BIN)/rongtook
	$(BIN)/python -m bench.public_bench $(BENCH_ARGS)

# Every staff page on a million generated complaints (PostgreSQL), signed in as an admin: each page's p95 beside
# its SQL floor, one district's CSV/XLSX export, memory during an export of 100,000 (BENCH_ARGS="--count 20000"
# runs quick; "--keep", then "--reuse SCHEMA", measures a filled schema again).
bench-admin: $(BIN)/rongtook
	$(BIN)/python -m bench.admin_bench $(BENCH_ARGS)

# The reused-photo detector (issue 17): recall per kind of edit, false flags, and the lookup p95 at a
# million fingerprints on PostgreSQL beside a bare scan (BENCH_ARGS="--stored 20000" runs quick). Its
# photographs come from two Debian packages, installed here when missing (as root, or through sudo).
PHOTO_PACKAGES := mate-backgrounds plasma-workspace-wallpapers
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
bench-photos: $(BIN)/rongtook
	@dpkg -s $(PHOTO_PACKAGES) >/dev/null 2>&1 || $(SUDO) apt-get install -y --no-install-recommends $(PHOTO_PACKAGES) \
	  || { $(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends $(PHOTO_PACKAGES); }
	$(BIN)/python -m bench.photos_bench $(BENCH_ARGS)

# The category suggested from the text (issue 18): held-out top-1/top-3 of the model beside the keyword
# guess, and the cost of a suggestion (BENCH_ARGS="--csv PATH" for another sample, "--strict" to fail).
bench-category: $(BIN)/rongtook
	$(BIN)/python -m bench.category_bench $(BENCH_ARGS)

# The Thai font the rich menus are drawn in (bot/rich_menus.py: Loma of Debian's fonts-thai-tlwg), installed
# when missing (as root, or through sudo); release, the sandbox and the tests draw the menus with it.
THAI_FONT := /usr/share/fonts/truetype/tlwg/Loma.ttf
thai-fonts:
	@[ -f $(THAI_FONT) ] || $(SUDO) apt-get install -y --no-install-recommends fonts-thai-tlwg \
	  || { $(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends fonts-thai-tlwg; }

# Prism (a mock of LINE's OpenAPI spec) for the contract tests, installed outside the repository.
prism: $(PRISM_BIN)
$(PRISM_BIN):
	mkdir -p $(PRISM_DIR)
	cd $(PRISM_DIR) && ([ -f package.json ] || npm init -y >/dev/null) && npm install --no-audit --no-fund @stoplight/prism-cli@5

clean:
	rm -rf $(VENV) instance .pytest_cache
