"""normalise_body: the fast trailer stripping gives exactly what the plain definition gives, for any text."""

import re

from hypothesis import given
from hypothesis import strategies as st

from services.domain.articles.revisions import normalise_body
from services.domain.articles.typography import fold_typography

TRAILERS = (
    re.compile(r"\s*(?:continue reading|read more)\W*$"),
    re.compile(r"\s*[\[(]\s*\.*\s*[\])]\s*$"),
    re.compile(r"[\s.,;:!?>-]+$"),
)


def reference(body: str) -> str:
    """The definition, written the obvious (slow) way: strip every trailer until none is left."""
    text = fold_typography(body).casefold()
    while True:
        shorter = text
        for trailer in TRAILERS:
            shorter = trailer.sub("", shorter)
        if shorter == text:
            return text
        text = shorter


ENDINGS = st.sampled_from(
    ["...", "…", " [...]", "( … )", "[ ]", " Continue reading", "READ MORE »", "read more.", " -", ">", "?!"]
)
WORDS = st.sampled_from(["power plant", "Read", " more", "continue", " reading", "é", "x_", "2025", "\u00a0"])
BODIES = st.lists(
    WORDS | ENDINGS | st.text(max_size=5),
    max_size=8,
).map("".join)


def test_cut_off_marks_and_read_on_links_are_stripped() -> None:
    assert normalise_body("The plant opens… Continue reading »") == "the plant opens"
    assert normalise_body("The plant opens [...] Read more...") == "the plant opens"
    assert normalise_body("Ends with a word_") == "ends with a word_"


@given(BODIES)
def test_the_fast_normalisation_equals_the_definition(body: str) -> None:
    assert normalise_body(body) == reference(body)


@given(st.text(max_size=60))
def test_the_fast_normalisation_equals_the_definition_on_any_text(body: str) -> None:
    assert normalise_body(body) == reference(body)
