#!/bin/sh
# Kubernetes entry point of a learner's (or the grader's) pod. The pod starts as root only
# to create the hub user's account with a uid of its own (WORKSHOP_UID, from the hub), so
# that nbgrader's exchange keeps learners apart by Unix permissions as on one machine, and
# then runs the single-user server as that account with no privileges left.
set -eu

name="${JUPYTERHUB_USER:?the hub sets JUPYTERHUB_USER}"
uid="${WORKSHOP_UID:?the hub sets WORKSHOP_UID}"
gid="${WORKSHOP_GID:-100}"
home="${WORKSHOP_HOME:-/home/learner}"

getent group "$gid" >/dev/null || groupadd --gid "$gid" learners
if ! getent passwd "$name" >/dev/null; then
    useradd --badname --uid "$uid" --gid "$gid" --home-dir "$home" --no-create-home --shell /bin/bash "$name"
fi
# Staff (instructors, the grader) share the course's exchange folders through one group.
if [ -n "${WORKSHOP_STAFF_GID:-}" ]; then
    getent group "$WORKSHOP_STAFF_GID" >/dev/null || groupadd --gid "$WORKSHOP_STAFF_GID" course-staff
    usermod --append --groups "$WORKSHOP_STAFF_GID" "$name"
fi
mkdir -p "$home"
chown "$uid:$gid" "$home"
chmod 0700 "$home"

cd "$home"
exec setpriv --reuid="$uid" --regid="$gid" --init-groups --inh-caps=-all --bounding-set=-all \
    env HOME="$home" USER="$name" LOGNAME="$name" /opt/interview-lab/bin/interview-lab-singleuser "$@"
