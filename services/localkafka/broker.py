"""Start, stop and inspect the local development broker (`pagewire kafka up|down|status`).

Jars come from Maven Central through deploy/kafka/pom.xml into PAGEWIRE_HOME/kafka-<version>/libs once;
data, logs and the pid file live in PAGEWIRE_HOME/kafka. A second `up` needs no network.
"""

import asyncio
import contextlib
import hashlib
import os
import re
import shutil
import signal
import subprocess
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from services.common.paths import REPO_ROOT
from services.common.settings import LocalKafkaSettings
from services.domain.errors import BrokerError
from services.localkafka.host import (
    alive,
    cluster_answers,
    is_our_broker,
    kafka_cluster_id,
    port_open,
    require_java,
)

POM = REPO_ROOT / "deploy" / "kafka" / "pom.xml"
LOG4J2 = REPO_ROOT / "deploy" / "kafka" / "log4j2.properties"
MAIN_CLASS = "kafka.Kafka"
STORAGE_TOOL = "kafka.tools.StorageTool"
QUORUM_TOOL = "org.apache.kafka.tools.MetadataQuorumCommand"


def kafka_version(pom: Path = POM) -> str:
    """The Kafka version pinned in the pom."""
    namespace = {"m": "http://maven.apache.org/POM/4.0.0"}
    node = ET.parse(pom).getroot().find("m:properties/m:kafka.version", namespace)  # noqa: S314 - our own file
    if node is None or not node.text:
        raise BrokerError(f"{pom}: no <kafka.version> property")
    return node.text.strip()


#: the most nodes `kafka up --brokers` starts: a KRaft quorum of 5 survives 2 failures, more is not local
MAX_BROKERS = 5


@dataclass(frozen=True)
class Node:
    """One KRaft node of the local Kafka: broker and controller in one process, with its own ports and
    folder (data, logs, pid file, server.properties)."""

    node_id: int
    port: int
    controller_port: int
    state: Path

    @property
    def data(self) -> Path:
        return self.state / "data"

    @property
    def logs(self) -> Path:
        return self.state / "logs"

    @property
    def pid_file(self) -> Path:
        return self.state / "broker.pid"

    @property
    def properties(self) -> Path:
        return self.state / "server.properties"

    @property
    def address(self) -> str:
        return f"localhost:{self.port}"


def nodes_of(settings: LocalKafkaSettings, brokers: int) -> tuple[Node, ...]:
    """The nodes of a local Kafka of `brokers` nodes. One node keeps PAGEWIRE_HOME/kafka and the two ports
    as set; node N of a cluster lives in PAGEWIRE_HOME/kafka-cluster/node-N on both ports plus 2*(N-1)
    (9092/9093, 9094/9095, 9096/9097 by default)."""
    if not 1 <= brokers <= MAX_BROKERS:
        raise BrokerError(f"--brokers {brokers}: a local Kafka has 1 to {MAX_BROKERS} nodes")
    if brokers == 1:
        return (Node(1, settings.port, settings.controller_port, settings.home / "kafka"),)
    nodes = tuple(
        Node(
            number,
            settings.port + 2 * (number - 1),
            settings.controller_port + 2 * (number - 1),
            settings.home / "kafka-cluster" / f"node-{number}",
        )
        for number in range(1, brokers + 1)
    )
    ports = [port for node in nodes for port in (node.port, node.controller_port)]
    if len(set(ports)) != len(ports):
        raise BrokerError(
            f"a {brokers}-node cluster takes ports PAGEWIRE_LOCAL_KAFKA_PORT + 0, 2, 4... and "
            "PAGEWIRE_LOCAL_KAFKA_CONTROLLER_PORT + 0, 2, 4...; with "
            f"{settings.port} and {settings.controller_port} they overlap: make them differ by an odd number"
        )
    return nodes


@dataclass(frozen=True)
class NodeStatus:
    node_id: int
    address: str
    pid: int | None

    @property
    def running(self) -> bool:
        return self.pid is not None


@dataclass(frozen=True)
class BrokerStatus:
    nodes: tuple[NodeStatus, ...]
    bootstrap: str
    home: Path
    version: str

    @property
    def running(self) -> bool:
        """Every node runs."""
        return all(node.running for node in self.nodes)

    @property
    def pid(self) -> int | None:
        """The first node's process (the only one of a single broker)."""
        return self.nodes[0].pid

    def describe(self, quorum_leader: int | None = None) -> str:
        """One line for a single broker; a line per node for a cluster, naming the quorum leader if known."""
        if len(self.nodes) == 1:
            if self.running:
                return (
                    f"kafka {self.version} running (pid {self.pid}) at {self.bootstrap}; state in {self.home}"
                )
            return f"kafka {self.version} not running; state in {self.home}"
        up = sum(node.running for node in self.nodes)
        lines = [f"kafka {self.version} cluster of {len(self.nodes)}: {up} running; state in {self.home}"]
        for node in self.nodes:
            state = f"running (pid {node.pid})" if node.running else "not running"
            if node.node_id == quorum_leader:
                state += ", leads the controller quorum"
            lines.append(f"  node {node.node_id} at {node.address}: {state}")
        return "\n".join(lines)


class LocalKafka:
    """The local Kafka of one PAGEWIRE_HOME: a single node, or a KRaft cluster of `brokers` nodes."""

    def __init__(self, settings: LocalKafkaSettings, brokers: int = 1) -> None:
        self.settings = settings
        self.version = kafka_version()
        self.libs = settings.jars or settings.home / f"kafka-{self.version}" / "libs"
        self.nodes = nodes_of(settings, brokers)
        self.bootstrap = ",".join(node.address for node in self.nodes)
        # a single node's paths (tests and the jars check name them)
        first = self.nodes[0]
        self.data, self.logs, self.pid_file, self.properties = (
            first.data,
            first.logs,
            first.pid_file,
            first.properties,
        )
        # the processes this object started, reaped when they stop (a dropped running Popen warns)
        self._processes: dict[int, subprocess.Popen[bytes]] = {}

    @classmethod
    def running_one(cls, settings: LocalKafkaSettings) -> "LocalKafka":
        """The local Kafka of this home that runs: the cluster when any of its nodes runs (its size as
        `kafka up --brokers` wrote it), else the single node."""
        marker = settings.home / "kafka-cluster" / "brokers"
        try:
            brokers = int(marker.read_text().strip())
        except (FileNotFoundError, ValueError):
            return cls(settings)
        cluster = cls(settings, brokers)
        return cluster if any(node.running for node in cluster.status().nodes) else cls(settings)

    @property
    def cluster(self) -> bool:
        return len(self.nodes) > 1

    # -- public operations -------------------------------------------------------------------------

    def up(self) -> BrokerStatus:
        """Start every node that is not running; return once each answers Kafka requests and the cluster
        lists them all."""
        self._refuse_the_other_layout()
        for node in self.nodes:
            process = self._processes.get(node.node_id)
            if process is not None and process.pid != self._running_pid(node):
                process.wait(timeout=30)  # ours but killed: let it finish exiting (ports close), reap it
                del self._processes[node.node_id]
        stopped = [node for node in self.nodes if self._running_pid(node) is None]
        if not stopped:
            self._wait_until_answering()
            return self.status()
        for node in stopped:
            for port in (node.port, node.controller_port):
                if port_open(port):
                    raise BrokerError(
                        f"port {port} is in use by another process; stop it or set "
                        "PAGEWIRE_LOCAL_KAFKA_PORT / PAGEWIRE_LOCAL_KAFKA_CONTROLLER_PORT"
                    )
        java = require_java()
        self._ensure_jars()
        cluster_id = self._cluster_id()
        for node in self.nodes:
            self._write_properties(node)
        for node in stopped:
            if not (node.data / "meta.properties").exists():
                self._format_storage(java, node, cluster_id)
        pids = {node.node_id: self._spawn(java, node) for node in stopped}
        try:
            self._wait_until_answering(pids)
        except BrokerError:
            for node in stopped:
                self._stop_pids([pids[node.node_id]], node)
            raise
        return self.status()

    def status(self) -> BrokerStatus:
        nodes = tuple(NodeStatus(node.node_id, node.address, self._running_pid(node)) for node in self.nodes)
        return BrokerStatus(nodes, self.bootstrap, self.settings.home, self.version)

    def down(self) -> bool:
        """Stop our nodes (and nothing else), all at once; False when none was running."""
        running = [(node, pid) for node in self.nodes if (pid := self._running_pid(node)) is not None]
        for node in self.nodes:
            if self._running_pid(node) is None:
                node.pid_file.unlink(missing_ok=True)
        if not running:
            return False
        self._stop_pids([pid for _, pid in running], *[node for node, _ in running])
        return True

    def quorum_leader(self) -> int | None:
        """The node leading the KRaft controller quorum (the active controller), as Kafka's own tool reports
        it; None when no node answers."""
        java = require_java()
        command = [*self._java_command(java, self.nodes[0], heap="256m"), QUORUM_TOOL]  # a client's heap
        command += ["--bootstrap-server", self.bootstrap, "describe", "--status"]
        result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)  # noqa: S603
        match = re.search(r"^LeaderId:\s+(\d+)", result.stdout, re.MULTILINE)
        return int(match.group(1)) if match else None

    def stop_node(self, node_id: int, *, kill: bool = False) -> None:
        """Stop one node: SIGTERM (a controlled shutdown) or SIGKILL (a crash); the others keep running."""
        node = self.nodes[node_id - 1]
        pid = self._running_pid(node)
        if pid is None:
            return
        if kill:
            os.kill(pid, signal.SIGKILL)
        self._stop_pids([pid], node)

    # -- steps ------------------------------------------------------------------------------------

    def _refuse_the_other_layout(self) -> None:
        """A single node and a cluster of one home share ports (and node 1's): one at a time."""
        other = LocalKafka(self.settings) if self.cluster else LocalKafka.running_one(self.settings)
        if other.cluster == self.cluster and len(other.nodes) == len(self.nodes):
            return
        if any(node.running for node in other.status().nodes):
            what = f"a {len(other.nodes)}-node cluster" if other.cluster else "a single-node Kafka"
            raise BrokerError(f"{what} runs from {self.settings.home}: stop it first (`pagewire kafka down`)")

    def _cluster_id(self) -> str:
        """The id the nodes' storage is formatted with: one for the whole cluster, kept beside it. A cluster
        of another size is formatted anew (its controller quorum is part of the data)."""
        if not self.cluster:
            return kafka_cluster_id()
        folder = self.settings.home / "kafka-cluster"
        marker, id_file = folder / "brokers", folder / "cluster.id"
        if marker.exists() and marker.read_text().strip() != str(len(self.nodes)):
            shutil.rmtree(folder)
        folder.mkdir(parents=True, exist_ok=True)
        marker.write_text(str(len(self.nodes)))
        if not id_file.exists():
            id_file.write_text(kafka_cluster_id())
        return id_file.read_text().strip()

    def _ensure_jars(self) -> None:
        stamp = self.libs / ".complete"
        pom_hash = hashlib.sha256(POM.read_bytes()).hexdigest()
        if stamp.exists() and stamp.read_text() == pom_hash:
            return
        if self.settings.jars is not None:  # someone else's folder: never download into it, or wipe it
            raise BrokerError(f"PAGEWIRE_LOCAL_KAFKA_JARS={self.libs} holds no complete Kafka {self.version}")
        mvn = shutil.which("mvn")
        if mvn is None:
            raise BrokerError(
                "Maven (mvn) is needed once to download Apache Kafka from Maven Central; "
                "install it (Debian/Ubuntu: apt-get install maven)"
            )
        if self.libs.exists():
            shutil.rmtree(self.libs)
        self.libs.mkdir(parents=True)
        command = [
            mvn, "-q", "-B", "-f", str(POM), "dependency:copy-dependencies",
            f"-DoutputDirectory={self.libs}", "-DincludeScope=runtime",
        ]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        if result.returncode != 0:
            tail = (result.stdout + result.stderr).strip().splitlines()[-15:]
            raise BrokerError("downloading Kafka jars with Maven failed:\n" + "\n".join(tail))
        stamp.write_text(pom_hash)

    def _write_properties(self, node: Node) -> None:
        for folder in (node.data, node.logs):
            folder.mkdir(parents=True, exist_ok=True)
        count = len(self.nodes)
        replicas, in_sync = str(min(3, count)), str(min(2, count))
        if self.cluster:
            voters = ",".join(f"{other.node_id}@localhost:{other.controller_port}" for other in self.nodes)
            quorum = {"controller.quorum.voters": voters}
        else:
            quorum = {"controller.quorum.bootstrap.servers": f"localhost:{node.controller_port}"}
        lines = {
            "process.roles": "broker,controller",
            "node.id": str(node.node_id),
            **quorum,
            "listeners": f"PLAINTEXT://localhost:{node.port},CONTROLLER://localhost:{node.controller_port}",
            "advertised.listeners": f"PLAINTEXT://localhost:{node.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(node.data),
            "num.partitions": "1",
            # internal topics, and topics made without a replication factor (Faust's), on 3 nodes when
            # there are 3, a write acknowledged by 2 of them (one may be down)
            "default.replication.factor": replicas,
            "min.insync.replicas": in_sync if count > 2 else "1",
            "offsets.topic.replication.factor": replicas,
            "offsets.topic.num.partitions": "10",
            "transaction.state.log.replication.factor": replicas,
            "transaction.state.log.min.isr": in_sync if count > 2 else "1",
            "share.coordinator.state.topic.replication.factor": replicas,
            "share.coordinator.state.topic.min.isr": in_sync if count > 2 else "1",
            "group.initial.rebalance.delay.ms": "0",
            # topics come from the catalog (and Faust's admin calls), so a typo cannot invent one
            "auto.create.topics.enable": "false",
            "message.max.bytes": "10485760",
            "replica.fetch.max.bytes": "10485760",
            "log.retention.check.interval.ms": "60000",
        }
        text = "# written by `pagewire kafka up`; edits are overwritten\n"
        text += "".join(f"{key}={value}\n" for key, value in lines.items())
        node.properties.write_text(text)

    def _format_storage(self, java: str, node: Node, cluster_id: str) -> None:
        # one node formats itself as the whole quorum; a cluster's nodes name the static voters in their
        # properties (controller.quorum.voters) and share the cluster id
        standalone = [] if self.cluster else ["--standalone"]
        command = [
            *self._java_command(java, node), STORAGE_TOOL, "format", *standalone,
            "-t", cluster_id, "-c", str(node.properties),
        ]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        if result.returncode != 0:
            raise BrokerError(
                f"formatting Kafka storage of node {node.node_id} failed: "
                + (result.stderr or result.stdout).strip()
            )

    def _spawn(self, java: str, node: Node) -> int:
        out = (node.logs / "stdout.log").open("ab")
        command = [*self._java_command(java, node), MAIN_CLASS, str(node.properties)]
        process = subprocess.Popen(  # noqa: S603
            command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
        out.close()
        node.pid_file.write_text(str(process.pid))
        self._processes[node.node_id] = process
        return process.pid

    def _java_command(self, java: str, node: Node, heap: str | None = None) -> list[str]:
        return [
            java,
            f"-Xmx{heap or self.settings.heap}",
            f"-Xms{heap or self.settings.heap}",
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            f"-Dkafka.logs.dir={node.logs}",
            f"-Dlog4j2.configurationFile={LOG4J2}",
            "-cp",
            f"{self.libs}/*",
        ]

    def _wait_until_answering(self, pids: dict[int, int] | None = None) -> None:
        deadline = time.monotonic() + self.settings.start_timeout_seconds
        while time.monotonic() < deadline:
            for node_id, pid in (pids or {}).items():
                if not alive(pid):
                    logs = self.nodes[node_id - 1].logs
                    raise BrokerError(f"node {node_id} exited during start-up; see {logs / 'server.log'}")
            if all(port_open(node.port) for node in self.nodes) and asyncio.run(
                cluster_answers(self.bootstrap, len(self.nodes))
            ):
                return
            time.sleep(0.5)
        logs = (
            self.nodes[0].logs
            if not self.cluster
            else self.settings.home / "kafka-cluster" / "node-*" / "logs"
        )
        raise BrokerError(
            f"the broker did not answer at {self.bootstrap} within "
            f"{self.settings.start_timeout_seconds:.0f}s; see {logs / 'server.log'}"
        )

    def _running_pid(self, node: Node) -> int | None:
        try:
            pid = int(node.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        return pid if is_our_broker(pid, node.properties, MAIN_CLASS) else None

    def _stop_pids(self, pids: list[int], *nodes: Node, timeout: float = 60.0) -> None:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)  # the broker's controlled shutdown
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(alive(pid) for pid in pids):
            time.sleep(0.2)
        for pid in pids:
            if alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                while alive(pid):
                    time.sleep(0.1)
        for node in nodes:
            process = self._processes.pop(node.node_id, None)
            if process is not None:
                process.wait()
            node.pid_file.unlink(missing_ok=True)
