"""The README stays true: its settings table and topic examples are what the code and schemas say."""

import re

import orjson

from services.cli.config_cmd import settings_table
from services.common import codec
from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_the_settings_table_lists_every_setting_with_its_default() -> None:
    block = re.search(r"<!-- settings:start[^>]*-->\n(.*?)<!-- settings:end -->", README, re.S)
    assert block is not None, "README has no settings block"
    assert block.group(1) == settings_table(), (
        "README's settings table is stale: replace it with the output of `pagewire config --markdown`"
    )


def test_every_public_topic_has_an_example_that_is_the_validated_schema_example() -> None:
    examples = [orjson.loads(block) for block in re.findall(r"```json\n(.*?)\n```", README, re.S)]
    shown = {example["schema"] for example in examples}
    assert shown == {
        "pagewire.ticker_row/1", "pagewire.rate_delta/1", "pagewire.staleness/1",
        "pagewire.article/1", "pagewire.snapshot_summary/2", "pagewire.alert/1",
        "pagewire.alert_delivery/1", "pagewire.deadletter/1",
    }  # fmt: skip
    for example in examples:
        codec.validate(example)
        name = example["schema"].replace("/", ".v")
        assert example == orjson.loads((REPO / f"schemas/examples/{name}.json").read_bytes()), name


def test_the_two_commands_are_the_scripts_ci_runs() -> None:
    assert "scripts/demo " in README and "scripts/test " in README
    assert "scripts/test" in (REPO / ".ci/run").read_text()
