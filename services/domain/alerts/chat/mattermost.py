"""Mattermost incoming-webhook payload: a Slack-compatible attachment rendered as Mattermost markdown."""

from typing import Final

from services.domain.alerts.alert import Alert
from services.domain.alerts.chat.text import JSON_HEADERS, Payload, clean, fit, mattermost_markdown, plain
from services.domain.alerts.chat.view import describe

# Our caps, chosen so one alert stays far below Mattermost's post limit (16383 characters) and the
# combined attachments limit older servers enforce (7900 characters)
TITLE_LIMIT: Final = 256
TEXT_LIMIT: Final = 3000
FIELD_VALUE_LIMIT: Final = 300
FALLBACK_LIMIT: Final = 300
FOOTER_LIMIT: Final = 300


def build(alert: Alert) -> Payload:
    """(body, headers) for a Mattermost incoming webhook."""
    view = describe(alert)
    attachment = {
        # fallback feeds notifications as plain text: no markdown, so no backslashes, only defused
        "fallback": fit(plain(f"{view.title}: {view.summary}"), FALLBACK_LIMIT),
        "color": f"#{view.colour:06X}",
        "title": fit(mattermost_markdown(view.title), TITLE_LIMIT),
        "text": fit(mattermost_markdown(view.summary), TEXT_LIMIT),
        "fields": [
            {"title": label, "value": fit(mattermost_markdown(value), FIELD_VALUE_LIMIT), "short": True}
            for label, value in view.facts
        ],
        "footer": fit(list(clean(view.footer)), FOOTER_LIMIT),
        "ts": view.epoch_seconds,
    }
    return {"attachments": [attachment]}, dict(JSON_HEADERS)
