"""`pagewire kafka up --brokers N`: where each node of a local cluster lives, what it is told, its status."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from services.cli import cli
from services.cli.kafka_cmd import _same_servers
from services.common.settings import LocalKafkaSettings
from services.domain.errors import BrokerError
from services.localkafka.broker import BrokerStatus, LocalKafka, NodeStatus, nodes_of


def test_a_single_node_keeps_the_home_and_the_ports_as_set() -> None:
    (node,) = nodes_of(LocalKafkaSettings(home=Path("/srv/pw")), 1)
    assert (node.node_id, node.port, node.controller_port, node.state) == (
        1,
        9092,
        9093,
        Path("/srv/pw/kafka"),
    )


def test_cluster_nodes_take_every_other_port_and_a_folder_each() -> None:
    nodes = nodes_of(LocalKafkaSettings(home=Path("/srv/pw")), 3)
    assert [(n.node_id, n.port, n.controller_port) for n in nodes] == [
        (1, 9092, 9093),
        (2, 9094, 9095),
        (3, 9096, 9097),
    ]
    assert [n.data for n in nodes] == [Path(f"/srv/pw/kafka-cluster/node-{n}/data") for n in (1, 2, 3)]
    assert (
        LocalKafka(LocalKafkaSettings(home=Path("/srv/pw")), 3).bootstrap
        == "localhost:9092,localhost:9094,localhost:9096"
    )


def test_ports_that_would_collide_are_refused_with_what_to_change() -> None:
    with pytest.raises(BrokerError, match="make them differ by an odd number"):
        nodes_of(LocalKafkaSettings(port=9092, controller_port=9094), 3)
    with pytest.raises(BrokerError, match="1 to 5 nodes"):
        nodes_of(LocalKafkaSettings(), 6)


def test_each_node_is_told_the_whole_quorum_and_three_replicas_with_two_in_sync(tmp_path: Path) -> None:
    cluster = LocalKafka(LocalKafkaSettings(home=tmp_path), 3)
    cluster._write_properties(cluster.nodes[1])
    lines = dict(
        line.split("=", 1) for line in cluster.nodes[1].properties.read_text().splitlines() if "=" in line
    )
    assert lines["node.id"] == "2"
    assert lines["controller.quorum.voters"] == "1@localhost:9093,2@localhost:9095,3@localhost:9097"
    assert lines["listeners"] == "PLAINTEXT://localhost:9094,CONTROLLER://localhost:9095"
    assert (lines["default.replication.factor"], lines["min.insync.replicas"]) == ("3", "2")
    assert (lines["offsets.topic.replication.factor"], lines["transaction.state.log.min.isr"]) == ("3", "2")
    single = LocalKafka(LocalKafkaSettings(home=tmp_path))
    single._write_properties(single.nodes[0])
    text = single.nodes[0].properties.read_text()
    assert "controller.quorum.bootstrap.servers=localhost:9093\n" in text
    assert "min.insync.replicas=1\n" in text and "default.replication.factor=1\n" in text


def test_status_names_each_node_and_the_quorum_leader() -> None:
    nodes = (
        NodeStatus(1, "localhost:9092", 11),
        NodeStatus(2, "localhost:9094", None),
        NodeStatus(3, "localhost:9096", 13),
    )
    status = BrokerStatus(nodes, "localhost:9092,localhost:9094,localhost:9096", Path("/srv/pw"), "4.1.1")
    assert not status.running
    assert status.describe(quorum_leader=3).splitlines() == [
        "kafka 4.1.1 cluster of 3: 2 running; state in /srv/pw",
        "  node 1 at localhost:9092: running (pid 11)",
        "  node 2 at localhost:9094: not running",
        "  node 3 at localhost:9096: running (pid 13), leads the controller quorum",
    ]


def test_a_bootstrap_naming_some_of_the_clusters_nodes_is_the_local_kafka() -> None:
    local = "localhost:9092,localhost:9094,localhost:9096"
    assert _same_servers("localhost:9094", local)
    assert _same_servers("localhost:9096, localhost:9092", local)
    assert not _same_servers("kafka-1:19092", local)


def test_up_refuses_a_cluster_size_it_cannot_start() -> None:
    result = CliRunner().invoke(cli, ["kafka", "up", "--brokers", "7"])
    assert result.exit_code == 2
    assert "7 is not in the range 1<=x<=5" in result.stderr
