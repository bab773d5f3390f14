"""Discord webhook payload: one embed coloured by severity, and allowed_mentions that ping nobody."""

from typing import Final

from services.domain.alerts.alert import Alert
from services.domain.alerts.chat.text import JSON_HEADERS, Payload, clean, discord_markdown, fit, text_length
from services.domain.alerts.chat.view import describe

# Discord embed limits: title 256, description 4096, field name 256 / value 1024, footer 2048, and 6000
# characters over all of them together
TITLE_LIMIT: Final = 256
DESCRIPTION_LIMIT: Final = 4096
FIELD_NAME_LIMIT: Final = 256
FIELD_VALUE_LIMIT: Final = 1024
FOOTER_LIMIT: Final = 2048
EMBED_TOTAL_LIMIT: Final = 6000


def build(alert: Alert) -> Payload:
    """(body, headers) for a Discord webhook (POST to the webhook URL)."""
    view = describe(alert)
    title = fit(discord_markdown(view.title), TITLE_LIMIT)
    facts = [
        (fit([label], FIELD_NAME_LIMIT), fit(discord_markdown(value), FIELD_VALUE_LIMIT))
        for label, value in view.facts
    ]
    # the footer is not rendered as markdown, and holds only our ids
    footer = fit(list(clean(view.footer)), FOOTER_LIMIT)
    used = text_length(title) + text_length(footer) + sum(text_length(name + value) for name, value in facts)
    description = fit(discord_markdown(view.summary), min(DESCRIPTION_LIMIT, EMBED_TOTAL_LIMIT - used))
    embed = {
        "title": title,
        "description": description,
        "color": view.colour,
        "fields": [{"name": name, "value": value, "inline": True} for name, value in facts],
        "footer": {"text": footer},
        "timestamp": view.event_time,
    }
    # nothing in an alert may ping anyone, whatever the text says
    return {"embeds": [embed], "allowed_mentions": {"parse": []}}, dict(JSON_HEADERS)
