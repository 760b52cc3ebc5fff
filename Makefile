# reidlib: two commands do all the set-up on a fresh machine.
#   make study   runs the study under its default profile (quick)
#   make test    runs the whole test suite (what .ci/run runs)
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PROFILE ?= quick
export OMP_NUM_THREADS ?= 2

.PHONY: venv study test lab bench notebooks clean-venv

$(VENV)/.installed: pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,notebooks]'
	$(PY) -m ipykernel install --sys-prefix --name reidlib --display-name "Python 3 (reidlib)" >/dev/null
	touch $@

venv: $(VENV)/.installed

study: venv
	$(PY) -m reidlib study --profile $(PROFILE) $(foreach p,$(PARAMS),--param '$(p)')

NBVAL := --nbval-lax --nbval-current-env --nbval-sanitize-with notebooks/sanitize.cfg

# the notebooks run twice, with the precision forced to fp32 and to bf16 (emulated, slower but
# correct on CPUs without native bf16), so a change of machine cannot turn CI red
PRECISIONS ?= fp32 bf16

test: venv
	$(PY) -m pytest -q tests
	@if ls notebooks/*.ipynb >/dev/null 2>&1; then for prec in $(PRECISIONS); do \
	  echo "== notebooks (nbval), REIDLIB_PRECISION=$$prec"; \
	  tmp=$$(mktemp -d); REIDLIB_PRECISION=$$prec REIDLIB_RUNS=$$tmp/runs REIDLIB_FIGURES=$$tmp/figures \
	  $(PY) -m pytest -q -p no:cacheprovider $(NBVAL) notebooks/*.ipynb; rc=$$?; rm -rf $$tmp; \
	  [ $$rc -eq 0 ] || exit $$rc; done; fi

notebooks: venv
	$(PY) tools/notebooks.py $(NB)

lab: venv
	$(VENV)/bin/jupyter lab notebooks/

bench: venv
	for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean-venv:
	rm -rf $(VENV)
