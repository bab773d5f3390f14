"""Microsoft Teams Workflows webhook payload: a message carrying one Adaptive Card (1.4)."""

from typing import Final

from services.domain.alerts.alert import Alert
from services.domain.alerts.chat.text import JSON_HEADERS, Payload, fit, plain, teams_markdown
from services.domain.alerts.chat.view import describe

CARD_CONTENT_TYPE: Final = "application/vnd.microsoft.card.adaptive"
CARD_SCHEMA: Final = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_VERSION: Final = "1.4"
# Our caps: Teams refuses messages over about 28 KB, and an alert needs far less
TITLE_LIMIT: Final = 256
SUMMARY_LIMIT: Final = 2000
FACT_VALUE_LIMIT: Final = 300
FOOTER_LIMIT: Final = 300


def build(alert: Alert) -> Payload:
    """(body, headers) for a Teams "When a Teams webhook request is received" Workflows trigger."""
    view = describe(alert)
    card = {
        "$schema": CARD_SCHEMA,
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "body": [
            {
                "type": "TextBlock",
                "text": fit(teams_markdown(view.title), TITLE_LIMIT),
                "weight": "Bolder",
                "size": "Medium",
                "color": view.card_colour,
                "wrap": True,
            },
            # a TextRun is never parsed as markdown: the right home for text that came from pages
            {
                "type": "RichTextBlock",
                "inlines": [{"type": "TextRun", "text": fit(plain(view.summary), SUMMARY_LIMIT)}],
            },
            {
                "type": "FactSet",
                "facts": [
                    {"title": label, "value": fit(teams_markdown(value), FACT_VALUE_LIMIT)}
                    for label, value in view.facts
                ],
            },
            {
                "type": "TextBlock",
                "text": fit(teams_markdown(view.footer), FOOTER_LIMIT),
                "isSubtle": True,
                "size": "Small",
                "wrap": True,
            },
        ],
        "msteams": {"width": "Full"},
    }
    attachment = {"contentType": CARD_CONTENT_TYPE, "contentUrl": None, "content": card}
    return {"type": "message", "attachments": [attachment]}, dict(JSON_HEADERS)
