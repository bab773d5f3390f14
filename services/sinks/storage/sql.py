"""SQL for both dialects, built from the table definitions: upserts on natural keys, label replacement."""

from dataclasses import dataclass
from functools import cache

from services.sinks.storage.rows import RowBatch
from services.sinks.storage.tables import ARTICLE_LABELS, TABLES, Dialect, Table


@dataclass(frozen=True)
class Statement:
    """One parameterised statement, run once per parameter row (executemany), timed under `table`."""

    table: str
    sql: str
    params: tuple[tuple[object, ...], ...]


def bind(sql: str, dialect: Dialect) -> str:
    """Statements are written with `?` placeholders; psycopg wants `%s`."""
    if dialect == "sqlite":
        return sql
    if "%" in sql:
        raise ValueError("a literal % in SQL would be read as a placeholder by psycopg")
    return sql.replace("?", "%s")


@cache
def upsert_sql(table: Table, dialect: Dialect) -> str:
    """INSERT ... ON CONFLICT (natural key) DO UPDATE, skipping rows that would not change.

    The WHERE keeps replays from rewriting identical rows: PostgreSQL would otherwise leave a dead row
    version behind for every replayed message.
    """
    columns = ", ".join(table.columns)
    marks = ", ".join(_placeholder(table, column, dialect) for column in table.columns)
    updates = ", ".join(f"{column} = excluded.{column}" for column in table.values)
    stored = ", ".join(f"{table.name}.{column}" for column in table.values)
    incoming = ", ".join(f"excluded.{column}" for column in table.values)
    differs = "IS DISTINCT FROM" if dialect == "postgresql" else "IS NOT"
    # identifiers come from tables.py; every value is a parameter
    return (
        f"INSERT INTO {table.name} ({columns}) VALUES ({marks}) "  # noqa: S608
        f"ON CONFLICT ({', '.join(table.key)}) DO UPDATE SET {updates} "
        f"WHERE ({stored}) {differs} ({incoming})"
    )


def _placeholder(table: Table, column: str, dialect: Dialect) -> str:
    if dialect == "sqlite":
        return "?"
    return "%s::jsonb" if column in table.json_columns else "%s"


_DELETE_LABELS = "DELETE FROM article_labels WHERE article_id = ? AND revision = ?"


def write_statements(batch: RowBatch, dialect: Dialect) -> list[Statement]:
    """Everything one batch writes, in table order; an article revision's labels are replaced as a whole."""
    statements: list[Statement] = []
    for table in TABLES:
        if table is ARTICLE_LABELS and batch.relabelled():
            statements.append(Statement(table.name, bind(_DELETE_LABELS, dialect), tuple(batch.relabelled())))
        rows = batch.rows(table)
        if rows:
            params = tuple(tuple(row[column] for column in table.columns) for row in rows)
            statements.append(Statement(table.name, upsert_sql(table, dialect), params))
    return statements
