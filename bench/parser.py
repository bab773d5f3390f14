"""Parser throughput on one core: text and HTML snapshots parsed per second (formerly bench/parse_bench.py),
and the taxonomy labelling of one teaser, the worker's costliest step per article.

Each case runs in several rounds and reports the best round (the machine's own speed) and the median
(what other load on the machine leaves of it). The headline is the best round: the question is how fast
the parser is, not how busy the machine was.

The parser remembers recently classified lines across pages (services.domain.page.text): the next page
of a site repeats most of the last one. So parsing one page again and again would mostly measure that
memory. The text headline is a stream of distinct seed-like pages of 12 sites in the order the worker
sees them (`STREAM` pages, each parsed once per pass); the same stream is timed as HTML too (the pages in
the WordPress layout of the seed's HTML, bench.corpus.Corpus.html_body). Every other case empties the
memory before each page: the cost of a page that shares no line with the ones before it.
"""

import statistics
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from bench.corpus import Corpus
from services.common.taxonomy_file import load_taxonomy
from services.domain.page.parse import parse_page
from services.domain.page.text import forget_lines

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
HTML = SAMPLES / "replay" / "20250219T100000Z.html"
ROUNDS = 7
STREAM = 1200  # distinct seed-like pages: 100 consecutive pages of each of the 12 sites


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


class Stream:
    """Parses the next of `STREAM` distinct seed-like pages on each call, round and round: their text, or
    (`html`) the same pages in the WordPress layout of the seed's HTML (Corpus.html_body)."""

    def __init__(self, corpus: Corpus, *, html: bool = False) -> None:
        render = corpus.html_body if html else corpus.body
        self.pages = [render(index)[1] for index in range(STREAM)]
        self.content_type = "text/html" if html else "text/plain"
        self.bytes = sum(map(len, self.pages)) // len(self.pages)
        self.next = 0

    def __call__(self) -> object:
        body = self.pages[self.next]
        self.next = (self.next + 1) % len(self.pages)
        return parse_page(body, self.content_type, None)


class Labels:
    """Labels the first teaser of the next of `STREAM` seed-like pages on each call (the worker labels each
    new or revised article once: about one per snapshot in the corpus)."""

    def __init__(self, corpus: Corpus) -> None:
        self.taxonomy = load_taxonomy()
        pages = (parse_page(corpus.body(index)[1], "text/plain", None) for index in range(STREAM))
        self.articles = [(page.articles[0].title, page.articles[0].body) for page in pages]
        self.bytes = sum(len(title) + len(body) for title, body in self.articles) // len(self.articles)
        self.next = 0

    def __call__(self) -> object:
        title, body = self.articles[self.next]
        self.next = (self.next + 1) % len(self.articles)
        return self.taxonomy.label(title, body)


def cold(body: bytes, content_type: str | None) -> object:
    """Parse `body` as a page that shares no line with any page before it."""
    forget_lines()
    return parse_page(body, content_type, None)


def run_parser(corpus: Corpus, seconds: float) -> dict[str, Any]:
    """Per case: bytes, best and median pages/s; headline: the seed-like stream and the typed HTML page."""
    results: dict[str, Any] = {}
    stream, html_stream = Stream(corpus), Stream(corpus, html=True)
    runs: list[tuple[str, str, int, Callable[[], object]]] = [
        ("seed-like stream text", "text", stream.bytes, stream),
        ("seed-like stream HTML", "html", html_stream.bytes, html_stream),
    ]
    runs += [
        (name, kind, len(body), partial(cold, body, content_type))
        for name, kind, body, content_type in cases(corpus)
    ]
    labels = Labels(corpus)
    runs.append(("taxonomy labels of a seed-like teaser", "labels", labels.bytes, labels))
    for name, kind, size, run in runs:
        rounds = measure(run, seconds)
        best, median = min(rounds), statistics.median(rounds)
        results[name] = {
            "kind": kind,
            "bytes": size,
            "best_per_s": round(1 / best, 1),
            "median_per_s": round(1 / statistics.median(rounds), 1),
            "best_us": round(best * 1e6, 1),
            "median_us": round(median * 1e6, 1),
        }
    return {
        "text_per_s": results["seed-like stream text"]["best_per_s"],
        "text_every_line_new_per_s": results["seed text"]["best_per_s"],
        "html_per_s": results["HTML snapshot"]["best_per_s"],
        "html_stream_per_s": results["seed-like stream HTML"]["best_per_s"],
        "label_us": results["taxonomy labels of a seed-like teaser"]["best_us"],
        "cases": results,
    }
