"""A configuration value that must never be printed, logged or put in a metric."""

from urllib.parse import urlsplit, urlunsplit


class Secret:
    """A value that must never be printed, logged or put in a metric; `reveal()` is the only way in."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    @property
    def masked(self) -> str:
        """A printable form: URLs keep scheme, user, host and database name; everything else is hidden."""
        if not self._value:
            return ""
        parts = urlsplit(self._value)
        if parts.scheme and parts.hostname:
            host = parts.hostname + (f":{parts.port}" if parts.port else "")
            if parts.scheme.startswith(("postgres", "sqlite")):
                user = f"{parts.username}:****@" if parts.username else ""
                return urlunsplit((parts.scheme, user + host, parts.path, "", ""))
            return f"{parts.scheme}://{host}/****"
        if parts.scheme == "sqlite":
            return self._value
        return "****"

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return f"Secret({self.masked!r})"

    __str__ = __repr__
