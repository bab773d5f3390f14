"""Contract facts are written once: schema ids, the worker's outputs and the stored topics agree with the
catalog (schemas/topics.yaml) and the JSON Schemas in schemas/json."""

from services.common.catalog import load_catalog
from services.common.paths import schemas_dir
from services.domain import schema_ids
from services.sinks.storage.rows import STORED_SCHEMAS

CATALOG = load_catalog()


def test_every_schema_id_is_a_catalog_value_and_a_json_schema_and_nothing_else() -> None:
    files = {path.name for path in (schemas_dir() / "json").glob("*.json")}
    known = (*schema_ids.ALL, *schema_ids.OLDER)
    assert sorted(files) == sorted(f"{name.replace('/', '.v')}.json" for name in known)
    assert {spec.value for spec in CATALOG.topics} == set(schema_ids.ALL)


def test_the_worker_writes_every_topic_it_owns_and_the_dead_letters() -> None:
    written = CATALOG.written_by("worker")
    assert {"ticker.rows", "rates.deltas", "alerts", "articles.unclassified", "deadletter"} <= set(written)
    assert "articles.country.kyrgyzstan" in written and "alerts.deliveries" not in written
    assert "snapshots.raw" not in written


def test_the_stored_topics_are_the_originals_each_with_a_table() -> None:
    assert CATALOG.stored == (
        "snapshots.parsed",
        "ticker.rows",
        "rates.deltas",
        "ticker.staleness",
        "articles",
        "alerts",
        "alerts.deliveries",
        "deadletter",
    )
    # and the older versions that may remain on those topics
    assert {CATALOG.spec(name).value for name in CATALOG.stored} | set(schema_ids.OLDER) == STORED_SCHEMAS
