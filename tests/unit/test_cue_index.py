"""The cue index: rules searched only where cue words start find exactly what a full regex scan finds."""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from services.common.taxonomy_file import load_taxonomy
from services.domain.articles.cue_index import CueHeads, WordIndex, cue_heads
from services.domain.articles.taxonomy import LabelRule, Taxonomy

TAXONOMY = load_taxonomy()
MINI = Taxonomy.from_mapping(
    {
        "countries": {
            "us": {
                "name": "United States",
                "cues": ["united states", "washington*"],
                "cased": ["US", "U.S."],
                "ignore": ["US dollar", "us-*"],
            },
            "kz": {"name": "Kazakhstan", "cues": ["kazakh*", "kazakh president", "astana", "türkiye"]},
        },
        "subjects": {"energy": {"name": "Energy", "cues": ["oil", "gas*", "power plant", "green energy"]}},
    }
)
RULES: list[LabelRule] = [*TAXONOMY.countries, *TAXONOMY.subjects, *MINI.countries, *MINI.subjects]
CUE_WORDS = sorted(
    {word for rule in RULES for cue in rule.cues for word in re.findall(r"\w+", cue) if word.isascii()}
)
SEPARATORS = [" ", "  ", ", ", ". ", "-", "'", "'s ", "(", ") ", "_", "\n", "/", "...", '"']


def fragment() -> st.SearchStrategy[str]:
    cue_word = st.sampled_from(CUE_WORDS)
    return st.one_of(
        cue_word,
        cue_word.map(str.upper),
        cue_word.map(str.title),
        cue_word.map(lambda word: word + "s"),  # wildcard endings, and words that only start like a cue
        cue_word.map(lambda word: "x" + word),  # a cue inside a longer word is no match
        st.sampled_from(["US", "us", "U.S.", "US dollar", "US Dollar", "us-led", "1", "2024", "_"]),
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8),
        # letters that case-insensitive matching pairs with ASCII ones, and others it does not
        cue_word.map(lambda word: word.replace("i", "ı").replace("s", "ſ").replace("k", "\u212a")),
        cue_word.map(lambda word: word.upper().replace("I", "İ")),
        st.sampled_from(["Türkiye", "TÜRKIYE", "Erdoğan", "Özbekistan", "Кыргызстан", "é", "ß", "ẞ", "µ"]),
        st.sampled_from(["Güler", "Yaşar", "ΟΔΟΣ", "ǅ", "ﬁ", "²", "٣", "\u0301"]),  # letters, digits, a mark
        cue_word.map(lambda word: word + "ü"),  # a cue followed by a word character beyond ASCII
    )


texts = st.lists(st.tuples(fragment(), st.sampled_from(SEPARATORS)), max_size=40).map(
    lambda parts: "".join(word + separator for word, separator in parts)
)


@settings(max_examples=300)
@given(texts)
def test_indexed_matches_equal_the_full_scan(text: str) -> None:
    index = WordIndex(text)
    for rule in RULES:
        assert rule.matches(text, index) == rule.matches(text), rule.slug


@given(texts, texts)
def test_labels_equal_those_of_the_full_scan(title: str, body: str) -> None:
    """label() indexes ASCII text; the rules' plain full scans give the very same labels."""
    for taxonomy in (TAXONOMY, MINI):
        unindexed = Taxonomy(
            tuple(_plain(rule) for rule in taxonomy.countries),
            tuple(_plain(rule) for rule in taxonomy.subjects),
            taxonomy.title_weight,
            taxonomy.body_weight,
            taxonomy.min_score,
        )
        assert taxonomy.label(title, body) == unindexed.label(title, body)


def _plain(rule: LabelRule) -> LabelRule:
    return LabelRule(rule.slug, rule.name, rule.cues, rule.pattern, rule.ignore)


def test_heads_of_cues() -> None:
    assert cue_heads(["kazakh president", "invest*", "U.S.", "foreign invest*", "jalal-abad"]) == CueHeads(
        frozenset({"kazakh", "u", "foreign", "jalal"}), ("invest",)
    )
    # a cue with other non-ASCII letters matches only non-ASCII texts, which then take the full scan
    assert cue_heads(["türkiye", "ankara"]) == CueHeads(frozenset({"ankara"}), (), exotic=True)
    assert WordIndex("Ankara").starts(CueHeads(frozenset({"ankara"}), (), exotic=True)) == [0]
    assert WordIndex("Türkiye").starts(CueHeads(frozenset({"ankara"}), (), exotic=True)) is None
    assert cue_heads(["ſom"]) is None  # written with a twin of s
    assert cue_heads(["#tag"]) is None


def test_the_twins_are_the_only_non_ascii_letters_ascii_ones_match_ignoring_case() -> None:
    everything = "".join(chr(code) for code in range(0x80, 0x110000) if not 0xD800 <= code < 0xE000)
    twins = {found.group() for found in re.finditer("(?i:[a-z0-9_])", everything)}
    assert twins == {"İ", "ı", "ſ", "\u212a"}
    index = WordIndex("İstanbul ſtate \u212azt ıran")
    assert index.starts(CueHeads(frozenset({"istanbul", "state", "kzt", "iran"}), ())) == [0, 9, 15, 19]


def test_word_starts_respect_word_boundaries() -> None:
    index = WordIndex("Oil, oily OIL_x oil. Gasoline gas")
    assert index.starts(CueHeads(frozenset({"oil"}), ())) == [0, 16]
    assert index.starts(CueHeads(frozenset(), ("gas",))) == [21, 30]


def test_non_ascii_text_takes_the_full_scan() -> None:
    title = "Türkiye and Kazakh President Meet"
    labels = MINI.label(title, "")
    assert [label.slug for label in labels.countries] == ["kz"]
    assert [cue.cue for cue in labels.countries[0].cues] == ["türkiye", "kazakh president"]


AUTOMATON_RULES = [*TAXONOMY.countries, *TAXONOMY.subjects]
AUTOMATON = Taxonomy(TAXONOMY.countries, TAXONOMY.subjects)._automaton


def test_the_automaton_answers_for_every_rule_those_with_ignored_phrases_included() -> None:
    assert AUTOMATON.eligible == frozenset(range(len(AUTOMATON_RULES)))
    assert {rule.slug for rule in AUTOMATON_RULES if rule.ignored} == {"us", "transport-infrastructure"}
    assert [rule.slug for rule in AUTOMATON_RULES if rule.heads is not None and rule.heads.exotic] == [
        "turkey"
    ]


def test_where_an_ignored_phrase_occurs_the_rule_s_regex_answers() -> None:
    us = next(index for index, rule in enumerate(AUTOMATON_RULES) if rule.slug == "us")
    assert AUTOMATON.scan("The US said the US dollar fell").hits[us] is None  # the regex blanks "US dollar"
    assert AUTOMATON_RULES[us].matches("The US said the US dollar fell") == [(4, "US")]
    assert AUTOMATON.scan("The US said the euro fell").hits[us] == [(4, "US")]
    labels = TAXONOMY.label("Gold and the US dollar", "The US dollar rose against the euro.")
    assert "us" not in [label.slug for label in labels.countries]  # about money, not the United States
    labels = TAXONOMY.label("Gold and the US economy", "The US dollar rose against the euro.")
    assert [label.slug for label in labels.countries] == ["us"]


@settings(max_examples=500)
@given(texts)
def test_the_automaton_finds_exactly_what_each_rule_s_regex_finds(text: str) -> None:
    for automaton, rules in (
        (AUTOMATON, AUTOMATON_RULES),
        (MINI._automaton, [*MINI.countries, *MINI.subjects]),
    ):
        scan = automaton.scan(text)
        for index in scan.answered:
            rule = rules[index]
            hits = scan.hits.get(index, [])
            if hits is None:  # one of its ignored phrases occurs: its regex answers
                assert any(phrase.removesuffix("*").lower() in text.lower() for phrase in rule.ignored)
            else:
                assert hits == rule.matches(text), rule.slug


def test_text_with_other_letters_is_read_by_the_automaton_but_where_a_twin_or_a_non_ascii_cue_is() -> None:
    slugs = [rule.slug for rule in AUTOMATON_RULES]
    turkey = slugs.index("turkey")
    # Turkish names: every rule answered, the turkey rule's ASCII cues found by the automaton
    scan = AUTOMATON.scan("Yaşar Güler met Turkish officials in Ankara")
    assert scan.answered == AUTOMATON.eligible
    assert scan.hits[turkey] == [(16, "turkish"), (37, "ankara")]
    # a non-ASCII cue of the turkey rule occurs, in any case: its regex answers for it, the others stay
    for text in ("Türkiye and Kazakhstan", "TÜRKIYE and Kazakhstan", "Erdoğan in Astana"):
        assert AUTOMATON.scan(text).answered == AUTOMATON.eligible - {turkey}, text
    # a twin of an ASCII letter, or a letter whose lower case is two characters: every rule's regex
    for text in ("İstanbul talks", "ıran talks", "\u212azt rate"):
        assert AUTOMATON.scan(text).answered == frozenset(), text
    # a word character beyond ASCII ends no word: "Kazakhstanü" is not Kazakhstan
    kazakhstan = slugs.index("kazakhstan")
    assert AUTOMATON.scan("Kazakhstanü and Kazakhstan, ü").hits[kazakhstan] == [(16, "kazakhstan")]
