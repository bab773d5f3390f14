"""services/domain stays pure: no module imports Kafka, Faust, HTTP, database, socket or process libraries."""

import ast
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[2] / "services" / "domain"
FORBIDDEN = (
    "aiokafka",
    "faust",
    "mode",
    "httpx",
    "aiohttp",
    "requests",
    "psycopg",
    "asyncpg",
    "sqlite3",
    "socket",
    "prometheus_client",
    "rocksdict",
    "urllib.request",
    "subprocess",
)
MODULES = sorted(DOMAIN.rglob("*.py"))


def imported_modules(source: str) -> set[str]:
    """Every module a source file imports, 'from x import y' forms and importlib strings."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and (
                getattr(node.func, "attr", None) == "import_module"
                or getattr(node.func, "id", None) == "__import__"
            )
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names.add(node.args[0].value)
    return names


def forbidden_in(source: str) -> list[str]:
    return sorted(
        name
        for name in imported_modules(source)
        if any(name == banned or name.startswith(banned + ".") for banned in FORBIDDEN)
    )


def test_the_scan_sees_modules() -> None:
    assert DOMAIN / "ticker" / "rows.py" in MODULES and DOMAIN / "alerts" / "chat" / "slack.py" in MODULES


@pytest.mark.parametrize("module", MODULES, ids=[str(path.relative_to(DOMAIN)) for path in MODULES])
def test_domain_module_imports_nothing_impure(module: Path) -> None:
    assert forbidden_in(module.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("import faust", ["faust"]),
        ("import mode.utils", ["mode.utils"]),
        ("from aiokafka import AIOKafkaProducer", ["aiokafka", "aiokafka.AIOKafkaProducer"]),
        ("from urllib import request", ["urllib.request"]),
        ("import urllib.request as r", ["urllib.request"]),
        ("from psycopg.rows import dict_row", ["psycopg.rows", "psycopg.rows.dict_row"]),
        ("import importlib\nimportlib.import_module('httpx')", ["httpx"]),
        ("def f():\n    import socket", ["socket"]),
        ("import urllib.parse\nimport modest\nfrom decimal import Decimal", []),
    ],
)
def test_the_scan_catches_every_import_form(source: str, found: list[str]) -> None:
    assert forbidden_in(source) == found
