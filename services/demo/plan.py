"""What the demo's processes share: their environment (a private topic prefix, files in the demo folder)."""

from dataclasses import dataclass
from pathlib import Path

from services.common.settings import Settings


@dataclass(frozen=True)
class DemoPlan:
    """Everything the demo's processes share: their environment and where their files go."""

    workdir: Path
    env: dict[str, str]

    @property
    def settings(self) -> Settings:
        return Settings.load(self.env)


def plan(settings: Settings, prefix: str) -> DemoPlan:
    workdir = settings.local_kafka.home / "demo"
    env = {
        "PAGEWIRE_KAFKA_BOOTSTRAP": settings.kafka.bootstrap,
        "PAGEWIRE_TOPIC_PREFIX": prefix,
        "PAGEWIRE_HOME": str(settings.local_kafka.home),
        "PAGEWIRE_DATABASE_URL": f"sqlite:///{workdir / 'pagewire.db'}",
        "PAGEWIRE_WORKER_STORE": "memory",
        "PAGEWIRE_STATE_DIR": str(workdir / "state"),
        "PAGEWIRE_ALERT_DESTINATIONS": str(workdir / "destinations.yaml"),
        "PAGEWIRE_OBSERVE_HOST": "127.0.0.1",
        "PAGEWIRE_OBSERVE_WORKER_PORT": "0",
        "PAGEWIRE_OBSERVE_STORAGE_SINK_PORT": "0",
        "PAGEWIRE_OBSERVE_ALERT_SINK_PORT": "0",
        "PAGEWIRE_LOG_LEVEL": "WARNING",
    }
    return DemoPlan(workdir, env)
