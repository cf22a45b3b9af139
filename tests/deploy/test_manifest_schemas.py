"""Every object of every overlay is valid offline (built-in kinds against Kubernetes' schemas, operator
kinds against their vendored CRD schemas), and a broken manifest or overlay makes these checks fail."""

import copy
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.deploy.rendering import (
    K8S,
    OVERLAYS,
    KubectlMissingError,
    Manifest,
    RenderError,
    kubectl,
    overlay,
    render,
)
from tests.deploy.schemas import InvalidManifestError, crd_schemas, validate

OPERATOR_KINDS = {
    ("keda.sh/v1alpha1", "ScaledObject"),
    ("keda.sh/v1alpha1", "TriggerAuthentication"),
    ("rabbitmq.com/v1beta1", "RabbitmqCluster"),
    ("postgresql.cnpg.io/v1", "Cluster"),
    ("monitoring.coreos.com/v1", "PrometheusRule"),
}


def first(manifests: list[Manifest], kind: str, name: str | None = None) -> Manifest:
    return next(m for m in manifests if m["kind"] == kind and (name is None or m["metadata"]["name"] == name))


@pytest.mark.parametrize("name", OVERLAYS)
def test_every_object_of_the_overlay_is_valid(rendered: dict[str, list[Manifest]], name: str) -> None:
    manifests = rendered[name]
    problems = []
    for manifest in manifests:
        try:
            validate(manifest)
        except InvalidManifestError as error:
            problems.append(str(error))
    assert not problems, "\n".join(problems)
    kinds = {(m["apiVersion"], m["kind"]) for m in manifests}
    # The operator kinds really went through their CRD schemas (not silently skipped).
    assert kinds >= OPERATOR_KINDS
    assert set(crd_schemas()) >= OPERATOR_KINDS


@pytest.mark.parametrize(
    ("kind", "name", "breakage"),
    [
        # built-in kinds, checked by kubernetes-validate
        ("Deployment", "appointments", lambda m: m["spec"].update(replicas="two")),
        ("Deployment", "gateway", lambda m: m["spec"].pop("selector")),
        ("Deployment", "accounts", lambda m: m["spec"]["template"]["spec"]["containers"][0].update(readinessprobe={})),
        ("HorizontalPodAutoscaler", "gateway", lambda m: m["spec"].update(minReplicas="2")),
        ("NetworkPolicy", "default-deny-ingress", lambda m: m["spec"].update(policyTypes="Ingress")),
        # operator kinds, checked against the vendored CRD schemas
        ("RabbitmqCluster", "clinic-broker", lambda m: m["spec"].update(replicas="three")),
        ("RabbitmqCluster", "clinic-broker", lambda m: m["spec"]["rabbitmq"].update(additionalPlugins="prometheus")),
        ("ScaledObject", "notifications", lambda m: m["spec"].pop("triggers")),
        ("ScaledObject", "accounts", lambda m: m["spec"].update(minReplicas=1)),
        ("TriggerAuthentication", "clinic-broker", lambda m: m["spec"]["secretTargetRef"][0].pop("key")),
        ("Cluster", "appointments-db", lambda m: m["spec"].update(instances=0)),
        ("Cluster", "accounts-db", lambda m: m["spec"].update(primaryUpdateStrategy="sometimes")),
        ("Cluster", "verification-db", lambda m: m["spec"]["bootstrap"]["initdb"].update(database=["verification"])),
        ("PrometheusRule", "clinic-alerts", lambda m: m["spec"]["groups"][0]["rules"][0].update({"for": "5 minutes"})),
        ("PrometheusRule", "clinic-alerts", lambda m: m["spec"]["groups"][0]["rules"][0].pop("expr")),
        ("PrometheusRule", "clinic-alerts", lambda m: m["spec"]["groups"][0].update(rule=[])),
    ],
)
def test_a_broken_manifest_is_refused(
    rendered: dict[str, list[Manifest]], kind: str, name: str, breakage: Callable[[Manifest], object]
) -> None:
    manifest = copy.deepcopy(first(rendered["prod"], kind, name))
    validate(manifest)  # valid as rendered...
    breakage(manifest)
    with pytest.raises(InvalidManifestError, match=f"{kind}/{name}"):  # ...and refused once broken
        validate(manifest)


def test_an_unknown_kind_is_refused() -> None:
    manifest = {"apiVersion": "example.org/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {}}
    with pytest.raises(InvalidManifestError, match="no schema"):
        validate(manifest)


@pytest.fixture
def k8s_copy(tmp_path: Path) -> Path:
    copied = tmp_path / "k8s"
    shutil.copytree(K8S, copied)
    return copied


def test_a_broken_base_fails_the_rendered_overlay(k8s_copy: Path) -> None:
    broker = k8s_copy / "base" / "broker.yaml"
    text = broker.read_text()
    assert "  replicas: 1\n" in text
    broker.write_text(text.replace("  replicas: 1\n", "  replicas: one\n", 1))
    # prod patches replicas back to 3: break a field it does not patch as well.
    broker.write_text(broker.read_text().replace("terminationGracePeriodSeconds: 604800", "terminationGrace: 604800"))
    manifests = render(overlay("dev", k8s_copy))
    with pytest.raises(InvalidManifestError, match="RabbitmqCluster/clinic-broker"):
        validate(first(manifests, "RabbitmqCluster"))
    with pytest.raises(InvalidManifestError, match="terminationGrace"):
        validate(first(render(overlay("prod", k8s_copy)), "RabbitmqCluster"))


def test_an_overlay_that_does_not_build_fails(k8s_copy: Path) -> None:
    (k8s_copy / "base" / "network-policies.yaml").unlink()
    with pytest.raises(RenderError, match=re.escape("network-policies.yaml")):
        render(overlay("prod", k8s_copy))


def test_without_kubectl_the_tests_fail_saying_how_to_install_it(tmp_path: Path) -> None:
    with pytest.raises(KubectlMissingError, match=re.escape("scripts/ensure-kubectl.sh")):
        kubectl(search_path=str(tmp_path))


def test_the_prod_secrets_template_is_valid() -> None:
    template = K8S / "overlays" / "prod" / "secrets.template.yaml"
    secrets = [doc for doc in yaml.safe_load_all(template.read_text()) if doc]
    assert {s["metadata"]["name"] for s in secrets} == {"clinic-secrets", "clinic-jwt", "gateway-tls"}
    for secret in secrets:
        validate(secret)
