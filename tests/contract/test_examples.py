"""Every example validates against its schema, and schemas, examples and the topic catalog agree."""

import json
from pathlib import Path

import pytest

from services.common.catalog import load_catalog
from services.common.codec import schema_file, validate
from services.common.paths import schemas_dir
from services.domain import schema_ids
from services.domain.errors import SchemaError

SCHEMAS = sorted((schemas_dir() / "json").glob("*.json"))
EXAMPLES = sorted((schemas_dir() / "examples").glob("*.json"))


def message_name(path: Path) -> str:
    """schemas/*/pagewire.rate_delta.v1.json -> pagewire.rate_delta/1"""
    base, _, version = path.name.removesuffix(".json").rpartition(".v")
    return f"{base}/{version}"


def test_there_are_schemas_and_examples() -> None:
    assert len(SCHEMAS) >= 9 and len(EXAMPLES) >= 9


@pytest.mark.parametrize("example", EXAMPLES, ids=[path.name for path in EXAMPLES])
def test_example_is_valid(example: Path) -> None:
    message = json.loads(example.read_text(encoding="utf-8"))
    assert message["schema"] == message_name(example)
    validate(message)


@pytest.mark.parametrize("schema", SCHEMAS, ids=[path.name for path in SCHEMAS])
def test_every_schema_has_an_example_and_is_in_the_catalog(schema: Path) -> None:
    name = message_name(schema)
    assert schema_file(name) == schema
    assert schemas_dir() / "examples" / schema.name in EXAMPLES
    # an older version is still read where it may remain on a topic; every other schema is a topic's value
    assert name in {topic.value for topic in load_catalog().topics} | set(schema_ids.OLDER)
    definition = json.loads(schema.read_text(encoding="utf-8"))
    assert definition["properties"]["schema"]["const"] == name
    assert definition["additionalProperties"] is False


def test_every_catalog_value_has_a_schema() -> None:
    for topic in load_catalog().topics:
        assert schema_file(topic.value).is_file(), topic.name


@pytest.mark.parametrize("example", EXAMPLES, ids=[path.name for path in EXAMPLES])
def test_an_example_with_an_unknown_field_is_refused(example: Path) -> None:
    message = json.loads(example.read_text(encoding="utf-8"))
    with pytest.raises(SchemaError):
        validate({**message, "unexpected": True})
