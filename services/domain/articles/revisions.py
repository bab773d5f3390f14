"""Article identity and revisions: normalised titles, stable ids and what counts as a changed body."""

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any, Protocol

from services.domain.articles.typography import fold_typography
from services.domain.errors import ParseError, SchemaError
from services.domain.instants import format_instant, parse_instant

STATE_VERSION = 1
ID_LENGTH = 32
PUBLISHED_KEPT = 16  # fingerprints of earlier revisions remembered, so two pages can't ping-pong

_TRAILING_PUNCTUATION = re.compile(r"[\s.,;:!?]+$")
_READ_ON = ("continue reading", "read more")
_READ_ON_TRAILER = re.compile(r"\s*(?:continue reading|read more)\W*$")
_BRACKETED_TRAILER = re.compile(r"\s*[\[(]\s*\.*\s*[\])]\s*$")
_CLOSING_PUNCTUATION = frozenset(".,;:!?>-")


def normalise_title(title: str) -> str:
    """The title as identity sees it: typography folded, case folded, trailing punctuation dropped."""
    return _TRAILING_PUNCTUATION.sub("", fold_typography(title).casefold())


def article_id(site: str, title: str) -> str:
    """32 hex digits of sha256 over 'site\\nnormalised title': the same teaser on any page of a site."""
    normalised = normalise_title(title)
    if not normalised:
        raise ParseError(f"article title {title!r} is empty once normalised", reason="empty_title")
    return hashlib.sha256(f"{site.lower()}\n{normalised}".encode()).hexdigest()[:ID_LENGTH]


@lru_cache(maxsize=4096)  # every snapshot of a listing repeats the same teasers
def normalise_body(body: str) -> str:
    """The body as revision checks see it.

    Typography folded (no-break spaces, '…' vs '...', curly quotes, dashes, whitespace runs), case
    folded, and trailing cut-off marks removed: an ellipsis, '[...]', 'Continue reading', 'Read more'
    and final punctuation, so 'power plant...' and 'power plant.' are the same text.
    """
    text = fold_typography(body).casefold()
    while True:
        shorter = _strip_closing(_strip_bracketed(_strip_read_on(text)))
        if shorter == text:
            return text
        text = shorter


# The trailers are `$`-anchored patterns, which `re` tries at every position of a 2,000-character
# body: that made normalisation the worker's costliest step. Each is only run when the text can end
# with it; the last one is a plain strip. tests/unit/test_article_bodies.py holds them to the patterns.


def _strip_read_on(text: str) -> str:
    """Drop a trailing 'Continue reading' or 'Read more' link (r'\\s*(?:continue reading|read more)\\W*$')."""
    if not _without_trailing(text, _is_non_word).endswith(_READ_ON):
        return text
    return _READ_ON_TRAILER.sub("", text)


def _strip_bracketed(text: str) -> str:
    """Drop a trailing '[...]', '(…)' or '[ ]' (r'\\s*[\\[(]\\s*\\.*\\s*[\\])]\\s*$')."""
    if not text.rstrip().endswith(("]", ")")):
        return text
    return _BRACKETED_TRAILER.sub("", text)


def _strip_closing(text: str) -> str:
    """Drop trailing whitespace and closing punctuation (r'[\\s.,;:!?>-]+$')."""
    return _without_trailing(text, lambda char: char in _CLOSING_PUNCTUATION or char.isspace())


def _is_non_word(char: str) -> bool:
    """What `\\W` matches: anything but letters, digits and the underscore."""
    return not (char.isalnum() or char == "_")


def _without_trailing(text: str, drop: Callable[[str], bool]) -> str:
    end = len(text)
    while end and drop(text[end - 1]):
        end -= 1
    return text[:end]


def fingerprint(normalised_body: str) -> str:
    return hashlib.sha256(normalised_body.encode()).hexdigest()[:ID_LENGTH]


@dataclass(frozen=True)
class ArticleSighting:
    """One teaser on one snapshot, with that snapshot's provenance."""

    site: str
    title: str
    body: str
    dateline: str | None
    truncated: bool
    listing_date: date | None
    source_url: str
    snapshot_id: str
    event_time: datetime

    def __post_init__(self) -> None:
        if self.event_time.tzinfo is None:
            raise ParseError("article sighting: event_time must be timezone-aware", reason="invalid_sighting")
        article_id(self.site, self.title)

    @property
    def article_id(self) -> str:
        return article_id(self.site, self.title)


class TeaserLike(Protocol):
    """What the page parser yields for one article (its ArticleTeaser)."""

    @property
    def title(self) -> str: ...
    @property
    def body(self) -> str: ...
    @property
    def dateline(self) -> str | None: ...
    @property
    def truncated(self) -> bool: ...


def sighting_from_teaser(
    teaser: TeaserLike,
    *,
    site: str,
    listing_date: date | None,
    source_url: str,
    snapshot_id: str,
    event_time: datetime,
) -> ArticleSighting:
    """A parsed teaser plus its snapshot's provenance."""
    return ArticleSighting(
        site=site,
        title=teaser.title,
        body=teaser.body,
        dateline=teaser.dateline,
        truncated=teaser.truncated,
        listing_date=listing_date,
        source_url=source_url,
        snapshot_id=snapshot_id,
        event_time=event_time,
    )


@dataclass(frozen=True)
class ArticleState:
    """What an article remembers: when it was first seen and the last published revision's body."""

    article_id: str
    first_seen: datetime
    revision: int
    body_fingerprint: str
    body_length: int
    published: tuple[str, ...]
    published_at: datetime
    last_seen: datetime

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types only, for the table's changelog."""
        return {
            "version": STATE_VERSION,
            "article_id": self.article_id,
            "first_seen": format_instant(self.first_seen),
            "revision": self.revision,
            "body_fingerprint": self.body_fingerprint,
            "body_length": self.body_length,
            "published": list(self.published),
            "published_at": format_instant(self.published_at),
            "last_seen": format_instant(self.last_seen),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ArticleState":
        try:
            if data["version"] != STATE_VERSION:
                raise SchemaError(f"article state version {data['version']!r} is not {STATE_VERSION}")
            return cls(
                article_id=data["article_id"],
                first_seen=parse_instant(data["first_seen"]),
                revision=int(data["revision"]),
                body_fingerprint=data["body_fingerprint"],
                body_length=int(data["body_length"]),
                published=tuple(data["published"]),
                published_at=parse_instant(data["published_at"]),
                last_seen=parse_instant(data["last_seen"]),
            )
        except (KeyError, TypeError) as exc:
            raise SchemaError(f"article state is missing or mistypes {exc}", reason="invalid_state") from exc


@dataclass(frozen=True)
class ArticleRevision:
    """A revision to publish: revision 1 is the first sighting."""

    article_id: str
    revision: int
    first_seen: datetime
    sighting: ArticleSighting


class ArticleOutcomeKind(StrEnum):
    FIRST = "first"  # publish revision 1
    REVISION = "revision"  # publish revision N
    UNCHANGED = "unchanged"  # a re-sighting with nothing new: publish nothing
    LATE = "late"  # older than the last published revision: publish nothing


@dataclass(frozen=True)
class ArticleOutcome:
    kind: ArticleOutcomeKind
    reason: str
    state: ArticleState
    revision: ArticleRevision | None = None


def observe_article(state: ArticleState | None, sighting: ArticleSighting) -> ArticleOutcome:
    """Decide whether a sighting publishes a revision of its article.

    A body is materially different, and published as the next revision, when its normalised text
    (normalise_body) is not among the bodies already published and is not shorter than the last one:
    a longer excerpt of the same text ('longer_excerpt'), or a rewrite at least as long ('rewritten').
    Typography, case and cut-off marks are never material. A shorter excerpt is no new information
    ('shorter_excerpt'): pages cut the same teaser at different lengths, and only fingerprints are kept,
    so a shorter rewrite waits for a sighting at least as long as the published body. Together with the
    remembered fingerprints this keeps two pages with different cuts from publishing revisions in turn.
    Sightings older than the last published revision are late and never publish.
    """
    body = normalise_body(sighting.body)
    new_print = fingerprint(body)
    moment = sighting.event_time
    if state is None:
        first = ArticleState(
            sighting.article_id, moment, 1, new_print, len(body), (new_print,), moment, moment
        )
        return ArticleOutcome(
            ArticleOutcomeKind.FIRST, "first", first, ArticleRevision(first.article_id, 1, moment, sighting)
        )
    if sighting.article_id != state.article_id:
        raise ValueError(f"sighting of article {sighting.article_id} given the state of {state.article_id}")
    if moment < state.published_at:
        return ArticleOutcome(ArticleOutcomeKind.LATE, "older_than_published", state)
    seen = replace(state, last_seen=max(state.last_seen, moment))
    if new_print == state.body_fingerprint:
        return ArticleOutcome(ArticleOutcomeKind.UNCHANGED, "same_body", seen)
    if new_print in state.published:
        return ArticleOutcome(ArticleOutcomeKind.UNCHANGED, "earlier_revision", seen)
    if len(body) < state.body_length:
        return ArticleOutcome(ArticleOutcomeKind.UNCHANGED, "shorter_excerpt", seen)
    extends = (
        len(body) > state.body_length and fingerprint(body[: state.body_length]) == state.body_fingerprint
    )
    revised = replace(
        seen,
        revision=state.revision + 1,
        body_fingerprint=new_print,
        body_length=len(body),
        published=(*state.published, new_print)[-PUBLISHED_KEPT:],
        published_at=moment,
    )
    revision = ArticleRevision(state.article_id, revised.revision, state.first_seen, sighting)
    return ArticleOutcome(
        ArticleOutcomeKind.REVISION, "longer_excerpt" if extends else "rewritten", revised, revision
    )
