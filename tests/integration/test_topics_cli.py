"""`pagewire topics check|create|list` against the real broker: missing topics, created ones, and drift from
the catalog (partitions added, a retention changed, a topic deleted) reported per topic."""

import asyncio
import uuid

import orjson
from aiokafka.admin import NewPartitions
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from click.testing import CliRunner, Result

from services.cli import cli
from services.common.catalog import load_catalog
from services.common.kafka import admin, delete_topics
from services.common.settings import Settings


def invoke(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(cli, ["topics", *args], env=env)


async def test_check_create_and_drift_per_topic(kafka: Settings, test_env: dict[str, str]) -> None:
    prefix = f"{kafka.kafka.topic_prefix}drift-{uuid.uuid4().hex[:4]}."  # removed with the session prefix
    env = {**test_env, "PAGEWIRE_TOPIC_PREFIX": prefix}
    catalog = load_catalog(prefix)
    names = [catalog.name(spec.name) for spec in catalog.topics]

    before = await asyncio.to_thread(invoke, env, "check")
    assert before.exit_code == 1
    assert before.stdout.splitlines() == [f"missing  {name}" for name in names] + [
        "0 as the catalog says, 0 drifted, 29 missing"
    ]

    created = await asyncio.to_thread(invoke, env, "create")
    assert created.exit_code == 0, created.output
    assert created.stdout.splitlines() == [f"created  {name}" for name in sorted(names)] + [
        "29 created, 0 already present as the catalog says, 0 drifted"
    ]
    as_json = [
        orjson.loads(line)
        for line in (await asyncio.to_thread(invoke, env, "create", "--json")).stdout.splitlines()
    ]
    assert as_json == [{"topic": name, "state": "ok", "drift": []} for name in names]
    clean = await asyncio.to_thread(invoke, env, "check")
    assert (clean.exit_code, clean.stdout.splitlines()[-1]) == (
        0,
        "29 as the catalog says, 0 drifted, 0 missing",
    )

    client = admin(kafka.kafka)
    await client.start()
    try:
        await client.create_partitions({catalog.name("ticker.rows"): NewPartitions(8)})
        alerts = ConfigResource(ConfigResourceType.TOPIC, catalog.name("alerts"), {"retention.ms": "3600000"})
        await client.alter_configs([alerts])
    finally:
        await client.close()
    await delete_topics(kafka.kafka, [catalog.name("deadletter")])
    await asyncio.sleep(1)  # the deletion reaches every broker's metadata

    drifted = await asyncio.to_thread(invoke, env, "check")
    assert drifted.exit_code == 1
    lines = drifted.stdout.splitlines()
    assert [line for line in lines if not line.startswith("ok ")] == [
        f"drift    {catalog.name('ticker.rows')}: partitions 8, catalog 6",
        f"drift    {catalog.name('alerts')}: retention.ms 3600000, catalog 2592000000",
        f"missing  {catalog.name('deadletter')}",
        "26 as the catalog says, 2 drifted, 1 missing",
    ]
    as_json = [
        orjson.loads(line)
        for line in (await asyncio.to_thread(invoke, env, "check", "--json")).stdout.splitlines()
    ]
    assert {item["topic"]: (item["state"], item["drift"]) for item in as_json if item["state"] != "ok"} == {
        catalog.name("ticker.rows"): ("drift", ["partitions 8, catalog 6"]),
        catalog.name("alerts"): ("drift", ["retention.ms 3600000, catalog 2592000000"]),
        catalog.name("deadletter"): ("missing", ["missing"]),
    }

    # create makes what is missing and reports the drift it cannot fix, without failing (an init container)
    again = await asyncio.to_thread(invoke, env, "create")
    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines() == [
        f"created  {catalog.name('deadletter')}",
        f"drift    {catalog.name('ticker.rows')}: partitions 8, catalog 6",
        f"drift    {catalog.name('alerts')}: retention.ms 3600000, catalog 2592000000",
        "1 created, 26 already present as the catalog says, 2 drifted",
    ]
    await delete_topics(kafka.kafka, [catalog.name("deadletter")])
    await asyncio.sleep(1)
    created_json = await asyncio.to_thread(invoke, env, "create", "--json")
    assert (created_json.exit_code, created_json.stderr) == (0, "")
    states = {
        item["topic"]: (item["state"], item["drift"])
        for item in map(orjson.loads, created_json.stdout.splitlines())
    }
    assert {name: state for name, state in states.items() if state != ("ok", [])} == {
        catalog.name("deadletter"): ("created", []),
        catalog.name("ticker.rows"): ("drift", ["partitions 8, catalog 6"]),
        catalog.name("alerts"): ("drift", ["retention.ms 3600000, catalog 2592000000"]),
    }
    assert len(states) == 29


def test_list_shows_each_topics_key_description_and_schema() -> None:
    result = CliRunner().invoke(cli, ["topics", "list"], env={"PAGEWIRE_TOPIC_PREFIX": "acme."})
    assert result.exit_code == 0
    assert result.stdout.splitlines()[:3] == [
        "acme.snapshots.raw  6 partitions, 7d, delete, pagewire.snapshot/1",
        '    key: site host name, e.g. "timesca.example"; one site\'s snapshots stay in order',
        "    One message per fetched or replayed page snapshot, original bytes base64 encoded.",
    ]
    as_json = CliRunner().invoke(cli, ["topics", "list", "--json"], env={"PAGEWIRE_TOPIC_PREFIX": "acme."})
    first = orjson.loads(as_json.stdout.splitlines()[0])
    assert first == {
        "topic": "acme.snapshots.raw",
        "partitions": 6,
        "retention": "7d",
        "cleanup": "delete",
        "schema": "pagewire.snapshot/1",
        "key": 'site host name, e.g. "timesca.example"; one site\'s snapshots stay in order',
        "description": "One message per fetched or replayed page snapshot, original bytes base64 encoded.",
        "owner": "producer",
        "public": False,
    }
    assert len(as_json.stdout.splitlines()) == 29


async def test_a_topic_the_broker_refuses_is_an_error_not_created(
    kafka: Settings, test_env: dict[str, str]
) -> None:
    # 3 replicas asked of the one-node test broker: the controller refuses every topic, in its response
    prefix = f"{kafka.kafka.topic_prefix}refused-{uuid.uuid4().hex[:4]}."  # removed with the session prefix
    env = {**test_env, "PAGEWIRE_TOPIC_PREFIX": prefix, "PAGEWIRE_TOPIC_REPLICATION_FACTOR": "3"}
    first = load_catalog(prefix).topics[0].name  # made in catalog order: the first refusal stops it

    refused = await asyncio.to_thread(invoke, env, "create")

    assert refused.exit_code == 1
    assert refused.stdout == ""
    assert refused.stderr == (
        f"Error: could not create topic {prefix}{first} on {kafka.kafka.bootstrap}: "
        "Unable to replicate the partition 3 time(s): The target replication factor of 3 cannot be "
        "reached because only 1 broker(s) are registered.\n"
    )
    after = await asyncio.to_thread(invoke, env, "check")
    assert after.stdout.splitlines()[-1] == "0 as the catalog says, 0 drifted, 29 missing"
