"""Parser throughput on one core: text and HTML snapshots parsed per second (formerly bench/parse_bench.py).

Each case runs in several rounds and reports the best round (the machine's own speed) and the median
(what other load on the machine leaves of it). The headline is the best round: the question is how fast
the parser is, not how busy the machine was.
"""

import statistics
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from bench.corpus import Corpus
from services.domain.page_parse import parse_page

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
HTML = SAMPLES / "replay" / "20250219T100000Z.html"
ROUNDS = 7


def cases(corpus: Corpus) -> list[tuple[str, str, bytes, str | None]]:
    """(name, kind, body, content type): seed, generated variant, bundled HTML; typed and sniffed."""
    seed = (SAMPLES / "seed.txt").read_bytes()
    html = HTML.read_bytes()
    return [
        ("seed text", "text", seed, "text/plain"),
        ("seed-like variant text", "text", corpus.body(7)[1], "text/plain"),
        ("seed text, sniffed", "text", seed, None),
        ("HTML snapshot", "html", html, "text/html"),
        ("HTML snapshot, sniffed", "html", html, None),
    ]


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


def run_parser(corpus: Corpus, seconds: float) -> dict[str, Any]:
    """Per case: bytes, best and median pages/s; headline: the typed seed text and the typed HTML page."""
    results: dict[str, Any] = {}
    for name, kind, body, content_type in cases(corpus):
        rounds = measure(partial(parse_page, body, content_type, None), seconds)
        best, median = min(rounds), statistics.median(rounds)
        results[name] = {
            "kind": kind,
            "bytes": len(body),
            "best_per_s": round(1 / best, 1),
            "median_per_s": round(1 / statistics.median(rounds), 1),
            "best_us": round(best * 1e6, 1),
            "median_us": round(median * 1e6, 1),
        }
    return {
        "text_per_s": results["seed text"]["best_per_s"],
        "html_per_s": results["HTML snapshot"]["best_per_s"],
        "cases": results,
    }
