"""The pagewire error hierarchy; edges translate library errors into these."""


class PagewireError(Exception):
    """Base of every error pagewire raises on purpose."""

    #: short machine-friendly reason used in dead letters and metric labels
    reason: str = "error"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        if reason is not None:
            self.reason = reason


class ConfigError(PagewireError):
    """Settings, rule or destination configuration that cannot be used."""

    reason = "invalid_config"


class ParseError(PagewireError):
    """A snapshot that cannot be decoded or parsed."""

    reason = "unparseable"


class SchemaError(PagewireError):
    """A message that does not match its JSON Schema."""

    reason = "invalid_message"


class StorageError(PagewireError):
    """A database write or query that failed."""

    reason = "storage_failed"


class BrokerError(PagewireError):
    """The Kafka broker could not be reached, started or used."""

    reason = "broker_unavailable"


class FetchError(PagewireError):
    """A source that could not be read or fetched."""

    reason = "fetch_failed"


class SourceRefused(FetchError):
    """A source pagewire will not fetch: a scheme other than http(s) or a non-public address."""

    reason = "refused"


class BodyTooLarge(FetchError):
    """A body over the configured size cap."""

    reason = "too_large"
