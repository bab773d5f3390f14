"""Every cue of a taxonomy in one Aho-Corasick automaton (pyahocorasick): one pass over a text finds the
matches of all label rules at once, with the rules' own regex semantics.

A rule's pattern is an alternation of its cues, longest first, each a whole word or phrase
(`(?<!\\w)(?:cue|cue|...)(?!\\w)`, case-insensitive unless the cue is `cased`, `\\w*` after a wildcard's
stem), scanned leftmost without overlaps. The automaton reports every occurrence of every cue's stem in
the lower-cased text; an occurrence is a match where the word boundaries hold (and, for a cased cue, the
text has the cue's case), a wildcard's match runs to the end of its word, and at each position the rule's
first cue in alternation order wins. Scanning those positions left to right, skipping any inside the
previous match, is what the regex's finditer does.

The cues in the automaton are ASCII (a cue written with other letters, 'türkiye', is left out: its rule's
other cues still answer in ASCII text, where it cannot match). A text with other letters ('Güler') is read
too: such a letter never matches an ASCII one ignoring case, and counts as a word character as `\\w` does;
a rule with a non-ASCII cue is answered there unless that cue occurs in the case-folded text (then its
regex is). Exceptions: the four twins case-insensitive matching pairs with ASCII letters
(services/domain/articles/cue_index.py) and letters whose lower case is longer (İ), which would shift
positions: a text holding one keeps every rule's regex. So do a rule with a non-ASCII ignored phrase and,
where one of its `ignore` phrases occurs, a rule in that text (the regex blanks those before matching).
tests/unit/test_cue_index.py holds every path to the full scan.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import ahocorasick

from services.domain.articles.cue_index import TWINS, CueHeads


class Rule(Protocol):
    """What the automaton reads of a label rule (services.domain.articles.taxonomy.LabelRule)."""

    @property
    def cues(self) -> tuple[str, ...]: ...
    @property
    def alternatives(self) -> tuple[str, ...]: ...
    @property
    def heads(self) -> CueHeads | None: ...
    @property
    def ignored(self) -> tuple[str, ...]: ...


#: a match: (position in the text, the cue as the taxonomy lists it)
Hit = tuple[int, str]
_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_NONE: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class Scan:
    """One text read by the automaton: the rules it answers for there, and their matches.

    `hits` maps a rule to its matches as LabelRule.matches gives them, or to None where one of the rule's
    ignored phrases occurs (its regex answers: it blanks them first); an answered rule absent has none."""

    answered: frozenset[int]
    hits: dict[int, list[Hit] | None]


@dataclass(frozen=True, slots=True)
class _Cue:
    rule: int  # the rule's index in the automaton's rule list
    order: int  # the cue's place in the rule's alternation: at one position the lowest wins
    cue: str
    stem: str  # without the wildcard's '*'; as written for a cased cue
    wildcard: bool
    cased: bool
    ignore: bool = False  # one of the rule's ignored phrases: where it occurs, the rule's regex answers


class CueAutomaton:
    """The cues of `rules` (every family's, in one list); `eligible` are the rules it answers for."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        # a cue written with other non-ASCII letters ('türkiye') never matches ASCII text: left out, its
        # rule's other cues still answer
        # a rule with a non-ASCII ignored phrase keeps its regex: case-insensitive, that phrase may match
        # ASCII text (services/domain/articles/cue_index.py, the twins)
        self.eligible = frozenset(
            index
            for index, rule in enumerate(rules)
            if rule.heads is not None
            and rule.alternatives
            and all(phrase.isascii() for phrase in rule.ignored)
        )
        by_stem: dict[str, list[_Cue]] = {}
        for index in sorted(self.eligible):
            rule = rules[index]
            for order, (cue, alternative) in enumerate(zip(rule.cues, rule.alternatives, strict=True)):
                if not cue.isascii():
                    continue
                wildcard = cue.endswith("*")
                stem = cue[:-1] if wildcard else cue
                cased = "(?i:" not in alternative  # taxonomy._cue_regex: case-insensitive cues say so
                by_stem.setdefault(stem.lower(), []).append(_Cue(index, order, cue, stem, wildcard, cased))
            for phrase in rule.ignored:
                stem = phrase.removesuffix("*")
                by_stem.setdefault(stem.lower(), []).append(_Cue(index, -1, phrase, stem, False, False, True))
        # in a text with other letters, a rule's non-ASCII cue may match: where one occurs (its stem in the
        # case-folded text: whatever matches it ignoring case folds the same), the rule keeps its regex
        self._unicode_plain = frozenset(
            index for index in self.eligible if all(cue.isascii() for cue in rules[index].cues)
        )
        self._unicode_cued = tuple(
            (index, tuple(cue.removesuffix("*").casefold() for cue in rules[index].cues if not cue.isascii()))
            for index in sorted(self.eligible - self._unicode_plain)
        )
        self._automaton = ahocorasick.Automaton()
        for stem, cues in by_stem.items():
            self._automaton.add_word(stem, tuple(cues))
        if by_stem:
            self._automaton.make_automaton()
        self._empty = not by_stem

    def scan(self, text: str) -> Scan:
        """The matches in `text` of the rules it can answer for there (see the module's docstring)."""
        if text.isascii():
            return Scan(self.eligible, self._matches(text, text.lower()))
        lower = text.lower()
        if len(lower) != len(text) or not TWINS.isdisjoint(text):
            return Scan(_NONE, {})
        folded = text.casefold()
        answered = self._unicode_plain.union(
            index for index, stems in self._unicode_cued if not any(stem in folded for stem in stems)
        )
        return Scan(answered, self._matches(text, lower))

    def _matches(self, text: str, lower: str) -> dict[int, list[Hit] | None]:
        """`lower` is `text` lower-cased, character for character."""
        if self._empty:
            return {}
        size = len(lower)
        best: dict[int, dict[int, tuple[int, int, str]]] = {}  # rule -> start -> (order, end, cue)
        unsure: set[int] = set()
        for last, cues in self._automaton.iter(lower):
            for cue in cues:
                if cue.ignore:
                    unsure.add(cue.rule)  # occurs, word boundaries or not: the regex decides
                    continue
                start = last - len(cue.stem) + 1
                if start > 0 and _is_word(text[start - 1]):
                    continue
                end = last + 1
                if cue.wildcard:
                    while end < size and _is_word(text[end]):
                        end += 1
                elif end < size and _is_word(text[end]):
                    continue
                if cue.cased and not text.startswith(cue.stem, start):
                    continue
                at = best.setdefault(cue.rule, {})
                found = at.get(start)
                if found is None or cue.order < found[0]:
                    at[start] = (cue.order, end, cue.cue)
        result: dict[int, list[Hit] | None] = dict.fromkeys(unsure)
        for rule, starts in best.items():
            if rule in unsure:
                continue
            hits: list[Hit] = []
            reached = 0
            for start in sorted(starts):
                if start < reached:
                    continue  # inside the previous match: the regex resumes after it
                _, end, cue = starts[start]
                hits.append((start, cue))
                reached = end
            result[rule] = hits
        return result


def _is_word(char: str) -> bool:
    """What `\\w` matches: ASCII letters, digits and '_', and every other alphanumeric character."""
    return char in _WORD or (not char.isascii() and char.isalnum())
