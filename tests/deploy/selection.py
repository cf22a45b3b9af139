"""Reading rendered manifests: objects by kind, label selectors, pod templates, and which
NetworkPolicies apply to a pod."""

from collections.abc import Iterator
from typing import Any

from tests.deploy.rendering import Manifest

WORKLOAD_KINDS = ("Deployment", "Job")


def of_kind(manifests: list[Manifest], kind: str) -> list[Manifest]:
    return [m for m in manifests if m["kind"] == kind]


def named(manifests: list[Manifest], kind: str, name: str) -> Manifest:
    found = [m for m in of_kind(manifests, kind) if m["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind}/{name}, found {len(found)}"
    return found[0]


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """A LabelSelector against labels. The manifests only use matchLabels: anything else is flagged."""
    assert set(selector) <= {"matchLabels"}, f"selector form not handled by these tests: {selector}"
    return all(labels.get(key) == value for key, value in selector.get("matchLabels", {}).items())


def pod_labels(workload: Manifest) -> dict[str, str]:
    return workload["spec"]["template"]["metadata"]["labels"]


def pod_spec(workload: Manifest) -> dict[str, Any]:
    return workload["spec"]["template"]["spec"]


def containers(workload: Manifest) -> list[dict[str, Any]]:
    return pod_spec(workload)["containers"]


def env_of(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["name"]: entry for entry in container.get("env", [])}


def policies_for(manifests: list[Manifest], labels: dict[str, str], direction: str) -> list[Manifest]:
    """The NetworkPolicies of `direction` (Ingress or Egress) whose podSelector picks a pod with these labels."""
    return [
        policy
        for policy in of_kind(manifests, "NetworkPolicy")
        if direction in policy["spec"].get("policyTypes", []) and selects(policy["spec"]["podSelector"], labels)
    ]


def rules(policies: list[Manifest], direction: str) -> Iterator[dict[str, Any]]:
    key = "ingress" if direction == "Ingress" else "egress"
    for policy in policies:
        yield from policy["spec"].get(key, [])


def peers(rule: dict[str, Any], direction: str) -> list[dict[str, Any]]:
    """A rule's peers; a rule without any allows every source or destination, shown as {"everyone": True}."""
    listed = rule.get("from" if direction == "Ingress" else "to")
    return listed if listed else [{"everyone": True}]


def ports(rule: dict[str, Any]) -> set[int] | None:
    """The rule's TCP/UDP port numbers; None when the rule allows every port."""
    return {entry["port"] for entry in rule["ports"]} if rule.get("ports") else None


def namespace_of(peer: dict[str, Any]) -> str | None:
    """The namespace a peer names by kubernetes.io/metadata.name; None for a peer inside our namespace."""
    if "namespaceSelector" not in peer:
        return None
    return peer["namespaceSelector"].get("matchLabels", {}).get("kubernetes.io/metadata.name", "*")
