"""The original page's expected parse, shared by the parser, CLI and sample tests."""

from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "samples" / "seed.txt"
SEED_HTML = REPO / "tests" / "fixtures" / "pages" / "seed.html"

SEED_TITLES = [
    "Kyrgyzstan Backs Turkish Arms Embargo Against Israel",
    "How Central Asia Is Shifting From Russia Towards Turkey",
    "Kazakhstan May Manufacture Turkish Bayraktar Drones",
    "Turkish Influencers to Help Open Kyrgyzstan to the World",
    "Agreement by Kazakhstan and Turkey on Air Transit",
    "Turkmenistan and EU Launch Ambitious Green Development Project for 2024-2028",
]


def seed_json() -> dict[str, Any]:
    """What `pagewire parse --json samples/seed.txt` must print.

    Each body is its line of the seed with whitespace runs (no-break spaces included) collapsed to one space;
    in the seed, titles are on lines 45, 49, ... 65 and each body on the second line after its title.
    """
    lines = SEED.read_text(encoding="utf-8").split("\n")
    bodies = [" ".join(lines[number].split()) for number in range(46, 67, 4)]
    assert [lines[number] for number in range(44, 65, 4)] == SEED_TITLES
    return {
        "ticker": [
            {"pair": "KGS/USD", "base": "KGS", "quote": "USD", "rate": "0.01144", "change_pct": "0"},
            {"pair": "KZT/USD", "base": "KZT", "quote": "USD", "rate": "0.00200", "change_pct": "0"},
            {"pair": "TJS/USD", "base": "TJS", "quote": "USD", "rate": "0.09156", "change_pct": "-0.11"},
            {"pair": "UZS/USD", "base": "UZS", "quote": "USD", "rate": "0.00008", "change_pct": "0"},
            {"pair": "TMT/USD", "base": "TMT", "quote": "USD", "rate": "0.28530", "change_pct": "-0.14"},
        ],
        "ticker_repeats": 8,
        "listing_date": "2025-02-19",
        "pagination": {"first": 1, "last": 6, "total": 131},
        "heading": None,
        "articles": [
            {"title": title, "body": body, "dateline": None, "truncated": title == SEED_TITLES[1]}
            for title, body in zip(SEED_TITLES, bodies, strict=True)
        ],
        "lines": 54,  # 40 marquee rows, the date, the pagination, six titles and six bodies
        "dropped_lines": 0,
        "warnings": [],
    }
