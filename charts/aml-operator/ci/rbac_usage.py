"""Holds the chart's RBAC to what the controller does: the union of the permissions the operator
exercised in the end-to-end tests (files written by the test harness from the Kubernetes
emulator's audit trail) must equal what the rendered default mode grants — nothing missing,
nothing unused.

usage: rbac_usage.py USAGE_DIR RENDERED_MODE_DIR
"""
import json
import sys
from pathlib import Path

import yaml


def granted(mode_dir: Path) -> set[tuple[str, str, str]]:
    out = set()
    for path in sorted(mode_dir.glob("*.yaml")):
        obj = yaml.safe_load(path.read_text())
        if not obj or obj.get("kind") not in ("ClusterRole", "Role"):
            continue
        for rule in obj.get("rules", []):
            for group in rule.get("apiGroups", []):
                for resource in rule.get("resources", []):
                    for verb in rule.get("verbs", []):
                        out.add((group, resource, verb))
    return out


def used(usage_dir: Path) -> set[tuple[str, str, str]]:
    out = set()
    for path in sorted(usage_dir.glob("*.json")):
        for entry in json.loads(path.read_text()):
            out.add((entry["apiGroup"], entry["resource"], entry["verb"]))
    return out


# Granted for the apiserver's admission, which the Kubernetes emulator does not model and so no
# audit trail shows: OwnerReferencesPermissionEnforcement lets the controller set
# blockOwnerDeletion on the keys Secret's owner reference only with update on the owner's finalizers.
ADMISSION_ONLY = {("aml-operator.io", "onlineendpoints/finalizers", "update")}


def main() -> int:
    usage_dir, mode_dir = Path(sys.argv[1]), Path(sys.argv[2])
    have = granted(mode_dir)
    need = used(usage_dir)
    if not need:
        print(f"FAIL no RBAC usage recorded in {usage_dir} (run the end-to-end tests first)")
        return 1
    missing = sorted(need - have)
    unused = sorted(have - need - ADMISSION_ONLY)
    show = lambda rows: "\n".join(f"  {g or 'core'} {r} {v}" for g, r, v in rows)
    if missing:
        print(f"FAIL the controller uses permissions the chart does not grant:\n{show(missing)}")
    if unused:
        print(f"FAIL the chart grants permissions no end-to-end test exercised:\n{show(unused)}")
    if missing or unused:
        return 1
    print(f"RBAC matches usage: {len(need)} (group, resource, verb) permissions, from {len(list(usage_dir.glob('*.json')))} tests")
    return 0


if __name__ == "__main__":
    sys.exit(main())
