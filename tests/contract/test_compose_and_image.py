"""docker-compose.yml and deploy/Dockerfile: they parse, reference files that exist and settings that do."""

import re
from pathlib import Path
from typing import Any

import pytest

from services.common.settings import AlertSinkSettings
from services.sinks.alerts.destinations_file import load_targets
from tests.support.deploy import DEPLOY, PORTS, REPO, known_variables, load_yaml

COMPOSE = REPO / "docker-compose.yml"
DOCKERFILE = DEPLOY / "Dockerfile"
PAGEWIRE_SERVICES = ("topics", *PORTS)
# Commands the image runs; `worker` and `sink` are the processes DESIGN.md names (services/cli registers them)
PAGEWIRE_COMMANDS = {"topics", "produce", "worker", "sink"}


def _compose() -> dict[str, Any]:
    parsed: dict[str, Any] = load_yaml(COMPOSE)
    return parsed


def _services() -> dict[str, Any]:
    services: dict[str, Any] = _compose()["services"]
    return services


KAFKA_NODES = ("kafka-1", "kafka-2", "kafka-3")


def _kafka_version() -> str:
    pom = (DEPLOY / "kafka" / "pom.xml").read_text()
    match = re.search(r"<kafka.version>(.+?)</kafka.version>", pom)
    assert match
    return match.group(1)


def test_the_stack_has_every_part() -> None:
    assert set(_services()) == {
        *KAFKA_NODES,
        "postgres",
        "topics",
        "producer",
        "worker",
        "storage-sink",
        "alert-sink",
        "prometheus",
        "grafana",
    }


def test_kafka_is_a_kraft_cluster_of_three_official_images_at_the_pinned_version() -> None:
    bootstrap = _services()["producer"]["environment"]["PAGEWIRE_KAFKA_BOOTSTRAP"].split(",")
    host_ports = []
    for number, name in enumerate(KAFKA_NODES, start=1):
        kafka = _services()[name]
        assert kafka["image"] == f"apache/kafka:{_kafka_version()}"
        env = kafka["environment"]
        assert (env["KAFKA_PROCESS_ROLES"], env["KAFKA_NODE_ID"]) == ("broker,controller", number)
        assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == "1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093"
        assert not [variable for variable in env if "ZOOKEEPER" in variable]
        # pagewire services reach each node on the in-network listener it advertises
        advertised = env["KAFKA_ADVERTISED_LISTENERS"].split(",")
        assert f"PLAINTEXT://{bootstrap[number - 1]}" in advertised
        host_ports += kafka["ports"]
        assert kafka["volumes"] == [f"{name}-data:/var/lib/kafka/data"]
    assert host_ports == ["9092:9092", "9094:9094", "9096:9096"]
    env = _services()["kafka-1"]["environment"]
    # one node may be down: 3 replicas, 2 in sync, for Kafka's own topics and Faust's changelogs too
    assert (env["KAFKA_DEFAULT_REPLICATION_FACTOR"], env["KAFKA_MIN_INSYNC_REPLICAS"]) == (3, 2)
    assert (env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"], env["KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"]) == (
        3,
        2,
    )


def test_workers_scale_without_sharing_state() -> None:
    worker = _services()["worker"]
    assert "volumes" not in worker  # each replica's RocksDB lives in its own container
    assert worker["environment"]["PAGEWIRE_STATE_DIR"].startswith("/var/lib/pagewire")
    assert "container_name" not in worker and "ports" not in worker  # `--scale worker=3` needs both


@pytest.mark.parametrize("name", PAGEWIRE_SERVICES)
def test_pagewire_services_build_the_one_image_and_run_a_pagewire_command(name: str) -> None:
    service = _services()[name]
    build = service["build"]
    assert (REPO / build["context"]).is_dir()
    assert (REPO / build["context"] / build["dockerfile"]).resolve() == DOCKERFILE
    assert service["image"] == "pagewire:local"
    assert service["command"][0] in PAGEWIRE_COMMANDS
    assert service["environment"]["PAGEWIRE_KAFKA_BOOTSTRAP"] == "kafka-1:19092,kafka-2:19092,kafka-3:19092"


@pytest.mark.parametrize("name", PORTS)
def test_long_running_services_wait_for_topics_and_probe_their_own_readyz(name: str) -> None:
    service = _services()[name]
    assert service["depends_on"]["topics"]["condition"] == "service_completed_successfully"
    assert f"http://127.0.0.1:{PORTS[name]}/readyz" in " ".join(service["healthcheck"]["test"])


def test_topic_creation_runs_once_after_kafka_is_healthy() -> None:
    topics = _services()["topics"]
    assert topics["depends_on"] == {name: {"condition": "service_healthy"} for name in KAFKA_NODES}
    assert (topics["restart"], topics["command"]) == ("no", ["topics", "create"])


def test_every_pagewire_variable_in_the_stack_is_a_real_setting() -> None:
    known = known_variables()
    for name in PAGEWIRE_SERVICES:
        unknown = {var for var in _services()[name]["environment"] if var.startswith("PAGEWIRE_")} - known
        assert not unknown, f"{name}: {unknown} are not settings (services/common/settings.py)"


def test_the_storage_sink_writes_to_the_compose_postgres() -> None:
    services = _services()
    url = services["storage-sink"]["environment"]["PAGEWIRE_DATABASE_URL"]
    postgres = services["postgres"]["environment"]
    assert url.startswith(f"postgresql://{postgres['POSTGRES_USER']}:")
    assert url.endswith(f"@postgres:5432/{postgres['POSTGRES_DB']}")
    assert services["storage-sink"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def _bind_mounts() -> list[tuple[str, str, str]]:
    mounts = []
    for name, service in _services().items():
        for volume in service.get("volumes", []):
            source, target = volume.split(":")[:2]
            if source.startswith("."):
                mounts.append((name, source, target))
    return mounts


def test_every_mounted_file_exists() -> None:
    mounts = _bind_mounts()
    assert len(mounts) == 5
    for service, source, _ in mounts:
        assert (REPO / source).exists(), f"{service} mounts missing {source}"


def test_prometheus_gets_its_config_and_rules_next_to_each_other() -> None:
    targets = {source: target for service, source, target in _bind_mounts() if service == "prometheus"}
    config = targets["./deploy/prometheus/prometheus.yml"]
    rules = targets["./deploy/prometheus/rules.yml"]
    assert Path(rules).parent == Path(config).parent
    rule_files = load_yaml(DEPLOY / "prometheus" / "prometheus.yml")["rule_files"]
    assert rule_files == [Path(rules).name]
    assert f"--config.file={config}" in _services()["prometheus"]["command"]


def test_the_alert_sink_reads_a_mounted_destinations_file_whose_urls_its_environment_holds() -> None:
    service = _services()["alert-sink"]
    env = service["environment"]
    targets = {target: source for name, source, target in _bind_mounts() if name == "alert-sink"}
    source = targets[env["PAGEWIRE_ALERT_DESTINATIONS"]]
    # what compose passes in once the user set the required variables (`${VAR:?message}`)
    given = {name: "https://hooks.example.com/services/T0/B0/x" for name in env if "${" in str(env[name])}
    assert given, "the webhook URL comes from the user's environment"
    loaded = load_targets(REPO / source, AlertSinkSettings(), given)
    assert [target.name for target in loaded] == ["ops-chat"]


def test_grafana_finds_its_provisioning_and_the_dashboard_where_the_provider_looks() -> None:
    targets = {source: target for service, source, target in _bind_mounts() if service == "grafana"}
    assert targets["./deploy/grafana/provisioning"] == "/etc/grafana/provisioning"
    provider = load_yaml(DEPLOY / "grafana" / "provisioning" / "dashboards" / "pagewire.yml")["providers"][0]
    assert Path(targets["./deploy/grafana/dashboard.json"]).parent == Path(provider["options"]["path"])
    datasource = load_yaml(DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml")
    assert datasource["datasources"][0]["url"] == "http://prometheus:9090"


def test_named_volumes_are_declared() -> None:
    declared = set(_compose()["volumes"])
    used = {
        volume.split(":")[0]
        for service in _services().values()
        for volume in service.get("volumes", [])
        if not volume.startswith(".")
    }
    assert used == declared


def _instructions() -> list[tuple[str, str]]:
    lines = re.sub(r"\\\n", " ", DOCKERFILE.read_text()).splitlines()
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line.strip() and not line.startswith("#")
    ]


def test_the_image_is_python_311_slim_running_pagewire_as_a_non_root_user() -> None:
    instructions = _instructions()
    assert instructions[0] == ("FROM", "python:3.11-slim")
    users = [argument for kind, argument in instructions if kind == "USER"]
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    assert ("ENTRYPOINT", '["pagewire"]') in instructions


def test_the_image_copies_files_that_exist_and_the_build_context_keeps_them() -> None:
    copied = [part for kind, argument in _instructions() if kind == "COPY" for part in argument.split()[:-1]]
    assert copied == ["pyproject.toml", "README.md", "services", "schemas"]
    ignored = {line.strip() for line in (REPO / ".dockerignore").read_text().splitlines() if line.strip()}
    for path in copied:
        assert (REPO / path).exists()
        assert path not in ignored


def test_the_image_exposes_every_default_observability_port() -> None:
    exposed = {
        int(port) for kind, argument in _instructions() if kind == "EXPOSE" for port in argument.split()
    }
    assert exposed == set(PORTS.values())
