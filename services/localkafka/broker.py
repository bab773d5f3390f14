"""Start, stop and inspect the local development broker (`pagewire kafka up|down|status`).

Jars come from Maven Central through deploy/kafka/pom.xml into PAGEWIRE_HOME/kafka-<version>/libs once;
data, logs and the pid file live in PAGEWIRE_HOME/kafka. A second `up` needs no network.
"""

import asyncio
import contextlib
import hashlib
import os
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
from services.localkafka.host import alive, answers, is_our_broker, kafka_cluster_id, port_open, require_java

POM = REPO_ROOT / "deploy" / "kafka" / "pom.xml"
LOG4J2 = REPO_ROOT / "deploy" / "kafka" / "log4j2.properties"
MAIN_CLASS = "kafka.Kafka"
STORAGE_TOOL = "kafka.tools.StorageTool"


def kafka_version(pom: Path = POM) -> str:
    """The Kafka version pinned in the pom."""
    namespace = {"m": "http://maven.apache.org/POM/4.0.0"}
    node = ET.parse(pom).getroot().find("m:properties/m:kafka.version", namespace)  # noqa: S314 - our own file
    if node is None or not node.text:
        raise BrokerError(f"{pom}: no <kafka.version> property")
    return node.text.strip()


@dataclass(frozen=True)
class BrokerStatus:
    running: bool
    pid: int | None
    bootstrap: str
    home: Path
    version: str

    def describe(self) -> str:
        if self.running:
            return f"kafka {self.version} running (pid {self.pid}) at {self.bootstrap}; state in {self.home}"
        return f"kafka {self.version} not running; state in {self.home}"


class LocalKafka:
    """The local broker of one PAGEWIRE_HOME."""

    def __init__(self, settings: LocalKafkaSettings) -> None:
        self.settings = settings
        self.version = kafka_version()
        self.libs = settings.jars or settings.home / f"kafka-{self.version}" / "libs"
        self.state = settings.home / "kafka"
        self.data = self.state / "data"
        self.logs = self.state / "logs"
        self.pid_file = self.state / "broker.pid"
        self.properties = self.state / "server.properties"
        self.bootstrap = f"localhost:{settings.port}"
        # the broker this object started, reaped when it stops (a dropped running Popen warns)
        self._process: subprocess.Popen[bytes] | None = None

    # -- public operations -------------------------------------------------------------------------

    def up(self) -> BrokerStatus:
        """Start the broker unless it runs; return once it answers Kafka requests."""
        if self._process is not None and self._process.pid != self._running_pid():
            self._process.wait(timeout=30)  # ours but killed: let it finish exiting (ports close), reap it
            self._process = None
        current = self.status()
        if current.running:
            self._wait_until_answering()
            return current
        for port in (self.settings.port, self.settings.controller_port):
            if port_open(port):
                raise BrokerError(
                    f"port {port} is in use by another process; stop it or set "
                    "PAGEWIRE_LOCAL_KAFKA_PORT / PAGEWIRE_LOCAL_KAFKA_CONTROLLER_PORT"
                )
        java = require_java()
        self._ensure_jars()
        self._write_properties()
        if not (self.data / "meta.properties").exists():
            self._format_storage(java)
        pid = self._spawn(java)
        try:
            self._wait_until_answering(pid)
        except BrokerError:
            self._stop_pid(pid)
            raise
        return self.status()

    def status(self) -> BrokerStatus:
        pid = self._running_pid()
        return BrokerStatus(pid is not None, pid, self.bootstrap, self.settings.home, self.version)

    def down(self) -> bool:
        """Stop our broker (and nothing else); False when it was not running."""
        pid = self._running_pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        self._stop_pid(pid)
        return True

    # -- steps ------------------------------------------------------------------------------------

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

    def _write_properties(self) -> None:
        for folder in (self.data, self.logs):
            folder.mkdir(parents=True, exist_ok=True)
        port, controller = self.settings.port, self.settings.controller_port
        lines = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.bootstrap.servers": f"localhost:{controller}",
            "listeners": f"PLAINTEXT://localhost:{port},CONTROLLER://localhost:{controller}",
            "advertised.listeners": f"PLAINTEXT://localhost:{port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(self.data),
            "num.partitions": "1",
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "10",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            # topics come from the catalog (and Faust's admin calls), so a typo cannot invent one
            "auto.create.topics.enable": "false",
            "message.max.bytes": "10485760",
            "replica.fetch.max.bytes": "10485760",
            "log.retention.check.interval.ms": "60000",
        }
        text = "# written by `pagewire kafka up`; edits are overwritten\n"
        text += "".join(f"{key}={value}\n" for key, value in lines.items())
        self.properties.write_text(text)

    def _format_storage(self, java: str) -> None:
        command = [
            *self._java_command(java), STORAGE_TOOL, "format", "--standalone",
            "-t", kafka_cluster_id(), "-c", str(self.properties),
        ]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        if result.returncode != 0:
            raise BrokerError("formatting Kafka storage failed: " + (result.stderr or result.stdout).strip())

    def _spawn(self, java: str) -> int:
        out = (self.logs / "stdout.log").open("ab")
        command = [*self._java_command(java), MAIN_CLASS, str(self.properties)]
        process = subprocess.Popen(  # noqa: S603
            command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
        out.close()
        self.pid_file.write_text(str(process.pid))
        self._process = process
        return process.pid

    def _java_command(self, java: str) -> list[str]:
        return [
            java,
            f"-Xmx{self.settings.heap}",
            f"-Xms{self.settings.heap}",
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            f"-Dkafka.logs.dir={self.logs}",
            f"-Dlog4j2.configurationFile={LOG4J2}",
            "-cp",
            f"{self.libs}/*",
        ]

    def _wait_until_answering(self, pid: int | None = None) -> None:
        deadline = time.monotonic() + self.settings.start_timeout_seconds
        while time.monotonic() < deadline:
            if pid is not None and not alive(pid):
                raise BrokerError(f"the broker exited during start-up; see {self.logs / 'server.log'}")
            if port_open(self.settings.port) and asyncio.run(answers(self.bootstrap)):
                return
            time.sleep(0.5)
        raise BrokerError(
            f"the broker did not answer at {self.bootstrap} within "
            f"{self.settings.start_timeout_seconds:.0f}s; see {self.logs / 'server.log'}"
        )

    def _running_pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        return pid if is_our_broker(pid, self.properties, MAIN_CLASS) else None

    def _stop_pid(self, pid: int, timeout: float = 60.0) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)  # the broker's controlled shutdown
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and alive(pid):
            time.sleep(0.2)
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
            while alive(pid):
                time.sleep(0.1)
        if self._process is not None and self._process.pid == pid:
            self._process.wait()
            self._process = None
        self.pid_file.unlink(missing_ok=True)
