#!/bin/sh
# Install or upgrade the DevOps Interview Lab hub on Kubernetes with the Zero to JupyterHub
# chart (needs helm and kubectl pointed at the cluster). Usage: deploy/z2jh/install.sh [NAMESPACE]
set -eu

# The chart release and the JupyterHub it runs in the hub pod (the chart's changelog): the
# single-user image's jupyterhub pin (deploy/jupyterhub/requirements.txt) is of the same series.
CHART_VERSION=4.4.0
CHART_JUPYTERHUB=5.5.0

namespace="${1:-jhub}"
here="$(cd "$(dirname "$0")" && pwd)"

helm repo add jupyterhub https://hub.jupyter.org/helm-chart/ >/dev/null
helm repo update jupyterhub >/dev/null
helm upgrade --install jhub jupyterhub/jupyterhub --namespace "$namespace" --create-namespace \
    --version "$CHART_VERSION" --values "$here/values.yaml" --wait
kubectl apply --namespace "$namespace" -f "$here/formgrader.yaml"
echo "hub: chart $CHART_VERSION (JupyterHub $CHART_JUPYTERHUB) in namespace $namespace"
