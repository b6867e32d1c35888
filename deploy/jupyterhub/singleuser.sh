#!/bin/sh
# Starts one user's JupyterLab on the workshop hub. JupyterHub's local spawner has already
# switched to the user's Linux account, so everything here runs as the user, never as root.
set -eu

# Learners keep their files private (0077); the staff share the course folder through their
# group, so their servers create group-writable files (0002). The hub sets which.
umask "${INTERVIEW_LAB_UMASK:-0077}"

# A learner's first start copies the learner's edition (no solutions, hidden tests or hidden
# inputs) into their home; later starts keep their work untouched. The copy is made under a
# temporary name and renamed, so an interrupted start never leaves half a course behind.
if [ -n "${INTERVIEW_LAB_EDITION:-}" ] && [ -n "${JUPYTERHUB_ROOT_DIR:-}" ] && [ ! -e "$JUPYTERHUB_ROOT_DIR" ]; then
    partial="$JUPYTERHUB_ROOT_DIR.partial.$$"
    cp -R "$INTERVIEW_LAB_EDITION" "$partial"
    chmod -R u+w "$partial"
    mv "$partial" "$JUPYTERHUB_ROOT_DIR"
fi

# Work from the folder the server shows: nbgrader's assignment list fetches into the server's
# working folder, so it must be the learner's course folder, not the home around it.
if [ -n "${JUPYTERHUB_ROOT_DIR:-}" ]; then
    cd "$JUPYTERHUB_ROOT_DIR"
fi

exec "$(dirname "$0")/../venv/bin/jupyterhub-singleuser" "$@"
