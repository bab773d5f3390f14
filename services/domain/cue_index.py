"""Where a label rule's cues can start in a text, so its regex is tried there instead of at every character.

A cue pattern is `(?<!\\w)(?:cue|cue|...)(?!\\w)`: a match starts where a word starts, and on ASCII text it
starts only at a word equal to a cue's first word (case-insensitively), or beginning with the stem of a
one-word wildcard cue ('invest*'). Running `pattern.match` at those positions, left to right and skipping
overlaps, finds exactly what `pattern.finditer` finds, at a small fraction of the cost: the regex tries
every alternative at every position, while most rules have no cue word in an article at all.
Texts or cues outside ASCII (where case-insensitive matching has non-ASCII equivalents) take the full scan.
"""

import re
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class CueHeads:
    """A pattern's possible first words, lower case: whole words, and stems of one-word wildcard cues."""

    words: frozenset[str]
    stems: tuple[str, ...]


def cue_heads(cues: Iterable[str]) -> CueHeads | None:
    """The heads of `cues` as written in the taxonomy ('*' = any ending), or None when the index can't tell
    where they start (a cue opening with a non-word character, or one that could match ASCII text through
    a non-ASCII character); such patterns always take the full scan."""
    words: set[str] = set()
    stems: list[str] = []
    for cue in cues:
        wildcard = cue.endswith("*")
        stem = cue[:-1] if wildcard else cue
        if not stem.isascii():
            if _can_match_ascii(stem):
                return None
            continue  # it can never match an ASCII text, and other texts take the full scan anyway
        head = _WORD.match(stem)
        if head is None:
            return None
        first = head.group().lower()
        if wildcard and head.end() == len(stem):
            stems.append(first)
        else:
            words.add(first)
    return CueHeads(frozenset(words), tuple(sorted(set(stems))))


def _can_match_ascii(cue: str) -> bool:
    """Could a case-insensitive match of `cue` consist of ASCII characters only (e.g. 'ſ' matches 's')?"""
    return all(
        char.isascii() or any(re.fullmatch(f"(?i:{re.escape(char)})", chr(code)) for code in range(128))
        for char in cue
    )


class WordIndex:
    """The words of one ASCII text (lower case) and, for the few asked about, where they start."""

    def __init__(self, text: str) -> None:
        self._text = text.lower()  # ASCII: same length, same positions
        # str.translate and str.split run in C; a regex finditer over every word costs several times more
        self._words = frozenset(self._text.translate(_NON_WORD_TO_SPACE).split())
        self._sorted: list[str] | None = None
        self._starts: dict[str, list[int]] = {}

    def starts(self, heads: CueHeads) -> list[int]:
        """Every position where a word of `heads` starts, ascending."""
        words = heads.words & self._words
        if heads.stems:
            if self._sorted is None:
                self._sorted = sorted(self._words)
            for stem in heads.stems:
                at = bisect_left(self._sorted, stem)
                while at < len(self._sorted) and self._sorted[at].startswith(stem):
                    words |= {self._sorted[at]}
                    at += 1
        found: list[int] = []
        for word in words:
            found.extend(self._word_starts(word))
        return sorted(found)

    def _word_starts(self, word: str) -> list[int]:
        if word not in self._starts:
            text, size, starts = self._text, len(word), []
            at = text.find(word)
            while at >= 0:
                end = at + size
                if (at == 0 or not _is_word(text[at - 1])) and (end == len(text) or not _is_word(text[end])):
                    starts.append(at)
                at = text.find(word, at + 1)
            self._starts[word] = starts
        return self._starts[word]


_WORD_CHARACTERS = frozenset(char for char in map(chr, range(128)) if char.isalnum() or char == "_")
_NON_WORD_TO_SPACE = {code: " " for code in range(128) if chr(code) not in _WORD_CHARACTERS}


def _is_word(char: str) -> bool:
    """\\w on ASCII: letters, digits, underscore."""
    return char in _WORD_CHARACTERS


def find_all(pattern: re.Pattern[str], text: str, starts: list[int]) -> list[re.Match[str]]:
    """What `pattern.finditer(text)` yields when every match starts at one of `starts` (ascending)."""
    matches: list[re.Match[str]] = []
    end = 0
    for start in starts:
        if start < end:
            continue  # inside the previous match: finditer resumes after it
        found = pattern.match(text, start)
        if found is not None:
            matches.append(found)
            end = found.end()
    return matches
