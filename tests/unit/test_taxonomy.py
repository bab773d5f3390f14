"""The rule-based labeller: cue matching, weights, explainable labels, and a labelled headline set."""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.common.taxonomy_file import load_taxonomy
from services.domain.articles.taxonomy import CueMatch, Label, Taxonomy
from services.domain.errors import ConfigError

HERE = Path(__file__).resolve().parent
SEED = HERE.parents[1] / "samples" / "seed.txt"
LABELLED: list[dict[str, Any]] = yaml.safe_load(
    (HERE / "data" / "labelled_headlines.yaml").read_text("utf-8")
)
TAXONOMY = load_taxonomy()


def mini(**families: Any) -> Taxonomy:
    data = {
        "countries": {"iran": {"name": "Iran", "cues": ["iran"]}},
        "subjects": {"x": {"name": "X", "cues": ["x"]}},
    }
    return Taxonomy.from_mapping({**data, **families})


def test_the_labelled_set_is_big_enough() -> None:
    assert len(LABELLED) >= 40


@pytest.mark.parametrize("case", LABELLED, ids=[case["title"][:50] for case in LABELLED])
def test_labelled_headlines(case: dict[str, Any]) -> None:
    labels = TAXONOMY.label(case["title"], case["body"])
    assert sorted(label.slug for label in labels.countries) == sorted(case["countries"])
    assert sorted(label.slug for label in labels.subjects) == sorted(case["subjects"])
    assert labels.unclassified is (not case["countries"] and not case["subjects"])


def seed_articles() -> list[tuple[str, str]]:
    text = SEED.read_text(encoding="utf-8").split("Viewing results 1 - 6 of 131", 1)[1]
    blocks = [block.strip() for block in re.split(r"\n\s*\n", text) if block.strip()]
    return list(zip(blocks[0::2], blocks[1::2], strict=True))


def test_seed_articles_best_label_first() -> None:
    got = [
        (
            [label.slug for label in labels.countries],
            [label.slug for label in labels.subjects],
        )
        for labels in (TAXONOMY.label(title, body) for title, body in seed_articles())
    ]
    assert got == [
        (["turkey", "kyrgyzstan"], ["politics-diplomacy", "security-defense"]),
        (
            ["turkey", "russia", "kyrgyzstan", "kazakhstan", "china", "turkmenistan", "uzbekistan"],
            ["economy-finance", "politics-diplomacy", "energy-climate"],
        ),
        (["turkey", "kazakhstan"], ["security-defense", "politics-diplomacy"]),
        (["kyrgyzstan", "turkey"], ["tourism-culture", "transport-infrastructure"]),
        (["turkey", "kazakhstan"], ["politics-diplomacy", "transport-infrastructure", "security-defense"]),
        (["turkmenistan", "eu"], ["energy-climate", "politics-diplomacy"]),
    ]


def test_seed_labels_explain_themselves() -> None:
    title, body = seed_articles()[5]
    labels = TAXONOMY.label(title, body)
    assert labels.countries[1] == Label(
        slug="eu",
        name="European Union",
        score=9.0,
        cues=(CueMatch("EU", "title", 1), CueMatch("european union", "body", 1), CueMatch("EU", "body", 5)),
    )
    assert labels.to_dict()["countries"][1] == {
        "slug": "eu",
        "name": "European Union",
        "score": 9.0,
        "cues": [
            {"cue": "EU", "where": "title", "count": 1},
            {"cue": "european union", "where": "body", "count": 1},
            {"cue": "EU", "where": "body", "count": 5},
        ],
    }


def test_whole_words_only() -> None:
    taxonomy = mini()
    assert [label.slug for label in taxonomy.label("Iran Talks", "").countries] == ["iran"]
    assert taxonomy.label("Iranian Talks", "").countries == ()
    assert taxonomy.label("Iran's Talks", "").countries[0].cues == (CueMatch("iran", "title", 1),)


def test_cased_cues_and_ignored_phrases() -> None:
    us = {
        "us": {
            "name": "United States",
            "cues": ["united states"],
            "cased": ["US", "U.S."],
            "ignore": ["US dollar"],
        }
    }
    taxonomy = mini(countries=us)
    assert taxonomy.label("Between Us and Them", "let us go").unclassified
    assert taxonomy.label("Som Falls Against the US Dollar", "").unclassified
    found = taxonomy.label("US Envoy Visits", "The U.S. and the United States").countries[0]
    assert found.cues == (
        CueMatch("US", "title", 1),
        CueMatch("U.S.", "body", 1),
        CueMatch("united states", "body", 1),
    )
    assert found.score == 5.0


def test_wildcards_and_longest_cue_wins() -> None:
    subjects = {"economy": {"name": "Economy", "cues": ["invest*", "trade", "trade turnover"]}}
    countries = {"kz": {"name": "Kazakhstan", "cues": ["kazakh", "kazakh president", "tokayev"]}}
    taxonomy = mini(subjects=subjects, countries=countries)
    labels = taxonomy.label(
        "Kazakh President Tokayev Woos Investors", "Trade turnover and trade grew; investment too."
    )
    assert labels.countries[0].cues == (
        CueMatch("kazakh president", "title", 1),
        CueMatch("tokayev", "title", 1),
    )
    assert labels.subjects[0].cues == (
        CueMatch("invest*", "title", 1),
        CueMatch("trade turnover", "body", 1),
        CueMatch("trade", "body", 1),
        CueMatch("invest*", "body", 1),
    )
    assert labels.subjects[0].score == 6.0


def test_title_weighs_more_than_body_and_a_minimum_score_applies() -> None:
    taxonomy = mini()
    assert taxonomy.label("Nothing here", "Iran once.").countries == ()
    assert taxonomy.label("Nothing here", "Iran, Iran.").countries == ()
    assert taxonomy.label("Nothing here", "Iran, Iran, Iran.").countries[0].score == 3.0
    assert taxonomy.label("Iran", "").countries[0].score == 3.0
    strict = mini(title_weight=2, body_weight=0.5, min_score=2.5)
    assert strict.label("Iran", "").countries == ()
    assert strict.label("Iran", "Iran").countries[0].score == 2.5


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"countries": {}}, "taxonomy: countries must map label slugs to a name and cues"),
        ({"countries": {"Iran!": {"name": "Iran", "cues": ["iran"]}}}, "slugs are lower-case"),
        ({"countries": {"iran": {"cues": ["iran"]}}}, "taxonomy: countries.iran: needs a name"),
        ({"countries": {"iran": {"name": "Iran"}}}, "taxonomy: countries.iran: give at least one cue"),
        ({"countries": {"iran": {"name": "Iran", "cues": ["iran", "Iran"]}}}, "a cue is listed twice"),
        (
            {"countries": {"iran": {"name": "Iran", "cues": "iran"}}},
            "cues must be a list of words or phrases",
        ),
        ({"countries": {"iran": {"name": "Iran", "cues": ["*"]}}}, "cues must be a list of words or phrases"),
        (
            {"countries": {"iran": {"name": "Iran", "cues": ["iran"], "clues": []}}},
            "unknown field(s) ['clues']",
        ),
        ({"min_score": 0}, "taxonomy: min_score must be a positive number, got 0"),
        ({"title_weight": "3"}, "taxonomy: title_weight must be a positive number, got '3'"),
    ],
)
def test_bad_taxonomy_data(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as error:
        mini(**data)
    assert message in str(error.value)


def test_the_data_file_has_every_label_of_the_catalog() -> None:
    assert [rule.slug for rule in TAXONOMY.countries] == [
        "kazakhstan",
        "kyrgyzstan",
        "tajikistan",
        "turkmenistan",
        "uzbekistan",
        "afghanistan",
        "russia",
        "china",
        "turkey",
        "iran",
        "eu",
        "us",
    ]
    assert len(TAXONOMY.subjects) == 7
    assert (TAXONOMY.title_weight, TAXONOMY.body_weight, TAXONOMY.min_score) == (3.0, 1.0, 3.0)


def test_a_broken_data_file_names_itself(tmp_path: Path) -> None:
    broken = tmp_path / "taxonomy.yaml"
    broken.write_text("countries: [", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"taxonomy\.yaml: not valid YAML"):
        load_taxonomy(broken)
    broken.write_text("countries: {}\nsubjects: {}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"taxonomy\.yaml: taxonomy: countries must map"):
        load_taxonomy(broken)
