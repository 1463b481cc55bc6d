#!/usr/bin/env bash
# CI check of the aml-operator Helm chart, offline (no cluster, no helm binary):
#   1. the chart's crds/ are byte-identical to the generated CRDs in the repository's crds/;
#   2. helm lint (strict) and helm template of every mode in ci/values/, with the checks of
#      ci/render.py on what each mode renders, and the schema refusing bad values;
#   3. kubernetes-validate --strict of every rendered object and CRD against the oldest and the
#      newest Kubernetes the chart supports.
# Installs what it needs itself (pinned PyPI packages in a venv under target/). Environment:
#   CHART_CHECK_VENV  venv to use or create (default: <repo>/target/chart-check-venv)
#   CHART_CHECK_OUT   where rendered manifests go (default: a temporary directory)
#   RBAC_USAGE_DIR    permissions the e2e tests recorded (target/rbac-usage): the rendered RBAC
#                     must grant exactly those
set -euo pipefail

HELM_PYTHON_SDK_VERSION=0.2.2       # embeds Helm v4 (libhelm_c)
KUBERNETES_VALIDATE_VERSION=1.37.0  # schemas for Kubernetes 1.25-1.37
KUBE_VERSIONS=(1.30.0 1.37.0)       # Chart.yaml kubeVersion floor, and the newest schemas

ci_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
chart_dir=$(dirname "$ci_dir")
repo_dir=$(cd "$chart_dir/../.." && pwd)
venv=${CHART_CHECK_VENV:-$repo_dir/target/chart-check-venv}
if [ -n "${CHART_CHECK_OUT:-}" ]; then
  out=$CHART_CHECK_OUT
  mkdir -p "$out"
else
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
fi

echo "== chart: CRDs in sync with crds/"
drift=0
for generated in "$repo_dir"/crds/*.yaml; do
  copy="$chart_dir/crds/$(basename "$generated")"
  if ! cmp -s "$generated" "$copy"; then
    echo "FAIL $copy differs from $generated (run: cp crds/*.yaml charts/aml-operator/crds/)"
    drift=1
  fi
done
for copy in "$chart_dir"/crds/*; do
  if [ ! -e "$repo_dir/crds/$(basename "$copy")" ]; then
    echo "FAIL $copy has no generated counterpart in crds/"
    drift=1
  fi
done
[ "$drift" -eq 0 ] || exit 1

echo "== chart: tools (helm-python-sdk $HELM_PYTHON_SDK_VERSION, kubernetes-validate $KUBERNETES_VALIDATE_VERSION)"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  "helm-python-sdk==$HELM_PYTHON_SDK_VERSION" "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"

echo "== chart: lint, schema and render of each mode (output in $out)"
rm -rf "${out:?}"/*
"$venv/bin/python" "$ci_dir/render.py" "$chart_dir" "$out"

if [ -n "${RBAC_USAGE_DIR:-}" ]; then
  echo "== chart: RBAC equals what the controller used in the end-to-end tests ($RBAC_USAGE_DIR)"
  "$venv/bin/python" "$ci_dir/rbac_usage.py" "$RBAC_USAGE_DIR" "$out/default"
fi

echo "== chart: kubernetes-validate --strict (Kubernetes ${KUBE_VERSIONS[*]})"
version_args=()
for v in "${KUBE_VERSIONS[@]}"; do version_args+=(-k "$v"); done
mapfile -t manifests < <(find "$out" -name '*.yaml' | sort)
report=$("$venv/bin/kubernetes-validate" --strict --quiet "${version_args[@]}" "${manifests[@]}") || {
  echo "$report"
  echo "FAIL rendered manifests do not validate"
  exit 1
}
# Only the ServiceMonitor (a prometheus-operator CRD) has no bundled schema; render.py checks it.
unexpected=$(printf '%s\n' "$report" | grep -v '^$' | grep -v 'servicemonitor' || true)
if [ -n "$unexpected" ]; then
  echo "$unexpected"
  echo "FAIL kubernetes-validate could not check some objects"
  exit 1
fi
echo "validated ${#manifests[@]} manifests"
echo "chart check passed"
