"""Which titles are plausible headlines: numbers, dates and rates, length, whole paragraphs."""

import pytest

from services.domain.page.headline import headline_problem


@pytest.mark.parametrize(
    "title",
    [
        "Kazakhstan to Raise Tenge Rate Corridor by 2.5%",
        "Turkmenistan and EU Launch Ambitious Green Development Project for 2024-2028",
        "Kyrgyzstan and the new gas deal with Beijing",
        "5 Things to Know About the 2025 Budget",
        "Opinion: why Central Asia's water talks keep stalling",
    ],
)
def test_headlines_pass(title: str) -> None:
    assert headline_problem(title) is None


@pytest.mark.parametrize(
    ("title", "problem"),
    [
        ("USD 89.5 90.1", "half or more of its words are numbers, dates or rates"),
        ("Updated 04.12.2026", "half or more of its words are numbers, dates or rates"),
        ("EUR 97,30 98,15 +0,4%", "half or more of its words are numbers, dates or rates"),
        ("x" * 301, "over 300 characters"),
        (
            "The ministers met on Monday. They agreed on a plan. It starts in May.",
            "a paragraph, not a headline",
        ),
    ],
)
def test_implausible_titles_say_why(title: str, problem: str) -> None:
    assert headline_problem(title) == problem
