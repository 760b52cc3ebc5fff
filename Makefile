# reidlib: two commands do all the set-up on a fresh machine.
#   make study   runs the study under its default profile (quick)
#   make test    runs the whole test suite (what .ci/run runs)
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PROFILE ?= quick
export OMP_NUM_THREADS ?= 2

.PHONY: venv study test lab bench clean-venv

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,notebooks]'
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

venv: $(VENV)/.installed

study: venv
	$(PY) -m reidlib study --profile $(PROFILE)

test: venv
	$(PY) -m pytest -q tests

lab: venv
	$(VENV)/bin/jupyter lab notebooks/

bench: venv
	for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean-venv:
	rm -rf $(VENV)
