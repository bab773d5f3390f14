"""Parser throughput on one core: bundled text and HTML snapshots parsed per second.

Run with `.venv/bin/python -m bench.parse_bench [--seconds N]`. The aim from issue 3: the seed text page
(about 14 KB) well under one millisecond. Each case runs in several rounds and reports the best round
(the machine's own speed) and the median (what other load on the machine leaves of it).
"""

import argparse
import statistics
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
ROUNDS = 7


def measure(run: Callable[[], object], seconds: float) -> list[float]:
    """Seconds per call of `run` in each of ROUNDS rounds sharing `seconds`, after a short warm-up."""
    for _ in range(20):
        run()
    per_call = []
    for _ in range(ROUNDS):
        calls, started = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - started) < seconds / ROUNDS:
            for _ in range(20):
                run()
            calls += 20
        per_call.append(elapsed / calls)
    return per_call


def main() -> None:
    parser = argparse.ArgumentParser(description="Parser throughput on one core.")
    parser.add_argument("--seconds", type=float, default=3.0, help="time spent on each case (default 3)")
    seconds = parser.parse_args().seconds
    print(f"{'case':24} {'bytes':>7} {'best pages/s':>13} {'best µs':>8} {'median µs':>10} {'best MB/s':>10}")
    for name, path, content_type in CASES:
        body = path.read_bytes()
        rounds = measure(partial(parse_page, body, content_type, None), seconds)
        best, median = min(rounds), statistics.median(rounds)
        print(
            f"{name:24} {len(body):>7} {1 / best:>13.0f} {best * 1e6:>8.0f} {median * 1e6:>10.0f}"
            f" {len(body) / best / 1e6:>10.1f}"
        )


if __name__ == "__main__":
    main()
