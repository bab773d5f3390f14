"""Chat payloads for alerts, one module per kind: pure (body, headers) builders, no HTTP."""

from typing import Final, Literal, get_args

from services.domain.alerts.alert import Alert
from services.domain.alerts.chat import discord, mattermost, slack, teams, webhook
from services.domain.alerts.chat.text import Payload, encode_body
from services.domain.errors import ConfigError

Kind = Literal["slack", "discord", "mattermost", "teams", "webhook"]
KINDS: Final[tuple[Kind, ...]] = get_args(Kind)

__all__ = ["KINDS", "Kind", "Payload", "build_payload", "encode_body"]


def build_payload(kind: str, alert: Alert, *, secret: str = "", timestamp: int = 0) -> Payload:
    """(body, headers) of `alert` for a destination of `kind`; POST `encode_body(body)` with the headers.

    `secret` and `timestamp` (Unix seconds, the sender's clock) only matter for the signed generic webhook.
    """
    if kind == "slack":
        return slack.build(alert)
    if kind == "discord":
        return discord.build(alert)
    if kind == "mattermost":
        return mattermost.build(alert)
    if kind == "teams":
        return teams.build(alert)
    if kind == "webhook":
        return webhook.build(alert, secret=secret, timestamp=timestamp)
    raise ConfigError(f"unknown destination kind {kind!r}; expected one of {', '.join(KINDS)}")
