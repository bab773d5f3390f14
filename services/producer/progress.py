"""A rich progress bar on stderr for long replays; a no-op for short ones and non-terminals."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

#: replays shorter than this finish before a bar would tell anyone anything
LONG_REPLAY = 20


@contextmanager
def replay_progress(
    total: int, *, enabled: bool, console: Console | None = None
) -> Iterator[Callable[[], None]]:
    """Yield a function to call once per file; draws a bar only when `enabled` and the replay is long."""
    if not enabled or total < LONG_REPLAY:
        yield lambda: None
        return
    columns = (TextColumn("replaying"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console or Console(stderr=True), transient=True) as bar:
        task = bar.add_task("replay", total=total)
        yield lambda: bar.advance(task)
