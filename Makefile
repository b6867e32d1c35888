# DevOps Interview Lab. Every target bootstraps .venv itself; nothing needs an activated environment.
PYTHON ?= python3
VENV   := .venv
BIN    := $(CURDIR)/$(VENV)/bin
# nbgrader starts helper programs (alembic) by name, so the environment's bin must be on PATH.
export PATH := $(BIN):$(PATH)
RUNTIME_STAMP := $(VENV)/.stamp-runtime
DEV_STAMP     := $(VENV)/.stamp-dev
# JupyterLab's defaults for the course (no news or update pop-ups), read from its settings folder.
LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.json
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
PORT ?= 8888
DEST ?= learner-edition
ASSIGNMENT ?= ps1-back-of-envelope
JOBS ?= auto
# Extra options for `make grade`, e.g. GRADE_FLAGS="--kernels fresh" (see the README's threat model).
GRADE_FLAGS ?=

.PHONY: help lab test lint bench release grade feedback report export collect-zip learner-copy clean setup setup-dev

help:
	@echo "make lab            set up .venv and open the course in JupyterLab"
	@echo "make test           set up .venv (with test tools) and run every test"
	@echo "make lint           ruff over the package, tests and notebooks"
	@echo "make bench          speed and memory figures (not part of make test)"
	@echo "make release        regenerate release/ from source/ with nbgrader"
	@echo "make grade ASSIGNMENT=ps1-back-of-envelope [JOBS=auto]"
	@echo "make feedback ASSIGNMENT=...  |  make report ASSIGNMENT=..."
	@echo "make export ASSIGNMENT=... LMS=canvas|moodle ROSTER=roster.csv   gradebook import CSV"
	@echo "make collect-zip ASSIGNMENT=... LMS=... ROSTER=... ZIP=download.zip [TIMESTAMPS=times.csv]"
	@echo "make learner-copy DEST=dir    the learner's edition (no solutions, no hidden tests)"
	@echo "sudo make hub       a workshop JupyterHub on 127.0.0.1 (real Linux users, nbgrader); sudo make hub-stop"
	@echo "sudo make hub-learners CLASS_LIST=class.txt   Linux accounts for a class list"

# The stamp is newer than the requirement files once they are installed, so a second run installs nothing.
$(RUNTIME_STAMP): requirements.txt pyproject.toml
	@echo "Setting up $(VENV)/: installing the course's pinned packages (the first run takes a few minutes)..."
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@
	@echo "$(VENV)/ is ready."

$(LAB_OVERRIDES): lab-settings/overrides.json | $(RUNTIME_STAMP)
	@mkdir -p $(@D)
	cp lab-settings/overrides.json $@

$(DEV_STAMP): $(RUNTIME_STAMP) requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

include deploy/jupyterhub/hub.mk

setup: $(RUNTIME_STAMP) $(LAB_OVERRIDES)
setup-dev: $(DEV_STAMP) $(LAB_OVERRIDES)

lab: $(RUNTIME_STAMP) $(LAB_OVERRIDES)
	$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" --ServerApp.ip=127.0.0.1 \
	  --ServerApp.port=$(PORT) $(ROOT_FLAG) notebooks/00-contents.ipynb

lint: $(DEV_STAMP)
	$(BIN)/ruff check .

# pytest exits 5 when it collected nothing: that is a failure here, as is any other non-zero status.
test: $(DEV_STAMP) $(HUB_STAMP) $(LAB_OVERRIDES)
	$(BIN)/ruff check .
	$(BIN)/python tests/run_sessions.py

bench: $(DEV_STAMP)
	$(BIN)/python -m pytest benchmarks -p no:nbval --benchmark-only -o addopts="" -q
	$(BIN)/python benchmarks/grade_class.py --repeat 5

release: $(RUNTIME_STAMP)
	$(BIN)/python -m interview_lab release

grade: $(RUNTIME_STAMP)
	$(BIN)/python -m interview_lab grade $(ASSIGNMENT) --jobs $(JOBS) $(GRADE_FLAGS)

feedback: $(RUNTIME_STAMP)
	$(BIN)/python -m interview_lab feedback $(ASSIGNMENT)

report: $(RUNTIME_STAMP)
	$(BIN)/python -m interview_lab report $(ASSIGNMENT)

# LMS=canvas|moodle; ROSTER: the roster CSV downloaded from the LMS (see the README).
export: $(RUNTIME_STAMP)
	$(BIN)/python -m interview_lab export $(ASSIGNMENT) --lms "$(LMS)" --roster "$(ROSTER)"

collect-zip: $(RUNTIME_STAMP)
	$(BIN)/python -m interview_lab collect-zip $(ASSIGNMENT) "$(ZIP)" --lms "$(LMS)" --roster "$(ROSTER)" \
	  $(if $(TIMESTAMPS),--timestamps "$(TIMESTAMPS)",)

learner-copy: $(RUNTIME_STAMP)
	$(BIN)/python -m interview_lab learner-copy "$(DEST)"

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .benchmarks artifacts deploy/jupyterhub/node_modules
