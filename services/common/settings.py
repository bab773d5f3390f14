"""Typed, frozen settings for every pagewire process, from PAGEWIRE_* variables and an optional TOML file.

Each section (services/common/settings_sections.py) is a dataclass; each field names its environment
variable and help in its metadata, so the environment mapping, `pagewire config` and the README table
all come from one place. Precedence: environment, then the config file (PAGEWIRE_CONFIG or --config),
then the defaults.
"""

import os
import tomllib
import types
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Self

from services.common.secret import Secret
from services.common.settings_checks import problem
from services.common.settings_sections import (
    ContractSettings,
    KafkaSettings,
    LocalKafkaSettings,
    ObservabilitySettings,
    StorageSettings,
    package_version,
)
from services.common.settings_stages import AlertSinkSettings, ProducerSettings, WorkerSettings
from services.domain.errors import ConfigError

__all__ = [
    "AlertSinkSettings",
    "ContractSettings",
    "KafkaSettings",
    "LocalKafkaSettings",
    "ObservabilitySettings",
    "ProducerSettings",
    "Secret",
    "Settings",
    "SettingsError",
    "StorageSettings",
    "WorkerSettings",
    "package_version",
]


@dataclass(frozen=True)
class Settings:
    kafka: KafkaSettings = field(default_factory=KafkaSettings)
    local_kafka: LocalKafkaSettings = field(default_factory=LocalKafkaSettings)
    storage: StorageSettings = field(default_factory=StorageSettings)
    producer: ProducerSettings = field(default_factory=ProducerSettings)
    worker: WorkerSettings = field(default_factory=WorkerSettings)
    alert_sink: AlertSinkSettings = field(default_factory=AlertSinkSettings)
    observability: ObservabilitySettings = field(default_factory=ObservabilitySettings)
    contracts: ContractSettings = field(default_factory=ContractSettings)

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, config_file: Path | None = None) -> Self:
        """Build settings from `env` (os.environ when None) and the TOML file it or the caller names."""
        env = os.environ if env is None else env
        path = config_file or (Path(env["PAGEWIRE_CONFIG"]) if env.get("PAGEWIRE_CONFIG") else None)
        file_values = _read_config_file(path) if path else {}
        sections: dict[str, Any] = {}
        problems: list[str] = []
        for section in fields(cls):
            section_type = _resolve(cls, section.name)
            from_file = file_values.pop(section.name, {})
            if not isinstance(from_file, dict):
                problems.append(f"config file: [{section.name}] must be a table")
                from_file = {}
            sections[section.name] = _load_section(section_type, section.name, env, from_file, problems)
        if file_values:
            problems.append(f"config file: unknown section(s) {', '.join(sorted(file_values))}")
        if problems:
            raise SettingsError(problems)
        return cls(**sections)

    def describe(self) -> Iterator[tuple[str, str, str]]:
        """(variable, printable value, help) for every setting, secrets masked."""
        for section in fields(self):
            values = getattr(self, section.name)
            for item in fields(values):
                value = getattr(values, item.name)
                shown = value.masked if isinstance(value, Secret) else _show(value)
                yield item.metadata["env"], shown, item.metadata["help"]


def _show(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, tuple):
        return ",".join(str(part) for part in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _resolve(owner: type, name: str) -> Any:
    return typing.get_type_hints(owner)[name]


def _read_config_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as exc:
        raise ConfigError(f"config file not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc


def _load_section(
    section_type: Any,
    section_name: str,
    env: Mapping[str, str],
    from_file: dict[str, Any],
    problems: list[str],
) -> Any:
    """The section from `env` over `from_file` over its defaults; what is wrong with any value is added to
    `problems` (and the default stands in for it, so every other value is still checked)."""
    values: dict[str, Any] = {}
    known = {item.name for item in fields(section_type)}
    unknown = set(from_file) - known
    if unknown:
        problems.append(f"config file: unknown key(s) in [{section_name}]: {', '.join(sorted(unknown))}")
    for item in fields(section_type):
        variable = item.metadata["env"]
        kind = _resolve(section_type, item.name)
        if variable in env:
            origin, raw = variable, env[variable]
        elif item.name in from_file:
            origin, raw = f"config file [{section_name}] {item.name} ({variable})", from_file[item.name]
        else:
            continue
        try:
            value = _convert(kind, raw, origin)
        except ConfigError as exc:
            problems.append(str(exc))
            continue
        wrong = problem(variable, value)
        if wrong is not None:
            problems.append(f"{origin}={_shown(value, raw)}: {wrong}")
            continue
        values[item.name] = value
    return section_type(**values)


def _shown(value: Any, raw: Any) -> str:
    """The value as the user wrote it, but a secret's, which stays masked in every message."""
    return repr(value.masked) if isinstance(value, Secret) else repr(raw)


class SettingsError(ConfigError):
    """Every invalid setting found at once, one line each: the variable, its value and what is allowed."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = tuple(problems)
        count = len(problems)
        lines = "\n".join(f"  {line}" for line in problems)
        super().__init__(f"{count} invalid setting{'s' if count > 1 else ''}:\n{lines}")


def _convert(kind: Any, raw: Any, origin: str) -> Any:
    """Turn an environment string or a TOML value into the field's type, with a clear error."""
    try:
        if kind is Secret:
            return Secret(str(raw))
        if kind is bool:
            if isinstance(raw, bool):
                return raw
            lowered = str(raw).strip().lower()
            if lowered in {"1", "true", "yes", "on"}:
                return True
            if lowered in {"0", "false", "no", "off"}:
                return False
            raise ValueError(f"expected true or false, got {raw!r}")
        if kind is int:
            return int(raw)
        if kind is float:
            return float(raw)
        if kind is Path:
            return Path(str(raw)).expanduser()
        if typing.get_origin(kind) is tuple:
            items = raw if isinstance(raw, list) else [part.strip() for part in str(raw).split(",")]
            return tuple(str(part) for part in items if str(part))
        if isinstance(kind, types.UnionType) and type(None) in typing.get_args(kind):
            inner = next(arg for arg in typing.get_args(kind) if arg is not type(None))
            return None if raw in ("", None) else _convert(inner, raw, origin)
        return str(raw)
    except (TypeError, ValueError) as exc:
        expected = {int: "a whole number", float: "a number"}.get(kind)
        what = f"must be {expected}" if expected else str(exc)
        shown = "'***'" if kind is Secret else repr(raw)
        raise ConfigError(f"{origin}={shown}: {what}") from exc
