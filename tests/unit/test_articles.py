"""Article identity (normalised titles, ids) and revisions (what a materially different body is)."""

import hashlib
import json
import re
from pathlib import Path

import pytest

from services.domain.articles.revisions import (
    ArticleOutcomeKind,
    ArticleState,
    article_id,
    normalise_body,
    normalise_title,
    observe_article,
    sighting_from_teaser,
)
from services.domain.errors import ParseError, SchemaError
from tests.support.stream import SITE, URL, at, sighting, snapshot_id

SEED = Path(__file__).resolve().parents[2] / "samples" / "seed.txt"
TITLE = "Kazakhstan May Manufacture Turkish Bayraktar Drones"
SHORT = "A delegation headed by Kazakhstan's Minister of Defense attended the opening ceremony in Istanbul..."
LONG = (
    "A delegation headed by Kazakhstan's Minister of Defense attended the opening ceremony in Istanbul. "
    "The event brought together leading representatives of the military-industrial complex."
)


@pytest.mark.parametrize(
    "variant",
    [
        "Kazakhstan May Manufacture Turkish Bayraktar Drones",
        "kazakhstan may manufacture turkish bayraktar drones",
        "  Kazakhstan  May\u00a0Manufacture\nTurkish Bayraktar Drones ",
        "Kazakhstan May Manufacture Turkish Bayraktar Drones.",
        "Kazakhstan May Manufacture Turkish Bayraktar Drones…",
        "KAZAKHSTAN MAY MANUFACTURE TURKISH BAYRAKTAR DRONES!",
    ],
)
def test_title_variants_share_one_id(variant: str) -> None:
    assert normalise_title(variant) == "kazakhstan may manufacture turkish bayraktar drones"
    assert article_id(SITE, variant) == "a90849acbd2cff7e4158bf42e8d04fbd"


def test_id_is_sha256_of_site_and_normalised_title() -> None:
    expected = hashlib.sha256(b"timesca.com\nkazakhstan may manufacture turkish bayraktar drones").hexdigest()
    assert article_id("TimesCA.com", TITLE) == expected[:32]
    assert len(article_id(SITE, TITLE)) == 32


def test_quotes_and_dashes_are_folded() -> None:
    curly = "EU for Turkmenistan\u2019s \u201cGreen Development\u201d \u2014 2024\u20132028"
    straight = 'EU for Turkmenistan\'s "Green Development" - 2024-2028'
    assert (
        normalise_title(curly)
        == normalise_title(straight)
        == 'eu for turkmenistan\'s "green development" - 2024-2028'
    )
    assert article_id(SITE, curly) == article_id(SITE, straight)


def test_other_site_or_other_words_are_other_articles() -> None:
    assert article_id("other.example", TITLE) != article_id(SITE, TITLE)
    assert article_id(SITE, "Kazakhstan May Manufacture Turkish Anka Drones") != article_id(SITE, TITLE)


def test_an_empty_title_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        article_id(SITE, " ... ")


@pytest.mark.parametrize(
    "variant",
    [
        SHORT,
        SHORT.replace("...", "…"),
        SHORT.replace(" ", "\u00a0"),
        SHORT.replace(" ", "  ") + "\n",
        SHORT.removesuffix("...") + " [...]",
        SHORT.removesuffix("...") + ". Continue reading…",
        SHORT.removesuffix("...") + " Read more »",
        SHORT.replace("Kazakhstan's", "Kazakhstan\u2019s"),
        SHORT.removesuffix("...") + ".",
    ],
)
def test_cosmetic_body_differences_are_not_material(variant: str) -> None:
    assert normalise_body(variant) == normalise_body(SHORT)
    state = observe_article(None, sighting(TITLE, SHORT, at(0))).state
    outcome = observe_article(state, sighting(TITLE, variant, at(1)))
    assert (outcome.kind, outcome.reason, outcome.revision) == (
        ArticleOutcomeKind.UNCHANGED,
        "same_body",
        None,
    )


def test_first_sighting_publishes_revision_one() -> None:
    first = sighting(TITLE, SHORT, at(0), snapshot="a")
    outcome = observe_article(None, first)
    assert (outcome.kind, outcome.reason) == (ArticleOutcomeKind.FIRST, "first")
    assert outcome.revision is not None
    assert (outcome.revision.article_id, outcome.revision.revision, outcome.revision.first_seen) == (
        "a90849acbd2cff7e4158bf42e8d04fbd",
        1,
        at(0),
    )
    assert outcome.revision.sighting == first
    assert (outcome.state.revision, outcome.state.body_length) == (1, len(normalise_body(SHORT)))


def test_a_longer_excerpt_is_a_new_revision_and_a_shorter_one_is_not() -> None:
    state = observe_article(None, sighting(TITLE, SHORT, at(0))).state
    longer = observe_article(state, sighting(TITLE, LONG, at(1), snapshot="b"))
    assert (longer.kind, longer.reason) == (ArticleOutcomeKind.REVISION, "longer_excerpt")
    assert longer.revision is not None
    assert (longer.revision.revision, longer.revision.first_seen, longer.revision.sighting.body) == (
        2,
        at(0),
        LONG,
    )
    shorter = observe_article(longer.state, sighting(TITLE, SHORT, at(2)))
    assert (shorter.kind, shorter.reason, shorter.revision) == (
        ArticleOutcomeKind.UNCHANGED,
        "earlier_revision",
        None,
    )
    cut = observe_article(longer.state, sighting(TITLE, LONG[:150] + "...", at(2)))
    assert (cut.kind, cut.reason) == (ArticleOutcomeKind.UNCHANGED, "shorter_excerpt")
    assert cut.state == ArticleState(**{**longer.state.__dict__, "last_seen": at(2)})


def test_a_rewrite_at_least_as_long_is_a_new_revision() -> None:
    state = observe_article(None, sighting(TITLE, SHORT, at(0))).state
    rewrite = SHORT.replace("Minister of Defense", "Minister of Defence")
    outcome = observe_article(state, sighting(TITLE, rewrite, at(1)))
    assert (outcome.kind, outcome.reason, outcome.state.revision) == (
        ArticleOutcomeKind.REVISION,
        "rewritten",
        2,
    )


def test_two_pages_with_different_cuts_do_not_publish_in_turn() -> None:
    one = SHORT.replace("Minister of Defense", "Minister of Defence")
    state = observe_article(None, sighting(TITLE, SHORT, at(0))).state
    state = observe_article(state, sighting(TITLE, one, at(1))).state
    kinds = []
    for hours, body in [(2, SHORT), (3, one), (4, SHORT)]:
        outcome = observe_article(state, sighting(TITLE, body, at(hours)))
        kinds.append(outcome.kind)
        state = outcome.state
    assert kinds == [ArticleOutcomeKind.UNCHANGED] * 3
    assert state.revision == 2


def test_a_sighting_older_than_the_published_revision_is_late() -> None:
    state = observe_article(None, sighting(TITLE, SHORT, at(5))).state
    outcome = observe_article(state, sighting(TITLE, LONG, at(4)))
    assert (outcome.kind, outcome.reason, outcome.revision, outcome.state) == (
        ArticleOutcomeKind.LATE,
        "older_than_published",
        None,
        state,
    )


def test_state_round_trips_through_json() -> None:
    state = observe_article(None, sighting(TITLE, SHORT, at(0))).state
    state = observe_article(state, sighting(TITLE, LONG, at(1))).state
    wire = json.loads(json.dumps(state.to_dict()))
    assert ArticleState.from_dict(wire) == state
    assert (
        wire["revision"] == 2 and wire["first_seen"] == "2025-02-19T06:00:00Z" and len(wire["published"]) == 2
    )
    with pytest.raises(SchemaError):
        ArticleState.from_dict({k: v for k, v in wire.items() if k != "revision"})


def seed_teasers() -> list[tuple[str, str]]:
    text = SEED.read_text(encoding="utf-8").split("Viewing results 1 - 6 of 131", 1)[1]
    blocks = [block.strip() for block in re.split(r"\n\s*\n", text) if block.strip()]
    return list(zip(blocks[0::2], blocks[1::2], strict=True))


class Teaser:
    def __init__(self, title: str, body: str) -> None:
        self.title, self.body, self.dateline, self.truncated = title, body, None, body.endswith("...")


def test_the_seed_page_twice_publishes_six_articles_once() -> None:
    table: dict[str, ArticleState] = {}
    published = []
    for hours, snapshot in [(0, "seed"), (1, "seed-again")]:
        for title, body in seed_teasers():
            seen = sighting_from_teaser(
                Teaser(title, body),
                site=SITE,
                listing_date=None,
                source_url=URL,
                snapshot_id=snapshot_id(snapshot),
                event_time=at(hours),
            )
            outcome = observe_article(table.get(seen.article_id), seen)
            table[seen.article_id] = outcome.state
            if outcome.revision is not None:
                published.append((outcome.revision.revision, outcome.revision.sighting.title))
    assert published == [(1, title) for title, _ in seed_teasers()]
    assert len(table) == 6


def test_the_seed_article_cut_off_with_an_ellipsis_grows_into_a_revision() -> None:
    title, body = seed_teasers()[1]
    assert body.endswith("met in Bishkek to...")
    state = observe_article(None, sighting(title, body, at(0))).state
    more = body.removesuffix("...") + " discuss the Turkic Investment Fund."
    outcome = observe_article(state, sighting(title, more, at(1)))
    assert (outcome.kind, outcome.reason, outcome.state.revision) == (
        ArticleOutcomeKind.REVISION,
        "longer_excerpt",
        2,
    )
