# OpsMerge developer commands. `make run` and `make test` are the two that matter;
# see README.md. Everything runs from the project's own virtualenv (.venv).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
PY     := $(VENV)/bin/python
# Reinstall only when a requirements file changes: the stamp is keyed on their hash.
REQ_HASH := $(shell cat requirements.txt requirements-dev.txt | sha256sum | cut -c1-16)
STAMP    := $(VENV)/.installed-$(REQ_HASH)

.PHONY: run test test-citus lint bench install help

help:
	@echo "make run            start the whole product (web, Celery worker + beat) with demo data"
	@echo "make test           run the test suite (pytest) against PostgreSQL and Redis"
	@echo "make test-citus     a core subset of the tests on a three-node Citus cluster (bin/test-citus)"
	@echo "make lint           ruff check ."
	@echo "make bench NAME=x   run one benchmark (python -m bench x); without NAME: list them"

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

run: $(STAMP)
	$(PY) -m opsmerge.devrun $(ARGS)

# Exit status 5 is pytest's "no tests collected": a failure for the whole suite,
# fine when ARGS narrowed the run to nothing (e.g. `make test ARGS="-k nothing"`).
test: $(STAMP)
	@$(VENV)/bin/pytest $(ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then \
	  if [ -n "$(ARGS)" ]; then echo "make test: no tests matched ARGS=$(ARGS)"; exit 0; \
	  else echo "make test: pytest collected no tests at all"; exit 1; fi; \
	fi; exit $$status

test-citus: $(STAMP)
	bash bin/test-citus $(ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

bench: $(STAMP)
	$(PY) -m bench $(NAME)
