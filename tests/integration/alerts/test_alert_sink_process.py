"""`pagewire sink alerts` as a process: a SIGKILL re-sends only the alert in flight; no secret ever leaks."""

import asyncio
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx
import orjson

from services.common.settings import Settings
from services.domain.alerts.chat.webhook import verify
from tests.conftest import REPO
from tests.support.alert_sink import make_alert, messages, publish, write_destinations
from tests.support.receiver import HANG, Receiver, Reply, unused_port

PARTNER = "/hooks/partner-path-token-9"
SECRET = "hmac-signing-secret-9"
UNREACHABLE_TOKEN = "unreachable-token-9"


@dataclass
class SinkProcess:
    process: asyncio.subprocess.Process
    log: IO[bytes]
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def process_env(
    alert_env: dict[str, str], destinations: Path, urls: dict[str, str], **extra: str
) -> dict[str, str]:
    return {
        **os.environ,
        **alert_env,
        **urls,
        "PAGEWIRE_ALERT_DESTINATIONS": str(destinations),
        "PAGEWIRE_OBSERVE_HOST": "127.0.0.1",
        "PAGEWIRE_OBSERVE_ALERT_SINK_PORT": str(unused_port()),
        **extra,
    }


async def start(full_env: dict[str, str], log_path: Path) -> SinkProcess:
    """Start the sink; return once /readyz answers 200 (every destination's consumer runs)."""
    log = log_path.open("ab")
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "pagewire"), "sink", "alerts",
        cwd=REPO, env=full_env, stdout=log, stderr=log,
    )  # fmt: skip
    sink = SinkProcess(process, log, int(full_env["PAGEWIRE_OBSERVE_ALERT_SINK_PORT"]))
    async with httpx.AsyncClient() as client, asyncio.timeout(60):
        while True:
            if process.returncode is not None:
                raise AssertionError(f"sink exited with {process.returncode}; its log: {log_path}")
            try:
                if (await client.get(f"{sink.url}/readyz")).status_code == 200:
                    return sink
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)


async def finish(sink: SinkProcess, signum: signal.Signals) -> int:
    sink.process.send_signal(signum)
    code = await asyncio.wait_for(sink.process.wait(), 30)
    sink.log.close()
    return code


async def test_sigkill_mid_delivery_resends_only_the_alert_in_flight_with_its_idempotency_key(
    alert_env: dict[str, str], chat: Receiver, tmp_path: Path
) -> None:
    settings = Settings.load(alert_env)
    destinations = write_destinations(
        tmp_path, {"partner": {"kind": "webhook", "url_env": "PARTNER_URL", "secret_env": "PARTNER_SECRET"}}
    )
    urls = {"PARTNER_URL": chat.url(PARTNER), "PARTNER_SECRET": SECRET}
    full_env = process_env(alert_env, destinations, urls, PAGEWIRE_ALERT_SINK_TIMEOUT="30")
    alerts = [make_alert("crash", n) for n in range(5)]
    ids = [alert["alert_id"] for alert in alerts]
    chat.script(PARTNER, Reply(), Reply(), HANG)  # the third alert is in flight when the sink dies
    await publish(settings, alerts)

    first = await start(full_env, tmp_path / "sink.log")
    await chat.wait_for(PARTNER, 3)
    assert await finish(first, signal.SIGKILL) == -signal.SIGKILL
    chat.release.set()
    second = await start(full_env, tmp_path / "sink.log")
    await chat.wait_for(PARTNER, 6, timeout=60)
    await asyncio.sleep(1.0)  # room for anything sent twice to arrive
    assert await finish(second, signal.SIGTERM) == 0

    received = chat.on(PARTNER)
    assert [request.headers["Idempotency-Key"] for request in received] == [
        ids[0], ids[1], ids[2], ids[2], ids[3], ids[4]
    ]  # fmt: skip
    assert received[2].body == received[3].body
    for request in received:
        headers = request.headers
        assert verify(SECRET, headers["X-Pagewire-Timestamp"], request.body, headers["X-Pagewire-Signature"])
    deliveries = await messages(settings, "alerts.deliveries", expect=5)
    assert sorted(delivery["alert_id"] for delivery in deliveries) == sorted(ids)
    assert {delivery["outcome"] for delivery in deliveries} == {"delivered"}


async def test_urls_and_secrets_never_reach_logs_metrics_or_topics(
    alert_env: dict[str, str], chat: Receiver, tmp_path: Path
) -> None:
    settings = Settings.load(alert_env)
    destinations = write_destinations(
        tmp_path,
        {
            "partner": {"kind": "webhook", "url_env": "PARTNER_URL", "secret_env": "PARTNER_SECRET"},
            "unreachable": {"kind": "slack", "url_env": "SLACK_URL", "deadline": 1.5, "timeout": 1},
        },
    )
    unreachable = f"http://127.0.0.1:{unused_port()}/services/T9/B9/{UNREACHABLE_TOKEN}"
    urls = {"PARTNER_URL": chat.url(PARTNER), "PARTNER_SECRET": SECRET, "SLACK_URL": unreachable}
    full_env = process_env(alert_env, destinations, urls, PAGEWIRE_LOG_LEVEL="DEBUG")
    chat.script(PARTNER, Reply(500, body=b"oops"), Reply(429, {"Retry-After": "1"}))
    alerts = [make_alert("secrets", n) for n in range(2)]
    await publish(settings, alerts)

    sink = await start(full_env, tmp_path / "sink.log")
    await chat.wait_for(PARTNER, 4)
    deliveries = await messages(settings, "alerts.deliveries", expect=4)
    await asyncio.sleep(1.0)  # a lag report after the last commit
    async with httpx.AsyncClient() as client:
        metrics = (await client.get(f"{sink.url}/metrics")).text
        ready = await client.get(f"{sink.url}/readyz")
    assert await finish(sink, signal.SIGTERM) == 0
    checked = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "pagewire"), "sink", "alerts", "--check",
        env=full_env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    listing = (await checked.communicate())[0].decode()
    letters = await messages(settings, "deadletter", expect=2)

    assert 'pagewire_deliveries_total{destination="partner",outcome="delivered"} 2.0' in metrics
    assert 'pagewire_deliveries_total{destination="partner",outcome="retried"} 2.0' in metrics
    assert 'pagewire_deliveries_total{destination="unreachable",outcome="dead_lettered"} 2.0' in metrics
    assert 'pagewire_deadlettered_total{reason="deadline_exceeded",stage="deliver"} 2.0' in metrics
    alerts_topic = f'topic="{alert_env["PAGEWIRE_TOPIC_PREFIX"]}alerts"'
    lags = [line for line in metrics.splitlines() if line.startswith("pagewire_consumer_lag_messages{")]
    assert len(lags) == 6 and all(alerts_topic in line and line.endswith(" 0.0") for line in lags)
    assert ready.json()["conditions"] == {
        "kafka": True,
        "destination partner": True,
        "destination unreachable": True,
    }
    assert "unreachable: slack, URL from environment variable SLACK_URL" in listing
    logs = (tmp_path / "sink.log").read_text()
    events = [orjson.loads(line) for line in logs.splitlines() if line.startswith("{")]
    delivered = [event for event in events if event["event"] == "alert delivered"]
    assert sorted(event["alert_id"] for event in delivered) == sorted(alert["alert_id"] for alert in alerts)
    assert {event["destination"] for event in delivered} == {"partner"}
    assert any(
        event["event"] == "alert dead-lettered" and event["destination"] == "unreachable" for event in events
    )
    assert len(letters) == 2 and len(deliveries) == 4
    everything = "\n".join([logs, metrics, listing, orjson.dumps([deliveries, letters]).decode()])
    for secret in (
        PARTNER,
        "partner-path-token-9",
        SECRET,
        unreachable,
        UNREACHABLE_TOKEN,
        chat.url(PARTNER),
    ):
        assert secret not in everything
