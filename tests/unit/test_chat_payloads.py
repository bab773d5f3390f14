"""Each chat kind's payload for one alert, checked field by field."""

from typing import Any

import pytest

from services.domain.alerts.chat import KINDS, build_payload, discord, mattermost, slack, teams
from services.domain.errors import ConfigError
from tests.support.alerts import alert_value

JSON = {"Content-Type": "application/json"}
TITLE = "🟠 WARNING · KGS/USD · move-1h"
SUMMARY = "KGS/USD moved +1.748252% in 1h on timesca.com (0.01144 -> 0.01164)"
FOOTER = "pagewire alert 9c4b2e7d1a0f3e5c8b6d4a2f0e1c3b5d · snapshot 5d1c7e0b2a9f"
FACTS = [
    ("Severity", "warning"),
    ("Status", "firing"),
    ("Rule", "move-1h"),
    ("Pair", "KGS/USD"),
    ("Site", "timesca.com"),
    ("Measure", "move in 1h"),
    ("Value", "+1.748252%"),
    ("Threshold", "≥ 1% either way"),
    ("Event time", "2025-02-19T07:00:00Z"),
]


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def test_slack_gets_block_kit_with_a_fallback_text() -> None:
    body, headers = slack.build(alert_value())
    assert headers == JSON
    assert body == {
        "text": f"{TITLE}: KGS/USD moved +1.748252% in 1h on timesca.com (0.01144 -&gt; 0.01164)",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": TITLE, "emoji": False}},
            {
                "type": "section",
                "text": mrkdwn("KGS/USD moved +1.748252% in 1h on timesca.com (0.01144 -&gt; 0.01164)"),
                "fields": [mrkdwn(f"*{label}*\n{value}") for label, value in FACTS],
            },
            {"type": "context", "elements": [mrkdwn(FOOTER)]},
        ],
    }


def test_discord_gets_one_coloured_embed_that_pings_nobody() -> None:
    body, headers = discord.build(alert_value())
    assert headers == JSON
    assert body["allowed_mentions"] == {"parse": []}
    [embed] = body["embeds"]
    assert embed == {
        "title": TITLE,
        "description": "KGS/USD moved +1.748252% in 1h on timesca.com (0.01144 -\\> 0.01164)",
        "color": 0xF9A825,
        "fields": [{"name": label, "value": value, "inline": True} for label, value in FACTS],
        "footer": {"text": FOOTER},
        "timestamp": "2025-02-19T07:00:00Z",
    }


@pytest.mark.parametrize(
    ("severity", "status", "colour", "title"),
    [
        ("critical", "firing", 0xD32F2F, "🔴 CRITICAL · KGS/USD · move-1h"),
        ("info", "firing", 0x1976D2, "🔵 INFO · KGS/USD · move-1h"),
        ("critical", "resolved", 0x2E7D32, "✅ RESOLVED · KGS/USD · move-1h"),
    ],
)
def test_discord_colour_and_title_follow_severity_and_status(
    severity: str, status: str, colour: int, title: str
) -> None:
    body, _ = discord.build(alert_value(severity=severity, status=status))
    assert (body["embeds"][0]["color"], body["embeds"][0]["title"]) == (colour, title)


def test_mattermost_gets_a_slack_compatible_attachment() -> None:
    body, headers = mattermost.build(alert_value())
    assert headers == JSON
    assert body == {
        "attachments": [
            {
                "fallback": f"{TITLE}: {SUMMARY}",
                "color": "#F9A825",
                "title": TITLE,
                "text": "KGS/USD moved +1.748252% in 1h on timesca.com (0.01144 -\\> 0.01164)",
                "fields": [{"title": label, "value": value, "short": True} for label, value in FACTS],
                "footer": FOOTER,
                "ts": 1739948400,
            }
        ]
    }


def test_teams_gets_a_workflows_message_with_an_adaptive_card() -> None:
    body, headers = teams.build(alert_value())
    assert headers == JSON
    assert body == {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": [
                        {
                            "type": "TextBlock",
                            "text": TITLE,
                            "weight": "Bolder",
                            "size": "Medium",
                            "color": "Warning",
                            "wrap": True,
                        },
                        {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": SUMMARY}]},
                        {
                            "type": "FactSet",
                            "facts": [{"title": label, "value": value} for label, value in FACTS],
                        },
                        {
                            "type": "TextBlock",
                            "text": FOOTER,
                            "isSubtle": True,
                            "size": "Small",
                            "wrap": True,
                        },
                    ],
                    "msteams": {"width": "Full"},
                },
            }
        ],
    }


def test_staleness_alerts_show_seconds_of_silence() -> None:
    stale = alert_value(
        metric="staleness",
        window=None,
        value="21605",
        threshold="0",
        summary="UZS/USD on timesca.com is stale",
    )
    body, _ = discord.build(stale)
    facts = {field["name"]: field["value"] for field in body["embeds"][0]["fields"]}
    assert (facts["Measure"], facts["Value"], facts["Threshold"]) == ("silence", "21605 s", "≥ 0 s silent")


def test_a_resolved_alert_without_a_value_says_so() -> None:
    body, _ = teams.build(alert_value(status="resolved", value=None, direction="down"))
    facts = {fact["title"]: fact["value"] for fact in body["attachments"][0]["content"]["body"][2]["facts"]}
    assert (facts["Value"], facts["Threshold"], facts["Status"]) == ("n/a", "≥ 1% down", "resolved")


def test_every_kind_is_built_through_one_entry_point() -> None:
    sample = alert_value()
    assert build_payload("slack", sample) == slack.build(sample)
    assert build_payload("teams", sample) == teams.build(sample)
    for kind in KINDS:
        body, headers = build_payload(kind, sample, secret="s3cret", timestamp=1739948400)
        assert body and headers["Content-Type"] == "application/json"


def test_an_unknown_kind_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown destination kind 'irc'"):
        build_payload("irc", alert_value())
