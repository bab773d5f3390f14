"""Parser throughput on one core: bundled text and HTML snapshots parsed per second.

Run with `.venv/bin/python -m bench.parse_bench [--seconds N]`. The aim from issue 3: the seed text page
(about 14 KB) well under one millisecond.
"""

import argparse
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from services.domain.page_parse import parse_page

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
CASES = (
    ("seed text", SAMPLES / "seed.txt", "text/plain"),
    ("seed text, sniffed", SAMPLES / "seed.txt", None),
    ("HTML snapshot", SAMPLES / "replay" / "20250219T100000Z.html", "text/html"),
    ("HTML snapshot, sniffed", SAMPLES / "replay" / "20250219T100000Z.html", None),
)


def measure(run: Callable[[], object], seconds: float) -> tuple[int, float]:
    """Runs `run` repeatedly for about `seconds`; returns (runs, seconds per run), after a short warm-up."""
    for _ in range(20):
        run()
    runs, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        for _ in range(50):
            run()
        runs += 50
    return runs, elapsed / runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=2.0, help="time spent on each case (default 2)")
    seconds = parser.parse_args().seconds
    print(f"{'case':24} {'bytes':>7} {'pages/s':>9} {'µs/page':>9} {'MB/s':>7}")
    for name, path, content_type in CASES:
        body = path.read_bytes()
        _, per_run = measure(partial(parse_page, body, content_type, None), seconds)
        throughput = len(body) / per_run / 1e6
        print(f"{name:24} {len(body):>7} {1 / per_run:>9.0f} {per_run * 1e6:>9.1f} {throughput:>7.1f}")


if __name__ == "__main__":
    main()
