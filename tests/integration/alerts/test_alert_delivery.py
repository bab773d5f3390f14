"""`pagewire sink alerts` against a real local receiver and the real broker: payloads, retries, filters."""

import itertools
import time
from pathlib import Path
from typing import Any

from services.common.metrics import REGISTRY
from services.common.settings import Settings
from services.domain.alerts.chat import build_payload, encode_body
from services.domain.alerts.chat.webhook import verify
from services.domain.alerts.engine import evaluate
from services.domain.messages import alert_message, alert_of
from tests.support.alert_sink import (
    by_destination,
    make_alert,
    messages,
    publish,
    running,
    targets,
)
from tests.support.alerts import INJECTION, rules, stale_event
from tests.support.receiver import Receiver, Reply

PATHS = {
    "slack": "/slack/services/T0/B0/slack-token-1",
    "discord": "/discord/api/webhooks/42/discord-token-1",
    "mattermost": "/mattermost/hooks/mattermost-token-1",
    "teams": "/teams/workflows/teams-token-1",
    "webhook": "/webhook/partner-token-1",
}
SECRET = "integration-signing-secret"
FOOTER_FACTS = ["Severity", "Status", "Rule", "Pair", "Site", "Measure", "Value", "Threshold", "Event time"]


def url_env(server: Receiver) -> dict[str, str]:
    return {f"URL_{kind.upper()}": server.url(path) for kind, path in PATHS.items()} | {"SECRET": SECRET}


async def test_each_kind_gets_its_native_payload_and_the_outcome_is_published(
    alert_env: dict[str, str], chat: Receiver, tmp_path: Path
) -> None:
    settings = Settings.load(alert_env)
    destinations = {f"to-{kind}": {"kind": kind, "url_env": f"URL_{kind.upper()}"} for kind in PATHS}
    destinations["to-webhook"]["secret_env"] = "SECRET"
    fired = make_alert("kinds", 1, summary=f"KGS/USD moved +1.748252% {INJECTION}")
    async with running(settings, targets(settings, tmp_path, destinations, url_env(chat))):
        sent_at = time.time()
        await publish(settings, [fired])
        received = {kind: (await chat.wait_for(path, 1))[0] for kind, path in PATHS.items()}

    for kind in ("slack", "discord", "mattermost", "teams"):
        # exactly the builder's bytes: escaping and cutting happen there and are tested there
        assert received[kind].body == encode_body(build_payload(kind, alert_of(fired))[0])
        assert received[kind].headers["Content-Type"] == "application/json"
        assert fired["alert_id"] in received[kind].body.decode()  # the idempotency key, for people
        assert b"<!channel>" not in received[kind].body
    title = "🟠 WARNING · KGS/USD · move-1h"
    slack = received["slack"].json()
    assert slack["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": title, "emoji": False},
    }
    assert slack["blocks"][1]["type"] == "section"
    assert slack["blocks"][1]["fields"][3] == {"type": "mrkdwn", "text": "*Pair*\nKGS/USD", "verbatim": True}
    assert slack["blocks"][2]["elements"][0]["text"].startswith(f"pagewire alert {fired['alert_id']}")
    assert slack["text"].startswith(title)
    embed = received["discord"].json()["embeds"][0]
    assert received["discord"].json()["allowed_mentions"] == {"parse": []}
    assert (embed["title"], embed["color"], embed["timestamp"]) == (title, 0xF9A825, "2025-02-19T07:00:00Z")
    assert [field["name"] for field in embed["fields"]] == FOOTER_FACTS
    assert embed["footer"]["text"].startswith(f"pagewire alert {fired['alert_id']}")
    attachment = received["mattermost"].json()["attachments"][0]
    assert (attachment["color"], attachment["ts"]) == ("#F9A825", 1739948400)
    assert [field["title"] for field in attachment["fields"]] == FOOTER_FACTS
    teams = received["teams"].json()
    card = teams["attachments"][0]["content"]
    assert teams["type"] == "message"
    assert teams["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert (card["type"], card["version"], card["body"][0]["text"]) == ("AdaptiveCard", "1.4", title)
    assert [fact["title"] for fact in card["body"][2]["facts"]] == FOOTER_FACTS
    webhook = received["webhook"]
    timestamp = webhook.headers["X-Pagewire-Timestamp"]
    assert webhook.json() == fired
    assert webhook.body == encode_body(fired)
    assert webhook.headers["Idempotency-Key"] == fired["alert_id"]
    assert abs(int(timestamp) - sent_at) < 60
    assert verify(SECRET, timestamp, webhook.body, webhook.headers["X-Pagewire-Signature"])
    assert not verify("another-secret", timestamp, webhook.body, webhook.headers["X-Pagewire-Signature"])

    deliveries = await messages(settings, "alerts.deliveries", expect=5)
    assert sorted(
        (d["destination"], d["kind"], d["outcome"], d["attempts"], d["status_code"]) for d in deliveries
    ) == [(f"to-{kind}", kind, "delivered", 1, 200) for kind in sorted(PATHS)]
    assert {(d["alert_id"], d["reason"], d["snapshot_id"]) for d in deliveries} == {
        (fired["alert_id"], None, fired["snapshot_id"])
    }


def retried(destination: str) -> float:
    labels = {"destination": destination, "outcome": "retried"}
    return REGISTRY.get_sample_value("pagewire_deliveries_total", labels) or 0.0


async def test_500s_and_a_429_are_retried_and_retry_after_is_honoured(
    alert_env: dict[str, str], chat: Receiver, tmp_path: Path
) -> None:
    settings = Settings.load(alert_env)
    path = PATHS["slack"]
    chat.script(path, Reply(500), Reply(503), Reply(429, {"Retry-After": "2"}, b"rate_limited"))
    before = retried("flaky")
    alert = make_alert("retries", 1)
    chosen = targets(settings, tmp_path, {"flaky": {"kind": "slack", "url_env": "URL_SLACK"}}, url_env(chat))
    async with running(settings, chosen):
        await publish(settings, [alert])
        attempts = await chat.wait_for(path, 4)
        [delivery] = await messages(settings, "alerts.deliveries", expect=1)

    assert len({attempt.body for attempt in attempts}) == 1  # every retry sends the same message
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(attempts)]
    assert gaps[0] < 1.0 and gaps[1] < 1.0  # backoff from 0.05s, capped at 0.4s
    assert gaps[2] >= 2.0  # the 429's Retry-After
    assert (delivery["outcome"], delivery["attempts"], delivery["status_code"]) == ("delivered", 4, 200)
    assert retried("flaky") - before == 3
    assert len(chat.on(path)) == 4


async def test_filters_by_severity_and_pair_and_says_why(
    alert_env: dict[str, str], chat: Receiver, tmp_path: Path
) -> None:
    settings = Settings.load(alert_env)
    picky = {"kind": "slack", "url_env": "URL_SLACK", "min_severity": "warning", "pairs": ["KGS/*"]}
    everything = {"kind": "mattermost", "url_env": "URL_MATTERMOST"}

    def pair_alert(n: int, severity: str, pair: str) -> dict[str, Any]:
        group_key = f"move-1h|timesca.com|{pair}"
        return make_alert("filters", n, severity=severity, pair=pair, group_key=group_key)

    alerts = [
        pair_alert(1, "info", "KGS/USD"),
        pair_alert(2, "warning", "KGS/USD"),
        pair_alert(3, "critical", "UZS/USD"),
        pair_alert(4, "critical", "KGS/EUR"),
    ]
    chosen = targets(settings, tmp_path, {"picky": picky, "everything": everything}, url_env(chat))
    async with running(settings, chosen):
        await publish(settings, alerts)
        await chat.wait_for(PATHS["mattermost"], 4)
        deliveries = await messages(settings, "alerts.deliveries", expect=8)

    ids = [alert["alert_id"] for alert in alerts]
    sent = {
        request.json()["attachments"][0]["footer"].split(" ")[2] for request in chat.on(PATHS["mattermost"])
    }
    assert sent == set(ids)
    picked = {
        request.json()["blocks"][2]["elements"][0]["text"].split(" ")[2]
        for request in chat.on(PATHS["slack"])
    }
    assert picked == {ids[1], ids[3]}
    outcomes = {(d["alert_id"], d["outcome"], d["reason"]) for d in by_destination(deliveries, "picky")}
    assert outcomes == {
        (ids[0], "filtered", "severity info below warning"),
        (ids[1], "delivered", None),
        (ids[2], "filtered", "pair UZS/USD not in KGS/*"),
        (ids[3], "delivered", None),
    }
    assert {d["attempts"] for d in by_destination(deliveries, "picky") if d["outcome"] == "filtered"} == {0}
    assert {d["outcome"] for d in by_destination(deliveries, "everything")} == {"delivered"}


async def test_alerts_of_the_real_rule_engine_reach_a_webhook_unchanged_and_in_order(
    alert_env: dict[str, str], chat: Receiver, tmp_path: Path
) -> None:
    settings = Settings.load(alert_env)
    stale_rule = rules({"name": "stale", "metric": "staleness", "threshold": "0", "severity": "critical"})
    went_stale = evaluate(stale_rule, stale_event(1, "2025-02-19T12:00:05Z", "stale", 21605), {})
    recovered = stale_event(2, "2025-02-19T13:00:00Z", "recovered", 25200)
    came_back = evaluate(stale_rule, recovered, went_stale.states)
    raised = [alert_message(alert) for alert in went_stale.alerts + came_back.alerts]
    assert [alert["status"] for alert in raised] == ["firing", "resolved"]
    destinations = {"partner": {"kind": "webhook", "url_env": "URL_WEBHOOK", "secret_env": "SECRET"}}
    async with running(settings, targets(settings, tmp_path, destinations, url_env(chat))):
        await publish(settings, raised)
        received = await chat.wait_for(PATHS["webhook"], 2)

    assert [request.json() for request in received] == raised
    assert [request.headers["Idempotency-Key"] for request in received] == [a["alert_id"] for a in raised]
