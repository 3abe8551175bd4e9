# One entry point per chore. Everything installs into .venv; only python3 (3.11+) and make
# are needed on the machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# What is installed: the runtime alone (make install) or with the test tools (make dev).
# Each stamp is older than pyproject.toml when the dependencies changed.
RUNTIME := $(VENV)/.installed-runtime
DEV     := $(VENV)/.installed-dev
JOBS   ?= 2

.PHONY: install dev test test-faults test-agents test-wheel lint format typecheck bench demo docs clean

install: $(RUNTIME)

dev: $(DEV)

$(BIN)/python:
	@echo "==> checking for Python 3.11+ ($(PYTHON))"
	@$(PYTHON) -c 'import sys; sys.exit("Striatum needs Python 3.11+") if sys.version_info < (3, 11) else None'
	@echo "==> creating $(VENV)"
	@$(PYTHON) -m venv $(VENV)
	@echo "==> upgrading pip in $(VENV)"
	@$(BIN)/pip install --quiet --upgrade pip

$(RUNTIME): pyproject.toml | $(BIN)/python
	@echo "==> installing striatum and its runtime dependencies into $(VENV) (editable)"
	@$(BIN)/pip install --quiet -e .
	@touch $@
	@echo "==> done: $(BIN)/striatum (make dev adds the test tools)"

$(DEV): pyproject.toml | $(BIN)/python
	@echo "==> installing striatum with the test tools (pytest, ruff, mypy, playwright...) into $(VENV)"
	@$(BIN)/pip install --quiet -e '.[test]'
	@touch $@ $(RUNTIME)
	@echo "==> done: $(BIN)/striatum and the test tools"

test: dev
	$(BIN)/pytest -n $(JOBS) -q -m "not slow and not agents and not wheel"

test-faults: dev
	$(BIN)/pytest -n $(JOBS) -q -m "slow and not agents and not wheel"

# The real Claude Code, Codex and Gemini CLIs (installed once from npm into
# $STRIATUM_AGENTS_CACHE, default ~/.cache/striatum/agents) against a scripted model on loopback.
test-agents: dev
	$(BIN)/pytest -n $(JOBS) -q -m agents tests/agents

# The README's quick start from a built wheel installed outside the checkout (a few minutes:
# the dependencies come from the pip cache or the index); skips, saying so, without an index.
test-wheel: dev
	$(BIN)/pytest -q -m wheel tests/wheel

# Style is gated in CI: lint rules and the formatter's layout (`make format` applies it).
lint: dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

format: dev
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

typecheck: dev
	$(BIN)/mypy

# Every benchmark (the chain's last, on a fresh cluster), one JSON report in bench/report.json (~25 minutes at
# today's speed, most of it bench.scale's 5,000-job runs). Each bench also runs alone:
# python -m bench.chain | anchoring | cli | mcp | scale | floor | spawn | run | lanes | heartbeats |
# starvation | live | corpus | hosts | crosshost
# bench.agents (the real agent CLIs per job; needs them: make test-agents installs them) is not
# in the report: python -m bench.agents
# Benches make their daemons' homes and repositories in the cheaper, for making files at that
# moment, of .bench-scratch in the checkout and /tmp (bench/scratch_fs.py says why; the report
# gives both costs); BENCH_DIR=... picks one. It must be reachable by the cluster's user.
BENCH_DIR ?=

bench: dev
	dir="$(BENCH_DIR)"; \
	if [ -z "$$dir" ]; then \
		dir=$$($(BIN)/python -m bench.scratch_fs --cheapest $(CURDIR)/.bench-scratch /tmp) || exit 1; \
	fi; \
	mkdir -p -m 755 "$$dir" && echo "==> bench scratch: $$dir" && \
	STRIATUM_BENCH_DIR="$$dir" $(BIN)/python -m bench.report

demo: install
	bash scripts/demo.sh

docs: dev
	$(BIN)/python -m striatum.cli.reference > docs/CLI_REFERENCE.md
	$(BIN)/python -m striatum.cli.verb_index_writer > src/striatum/cli/verb_index.py.new
	mv src/striatum/cli/verb_index.py.new src/striatum/cli/verb_index.py
	$(BIN)/ruff format --quiet src/striatum/cli/verb_index.py
	$(BIN)/python -m striatum.model.workflow.json_schema > schemas/workflow.v1.json
	$(BIN)/python -m striatum.starters.examples examples

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
