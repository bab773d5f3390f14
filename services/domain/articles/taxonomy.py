"""The rule-based article labeller: countries and subjects from weighted, explainable cue matches."""

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from services.domain.articles.cue_automaton import CueAutomaton, Hit, Scan
from services.domain.articles.cue_index import (
    CueHeads,
    WordIndex,
    cue_head,
    cue_heads,
    find_all,
    find_all_narrowed,
)
from services.domain.articles.typography import fold_typography
from services.domain.errors import ConfigError

FAMILIES = ("countries", "subjects")
Where = Literal["title", "body"]
_SLUG = re.compile(r"^[a-z0-9-]+$")
_NARROWED_CACHE = 4096  # narrowed patterns kept per rule


@dataclass(frozen=True)
class CueMatch:
    """One cue found in one part of the article, and how often."""

    cue: str
    where: Where
    count: int


@dataclass(frozen=True)
class Label:
    slug: str
    name: str
    score: float
    cues: tuple[CueMatch, ...]

    def to_dict(self) -> dict[str, Any]:
        cues = [{"cue": match.cue, "where": match.where, "count": match.count} for match in self.cues]
        return {"slug": self.slug, "name": self.name, "score": self.score, "cues": cues}


@dataclass(frozen=True)
class Labels:
    """An article's labels per family, best first (see `labels` in pagewire.article/1)."""

    countries: tuple[Label, ...]
    subjects: tuple[Label, ...]

    @property
    def unclassified(self) -> bool:
        return not self.countries and not self.subjects

    def to_dict(self) -> dict[str, list[dict[str, Any]]]:
        return {
            "countries": [label.to_dict() for label in self.countries],
            "subjects": [label.to_dict() for label in self.subjects],
        }


@dataclass(frozen=True)
class LabelRule:
    """One label's cues, compiled once into a single longest-first alternation.

    Cues match whole words and phrases: case-insensitively, except `cased` ones (acronyms such as
    'US', which must not match 'us'); a trailing '*' lets a cue match any ending ('invest*'). Spans of
    `ignore` phrases never count for this label ('US dollar' is about money, not the United States).
    """

    slug: str
    name: str
    cues: tuple[str, ...]
    pattern: re.Pattern[str]
    ignore: re.Pattern[str] | None
    heads: CueHeads | None = None  # where cues can start (cue_index); None: scan every position
    ignore_heads: CueHeads | None = None
    # per cue, in pattern order: its group in the alternation and its head (cue_index.cue_head), so a
    # position is tried only against the cues that can start with the word there
    alternatives: tuple[str, ...] = ()
    cue_heads: tuple[tuple[str, bool] | None, ...] = ()
    ignored: tuple[str, ...] = ()  # the `ignore` phrases as the taxonomy lists them (typography-folded)
    _narrowed: dict[str, re.Pattern[str] | None] = field(default_factory=dict, compare=False, repr=False)

    def matches(self, text: str, index: WordIndex | None = None) -> list[tuple[int, str]]:
        """(position, cue) for each non-overlapping match in typography-folded text.

        `index`, the WordIndex of this very text, makes the regex run only where a cue word starts:
        the same matches, without trying every cue at every character.
        """
        if self.ignore is not None:
            text = self._blank_ignored(text, index)
        found: Iterable[re.Match[str]]
        if index is None or self.heads is None:
            found = self.pattern.finditer(text)
        elif not self.alternatives:
            starts = index.starts(self.heads)
            found = self.pattern.finditer(text) if starts is None else find_all(self.pattern, text, starts)
        else:
            word_starts = index.word_starts(self.heads)
            found = (
                self.pattern.finditer(text)
                if word_starts is None
                else find_all_narrowed(self._narrow, text, word_starts)
            )
        return [(match.start(), self.cues[int(str(match.lastgroup)[1:])]) for match in found]

    def _narrow(self, word: str) -> re.Pattern[str] | None:
        """The pattern with only the cues that can start with `word` (None: none can), compiled once."""
        if word not in self._narrowed:
            if len(self._narrowed) >= _NARROWED_CACHE:
                self._narrowed.clear()  # words that only start like a stem are unbounded in number
            chosen = [
                alternative
                for alternative, head in zip(self.alternatives, self.cue_heads, strict=True)
                if head is not None and (word.startswith(head[0]) if head[1] else word == head[0])
            ]
            self._narrowed[word] = _alternation(chosen) if chosen else None
        return self._narrowed[word]

    def _blank_ignored(self, text: str, index: WordIndex | None) -> str:
        """Ignored phrases become spaces of the same length, so positions and words elsewhere stay."""
        assert self.ignore is not None
        starts = None if index is None or self.ignore_heads is None else index.starts(self.ignore_heads)
        if starts is None:
            return self.ignore.sub(lambda found: " " * len(found.group()), text)
        pieces: list[str] = []
        done = 0
        for span in find_all(self.ignore, text, starts):
            pieces += [text[done : span.start()], " " * (span.end() - span.start())]
            done = span.end()
        return "".join(pieces) + text[done:] if pieces else text


@dataclass(frozen=True)
class Taxonomy:
    countries: tuple[LabelRule, ...]
    subjects: tuple[LabelRule, ...]
    title_weight: float = 3.0
    body_weight: float = 1.0
    min_score: float = 3.0
    # every rule's cues in one automaton: one pass over a part finds all their matches (cue_automaton.py)
    _automaton: CueAutomaton = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_automaton", CueAutomaton((*self.countries, *self.subjects)))

    def label(self, title: str, body: str) -> Labels:
        """Every label whose score (title cues x title_weight + body cues x body_weight) reaches min_score."""
        folded: tuple[tuple[str, Where, float], ...] = (
            (fold_typography(title), "title", self.title_weight),
            (fold_typography(body), "body", self.body_weight),
        )
        scan = self._automaton.scan
        parts = tuple(_Part(text, where, weight, scan(text)) for text, where, weight in folded)
        countries = self._family(self.countries, 0, parts)
        return Labels(countries, self._family(self.subjects, len(self.countries), parts))

    def _family(self, rules: Sequence[LabelRule], first: int, parts: Sequence["_Part"]) -> tuple[Label, ...]:
        """The labels of one family; `first` is the index of its first rule in the automaton's list."""
        found: list[tuple[float, int, Label]] = []
        for order, rule in enumerate(rules):
            cues: list[CueMatch] = []
            score = 0.0
            for part in parts:
                matched = part.matches(first + order, rule)
                if not matched:
                    continue
                counts: dict[str, int] = {}
                for _, cue in matched:
                    counts[cue] = counts.get(cue, 0) + 1
                cues += [CueMatch(cue, part.where, count) for cue, count in counts.items()]
                score += part.weight * len(matched)
            if cues and score >= self.min_score:
                found.append((-score, order, Label(rule.slug, rule.name, score, tuple(cues))))
        return tuple(label for *_, label in sorted(found, key=lambda item: item[:2]))

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> "Taxonomy":
        """Build from the taxonomy data file's content (services/data/taxonomy.yaml, already parsed)."""
        families = {family: _family_rules(family, data.get(family)) for family in FAMILIES}
        weights = {key: _positive(data, key, default) for key, default in _WEIGHTS.items()}
        return cls(families["countries"], families["subjects"], **weights)


@dataclass
class _Part:
    """One part of an article (title or body), folded, with its automaton matches and, for the rules that
    take their regex, its word index (built only when one asks: most rules are the automaton's)."""

    text: str
    where: Where
    weight: float
    scan: Scan

    def matches(self, index: int, rule: LabelRule) -> list[Hit]:
        """The matches of `rule`, the automaton's rule `index`, in this part."""
        scan = self.scan
        if index in scan.answered:
            hits = scan.hits.get(index, [])
            if hits is not None:
                return hits
            # None: one of the rule's ignored phrases occurs, and its regex blanks those first
        if rule.heads is None or (rule.heads.exotic and not self.text.isascii()):
            return rule.matches(self.text)  # the word index cannot place its cues here
        if not self.words.may_start(rule.heads):
            return []  # no cue can start in this part
        return rule.matches(self.text, self.words)

    @cached_property
    def words(self) -> WordIndex:
        return WordIndex(self.text)


_WEIGHTS = {"title_weight": 3.0, "body_weight": 1.0, "min_score": 3.0}


def _positive(data: Mapping[str, Any], key: str, default: float) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigError(f"taxonomy: {key} must be a positive number, got {value!r}")
    return float(value)


def _family_rules(family: str, entries: Any) -> tuple[LabelRule, ...]:
    if not isinstance(entries, Mapping) or not entries:
        raise ConfigError(f"taxonomy: {family} must map label slugs to a name and cues")
    return tuple(_rule(f"{family}.{slug}", str(slug), entry) for slug, entry in entries.items())


def _rule(where: str, slug: str, entry: Any) -> LabelRule:
    if not _SLUG.match(slug):
        raise ConfigError(f"taxonomy: {where}: slugs are lower-case letters, digits and hyphens")
    if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
        raise ConfigError(f"taxonomy: {where}: needs a name")
    unknown = set(entry) - {"name", "cues", "cased", "ignore"}
    if unknown:
        raise ConfigError(f"taxonomy: {where}: unknown field(s) {sorted(unknown)}")
    plain = _cue_list(where, entry, "cues")
    cased = _cue_list(where, entry, "cased")
    if not plain and not cased:
        raise ConfigError(f"taxonomy: {where}: give at least one cue")
    cues = sorted(
        [(cue.lower(), True) for cue in plain] + [(cue, False) for cue in cased], key=lambda c: -len(c[0])
    )
    names = [cue for cue, _ in cues]
    if len(set(names)) != len(names):
        raise ConfigError(f"taxonomy: {where}: a cue is listed twice")
    alternatives = tuple(
        f"(?P<c{index}>{_cue_regex(cue, folded)})" for index, (cue, folded) in enumerate(cues)
    )
    ignore = _cue_list(where, entry, "ignore")
    return LabelRule(
        slug=slug,
        name=entry["name"],
        cues=tuple(names),
        pattern=_alternation(alternatives),
        ignore=_alternation([_cue_regex(phrase, True) for phrase in ignore]) if ignore else None,
        heads=cue_heads(names),
        ignore_heads=cue_heads(ignore) if ignore else None,
        alternatives=alternatives,
        cue_heads=tuple(cue_head(name) for name in names),
        ignored=tuple(ignore),
    )


def _alternation(alternatives: Sequence[str]) -> re.Pattern[str]:
    """Whole words and phrases only: no word character right before or after a match."""
    return re.compile(rf"(?<!\w)(?:{'|'.join(alternatives)})(?!\w)")


def _cue_list(where: str, entry: Mapping[str, Any], field: str) -> list[str]:
    cues = entry.get(field) or []
    if not isinstance(cues, list) or not all(isinstance(cue, str) and cue.strip("* ") for cue in cues):
        raise ConfigError(f"taxonomy: {where}: {field} must be a list of words or phrases")
    return [fold_typography(cue) for cue in cues]


def _cue_regex(cue: str, ignore_case: bool) -> str:
    stem, wildcard = (cue[:-1], r"\w*") if cue.endswith("*") else (cue, "")
    body = re.escape(stem) + wildcard
    return f"(?i:{body})" if ignore_case else body
