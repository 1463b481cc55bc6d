"""Lints and renders the aml-operator chart in each of its modes, offline, and checks what the
rendered manifests promise (least-privilege RBAC, hardened pod, the binary's flags). Writes every
rendered object to OUT/<mode>/ for kubernetes-validate. Exits non-zero on the first broken mode
after reporting every failure.

usage: python render.py CHART_DIR OUT_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

import helm_python as helm
import yaml

RELEASE = "aml-operator"
NAMESPACE = "aml-system"
WORK_RESOURCES = ["workspaces", "onlineendpoints", "onlinedeployments"]
SECRETS_RULE = (("",), ("secrets",), ("get", "create", "update", "patch"))
# credential.workloadIdentity.serviceAccountName: a TokenRequest for the namespace's ServiceAccount.
TOKEN_RULE = (("",), ("serviceaccounts/token",), ("create",))
# What a tenant namespace's Role holds (and the work rules, where Secrets are granted).
CREDENTIAL_RULES = [SECRETS_RULE, TOKEN_RULE]
EXPECTED_WORK_RULES = [
    (("aml-operator.io",), tuple(WORK_RESOURCES), ("list", "watch", "patch")),
    (("aml-operator.io",), tuple(f"{r}/status" for r in WORK_RESOURCES), ("patch",)),
    (("aml-operator.io",), ("onlineendpoints/finalizers",), ("update",)),
    SECRETS_RULE,
    TOKEN_RULE,
    (("events.k8s.io",), ("events",), ("create", "patch")),
]

# Cluster mode only: the admin's grants are annotations on Namespaces.
EXPECTED_CLUSTER_RULES = [
    (("",), ("namespaces",), ("get",)),
]

# Values the schema must refuse, with what each one gets wrong.
INVALID_VALUES = {
    "unknown cloud": {"azure": {"cloud": "AzureGermanCloud"}},
    "log format": {"log": {"format": "xml"}},
    "log level": {"log": {"level": "verbose"}},
    "client id not a GUID": {"azure": {"workloadIdentity": {"clientId": "my-identity"}}},
    "sync interval not a duration": {"controller": {"syncInterval": "ten minutes"}},
    "concurrency zero": {"controller": {"concurrency": 0}},
    "namespace not a DNS label": {"controller": {"watchNamespace": "ML_Prod"}},
    "unknown top-level key": {"replicas": 3},
    "two replicas without leader election": {"replicaCount": 2, "controller": {"leaderElection": {"enabled": False}}},
    "tenant namespace not a DNS label": {"rbac": {"tenantNamespaces": ["Team_A"]}},
    "tenant namespace listed twice": {"rbac": {"tenantNamespaces": ["team-a", "team-a"]}},
    "tenant namespace not a string": {"rbac": {"tenantNamespaces": [7]}},
    "tenant namespaces in namespace mode": {"controller": {"watchNamespace": "ml-prod"}, "rbac": {"tenantNamespaces": ["team-a"]}},
}

# ci/values/tenants.yaml: the namespaces the admin lists in rbac.tenantNamespaces.
TENANT_NAMESPACES = ["team-a", "team-b"]
SERVICE_ACCOUNT_SUBJECT = {"kind": "ServiceAccount", "name": "aml-operator", "namespace": NAMESPACE}


class Failures:
    def __init__(self) -> None:
        self.items: list[str] = []

    def check(self, ok: bool, what: str) -> None:
        if not ok:
            self.items.append(what)


def objects(manifests: dict[str, str]) -> list[dict]:
    found = []
    for name, text in sorted(manifests.items()):
        if name.endswith("NOTES.txt"):
            continue
        for doc in yaml.safe_load_all(text):
            if doc:
                found.append(doc)
    return found


def normalise(rules: list[dict]) -> list[tuple]:
    return [
        (tuple(r.get("apiGroups", [])), tuple(r.get("resources", [])), tuple(r.get("verbs", [])))
        for r in rules
    ]


def by_kind(objs: list[dict], kind: str) -> list[dict]:
    return [o for o in objs if o["kind"] == kind]


def check_pod(f: Failures, mode: str, deployment: dict, want_args: list[str], unwanted: list[str]) -> None:
    pod = deployment["spec"]["template"]
    spec = pod["spec"]
    f.check(pod["metadata"]["labels"].get("azure.workload.identity/use") == "true",
            f"{mode}: pod lacks the label azure.workload.identity/use: \"true\"")
    f.check(spec["securityContext"].get("runAsNonRoot") is True, f"{mode}: pod may run as root")
    f.check(spec["securityContext"].get("seccompProfile", {}).get("type") == "RuntimeDefault",
            f"{mode}: pod seccomp is not RuntimeDefault")
    (container,) = spec["containers"]
    sc = container["securityContext"]
    f.check(sc.get("allowPrivilegeEscalation") is False, f"{mode}: privilege escalation allowed")
    f.check(sc.get("readOnlyRootFilesystem") is True, f"{mode}: root filesystem writable")
    f.check(sc.get("capabilities", {}).get("drop") == ["ALL"], f"{mode}: capabilities not all dropped")
    f.check(sc.get("runAsNonRoot") is True, f"{mode}: container may run as root")
    f.check(container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "admin"},
            f"{mode}: liveness probe is not /healthz on the admin port")
    f.check(container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "admin"},
            f"{mode}: readiness probe is not /readyz on the admin port")
    f.check(container["ports"][0]["containerPort"] == 8080, f"{mode}: admin port is not 8080")
    requests = container["resources"].get("requests", {})
    f.check(requests.get("cpu") == "100m" and requests.get("memory") == "96Mi",
            f"{mode}: resource requests are not the measured 100m/96Mi")
    f.check(container["resources"].get("limits", {}).get("memory") == "256Mi",
            f"{mode}: memory limit is not 256Mi")
    args = container["args"]
    f.check(args[0] == "run", f"{mode}: first argument is not the run subcommand: {args}")
    for arg in want_args:
        f.check(arg in args, f"{mode}: argument {arg} missing from {args}")
    for prefix in unwanted:
        f.check(not any(a.startswith(prefix) for a in args), f"{mode}: unexpected argument {prefix} in {args}")


def check_default(f: Failures, objs: list[dict]) -> None:
    mode = "default"
    (deployment,) = by_kind(objs, "Deployment")
    f.check(deployment["spec"]["replicas"] == 2, f"{mode}: replicas is not 2")
    f.check(deployment["spec"]["strategy"]["type"] == "RollingUpdate",
            f"{mode}: with leader election the rollout is RollingUpdate")
    check_pod(f, mode, deployment, [
        "--concurrency=4", "--sync-interval=10m", "--admin-addr=0.0.0.0:8080", "--log-format=json",
        "--log-level=info", "--cloud=AzureCloud", "--leader-election",
        f"--lease-namespace={NAMESPACE}", "--lease-name=aml-operator",
    ], ["--namespace="])
    (cluster_role,) = by_kind(objs, "ClusterRole")
    f.check(normalise(cluster_role["rules"]) == EXPECTED_WORK_RULES + EXPECTED_CLUSTER_RULES,
            f"{mode}: ClusterRole rules differ from least privilege: {cluster_role['rules']}")
    f.check(len(by_kind(objs, "ClusterRoleBinding")) == 1, f"{mode}: no ClusterRoleBinding")
    (lease_role,) = by_kind(objs, "Role")
    f.check(lease_role["metadata"]["namespace"] == NAMESPACE, f"{mode}: lease Role outside the release namespace")
    f.check(normalise(lease_role["rules"]) == [
        (("coordination.k8s.io",), ("leases",), ("get", "patch")),
        (("coordination.k8s.io",), ("leases",), ("create",)),
    ], f"{mode}: lease Role rules: {lease_role['rules']}")
    f.check(lease_role["rules"][0].get("resourceNames") == ["aml-operator"], f"{mode}: lease get/patch not limited to its name")
    (sa,) = by_kind(objs, "ServiceAccount")
    f.check(sa["metadata"].get("annotations", {}).get("azure.workload.identity/client-id")
            == "11111111-2222-3333-4444-555555555555", f"{mode}: ServiceAccount lacks the client-id annotation")
    (pdb,) = by_kind(objs, "PodDisruptionBudget")
    f.check(pdb["spec"]["minAvailable"] == 1, f"{mode}: PDB minAvailable is not 1")
    (policy,) = by_kind(objs, "NetworkPolicy")
    egress = policy["spec"]["egress"]
    ports = sorted({(p["port"], p["protocol"]) for rule in egress for p in rule["ports"]})
    f.check(ports == [(53, "TCP"), (53, "UDP"), (443, "TCP")], f"{mode}: NetworkPolicy egress ports {ports}")
    f.check(not by_kind(objs, "ServiceMonitor"), f"{mode}: ServiceMonitor rendered while disabled")
    for obj in objs:
        if obj["kind"] not in ("ClusterRole", "ClusterRoleBinding"):
            f.check(obj["metadata"].get("namespace") == NAMESPACE,
                    f"{mode}: {obj['kind']}/{obj['metadata']['name']} is not in {NAMESPACE}")


def check_namespaced(f: Failures, objs: list[dict]) -> None:
    mode = "namespaced"
    f.check(not by_kind(objs, "ClusterRole") and not by_kind(objs, "ClusterRoleBinding"),
            f"{mode}: cluster-wide RBAC rendered in namespace mode")
    roles = {(r["metadata"]["namespace"], r["metadata"]["name"]): r for r in by_kind(objs, "Role")}
    work = roles.get(("ml-prod", "aml-operator"))
    f.check(work is not None and normalise(work["rules"]) == EXPECTED_WORK_RULES,
            f"{mode}: no least-privilege Role in ml-prod: {sorted(roles)}")
    f.check(("aml-system", "aml-operator-leader-election") in roles, f"{mode}: no lease Role in the release namespace")
    bindings = {(b["metadata"]["namespace"], b["metadata"]["name"]): b for b in by_kind(objs, "RoleBinding")}
    binding = bindings.get(("ml-prod", "aml-operator"))
    f.check(binding is not None and binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "aml-operator", "namespace": NAMESPACE}
    ], f"{mode}: ml-prod RoleBinding does not bind the release's ServiceAccount")
    (deployment,) = by_kind(objs, "Deployment")
    check_pod(f, mode, deployment, [
        "--namespace=ml-prod", "--cloud=AzureChinaCloud", "--log-format=text", "--log-level=debug",
        "--sync-interval=5m", "--concurrency=8", "--leader-election",
    ], [])
    image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
    f.check(image.endswith("@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"),
            f"{mode}: image digest not used: {image}")
    (sa,) = by_kind(objs, "ServiceAccount")
    f.check(sa["metadata"]["annotations"].get("azure.workload.identity/tenant-id")
            == "66666666-7777-8888-9999-000000000000", f"{mode}: tenant-id annotation missing")
    (monitor,) = by_kind(objs, "ServiceMonitor")
    f.check(monitor["apiVersion"] == "monitoring.coreos.com/v1" and monitor["spec"]["endpoints"][0]["port"] == "admin"
            and monitor["spec"]["endpoints"][0]["path"] == "/metrics", f"{mode}: ServiceMonitor does not scrape admin /metrics")
    f.check(monitor["metadata"]["labels"].get("release") == "kube-prometheus-stack", f"{mode}: ServiceMonitor labels")
    (policy,) = by_kind(objs, "NetworkPolicy")
    cidrs = [peer["ipBlock"]["cidr"] for rule in policy["spec"]["egress"] for peer in rule["to"] if "ipBlock" in peer]
    f.check("10.224.0.4/32" in cidrs, f"{mode}: API server CIDR not allowed: {cidrs}")
    f.check(policy["spec"]["ingress"][0].get("from") == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
    ], f"{mode}: metrics ingress not limited to the monitoring namespace")


def grants_secrets(rule: dict) -> bool:
    return (bool({"", "*"} & set(rule.get("apiGroups", [])))
            and bool({"secrets", "*"} & set(rule.get("resources", []))))


def check_tenants(f: Failures, objs: list[dict]) -> None:
    mode = "tenants"
    secrets_name = f"{RELEASE}-secrets"
    (deployment,) = by_kind(objs, "Deployment")
    check_pod(f, mode, deployment, [
        "--concurrency=4", "--cloud=AzureCloud", "--leader-election", f"--lease-namespace={NAMESPACE}",
    ], ["--namespace="])
    # The ClusterRole: every work rule but Secrets and ServiceAccount tokens, and Namespaces get.
    cluster_roles = by_kind(objs, "ClusterRole")
    f.check(len(cluster_roles) == 1, f"{mode}: {len(cluster_roles)} ClusterRoles, want 1")
    for cluster_role in cluster_roles:
        f.check(normalise(cluster_role["rules"])
                == [r for r in EXPECTED_WORK_RULES if r not in CREDENTIAL_RULES] + EXPECTED_CLUSTER_RULES,
                f"{mode}: ClusterRole rules are not the work rules without Secrets and tokens: {cluster_role['rules']}")
    cluster_bindings = by_kind(objs, "ClusterRoleBinding")
    f.check(len(cluster_bindings) == 1 and cluster_bindings[0]["subjects"] == [SERVICE_ACCOUNT_SUBJECT]
            and cluster_bindings[0]["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": RELEASE},
            f"{mode}: ClusterRoleBinding does not bind the ClusterRole to the release's ServiceAccount")
    # Exactly one Secrets Role and RoleBinding per listed namespace, besides the lease's.
    roles = by_kind(objs, "Role")
    role_keys = sorted((r["metadata"]["namespace"], r["metadata"]["name"]) for r in roles)
    want_roles = sorted([(NAMESPACE, f"{RELEASE}-leader-election")] + [(ns, secrets_name) for ns in TENANT_NAMESPACES])
    f.check(role_keys == want_roles, f"{mode}: Roles {role_keys}, want {want_roles}")
    for role in roles:
        if role["metadata"]["name"] == secrets_name:
            f.check(normalise(role["rules"]) == CREDENTIAL_RULES and all(set(r) == {"apiGroups", "resources", "verbs"} for r in role["rules"]),
                    f"{mode}: Secrets Role in {role['metadata']['namespace']} is not exactly the Secrets and token verbs: {role['rules']}")
    bindings = by_kind(objs, "RoleBinding")
    binding_keys = sorted((b["metadata"]["namespace"], b["metadata"]["name"]) for b in bindings)
    f.check(binding_keys == want_roles, f"{mode}: RoleBindings {binding_keys}, want {want_roles}")
    for binding in bindings:
        if binding["metadata"]["name"] == secrets_name:
            ns = binding["metadata"]["namespace"]
            f.check(binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": secrets_name},
                    f"{mode}: Secrets RoleBinding in {ns} refers to {binding['roleRef']}")
            f.check(binding["subjects"] == [SERVICE_ACCOUNT_SUBJECT],
                    f"{mode}: Secrets RoleBinding in {ns} does not bind the release's ServiceAccount: {binding['subjects']}")
    # No Secret permission anywhere else.
    for obj in cluster_roles + roles:
        if obj["kind"] == "Role" and obj["metadata"]["name"] == secrets_name:
            continue
        where = f"{obj['kind']}/{obj['metadata']['name']}"
        f.check(not any(grants_secrets(r) for r in obj.get("rules", [])), f"{mode}: {where} grants Secrets")
    (sa,) = by_kind(objs, "ServiceAccount")
    f.check(sa["metadata"]["name"] == "aml-operator" and sa["metadata"]["namespace"] == NAMESPACE,
            f"{mode}: ServiceAccount is not aml-operator in {NAMESPACE}")
    for obj in objs:
        if obj["kind"] in ("ClusterRole", "ClusterRoleBinding"):
            continue
        allowed = {NAMESPACE} | (set(TENANT_NAMESPACES) if obj["metadata"]["name"] == secrets_name else set())
        f.check(obj["metadata"].get("namespace") in allowed,
                f"{mode}: {obj['kind']}/{obj['metadata']['name']} in {obj['metadata'].get('namespace')}, want one of {sorted(allowed)}")


def check_minimal(f: Failures, objs: list[dict]) -> None:
    mode = "minimal"
    kinds = sorted(o["kind"] for o in objs)
    f.check(kinds == ["Deployment", "Service"], f"{mode}: rendered {kinds}, want only Deployment and Service")
    (deployment,) = by_kind(objs, "Deployment")
    f.check(deployment["spec"]["template"]["spec"]["serviceAccountName"] == "aml-operator-preexisting",
            f"{mode}: existing ServiceAccount not used")
    check_pod(f, mode, deployment, ["--concurrency=4"], ["--leader-election", "--lease-", "--namespace="])
    f.check(deployment["spec"]["strategy"] == {"type": "Recreate"},
            f"{mode}: without leader election the rollout must be Recreate: {deployment['spec']['strategy']}")


CHECKS = {"default": check_default, "namespaced": check_namespaced, "minimal": check_minimal, "tenants": check_tenants}


def main() -> int:
    chart_dir, out_dir = Path(sys.argv[1]), Path(sys.argv[2])
    f = Failures()
    modes = sorted((chart_dir / "ci" / "values").glob("*.yaml"))
    f.check(sorted(p.stem for p in modes) == sorted(CHECKS), f"modes {[p.stem for p in modes]} != checks {sorted(CHECKS)}")

    with helm.Chart.load(chart_dir) as chart:
        for path in modes:
            mode = path.stem
            values = yaml.safe_load(path.read_text()) or {}
            report = helm.lint(str(chart_dir), values, strict=True, namespace=NAMESPACE)
            for message in report["messages"]:
                if message["severity"] >= 2:
                    f.items.append(f"{mode}: helm lint: {message['path']}: {message['error']}")
            for error in report.get("errors") or []:
                f.items.append(f"{mode}: helm lint: {error}")
            try:
                chart.validate_schema(values)
            except helm.HelmValuesError as e:
                f.items.append(f"{mode}: values rejected by the schema: {e}")
                continue
            manifests = chart.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)
            objs = objects(manifests)
            target = out_dir / mode
            target.mkdir(parents=True, exist_ok=True)
            for i, obj in enumerate(objs):
                (target / f"{i:02d}-{obj['kind'].lower()}-{obj['metadata']['name']}.yaml").write_text(yaml.safe_dump(obj))
            CHECKS[mode](f, objs)
            print(f"mode {mode}: rendered {len(objs)} objects")

        for label, values in INVALID_VALUES.items():
            try:
                chart.validate_schema(values)
                f.items.append(f"schema accepted invalid values ({label}): {values}")
            except helm.HelmValuesError:
                pass
        print(f"schema: refused all {len(INVALID_VALUES)} invalid value sets" if not any("schema accepted" in i for i in f.items) else "schema: some invalid values accepted")

        crd_dir = out_dir / "crds"
        crd_dir.mkdir(parents=True, exist_ok=True)
        for crd in chart.crds:
            (crd_dir / Path(crd["filename"]).name).write_text(crd["data"])

    for item in f.items:
        print(f"FAIL {item}")
    return 1 if f.items else 0


if __name__ == "__main__":
    sys.exit(main())
