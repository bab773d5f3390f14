"""Security as tests: no secret leaks, inert page text in chat, parameterised SQL, only probes served."""

# SSRF (also through redirects) is proven in tests/integration/test_producer_guard.py.

import ast
import asyncio
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
import pytest

from services.common import codec
from services.common.paths import REPO_ROOT
from services.common.settings import Settings
from services.domain.alerts.chat.webhook import verify
from services.domain.page.snapshot import Snapshot
from tests.reliability.compare import alert_requests
from tests.reliability.conftest import Figures
from tests.reliability.runs import FaultPoint, run_replay
from tests.support.alerts import INJECTION
from tests.support.pipeline import Chat, Pipeline
from tests.support.processes import PAGEWIRE
from tests.support.receiver import Reply
from tests.support.replay import URL, build_replay
from tests.unit.test_chat_escaping import TRIGGERS, strings

CHATS = {
    "slack": Chat("slack", "/services/T01/B01/slack-secret-token-1"),
    "discord": Chat("discord", "/api/webhooks/1/discord-secret-token-2"),
    "mattermost": Chat("mattermost", "/hooks/mattermost-secret-token-3"),
    "teams": Chat("teams", "/workflows/teams-secret-token-4"),
    "webhook": Chat("webhook", "/hooks/webhook-secret-token-5", "hmac-signing-secret-6"),
}
HOSTILE = {  # what `pagewire query` is asked, and must answer with nothing and no harm
    "rates": ("--pair", "KGS/USD' OR '1'='1"),
    "deltas": ("--pair", "x'; DELETE FROM rate_deltas; --"),
    "alerts": ("--pair", "' UNION SELECT * FROM alert_deliveries --"),
}
# a label must be one of the taxonomy's: anything else is refused (exit 2) before any SQL runs
REFUSED = ("articles", "--label", "x') OR 1=1; DROP TABLE articles; --")
# identifiers and placeholder lists the sinks interpolate into SQL, each checked by hand: never a value
SQL_INTERPOLATIONS = {
    "json", "_DELTA_COLUMNS", "where", "order", "latest", "marks", "select", "_LATEST_RATE", "table.name",
    "columns", "', '.join(table.key)", "updates", "stored", "differs", "incoming",
}  # fmt: skip


async def chat_errors(run: Pipeline) -> None:
    """Every destination first answers 500, then 429: errors and retries get logged."""
    for chat in CHATS.values():
        run.receiver.script(chat.path, Reply(500, body=b"oops"), Reply(429, {"Retry-After": "0.2"}))


async def chat_down(run: Pipeline) -> None:
    await run.receiver.stop()
    await asyncio.sleep(2)  # connections refused: error messages that could name the URL
    await run.receiver.start()


async def database_down(run: Pipeline) -> None:
    async with run.databases["postgresql"].outage():
        await asyncio.sleep(3)  # connection errors that could name the URL and its password


async def pagewire(env: dict[str, str], *args: str, code: int = 0) -> str:
    pipe, merged = asyncio.subprocess.PIPE, asyncio.subprocess.STDOUT
    process = await asyncio.create_subprocess_exec(
        PAGEWIRE, *args, env={**os.environ, **env}, stdout=pipe, stderr=merged
    )
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == code, out.decode()
    return out.decode()


@pytest.mark.timeout(600)
async def test_no_secret_leaks_page_text_is_inert_in_every_chat_and_only_probes_are_served(
    kafka: Settings, test_env: dict[str, str], tmp_path: Path, figures: Figures
) -> None:
    pages = build_replay(11, sites=1, per_site=40, poison=False).pages
    # the site name is the page-derived text that reaches chat (in alert summaries and fields)
    snapshots = [Snapshot(page.body, URL, INJECTION, page.fetched_at, "text/plain", None) for page in pages]
    records = [(INJECTION.encode(), codec.encode(snapshot.to_envelope())) for snapshot in snapshots]
    plan = [
        FaultPoint(1, "chat errors", 0),
        FaultPoint(12, "chat down", 0),
        FaultPoint(20, "database down", 0),
    ]
    seen: list[str] = []  # everything a person or a scraper could read
    urls: dict[str, str] = {}

    async def inspect(run: Pipeline) -> None:
        urls["postgresql"] = run.databases["postgresql"].url
        for name, process in run.processes().items():
            seen.append(await served_only_probes(name, process.url))
        before = await run.stored()
        for dialect, target in run.databases.items():
            env = {**run.env, "PAGEWIRE_DATABASE_URL": target.url}
            for view, (option, value) in HOSTILE.items():
                assert await pagewire(env, "query", view, option, value, "--json") == "", (dialect, view)
            refused = await pagewire(env, "query", *REFUSED, "--json", code=2)
            assert "unknown label" in refused, dialect
            assert await pagewire(env, "query", "rates", "--pair", "KGS/USD", "--json")  # the query works
            seen.append(await pagewire(env, "config"))
        assert await run.stored() == before  # and harmed nothing
        seen.append(await pagewire(run.env, "sink", "alerts", "--check"))

    outcome = await run_replay(
        test_env,
        tmp_path / "run",
        records,
        plan,
        faults={"chat errors": chat_errors, "chat down": chat_down, "database down": database_down},
        chats=CHATS,
        inspect=inspect,
    )
    seen += [path.read_text() for path in sorted((tmp_path / "run").glob("*.log"))]
    seen += [
        value.decode() for name in ("deadletter", "alerts.deliveries") for _, value in outcome.topics[name]
    ]
    secrets = [chat.path.rsplit("/", 1)[1] for chat in CHATS.values()] + ["hmac-signing-secret-6"]
    secrets.append(str(urlsplit(urls["postgresql"]).password))
    everything = "\n".join(seen)
    assert "postgresql://pagewire:****@" in everything  # `pagewire config` shows the URL, masked
    assert [secret for secret in secrets if secret in everything] == []

    alerts = [orjson.loads(value) for _, value in outcome.topics["alerts"]]
    assert alerts and {alert["site"] for alert in alerts} == {INJECTION}
    titles = {orjson.loads(value)["title"] for _, value in outcome.topics["articles"]}
    for name, chat in CHATS.items():
        received = outcome.chat[chat.path]
        assert set(alert_requests(received)) == {alert["alert_id"] for alert in alerts}, name  # all arrived
        for request in received:
            if name == "webhook":  # generic JSON is data, not markup: the alert as it is, signed
                assert request.json() in alerts
                headers = request.headers
                assert verify(
                    "hmac-signing-secret-6",
                    headers["X-Pagewire-Timestamp"],
                    request.body,
                    headers["X-Pagewire-Signature"],
                )
                continue
            body = request.json()
            assert not [(t, s) for s in strings(body) for t in TRIGGERS if t in s], (name, body)
            assert not [title for title in titles if title in request.body.decode()]  # headlines never go
            if name == "discord":
                assert body["allowed_mentions"] == {"parse": []}
    figures.notes.append(f"security: {len(alerts)} alerts from a site named {INJECTION!r} to 4 chat kinds")
    figures.outages += [
        "chat receivers answering 500 then 429",
        "chat receivers down 2s",
        "PostgreSQL down 3s",
    ]


async def served_only_probes(name: str, url: str) -> str:
    """/metrics, /healthz and /readyz answer GET; any other path or method does not. Returns the metrics."""
    async with httpx.AsyncClient(base_url=url) as client:
        for path in ("/metrics", "/healthz", "/readyz"):
            assert (await client.get(path)).status_code == 200, (name, path)
        for path in ("/", "/admin", "/debug/pprof", "/metrics/../../etc/passwd", "/tables", "/.env"):
            assert (await client.get(path)).status_code == 404, (name, path)
        for method in ("POST", "PUT", "DELETE"):
            assert (await client.request(method, "/metrics")).status_code == 405, (name, method)
        return (await client.get("/metrics")).text


def test_the_sinks_interpolate_only_reviewed_identifiers_into_sql() -> None:
    """Values reach SQL only as parameters: every f-string with SQL in services/sinks interpolates a
    reviewed identifier or placeholder list, and no SQL is built with % or str.format."""
    keyword = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|WHERE|VALUES|CREATE|DROP|ALTER|SET)\b")
    found: list[str] = []
    for path in sorted((REPO_ROOT / "services" / "sinks").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            where = f"{path.relative_to(REPO_ROOT)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.JoinedStr) and keyword.search(_literal(node)):
                found += [
                    f"{where}: {{{ast.unparse(part.value)}}}"
                    for part in node.values
                    if isinstance(part, ast.FormattedValue)
                    and ast.unparse(part.value) not in SQL_INTERPOLATIONS
                ]
            elif _formats(node) and keyword.search(_formats(node) or ""):
                found.append(f"{where}: SQL built with % or .format")
    assert found == []


def _literal(node: ast.JoinedStr) -> str:
    return "".join(str(part.value) for part in node.values if isinstance(part, ast.Constant))


def _formats(node: Any) -> str | None:
    """The literal of `"..." % x` or `"...".format(x)`, else None."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Constant):
        return str(node.left.value)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        target = node.func.value
        return str(target.value) if isinstance(target, ast.Constant) else None
    return None
