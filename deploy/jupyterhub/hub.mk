# Workshop hub: JupyterHub with real Linux users and nbgrader (included by the Makefile).
# Uses the Makefile's VENV, BIN, PYTHON and RUNTIME_STAMP.
HUB_DIR    := deploy/jupyterhub
HUB_STAMP  := $(VENV)/.stamp-hub
LEARNERS   ?=
CLASS_LIST ?=

.PHONY: hub hub-stop hub-learners

# The hub's pinned requirements go into .venv (its tests and the PostgreSQL gradebook need
# them there), configurable-http-proxy into deploy/jupyterhub/node_modules from the lock file.
# As root, the workshop environment the learners' servers run from is built too
# (/opt/interview-lab by default: a clone under /root is unreadable for learners).
$(HUB_STAMP): $(RUNTIME_STAMP) $(HUB_DIR)/requirements.txt $(HUB_DIR)/package.json $(HUB_DIR)/package-lock.json
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r $(HUB_DIR)/requirements.txt
	@# Without npm the hub cannot run: its tests then skip with that reason (CI installs npm and
	@# requires them); the stamp is left out so a later run installs the proxy once npm is there.
	@if command -v npm >/dev/null 2>&1; then \
	  (cd $(HUB_DIR) && npm ci --no-audit --no-fund --loglevel=error) && \
	  if [ "$$(id -u)" = 0 ]; then $(BIN)/python $(HUB_DIR)/workshop.py install; fi && \
	  touch $@; \
	else echo "npm not found: the workshop hub tests will skip (apt-get install nodejs npm, Node.js 18+)"; fi

# A trial on 127.0.0.1 (SQLite for the hub and the gradebook); prints the URL and how to add learners.
hub: $(HUB_STAMP)
	@if [ "$$(id -u)" != 0 ]; then echo "make hub needs root: it creates Linux accounts and starts each learner's server as that account (sudo make hub)"; exit 2; fi
	$(BIN)/python $(HUB_DIR)/workshop.py up

# Stops the hub, which stops its proxy, the formgrader and every learner's server.
hub-stop:
	@$(if $(wildcard $(BIN)/python),$(BIN)/python,$(PYTHON)) $(HUB_DIR)/workshop.py stop

# make hub-learners LEARNERS="ada grace"   or   make hub-learners CLASS_LIST=class.txt
hub-learners: $(HUB_STAMP)
	$(BIN)/python $(HUB_DIR)/workshop.py add-learners $(LEARNERS) $(if $(CLASS_LIST),--class-list "$(CLASS_LIST)")
