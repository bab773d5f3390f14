"""deploy/k8s: manifests parse; each Deployment is probed, sized and scraped; workers <= partitions."""

from pathlib import Path
from typing import Any

import pytest
import yaml

from services.common.catalog import load_catalog
from services.common.settings import AlertSinkSettings
from services.sinks.alerts.destinations_file import load_targets
from tests.support.deploy import DEPLOY, PORTS, known_variables, load_yaml

K8S = DEPLOY / "k8s"


def _documents() -> list[dict[str, Any]]:
    documents: list[dict[str, Any]] = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name != "kustomization.yaml":
            documents.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
    return documents


def _of_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in _documents() if doc["kind"] == kind}


def _deployment(component: str) -> dict[str, Any]:
    """The workload of a component: a Deployment, or the worker's StatefulSet."""
    kind = "StatefulSet" if component == "worker" else "Deployment"
    return _of_kind(kind)[f"pagewire-{component}"]


def _container(component: str) -> dict[str, Any]:
    containers = _deployment(component)["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    container: dict[str, Any] = containers[0]
    return container


def test_kustomization_lists_every_manifest_and_nothing_else() -> None:
    listed = load_yaml(K8S / "kustomization.yaml")["resources"]
    on_disk = sorted(path.name for path in K8S.glob("*.yaml") if path.name != "kustomization.yaml")
    assert sorted(listed) == on_disk


def test_there_is_a_namespace_config_secrets_and_a_deployment_per_service() -> None:
    assert set(_of_kind("Namespace")) == {"pagewire"}
    assert set(_of_kind("ConfigMap")) == {"pagewire", "pagewire-alert-destinations"}
    assert set(_of_kind("Secret")) == {"pagewire-database", "pagewire-webhooks"}
    assert set(_of_kind("Deployment")) == {
        f"pagewire-{component}" for component in PORTS if component != "worker"
    }
    assert set(_of_kind("StatefulSet")) == {"pagewire-worker"}
    for document in _documents():
        if document["kind"] != "Namespace":
            assert document["metadata"]["namespace"] == "pagewire"


@pytest.mark.parametrize("component", sorted(PORTS))
def test_each_deployment_has_liveness_and_readiness_on_its_observability_port(component: str) -> None:
    container = _container(component)
    assert container["ports"] == [{"name": "observe", "containerPort": PORTS[component]}]
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "observe"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "observe"}
    annotations = _deployment(component)["spec"]["template"]["metadata"]["annotations"]
    assert annotations == {
        "prometheus.io/scrape": "true",
        "prometheus.io/port": str(PORTS[component]),
        "prometheus.io/path": "/metrics",
    }


@pytest.mark.parametrize("component", sorted(PORTS))
def test_each_deployment_has_requests_and_a_memory_limit_and_runs_unprivileged(component: str) -> None:
    deployment = _deployment(component)
    pod = deployment["spec"]["template"]["spec"]
    for container in [*pod["initContainers"], *pod["containers"]]:
        resources = container["resources"]
        assert set(resources["requests"]) == {"cpu", "memory"}, container["name"]
        assert "memory" in resources["limits"], container["name"]
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    labels = deployment["spec"]["selector"]["matchLabels"]
    assert labels.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()


@pytest.mark.parametrize("component", sorted(PORTS))
def test_topics_are_created_before_each_process_starts(component: str) -> None:
    (init,) = _deployment(component)["spec"]["template"]["spec"]["initContainers"]
    assert init["args"] == ["topics", "create"]
    assert init["envFrom"] == [{"configMapRef": {"name": "pagewire"}}]


def test_workers_never_outnumber_the_partitions_of_snapshots_raw() -> None:
    partitions = load_catalog().spec("snapshots.raw").partitions
    replicas = _deployment("worker")["spec"]["replicas"]
    assert 1 <= replicas <= partitions
    assert f"at most {partitions}" in (K8S / "worker.yaml").read_text()


def test_each_worker_keeps_its_tables_on_a_volume_of_its_own_and_leaves_one_at_a_time() -> None:
    worker = _deployment("worker")["spec"]
    (claim,) = worker["volumeClaimTemplates"]
    mounts = {mount["name"]: mount["mountPath"] for mount in _container("worker")["volumeMounts"]}
    state_dir = Path(_of_kind("ConfigMap")["pagewire"]["data"]["PAGEWIRE_STATE_DIR"])
    assert state_dir.is_relative_to(mounts[claim["metadata"]["name"]])
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert claim["metadata"]["name"] not in {
        volume["name"] for volume in worker["template"]["spec"]["volumes"]
    }
    service = _of_kind("Service")[worker["serviceName"]]
    assert service["spec"]["clusterIP"] == "None"
    assert service["spec"]["selector"] == worker["selector"]["matchLabels"]
    budget = _of_kind("PodDisruptionBudget")["pagewire-worker"]["spec"]
    assert (budget["maxUnavailable"], budget["selector"]) == (1, worker["selector"])
    assert worker["replicas"] >= 2  # a disruption leaves a worker to take the partitions over


def test_one_producer_polls_and_its_rollout_never_runs_two() -> None:
    producer = _deployment("producer")["spec"]
    assert (producer["replicas"], producer["strategy"]["type"]) == (1, "Recreate")
    assert "$PRODUCER_SOURCES" in " ".join(_container("producer")["command"])
    assert _of_kind("ConfigMap")["pagewire"]["data"]["PRODUCER_SOURCES"].startswith("https://")


def test_config_holds_only_real_settings_and_no_secret() -> None:
    data = _of_kind("ConfigMap")["pagewire"]["data"]
    settings = {key for key in data if key.startswith("PAGEWIRE_")}
    assert settings <= known_variables()
    assert "PAGEWIRE_DATABASE_URL" not in data
    assert not [value for value in data.values() if "@" in value or "hooks" in value]


def test_secrets_go_only_to_the_process_that_needs_them() -> None:
    storage_env = _container("storage-sink")["env"]
    assert storage_env == [
        {
            "name": "PAGEWIRE_DATABASE_URL",
            "valueFrom": {"secretKeyRef": {"name": "pagewire-database", "key": "PAGEWIRE_DATABASE_URL"}},
        }
    ]
    assert {"secretRef": {"name": "pagewire-webhooks"}} in _container("alert-sink")["envFrom"]
    for component in ("producer", "worker"):
        text = (K8S / f"{component}.yaml").read_text()
        assert "secret" not in text.lower(), component


def test_every_state_path_is_a_writable_volume_under_a_read_only_root() -> None:
    data = _of_kind("ConfigMap")["pagewire"]["data"]
    for component in PORTS:
        container = _container(component)
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        mounts = {mount["mountPath"] for mount in container["volumeMounts"]}
        assert "/tmp" in mounts
        assert any(Path(data["PAGEWIRE_STATE_DIR"]).is_relative_to(mount) for mount in mounts), component


def test_the_alert_sink_mounts_its_destinations_whose_urls_the_webhooks_secret_holds(tmp_path: Path) -> None:
    container = _container("alert-sink")
    (setting,) = [item for item in container["env"] if item["name"] == "PAGEWIRE_ALERT_DESTINATIONS"]
    path = Path(setting["value"])
    (mount,) = [item for item in container["volumeMounts"] if item["name"] == "destinations"]
    assert (mount["mountPath"], mount["readOnly"]) == (str(path.parent), True)
    volumes = {
        volume["name"]: volume for volume in _deployment("alert-sink")["spec"]["template"]["spec"]["volumes"]
    }
    config_map = _of_kind("ConfigMap")[volumes["destinations"]["configMap"]["name"]]
    # the file as the pod sees it, its URLs from the variables the webhooks Secret provides
    written = tmp_path / path.name
    written.write_text(config_map["data"][path.name])
    webhooks = _of_kind("Secret")["pagewire-webhooks"]["stringData"]
    loaded = load_targets(written, AlertSinkSettings(), webhooks)
    assert [target.name for target in loaded] == ["ops-chat"]
