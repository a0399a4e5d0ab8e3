# entrec: two commands on a fresh machine.
#   make run   - set up .venv and run the main job (extract over the bundled sample, embedded defaults)
#   make test  - set up .venv and run the test suite
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.entrec-installed
SAMPLE := engine/samples/procedimentos_pt.txt
MODEL  := .cache/default-model
# which grammar build runs (compiled or pure Python, and why): printed by compile and test
GRAMMAR_BUILD = $(PY) -c "from entrec.engine.inequality import compiled_status; print('grammar:', compiled_status().describe())"

.PHONY: run test venv compile lambda wheel bench clean

venv: $(STAMP)

# Re-installs whenever the project metadata changes (refreshes an existing .venv).
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip "setuptools>=77" wheel
	ENTREC_COMPILE=1 $(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

# Recompiles the grammar's hot modules after an edit (ENTREC_COMPILE=1: Cython if a C compiler
# is there, else pure Python). Until then an edited module runs from its .py (the compiled
# build is used only while it matches the source: engine/inequality/_compiled.py).
compile: $(STAMP)
	ENTREC_COMPILE=1 $(PY) -m pip install --quiet --no-deps -e .
	$(GRAMMAR_BUILD)

# Trains (or reuses, cached by fingerprint) a small default model from the bundled labeled
# sample, then extracts over the sample text: rule, grammar and model entities together.
# The default engine is rules + grammar: the sample-trained model lowers precision on real
# text (docs/real-text.md); `python -m entrec.training.default_model $(MODEL)` still builds it.
run: $(STAMP)
	$(PY) -m entrec.cli extract --display --lines $(SAMPLE)

test: $(STAMP)
	@$(GRAMMAR_BUILD)
	$(PY) -m pytest -q

lambda: $(STAMP)
	$(PY) lambda/build.py --out dist $(LAMBDA_BUILD_FLAGS)

wheel: $(STAMP)
	$(PY) -m build --wheel --outdir dist .

# Benchmarks are run by hand (they print ratios against a baseline measured in the same run).
bench: $(STAMP)
	@for f in bench/*.py; do echo "$(PY) $$f --help   # $$(sed -n 's/^\"\"\"//p;' $$f | head -1)"; done

clean:
	rm -rf $(VENV) dist build .cache *.egg-info
