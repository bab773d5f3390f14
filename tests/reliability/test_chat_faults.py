"""Chat receivers down, refusing, slow or in a 429 storm: alerts are late, never lost, others unaffected."""

import asyncio
import base64
import itertools
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from services.common import codec
from services.common.catalog import load_catalog
from services.common.settings import Settings
from services.domain.instants import parse_instant
from tests.reliability.conftest import Figures
from tests.support.alert_sink import (
    by_destination,
    make_alert,
    messages,
    publish,
    running,
    targets,
)
from tests.support.consumer_groups import wait_caught_up
from tests.support.receiver import HANG, Receiver, Reply, unused_port

# what each test puts a destination through, for the suite's figures
OUTAGES = {
    "test_a_down_receiver_is_dead_lettered_at_the_deadline_while_others_get_everything_on_time": (
        "chat receiver down past its 2s deadline: 3 alerts dead-lettered (deadline_exceeded), others on time"
    ),
    "test_a_receiver_that_comes_back_gets_the_alert_late_not_never": "chat receiver down 2s: delivered late",
    "test_a_slow_receiver_and_a_429_storm_delay_alerts_without_losing_them": (
        "chat receiver hanging past its timeout, and a storm of six 429s: delivered late"
    ),
    "test_a_stop_during_an_attempt_commits_nothing_and_the_alert_is_sent_again_after_restart": (
        "alert sink stopped mid-attempt: sent again after restart with the same alert id"
    ),
}


@pytest.fixture(autouse=True)
def count(request: pytest.FixtureRequest, figures: Figures) -> Iterator[None]:
    yield
    if request.node.name in OUTAGES:
        figures.outages.append(OUTAGES[request.node.name])
    else:
        figures.bad_inputs += 2  # the bad-message test: not JSON, and not an alert


HEALTHY = "/hooks/healthy-token-2"
GONE = "/hooks/gone-token-2"
DOWN_TOKEN = "down-token-2"


def footer_id(body: bytes) -> str:
    return str(orjson.loads(body)["attachments"][0]["footer"].split(" ")[2])


async def test_a_down_receiver_is_dead_lettered_at_the_deadline_while_others_get_everything_on_time(
    alert_env: dict[str, str], chat: Receiver, tmp_path: Path
) -> None:
    settings = Settings.load(alert_env)
    urls = {
        "DOWN": f"http://127.0.0.1:{unused_port()}/hooks/{DOWN_TOKEN}",
        "GONE": chat.url(GONE),
        "HEALTHY": chat.url(HEALTHY),
    }
    chat.script(GONE, *[Reply(404, body=b"channel_not_found")] * 3)
    destinations: dict[str, dict[str, object]] = {
        "down": {"kind": "mattermost", "url_env": "DOWN", "deadline": 2, "timeout": 1},
        "gone": {"kind": "mattermost", "url_env": "GONE"},
        "healthy": {"kind": "mattermost", "url_env": "HEALTHY"},
    }
    alerts = [make_alert("down", n) for n in range(3)]
    async with running(settings, targets(settings, tmp_path, destinations, urls)):
        await publish(settings, alerts)
        await chat.wait_for(HEALTHY, 3)
        deliveries = await messages(settings, "alerts.deliveries", expect=9)
        letters = await messages(settings, "deadletter", expect=6)

    ids = [alert["alert_id"] for alert in alerts]
    assert [footer_id(request.body) for request in chat.on(HEALTHY)] == ids  # one partition: in order
    # deliveries are keyed by alert id, so spread over partitions: put them back in alert order
    deliveries.sort(key=lambda delivery: ids.index(delivery["alert_id"]))
    healthy = by_destination(deliveries, "healthy")
    down = by_destination(deliveries, "down")
    assert [(d["alert_id"], d["outcome"], d["attempts"]) for d in healthy] == [
        (i, "delivered", 1) for i in ids
    ]
    assert [(d["alert_id"], d["outcome"], d["status_code"]) for d in down] == [
        (i, "dead_lettered", None) for i in ids
    ]
    assert {d["reason"] for d in down} == {"deadline_exceeded: last error connection failed"}
    assert all(d["attempts"] > 1 for d in down)
    # the down destination spent its deadline on each alert, one after the other; the healthy one waited
    # for none of it
    finished = [parse_instant(d["completed_at"]) for d in down]
    assert all((later - earlier).total_seconds() >= 1.5 for earlier, later in itertools.pairwise(finished))
    assert max(parse_instant(d["completed_at"]) for d in healthy) < finished[0]
    gone = by_destination(deliveries, "gone")
    assert [(d["outcome"], d["attempts"], d["status_code"], d["reason"]) for d in gone] == [
        ("dead_lettered", 1, 404, "rejected: status 404")
    ] * 3
    assert len(chat.on(GONE)) == 3  # refused for good: never retried

    by_reason = sorted(letters, key=lambda letter: (letter["reason"], letter["source"]["offset"]))
    assert [(letter["stage"], letter["reason"], letter["source"]["offset"]) for letter in by_reason] == [
        ("deliver", "deadline_exceeded", 0),
        ("deliver", "deadline_exceeded", 1),
        ("deliver", "deadline_exceeded", 2),
        ("deliver", "rejected", 0),
        ("deliver", "rejected", 1),
        ("deliver", "rejected", 2),
    ]
    assert by_reason[0]["error"].startswith(
        "destination 'down': deadline_exceeded: last error connection failed"
    )
    assert by_reason[3]["error"] == "destination 'gone': rejected: status 404 after 1 attempt(s)"
    assert [base64.b64decode(letter["original"]) for letter in by_reason[:3]] == [
        codec.encode(a) for a in alerts
    ]
    assert {letter["snapshot_id"] for letter in letters} == {alerts[0]["snapshot_id"]}
    published = orjson.dumps([deliveries, letters]).decode()
    assert DOWN_TOKEN not in published and "gone-token-2" not in published


async def test_a_receiver_that_comes_back_gets_the_alert_late_not_never(
    alert_env: dict[str, str], chat: Receiver, tmp_path: Path
) -> None:
    settings = Settings.load(alert_env)
    await chat.stop()
    alert = make_alert("back", 1)
    destinations = {"patient": {"kind": "mattermost", "url_env": "HEALTHY", "deadline": 20, "timeout": 2}}
    async with running(settings, targets(settings, tmp_path, destinations, {"HEALTHY": chat.url(HEALTHY)})):
        await publish(settings, [alert])
        await asyncio.sleep(2.0)
        await chat.start()
        [request] = await chat.wait_for(HEALTHY, 1)
        [delivery] = await messages(settings, "alerts.deliveries", expect=1)

    assert footer_id(request.body) == alert["alert_id"]
    assert delivery["outcome"] == "delivered"
    assert delivery["attempts"] > 2


async def test_bad_messages_are_dead_lettered_once_and_a_restart_sends_nothing_again(
    alert_env: dict[str, str], chat: Receiver, tmp_path: Path
) -> None:
    settings = Settings.load(alert_env)
    good = [make_alert("restart", n) for n in range(5)]
    not_an_alert = orjson.dumps({"schema": "pagewire.alert/1", "alert_id": "xyz"})
    destinations = {
        "first": {"kind": "mattermost", "url_env": "FIRST"},
        "second": {"kind": "mattermost", "url_env": "SECOND"},
    }
    urls = {"FIRST": chat.url("/hooks/first"), "SECOND": chat.url("/hooks/second")}
    chosen = targets(settings, tmp_path, destinations, urls)
    async with running(settings, chosen) as sink:
        await publish(settings, [good[0], b"{not json", good[1], not_an_alert, good[2], good[3]])
        await chat.wait_for("/hooks/first", 4)
        await chat.wait_for("/hooks/second", 4)
        for loop in sink.loops:
            await wait_caught_up(
                settings.kafka, loop.group, load_catalog(settings.kafka.topic_prefix), ["alerts"]
            )

    letters = await messages(settings, "deadletter", expect=2)
    assert [(letter["reason"], letter["source"]["offset"]) for letter in letters] == [
        ("invalid_json", 1),
        ("schema_mismatch", 3),
    ]
    assert base64.b64decode(letters[0]["original"]) == b"{not json"

    async with running(settings, chosen):
        await publish(settings, [good[4]])
        await chat.wait_for("/hooks/first", 5)
        await chat.wait_for("/hooks/second", 5)
        await asyncio.sleep(1.0)  # room for anything sent twice to arrive

    expected = [alert["alert_id"] for alert in good]
    assert [footer_id(request.body) for request in chat.on("/hooks/first")] == expected
    assert [footer_id(request.body) for request in chat.on("/hooks/second")] == expected
    assert len(await messages(settings, "deadletter", expect=2)) == 2


async def test_a_slow_receiver_and_a_429_storm_delay_alerts_without_losing_them(
    alert_env: dict[str, str], chat: Receiver, tmp_path: Path
) -> None:
    settings = Settings.load(alert_env)
    chat.script("/hooks/slow", HANG)  # longer than the 1s attempt timeout: abandoned, then retried
    chat.script("/hooks/storm", *[Reply(429, {"Retry-After": "0.3"}, b"rate_limited")] * 6)
    destinations: dict[str, dict[str, object]] = {
        "slow": {"kind": "mattermost", "url_env": "SLOW", "timeout": 1},
        "storm": {"kind": "mattermost", "url_env": "STORM"},
    }
    urls = {"SLOW": chat.url("/hooks/slow"), "STORM": chat.url("/hooks/storm")}
    alert = make_alert("slow", 1)
    async with running(settings, targets(settings, tmp_path, destinations, urls)):
        await publish(settings, [alert])
        slow = await chat.wait_for("/hooks/slow", 2)
        storm = await chat.wait_for("/hooks/storm", 7)
        deliveries = await messages(settings, "alerts.deliveries", expect=2)

    # the client's 1 s timer starts before its request reaches the receiver, whose clock stamps both
    # arrivals: the second can arrive up to that first delivery's latency (a few ms) short of 1 s later
    assert slow[1].at - slow[0].at >= 0.95
    assert all(later.at - earlier.at >= 0.3 for earlier, later in itertools.pairwise(storm))
    outcomes = sorted((d["destination"], d["outcome"], d["attempts"], d["status_code"]) for d in deliveries)
    assert outcomes == [("slow", "delivered", 2, 200), ("storm", "delivered", 7, 200)]
    assert {footer_id(request.body) for request in slow + storm} == {alert["alert_id"]}


async def test_a_stop_during_an_attempt_commits_nothing_and_the_alert_is_sent_again_after_restart(
    alert_env: dict[str, str], chat: Receiver, tmp_path: Path
) -> None:
    settings = Settings.load(alert_env)
    chat.script("/hooks/held", HANG)
    destinations = {"held": {"kind": "mattermost", "url_env": "HELD", "timeout": 1}}
    chosen = targets(settings, tmp_path, destinations, {"HELD": chat.url("/hooks/held")})
    alert = make_alert("stop", 1)
    async with running(settings, chosen) as sink:
        await publish(settings, [alert])
        await chat.wait_for("/hooks/held", 1)
        sink.stop()  # what SIGTERM does: the attempt in flight times out, no new one starts
    assert await messages(settings, "alerts.deliveries", expect=0, idle=0.5) == []

    async with running(settings, chosen):
        await chat.wait_for("/hooks/held", 2)
        [delivery] = await messages(settings, "alerts.deliveries", expect=1)
    assert [footer_id(request.body) for request in chat.on("/hooks/held")] == [alert["alert_id"]] * 2
    assert (delivery["outcome"], delivery["attempts"]) == ("delivered", 1)
