"""The AsyncAPI document: generated from the catalog, valid AsyncAPI 3.0, the committed copy current."""

import json

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from services.cli import cli
from services.cli.schemas_cmd import render
from services.common.asyncapi import asyncapi_document
from services.common.catalog import load_catalog
from tests.conftest import REPO

# the official AsyncAPI 3.0.0 JSON Schema, from the @asyncapi/specs package (Apache-2.0), version 6.11.1
OFFICIAL = json.loads((REPO / "tests/contract/data/asyncapi-3.0.0.schema.json").read_text())


def test_the_generated_document_is_valid_asyncapi_3() -> None:
    jsonschema.validate(asyncapi_document(load_catalog()), OFFICIAL)


def test_the_validation_catches_a_broken_document() -> None:
    document = asyncapi_document(load_catalog())
    document["operations"]["receive.ticker.rows"]["action"] = "subscribe"  # AsyncAPI 2 wording
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, OFFICIAL)


def test_every_topic_has_a_channel_with_its_schema() -> None:
    catalog = load_catalog()
    document = asyncapi_document(catalog)
    addresses = {channel["address"] for channel in document["channels"].values()}
    for spec in catalog.topics:
        if spec.family:
            assert f"pagewire.articles.{spec.name.split('.')[1]}.{{slug}}" in addresses
        else:
            assert f"pagewire.{spec.name}" in addresses
    country = document["channels"]["articles.country.{slug}"]
    assert country["parameters"]["slug"]["enum"][:3] == ["kazakhstan", "kyrgyzstan", "tajikistan"]
    delta = document["components"]["schemas"]["rate_delta_v1"]
    assert delta["properties"]["schema"] == {
        "const": "pagewire.rate_delta/1",
        "description": "message type and version",
    }
    assert document["channels"]["rates.deltas"]["bindings"]["kafka"]["partitions"] == 6
    # the input: producers send to it; every other topic is received
    raw = document["operations"]["send.snapshots.raw"]
    assert raw["action"] == "send" and raw["channel"] == {"$ref": "#/channels/snapshots.raw"}
    assert document["channels"]["snapshots.raw"]["messages"] == {
        "snapshot_v1": {"$ref": "#/components/messages/snapshot_v1"}
    }
    assert document["components"]["messages"]["snapshot_v1"]["bindings"]["kafka"]["key"]["description"] == (
        'site host name, e.g. "timesca.example"; one site\'s snapshots stay in order'
    )
    assert sorted(name for name, op in document["operations"].items() if op["action"] == "send") == [
        "send.snapshots.raw"
    ]


def test_the_committed_document_matches_the_catalog() -> None:
    committed = (REPO / "schemas/asyncapi.yaml").read_text()
    assert committed == render(asyncapi_document(load_catalog())), (
        "schemas/asyncapi.yaml is stale: run `pagewire schemas asyncapi -o schemas/asyncapi.yaml`"
    )


def test_the_cli_prints_the_document_with_the_configured_prefix() -> None:
    result = CliRunner().invoke(cli, ["schemas", "asyncapi"], env={"PAGEWIRE_TOPIC_PREFIX": "acme."})
    assert result.exit_code == 0, result.output
    document = yaml.safe_load(result.output)
    assert document["channels"]["alerts"]["address"] == "acme.alerts"


def test_the_cli_prints_the_same_document_as_json() -> None:
    env = {"PAGEWIRE_TOPIC_PREFIX": "acme."}
    as_yaml = CliRunner().invoke(cli, ["schemas", "asyncapi"], env=env)
    as_json = CliRunner().invoke(cli, ["schemas", "asyncapi", "--json"], env=env)
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout) == yaml.safe_load(as_yaml.stdout)
    jsonschema.validate(json.loads(as_json.stdout), OFFICIAL)
