PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
STAMP  := $(VENV)/.installed

.PHONY: demo test bench venv clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# torch is pinned through constraints.txt so that pip takes the CPU wheel.
$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(PIP) install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/mlatlas demo --out demo-output --lang both

# Two pytest workers on two cores: each keeps BLAS to one thread so they do not
# oversubscribe the machine (results are unchanged; only contention goes away).
TEST_ENV := OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 MPLBACKEND=Agg MLATLAS_STRICT_SKIPS=1

test: $(STAMP)
	$(TEST_ENV) $(BIN)/python -m pytest -n 2 -q

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run --markdown BENCHMARKS.md

clean:
	rm -rf $(VENV) demo-output .pytest_cache
