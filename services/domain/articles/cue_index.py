"""Where a label rule's cues can start in a text, so its regex is tried there instead of at every character.

A cue pattern is `(?<!\\w)(?:cue|cue|...)(?!\\w)`: a match starts where a word starts, and only at a word
equal to a cue's first word (case-insensitively), or beginning with the stem of a one-word wildcard cue
('invest*'). Running `pattern.match` at those positions, left to right and skipping overlaps, finds
exactly what `pattern.finditer` finds, at a small fraction of the cost: the regex tries every alternative
at every position, while most rules have no cue word in an article at all.

Case-insensitive matching of an ASCII cue letter accepts the ASCII letters and exactly four others
(`_TWINS`, checked by a test over every code point), so words are compared in that folded form. Cues with
other non-ASCII letters ('türkiye') are left to the full scan on texts that are not ASCII themselves.
"""

import re
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass

_WORD = re.compile(r"\w+")
#: the only non-ASCII characters `(?i:[a-z])` matches, and the letter each stands for
_TWINS = str.maketrans({"İ": "i", "ı": "i", "ſ": "s", "\u212a": "k"})
TWINS = frozenset(map(chr, _TWINS))


@dataclass(frozen=True)
class CueHeads:
    """A pattern's possible first words in folded form: whole words, stems of one-word wildcard cues, and
    whether some cue is written with other non-ASCII letters (those match only in non-ASCII texts)."""

    words: frozenset[str]
    stems: tuple[str, ...]
    exotic: bool = False


def cue_head(cue: str) -> tuple[str, bool] | None:
    """One cue's folded first word and whether it is the stem of a one-word wildcard cue ('invest*');
    None for a cue written with other non-ASCII letters, or one the index cannot place (see cue_heads)."""
    wildcard = cue.endswith("*")
    stem = cue[:-1] if wildcard else cue
    head = _WORD.match(stem) if stem.isascii() else None
    if head is None:
        return None
    return head.group().lower(), wildcard and head.end() == len(stem)


def cue_heads(cues: Iterable[str]) -> CueHeads | None:
    """The heads of `cues` as written in the taxonomy ('*' = any ending), or None when the index can't tell
    where they start (a cue opening with a non-word character, or written with one of the twins); such
    patterns always take the full scan."""
    words: set[str] = set()
    stems: list[str] = []
    exotic = False
    for cue in cues:
        stem = cue.removesuffix("*")
        if not stem.isascii():
            if stem != stem.translate(_TWINS):
                return None
            exotic = True
            continue
        head = cue_head(cue)
        if head is None:
            return None
        first, is_stem = head
        (stems.append if is_stem else words.add)(first)
    return CueHeads(frozenset(words), tuple(sorted(set(stems))), exotic)


class WordIndex:
    """The words of one text in folded form and, for the few asked about, where they start."""

    def __init__(self, text: str) -> None:
        self._ascii = text.isascii()
        self._starts: dict[str, list[int]] = {}
        if self._ascii:
            self._text = text.lower()  # ASCII: same length, same positions
            # str.translate and str.split run in C; a regex finditer over every word costs several times more
            self._words = frozenset(self._text.translate(_NON_WORD_TO_SPACE).split())
        else:
            # folded words may differ in length from the text's (lower() of İ is two characters): keep
            # every word's positions now, since they cannot be searched for later
            for found in _WORD.finditer(text):
                self._starts.setdefault(found.group().translate(_TWINS).lower(), []).append(found.start())
            self._words = frozenset(self._starts)
        self._sorted: list[str] | None = None

    def may_start(self, heads: CueHeads | None) -> bool:
        """Whether a cue of `heads` can start anywhere in the text; True when only a full scan can tell.

        Cheaper than `starts`: most rules have no cue word in an article, and this says so without
        building anything."""
        if heads is None or (heads.exotic and not self._ascii):
            return True
        if not heads.words.isdisjoint(self._words):
            return True
        if heads.stems:
            if self._sorted is None:
                self._sorted = sorted(self._words)
            for stem in heads.stems:
                at = bisect_left(self._sorted, stem)
                if at < len(self._sorted) and self._sorted[at].startswith(stem):
                    return True
        return False

    def starts(self, heads: CueHeads) -> list[int] | None:
        """Every position where a word of `heads` starts, ascending; None when only a full scan can tell."""
        found = self.word_starts(heads)
        return None if found is None else [start for start, _ in found]

    def word_starts(self, heads: CueHeads) -> list[tuple[int, str]] | None:
        """(position, folded word) wherever a word of `heads` starts, ascending; None: full scan only."""
        if heads.exotic and not self._ascii:
            return None
        words = heads.words & self._words
        if heads.stems:
            if self._sorted is None:
                self._sorted = sorted(self._words)
            for stem in heads.stems:
                at = bisect_left(self._sorted, stem)
                while at < len(self._sorted) and self._sorted[at].startswith(stem):
                    words |= {self._sorted[at]}
                    at += 1
        found: list[tuple[int, str]] = []
        for word in words:
            found.extend((start, word) for start in self._word_starts(word))
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


def find_all_narrowed(
    narrowed: Callable[[str], re.Pattern[str] | None], text: str, starts: list[tuple[int, str]]
) -> list[re.Match[str]]:
    """`find_all`, trying at each start only the cues that can begin with the word there: `narrowed(word)`
    is the pattern's alternation cut down to them, in the same order and with the same group names.
    A cue whose first word differs from the word at a position cannot match there (the cue's word is
    followed by a non-word character, or is the whole cue), and an ordered alternation takes the first
    alternative that matches, so dropping the ones that fail anyway changes no match."""
    matches: list[re.Match[str]] = []
    end = 0
    for start, word in starts:
        if start < end:
            continue
        pattern = narrowed(word)
        found = None if pattern is None else pattern.match(text, start)
        if found is not None:
            matches.append(found)
            end = found.end()
    return matches


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
