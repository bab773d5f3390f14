"""Every listing layout the site prints, as text and as HTML: the exact parse, from golden files.

Each case is tests/fixtures/layouts/<case>.json (what must be read: ticker rows, listing date, pagination,
heading, articles, lines read and dropped, warnings) beside the page's text rendering (.txt) and, for most,
its HTML (.html); both must read exactly that. A regression in any layout shows as a diff of that file.
"""

import json
from pathlib import Path
from typing import Any

import pytest

from services.domain.page.parse import parse_page

LAYOUTS = Path(__file__).resolve().parents[1] / "fixtures" / "layouts"
CASES = sorted(path.stem for path in LAYOUTS.glob("*.json"))
PAGES = [
    (case, path.suffix)
    for case in CASES
    for path in sorted(LAYOUTS.glob(f"{case}.*"))
    if path.suffix != ".json"
]


def parsed(case: str, suffix: str) -> dict[str, Any]:
    return parse_page((LAYOUTS / f"{case}{suffix}").read_bytes(), None, None).to_json()


def test_every_case_has_a_page() -> None:
    assert len(CASES) >= 10
    assert all(any(case == page for page, _ in PAGES) for case in CASES)


@pytest.mark.parametrize(("case", "suffix"), PAGES, ids=[f"{case}{suffix}" for case, suffix in PAGES])
def test_the_page_reads_as_its_golden_file(case: str, suffix: str) -> None:
    expected = json.loads((LAYOUTS / f"{case}.json").read_text(encoding="utf-8"))
    assert parsed(case, suffix) == expected
