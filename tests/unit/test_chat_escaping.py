"""Page text cannot inject mentions, links or formatting into any chat, and long text is cut to each limit."""

import json
from collections.abc import Iterator
from typing import Any

import pytest

from services.domain.alerts.chat import discord, mattermost, slack, teams
from services.domain.alerts.chat.text import (
    ELLIPSIS,
    ZWSP,
    clean,
    discord_markdown,
    fit,
    mattermost_markdown,
    plain,
    slack_mrkdwn,
    teams_markdown,
    text_length,
)
from tests.support.alerts import INJECTION, alert_value

HOSTILE = alert_value(site=INJECTION, summary=f"KGS/USD moved +1.748252% in 1h on {INJECTION}")
# what plain-text fields (no markup) make of it: only mentions and autolinks defused
PLAIN_INJECTION = (
    f"<{ZWSP}!channel> @{ZWSP}everyone [click](http:{ZWSP}//evil) *bold* "
    f"<{ZWSP}@{ZWSP}123> <{ZWSP}https:{ZWSP}//x|y>"
)
# mentions and links must not survive anywhere, plain-text fields included; formatting is checked per kind
TRIGGERS = ("<!channel>", "<@123>", "@everyone", "http://", "https://")


def strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            if key != "$schema":
                yield from strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from strings(item)


@pytest.mark.parametrize("build", [slack.build, discord.build, mattermost.build, teams.build])
def test_no_mention_or_link_survives_anywhere_in_any_chat_payload(build: Any) -> None:
    body, _ = build(HOSTILE)
    for text in strings(body):
        for trigger in TRIGGERS:
            assert trigger not in text, (trigger, text)
    assert "<!channel>" not in json.dumps(body, ensure_ascii=False)


def test_slack_turns_control_characters_into_entities_and_markers_into_look_alikes() -> None:
    body, _ = slack.build(HOSTILE)
    site = body["blocks"][1]["fields"][4]
    assert site == {
        "type": "mrkdwn",
        "text": f"*Site*\n&lt;!channel&gt; @{ZWSP}everyone [click](http:{ZWSP}//evil) ∗bold∗ "
        f"&lt;@{ZWSP}123&gt; &lt;https:{ZWSP}//x|y&gt;",
        "verbatim": True,
    }


def test_discord_backslash_escapes_markdown_and_defuses_mentions() -> None:
    body, _ = discord.build(HOSTILE)
    assert body["embeds"][0]["fields"][4]["value"] == (
        f"\\<!channel\\> @{ZWSP}everyone \\[click\\](http\\://evil) \\*bold\\* \\<@{ZWSP}123\\> \\<https\\://x\\|y\\>"
    )
    assert body["allowed_mentions"] == {"parse": []}


def test_mattermost_escapes_its_markdown_and_the_slack_style_mentions_it_expands() -> None:
    body, _ = mattermost.build(HOSTILE)
    [attachment] = body["attachments"]
    assert attachment["fields"][4]["value"] == (
        f"\\<\\!channel\\> @{ZWSP}everyone \\[click\\](http\\://evil) \\*bold\\* \\<@{ZWSP}123\\> \\<https\\://x\\|y\\>"
    )
    assert attachment["fallback"].endswith(PLAIN_INJECTION)


def test_teams_keeps_page_text_out_of_markdown_or_defuses_it() -> None:
    body, _ = teams.build(HOSTILE)
    card = body["attachments"][0]["content"]["body"]
    assert card[1]["inlines"][0]["text"].endswith(PLAIN_INJECTION)
    assert card[2]["facts"][4]["value"] == (
        f"<{ZWSP}!channel> @{ZWSP}everyone ［click］(http:{ZWSP}//evil) ∗bold∗ "
        f"<{ZWSP}@{ZWSP}123> <{ZWSP}https:{ZWSP}//x|y>"
    )


def test_line_breaks_and_invisible_characters_cannot_reshape_a_message() -> None:
    assert clean("Rates\n\n# Heading\t\u202eevil\u200b  text\x00") == "Rates # Heading evil text"
    assert "".join(discord_markdown("# big news")) == "\\# big news"
    assert "".join(mattermost_markdown("- item #tag www.evil.com")) == "\\- item \\#tag www\\.evil.com"
    assert "".join(teams_markdown("+ item")) == f"{ZWSP}+ item"
    assert "".join(discord_markdown("-1.5%")) == "-1.5%"


def test_www_links_are_broken_only_at_a_word_start() -> None:
    assert "".join(plain("see www.evil.com, not awww.x")) == f"see www.{ZWSP}evil.com, not awww.x"


@pytest.mark.parametrize(
    ("escaper", "text", "units"),
    [
        (slack_mrkdwn, "a&b", ["a", "&amp;", "b"]),
        (discord_markdown, "*x*", ["\\*", "x", "\\*"]),
        (mattermost_markdown, "@a", [f"@{ZWSP}", "a"]),
    ],
)
def test_escapers_give_one_unit_per_character(escaper: Any, text: str, units: list[str]) -> None:
    assert escaper(text) == units


def test_fit_keeps_text_at_the_limit_and_cuts_one_over_with_an_ellipsis() -> None:
    assert fit(list("abcde"), 5) == "abcde"
    assert fit(list("abcdef"), 5) == "abcd" + ELLIPSIS
    assert fit(list("ab   cdef"), 5) == "ab" + ELLIPSIS


def test_fit_never_cuts_through_an_escape() -> None:
    assert fit(slack_mrkdwn("&&&"), 10) == "&amp;" + ELLIPSIS
    assert fit(discord_markdown("a*b"), 3) == "a" + ELLIPSIS


def test_lengths_count_utf16_units_as_the_chat_apis_do() -> None:
    assert text_length("🟠ab") == 4
    assert fit(list("🟠🟠🟠"), 5) == "🟠🟠" + ELLIPSIS


def title_prefix() -> str:
    return "🟠 WARNING · KGS/USD · "


def test_slack_header_is_cut_at_exactly_150() -> None:
    room = 150 - text_length(title_prefix())
    exact, _ = slack.build(alert_value(rule="r" * room))
    assert exact["blocks"][0]["text"]["text"] == title_prefix() + "r" * room
    over, _ = slack.build(alert_value(rule="r" * (room + 1)))
    header = over["blocks"][0]["text"]["text"]
    assert header == title_prefix() + "r" * (room - 1) + ELLIPSIS
    assert text_length(header) == 150


@pytest.mark.parametrize(
    ("limit", "text_of"),
    [
        (slack.SECTION_LIMIT, lambda body: body["blocks"][1]["text"]["text"]),
        (slack.FALLBACK_LIMIT - text_length(title_prefix() + "move-1h: "), lambda body: body["text"]),
    ],
)
def test_slack_texts_are_cut_at_their_limits(limit: int, text_of: Any) -> None:
    exact, _ = slack.build(alert_value(summary="s" * limit))
    assert text_of(exact).endswith("s" * 20) and ELLIPSIS not in text_of(exact)
    over, _ = slack.build(alert_value(summary="s" * (limit + 1)))
    assert text_of(over).endswith("s" + ELLIPSIS)
    assert text_length(text_of(over)) == text_length(text_of(exact))


@pytest.mark.parametrize(
    ("build", "limit", "text_of"),
    [
        (discord.build, discord.DESCRIPTION_LIMIT, lambda body: body["embeds"][0]["description"]),
        (mattermost.build, mattermost.TEXT_LIMIT, lambda body: body["attachments"][0]["text"]),
        (
            teams.build,
            teams.SUMMARY_LIMIT,
            lambda body: body["attachments"][0]["content"]["body"][1]["inlines"][0]["text"],
        ),
    ],
)
def test_summaries_are_cut_at_each_chats_limit(build: Any, limit: int, text_of: Any) -> None:
    exact, _ = build(alert_value(summary="s" * limit))
    assert text_of(exact) == "s" * limit
    over, _ = build(alert_value(summary="s" * (limit + 1)))
    assert text_of(over) == "s" * (limit - 1) + ELLIPSIS


def test_discord_field_values_are_cut_at_1024() -> None:
    body, _ = discord.build(alert_value(rule="r" * 2000))
    rule_field = body["embeds"][0]["fields"][2]
    assert rule_field == {"name": "Rule", "value": "r" * 1023 + ELLIPSIS, "inline": True}
    assert text_length(body["embeds"][0]["title"]) == discord.TITLE_LIMIT
