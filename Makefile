# Every target sets itself up: it creates .venv if missing and installs what it needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.installed

.PHONY: run test test-deep bench lint clean

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "policyc needs Python >= 3.11 (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP)-%: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[$*]'
	@touch $@

## run: the main job: check and test the example policies and the standard library, replay a
##      scripted agent session under the standard library with its session state (normal work, a
##      .env read, rm -rf, an auth edit, a secret sent away, an agent that keeps trying; exit 1 =
##      some action refused, expected here), record the same session through the runtime (audit
##      log verified, terminations searched, the pending approval listed), run the guarded agent
##      loop example, explain a Datalog derivation
run: $(STAMP)-test
	$(BIN)/policyc check examples/policies
	$(BIN)/policyc test examples/policies
	$(BIN)/policyc test src/policyc/stdlib_policies
	$(BIN)/policyc test examples/stdlib-project
	$(BIN)/policyc eval --sessions --format text examples/actions/session.jsonl || [ $$? -eq 1 ]
	rm -rf .policyc/demo
	$(BIN)/policyc eval --record --config examples/runtime/policyc.toml --no-proofs \
	    examples/actions/session.jsonl > /dev/null || [ $$? -eq 1 ]
	$(BIN)/policyc audit verify --config examples/runtime/policyc.toml
	$(BIN)/policyc audit search --config examples/runtime/policyc.toml --decision terminate
	$(BIN)/policyc approvals list --config examples/runtime/policyc.toml
	$(BIN)/python examples/python/agent_loop.py .policyc/demo-agent-loop
	$(BIN)/policyc datalog examples/datalog/reachability.dl \
	    --facts examples/datalog/reachability.facts.json \
	    --query reachable --explain 'reachable("laptop", "database")'

## test: the full test suite (property-based tests derandomized)
test: $(STAMP)-test
	$(PY) -m pytest -q

## test-deep: the randomized, heavier property-based profile (on demand)
test-deep: $(STAMP)-test
	HYPOTHESIS_PROFILE=deep $(PY) -m pytest -q tests

## bench: benchmarks side by side with the alternatives (never part of the tests)
bench: $(STAMP)-test $(STAMP)-bench
	$(PY) -m benchmarks

## lint: ruff and mypy (strict) on the library
lint: $(STAMP)-dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis dist build
