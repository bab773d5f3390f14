"""Reading the alert destinations file (YAML or TOML) and each destination's URL and secret (env or file)."""

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from services.common.datafile import read_data_file
from services.common.logging import register_secret
from services.common.settings import AlertSinkSettings, Secret
from services.domain.alerts.destinations import DeliveryLimits, Destination, SecretSource, load_destinations
from services.domain.errors import ConfigError


@dataclass(frozen=True)
class Target:
    """A destination with its URL and signing secret read: what the delivery client needs."""

    destination: Destination
    url: Secret
    secret: Secret

    @property
    def name(self) -> str:
        return self.destination.name


def default_limits(settings: AlertSinkSettings) -> DeliveryLimits:
    """What a destination gets for every field its table leaves out."""
    return DeliveryLimits(
        rate_per_second=settings.rate_limit_per_second,
        connect_timeout_seconds=settings.connect_timeout_seconds,
        timeout_seconds=settings.timeout_seconds,
        deadline_seconds=settings.deadline_seconds,
        max_attempts=settings.max_attempts,
        backoff_base_seconds=settings.backoff_base_seconds,
        backoff_max_seconds=settings.backoff_max_seconds,
    )


def read_destinations_file(path: Path, settings: AlertSinkSettings) -> tuple[Destination, ...]:
    """Parse and validate a destinations file; every problem is a ConfigError naming the file."""
    document = read_data_file(path, "alert destinations")
    try:
        return load_destinations(document, default_limits(settings))
    except ConfigError as exc:
        raise ConfigError("\n".join(f"{path}: {line}" for line in str(exc).splitlines())) from exc


def resolve(
    destinations: tuple[Destination, ...], env: Mapping[str, str], base_dir: Path
) -> tuple[Target, ...]:
    """Read every destination's URL and secret; each value is registered with the log redactor first thing.

    Relative secret files are relative to `base_dir` (the destinations file's folder). Errors say which
    destination and which variable or file, never the value.
    """
    targets: list[Target] = []
    problems: list[str] = []
    for destination in destinations:
        try:
            targets.append(_target(destination, env, base_dir))
        except ConfigError as exc:
            problems.append(str(exc))
    if problems:
        raise ConfigError("\n".join(problems))
    return tuple(targets)


def load_targets(
    path: Path, settings: AlertSinkSettings, env: Mapping[str, str] | None = None
) -> tuple[Target, ...]:
    """The destinations of `path`, URLs and secrets read from `env` (os.environ when None) or files."""
    destinations = read_destinations_file(path, settings)
    return resolve(destinations, os.environ if env is None else env, path.parent)


def _target(destination: Destination, env: Mapping[str, str], base_dir: Path) -> Target:
    where = f"destination {destination.name!r}"
    url = _read(destination.url, env, base_dir, f"{where}: URL")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        # the value may be a credential: say where it came from, not what it is
        raise ConfigError(f"{where}: the URL in {destination.url.describe()} is not an http(s) URL")
    secret = _read(destination.secret, env, base_dir, f"{where}: secret") if destination.secret else ""
    return Target(destination, Secret(url), Secret(secret))


def _read(source: SecretSource, env: Mapping[str, str], base_dir: Path, what: str) -> str:
    if source.env is not None:
        value = env.get(source.env, "").strip()
        if not value:
            raise ConfigError(f"{what}: environment variable {source.env} is not set or empty")
    else:
        path = base_dir / Path(source.file or "").expanduser()
        try:
            value = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"{what}: cannot read file {path}: {exc.strerror or exc}") from exc
        if not value:
            raise ConfigError(f"{what}: file {path} is empty")
    register_secret(value)
    # chat webhooks carry their credential in the path: never log it even without scheme and host
    path_part = urlsplit(value).path if "://" in value else ""
    if len(path_part) >= 8:
        register_secret(path_part)
    return value
