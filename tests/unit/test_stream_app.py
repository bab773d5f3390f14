"""The worker's Faust app: ids under the topic prefix, and an idempotent producer with acks=all."""

from pathlib import Path

import pytest

from services.common.settings import Settings
from services.domain.errors import ConfigError
from services.stream.app import make_app
from services.stream.topology import build_topology


async def test_the_worker_producer_is_idempotent_and_waits_for_all_replicas(tmp_path: Path) -> None:
    settings = Settings.load(
        {
            "PAGEWIRE_TOPIC_PREFIX": "t1.",
            "PAGEWIRE_WORKER_STORE": "memory",
            "PAGEWIRE_STATE_DIR": str(tmp_path),
        }
    )
    app = make_app(settings)
    assert app.conf.id == "t1.worker"
    client = app.producer._new_producer()  # the aiokafka producer Faust sends changelogs and outputs with
    try:
        assert client._txn_manager is not None  # aiokafka's idempotence state: producer id and sequences
        assert client._sender._acks == -1  # acks=all
    finally:
        await client.stop()


def test_changelogs_get_the_configured_replicas_and_a_crashed_worker_is_noticed_in_time() -> None:
    settings = Settings.load(
        {"PAGEWIRE_WORKER_STORE": "memory", "PAGEWIRE_TOPIC_REPLICATION_FACTOR": "3",
         "PAGEWIRE_WORKER_SESSION_TIMEOUT": "12"}
    )  # fmt: skip
    app = make_app(settings)
    assert app.conf.topic_replication_factor == 3
    assert app.conf.broker_session_timeout == 12.0


@pytest.mark.parametrize(("session", "request_timeout"), [("30", 90.0), ("120", 120.0)])
def test_a_session_timeout_above_fausts_request_timeout_raises_that_too(
    tmp_path: Path, session: str, request_timeout: float
) -> None:
    """Faust refuses to start a consumer whose session timeout is above its request timeout (a crash with
    120 s before); a worker started with 120 s: tests/reliability/test_broker_restart.py."""
    settings = Settings.load(
        {
            "PAGEWIRE_WORKER_STORE": "memory",
            "PAGEWIRE_STATE_DIR": str(tmp_path),
            "PAGEWIRE_WORKER_SESSION_TIMEOUT": session,
        }
    )
    app = make_app(settings)
    assert app.conf.broker_session_timeout == float(session)
    assert app.conf.broker_request_timeout == request_timeout


def test_the_changelog_batch_comes_from_its_setting_and_an_empty_batch_is_refused(tmp_path: Path) -> None:
    base = {"PAGEWIRE_WORKER_STORE": "memory", "PAGEWIRE_STATE_DIR": str(tmp_path)}
    topology = build_topology(Settings.load({**base, "PAGEWIRE_WORKER_CHANGELOG_BATCH": "250"}))
    assert topology.changelog.batch_events == 250
    default = build_topology(Settings.load({**base, "PAGEWIRE_TOPIC_PREFIX": "t2."}))
    assert default.changelog.batch_events == 1000

    with pytest.raises(ConfigError, match="PAGEWIRE_WORKER_CHANGELOG_BATCH='0': must be at least 1"):
        Settings.load({**base, "PAGEWIRE_WORKER_CHANGELOG_BATCH": "0"})
