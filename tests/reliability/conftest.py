"""The fault-injection suite's fixtures, and the figures it prints at the end of the run."""

import os
import random
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field

import pytest

from services.common.settings import Settings
from tests.reliability.compare import Difference
from tests.reliability.runs import RunResult, run_replay
from tests.support.replay import Replay, build_replay

SEED_VARIABLE = "PAGEWIRE_FAULT_SEED"


@dataclass
class Figures:
    """What the suite proved, summed over its tests, printed by pytest_terminal_summary."""

    seed: int | None = None
    kill_points: list[str] = field(default_factory=list)  # SIGKILL / kill -9, then a restart
    outages: list[str] = field(default_factory=list)  # a dependency down or misbehaving for a while
    messages_compared: int = 0
    rows_compared: int = 0
    chat_requests_compared: int = 0
    repeats: int = 0
    bad_inputs: int = 0
    lost: int = 0
    duplicated: int = 0
    notes: list[str] = field(default_factory=list)
    touched: bool = False

    def record(self, found: Mapping[str, Difference]) -> None:
        """Count one comparison against a clean run (tests/reliability/runs.py differences)."""
        self.messages_compared += found["topics"].compared
        self.rows_compared += found["tables"].compared
        self.chat_requests_compared += found["chat"].compared
        self.repeats += found["topics"].repeats + found["chat"].repeats
        self.lost += sum(len(difference.lost) for difference in found.values())
        self.duplicated += sum(len(difference.duplicated) for difference in found.values())


FIGURES = Figures()
ELSEWHERE = (
    "fuzzing, 300 examples per property: parser tests/unit/test_parse_fuzz.py, envelope decoder "
    "tests/unit/test_envelope_fuzz.py",
    "SSRF targets refused, also through redirects: tests/integration/test_producer_guard.py",
    "alert sink SIGKILLed mid-delivery re-sends only that alert, same key: "
    "tests/integration/alerts/test_alert_sink_process.py",
    "storage outage on SQLite too: tests/integration/storage/test_storage_sink.py",
)


@pytest.fixture(scope="session")
def fault_seed() -> int:
    """PAGEWIRE_FAULT_SEED when set (to replay a failure), else a fresh one: printed either way."""
    chosen = os.environ.get(SEED_VARIABLE)
    seed = int(chosen) if chosen else random.SystemRandom().randrange(1, 2**31)
    FIGURES.seed = seed
    return seed


# The replay the crash and scale-out suites share, and its clean run: 2,000 snapshots of 4 sites
SITES, PER_SITE = 4, 500
# sent in bursts, faster than the worker drains them: faults land while it works through a backlog (many
# events' outputs and table changes in flight) and, at the end of each burst, while it waits
BURST, PAUSE = 100, 0.5


@pytest.fixture(scope="session")
def replay(fault_seed: int) -> Replay:
    return build_replay(fault_seed, sites=SITES, per_site=PER_SITE)


@pytest.fixture(scope="session")
async def reference(
    kafka: Settings, test_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory, replay: Replay
) -> AsyncIterator[RunResult]:
    """The clean run every faulted one is compared with: one worker, one broker, no fault (outputs do not
    depend on the store)."""
    folder = tmp_path_factory.mktemp("crashes") / "reference"
    yield await run_replay(
        test_env, folder, replay.records, store="rocksdb", burst=BURST, pause=PAUSE, progress="parsed"
    )


@pytest.fixture
def figures() -> Figures:
    FIGURES.touched = True
    return FIGURES


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not FIGURES.touched:
        return
    write = terminalreporter.write_line
    terminalreporter.section("pagewire reliability figures")
    if FIGURES.seed is not None:
        write(f"fault seed: {FIGURES.seed} (replay it: {SEED_VARIABLE}={FIGURES.seed} scripts/reliability)")
    write(f"kill points survived: {len(FIGURES.kill_points)}")
    for point in FIGURES.kill_points:
        write(f"  {point}")
    write(f"outages survived: {len(FIGURES.outages)}")
    for outage in FIGURES.outages:
        write(f"  {outage}")
    figures = FIGURES
    write(f"messages compared: {figures.messages_compared} (identical repeats: {figures.repeats})")
    write(f"table rows compared: {figures.rows_compared}; chat requests: {figures.chat_requests_compared}")
    write(f"bad inputs tried: {FIGURES.bad_inputs}")
    write(f"lost = {FIGURES.lost}, duplicated = {FIGURES.duplicated}")
    for note in FIGURES.notes:
        write(f"  {note}")
    write("proven outside this suite (docs/reliability.md):")
    for elsewhere in ELSEWHERE:
        write(f"  {elsewhere}")
