"""The demo's orchestration: fresh topics, the worker and both sinks as real processes, a replay, a report."""

import asyncio
import os
import secrets
import shutil
import signal
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

from rich.console import Console

from services.common.catalog import Catalog, load_catalog
from services.common.kafka import admin, ensure_topics
from services.common.paths import REPO_ROOT
from services.common.settings import Settings
from services.demo.plan import plan
from services.demo.receiver import Receiver, chat_receiver
from services.demo.show import show_results
from services.producer.runner import replay_files

PREFIX = "pagewire-demo."
SITE = "timesca.com"
REPLAY = REPO_ROOT / "samples" / "replay"
LATE = REPO_ROOT / "samples" / "late"
_DESTINATIONS = """\
# written by `pagewire demo`: both destinations post to the demo's local receiver
destinations:
  demo-slack:
    kind: slack
    url_env: PAGEWIRE_DEMO_SLACK_URL
  demo-webhook:
    kind: webhook
    url_env: PAGEWIRE_DEMO_WEBHOOK_URL
    secret_env: PAGEWIRE_DEMO_WEBHOOK_SECRET
"""


async def run_demo(settings: Settings, console: Console, prefix: str = PREFIX) -> bool:
    """Replay the bundled pages through every stage and print what came out; False if something failed."""
    demo = plan(settings, prefix)
    shutil.rmtree(demo.workdir, ignore_errors=True)
    demo.workdir.mkdir(parents=True)
    (demo.workdir / "destinations.yaml").write_text(_DESTINATIONS)
    catalog = load_catalog(prefix)
    console.print(f"[bold]1.[/] fresh topics under the prefix [cyan]{prefix}[/]")
    await fresh_topics(demo.settings, catalog)
    secret = secrets.token_hex(16)
    async with chat_receiver(secret) as receiver, AsyncExitStack() as stack:
        env = {**demo.env, **_receiver_env(receiver, secret)}
        console.print(
            "[bold]2.[/] starting [cyan]pagewire worker[/], [cyan]sink storage[/], [cyan]sink alerts[/]"
        )
        for command in (["worker"], ["sink", "storage"], ["sink", "alerts"]):
            await stack.enter_async_context(_process(command, env, demo.workdir))
        console.print(f"[bold]3.[/] replaying {REPLAY.relative_to(REPO_ROOT)}/ and a late snapshot as {SITE}")
        replayed = await replay_files(demo.settings, [REPLAY], site=SITE)
        late = await replay_files(demo.settings, [LATE], site=SITE)
        console.print(f"    replay: {replayed.summary()}; late: {late.summary()}")
        console.print("[bold]4.[/] waiting for every stage to finish")
        settled = await settle(demo.settings, catalog, receiver, replayed.sent + late.sent)
    await show_results(demo, catalog, receiver, console)
    return settled and replayed.ok and late.ok


async def fresh_topics(settings: Settings, catalog: Catalog) -> None:
    """Delete every topic under the demo prefix and create the catalog again: each run starts empty."""
    client = admin(settings.kafka)
    await client.start()
    try:
        stale = {name for name in await client.list_topics() if name.startswith(catalog.prefix)}
        if stale:
            await client.delete_topics(sorted(stale))
            for _ in range(150):
                if not stale & set(await client.list_topics()):
                    break
                await asyncio.sleep(0.2)
    finally:
        await client.close()
    await ensure_topics(settings.kafka, catalog)


async def settle(
    settings: Settings, catalog: Catalog, receiver: Receiver, sent: int, timeout: float = 180
) -> bool:
    """Wait until every snapshot was parsed and nothing moved (topics, deliveries) for a few seconds."""
    from services.demo.show import topic_sizes

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last: tuple[object, ...] = ()
    quiet_since = loop.time()
    while loop.time() < deadline:
        sizes = await topic_sizes(settings, catalog)
        state = (tuple(sorted(sizes.items())), len(receiver.received))
        if state != last:
            last, quiet_since = state, loop.time()
        parsed = sizes.get(catalog.name("snapshots.parsed"), 0) + sizes.get(catalog.name("deadletter"), 0)
        if parsed >= sent and loop.time() - quiet_since >= 6:
            return True
        await asyncio.sleep(0.5)
    return False


def _receiver_env(receiver: Receiver, secret: str) -> dict[str, str]:
    return {
        "PAGEWIRE_DEMO_SLACK_URL": receiver.url + "/slack",
        "PAGEWIRE_DEMO_WEBHOOK_URL": receiver.url + "/webhook",
        "PAGEWIRE_DEMO_WEBHOOK_SECRET": secret,
    }


@asynccontextmanager
async def _process(command: list[str], env: Mapping[str, str], workdir: Path) -> AsyncIterator[None]:
    """A pagewire process for the length of the block, its log in the demo's folder; SIGTERM at the end."""
    log = (workdir / f"{'-'.join(command)}.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.cli", *command,
        env={**os.environ, **env}, stdout=log, stderr=asyncio.subprocess.STDOUT, cwd=REPO_ROOT,
    )  # fmt: skip
    try:
        yield
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), timeout=60)
            except TimeoutError:
                process.kill()
                await process.wait()
        log.close()
