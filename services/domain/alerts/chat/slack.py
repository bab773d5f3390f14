"""Slack incoming-webhook payload: Block Kit header, section with fields, context, and a fallback `text`."""

from typing import Any, Final

from services.domain.alerts.alert import Alert
from services.domain.alerts.chat.text import JSON_HEADERS, Payload, fit, slack_mrkdwn, slack_plain
from services.domain.alerts.chat.view import describe

# Block Kit limits: header plain_text 150, section text 3000, each section field 2000 (at most 10 fields)
HEADER_LIMIT: Final = 150
SECTION_LIMIT: Final = 3000
FIELD_LIMIT: Final = 2000
CONTEXT_LIMIT: Final = 3000
# the top-level text is only the notification and screen-reader fallback once blocks are present
FALLBACK_LIMIT: Final = 3000


def build(alert: Alert) -> Payload:
    """(body, headers) for a Slack incoming webhook."""
    view = describe(alert)
    body = {
        "text": fit(slack_mrkdwn(f"{view.title}: {view.summary}"), FALLBACK_LIMIT),
        "blocks": [
            {
                "type": "header",
                "text": {
                    "type": "plain_text",
                    "text": fit(slack_plain(view.title), HEADER_LIMIT),
                    "emoji": False,
                },
            },
            {
                "type": "section",
                "text": _mrkdwn(fit(slack_mrkdwn(view.summary), SECTION_LIMIT)),
                "fields": [_field(label, value) for label, value in view.facts],
            },
            {"type": "context", "elements": [_mrkdwn(fit(slack_mrkdwn(view.footer), CONTEXT_LIMIT))]},
        ],
    }
    return body, dict(JSON_HEADERS)


def _field(label: str, value: str) -> dict[str, Any]:
    heading = f"*{label}*\n"
    return _mrkdwn(heading + fit(slack_mrkdwn(value), FIELD_LIMIT - len(heading)))


def _mrkdwn(text: str) -> dict[str, Any]:
    # verbatim: Slack must not auto-link URLs, channel names or mentions inside page text
    return {"type": "mrkdwn", "text": text, "verbatim": True}
