"""What this machine says about a local broker: Java, open ports, live pids, an answering broker, new ids."""

import base64
import os
import re
import shutil
import socket
import subprocess
from collections.abc import Callable
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient

from services.domain.errors import BrokerError


def require_java() -> str:
    java = shutil.which("java")
    if java is None:
        raise BrokerError(
            "Java 17 or newer is needed to run Kafka; install it "
            "(Debian/Ubuntu: apt-get install openjdk-17-jre-headless)"
        )
    result = subprocess.run([java, "-version"], capture_output=True, text=True, check=False)  # noqa: S603
    match = re.search(r'version "(\d+)', result.stderr + result.stdout)
    if not match or int(match.group(1)) < 17:
        raise BrokerError(f"Kafka 4 needs Java 17 or newer; {java} reports: {result.stderr.strip()[:200]}")
    return java


def kafka_cluster_id(random_bytes: Callable[[int], bytes] = os.urandom) -> str:
    """A new cluster id as Kafka makes them (Uuid.randomUuid): 16 random bytes in URL-safe base64 without
    padding, drawn again while the text starts with '-', which kafka-storage would read as an option."""
    while True:
        text = base64.urlsafe_b64encode(random_bytes(16)).decode().rstrip("=")
        if not text.startswith("-"):
            return text


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


async def answers(bootstrap: str) -> bool:
    """True when the broker answers a metadata request, not just a TCP connect."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    try:
        await admin.start()
        await admin.describe_cluster()
        return True
    except Exception:
        return False
    finally:
        await admin.close()


async def cluster_answers(bootstrap: str, brokers: int) -> bool:
    """True when the cluster answers a metadata request listing `brokers` brokers (every node joined)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    try:
        await admin.start()
        described = await admin.describe_cluster()
        return len(described["brokers"]) >= brokers
    except Exception:
        return False
    finally:
        await admin.close()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child of ours counts as gone
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def is_our_broker(pid: int, properties: Path, main_class: str) -> bool:
    """The pid is a live java running `main_class` with this home's server.properties."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (FileNotFoundError, PermissionError):
        return False
    return alive(pid) and main_class.encode() in cmdline and str(properties).encode() in cmdline
