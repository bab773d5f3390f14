"""The fault-injection suite's fixtures, and the figures it prints at the end of the run."""

import os
import random
from collections.abc import AsyncIterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

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

    def add(self, other: Mapping[str, Any]) -> None:
        """Add the figures of another test process (asdict of its Figures, sent back by pytest-xdist)."""
        for name, value in other.items():
            if name == "seed":
                self.seed = self.seed if value is None else value
            elif name == "touched":
                self.touched = self.touched or bool(value)
            else:
                setattr(self, name, getattr(self, name) + value)  # counts add up, lists concatenate


FIGURES = Figures()
ELSEWHERE = (
    "fuzzing, 300 examples per property: parser tests/unit/test_parse_fuzz.py, envelope decoder "
    "tests/unit/test_envelope_fuzz.py",
    "SSRF targets refused, also through redirects: tests/integration/test_producer_guard.py",
    "alert sink SIGKILLed mid-delivery re-sends only that alert, same key: "
    "tests/integration/alerts/test_alert_sink_process.py",
    "storage outage on SQLite too: tests/integration/storage/test_storage_sink.py",
)


# scripts/reliability runs the suite in two pytest processes (pytest-xdist): the controller draws the seed,
# gives it to each process, and sums the figures they send back at their end
_SEED_INPUT = "pagewire_fault_seed"
_FIGURES_OUTPUT = "pagewire_figures"


def chosen_seed(config: pytest.Config) -> int:
    """PAGEWIRE_FAULT_SEED when set (to replay a failure), else the controller's, else a fresh one."""
    handed = getattr(config, "workerinput", {}).get(_SEED_INPUT)
    if handed is not None:
        return int(handed)
    chosen = os.environ.get(SEED_VARIABLE)
    if chosen:
        return int(chosen)
    if FIGURES.seed is None:
        FIGURES.seed = random.SystemRandom().randrange(1, 2**31)
    return FIGURES.seed


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist, in the controller: every test process replays the same seed."""
    node.workerinput[_SEED_INPUT] = chosen_seed(node.config)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """xdist, in the controller: a test process ended; add what it proved."""
    FIGURES.add(getattr(node, "workeroutput", {}).get(_FIGURES_OUTPUT, {}))


def pytest_sessionfinish(session: pytest.Session) -> None:
    output = getattr(session.config, "workeroutput", None)
    if output is not None:  # a test process of xdist: its figures go to the controller
        output[_FIGURES_OUTPUT] = asdict(FIGURES)


@pytest.fixture(scope="session")
def fault_seed(request: pytest.FixtureRequest) -> int:
    """The run's seed (chosen_seed): printed in the summary, with every kill point."""
    seed = chosen_seed(request.config)
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
