"""Saved pages as sources: paths, directories and globs expanded in a stable order, each file one snapshot."""

import glob
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from services.domain.errors import BodyTooLarge, FetchError
from services.domain.page.snapshot import Snapshot
from services.domain.sources.content import content_type_for, fetched_at_from_name

#: the site (Kafka key) of files and stdin when --site is not given: there is no host to take it from
DEFAULT_SITE = "local"
_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class LocalOptions:
    """How snapshots read from files or stdin are labelled; None means "work it out from the source"."""

    site: str = DEFAULT_SITE
    fetched_at: datetime | None = None
    content_type: str | None = None
    charset: str | None = None


@dataclass(frozen=True)
class Expansion:
    """The files a list of path arguments names, in replay order, and the arguments that named nothing."""

    files: tuple[Path, ...]
    missing: tuple[str, ...]


def expand_paths(arguments: Sequence[str]) -> Expansion:
    """Files as given; a directory's visible files sorted by name; a glob's files sorted by path.

    Arguments keep their command-line order; a file named twice is replayed once, where it first appears.
    """
    files: list[Path] = []
    missing: list[str] = []
    for argument in arguments:
        found = _expand_one(argument)
        if not found:
            missing.append(argument)
        files.extend(path for path in found if path not in files)
    return Expansion(tuple(files), tuple(missing))


def _expand_one(argument: str) -> list[Path]:
    path = Path(argument)
    if path.is_file():
        return [path]
    if path.is_dir():
        children = [child for child in path.iterdir() if child.is_file() and not child.name.startswith(".")]
        return sorted(children, key=lambda child: child.name)
    if _GLOB_CHARS & set(argument):
        return sorted((Path(match) for match in glob.glob(argument, recursive=True)), key=str)
    return []


def file_too_large(path: Path, size: int, max_bytes: int) -> BodyTooLarge:
    """A file over the body cap (PAGEWIRE_PRODUCER_MAX_BODY_BYTES), as produce and parse say it."""
    return BodyTooLarge(f"{path}: {size} bytes is over the {max_bytes}-byte cap")


def read_file_snapshot(path: Path, options: LocalOptions, max_bytes: int) -> Snapshot:
    """One file as a snapshot; fetched_at: --fetched-at, else the name's leading UTC stamp, else the mtime."""
    try:
        status = path.stat()
        if status.st_size > max_bytes:
            raise file_too_large(path, status.st_size, max_bytes)
        body = path.read_bytes()
    except FileNotFoundError as exc:
        raise FetchError(f"{path}: no such file", reason="not_found") from exc
    except OSError as exc:
        raise FetchError(f"{path}: cannot read: {exc.strerror}", reason="unreadable") from exc
    fetched_at = (
        options.fetched_at or fetched_at_from_name(path.name) or datetime.fromtimestamp(status.st_mtime, UTC)
    )
    return local_snapshot(body, path.resolve().as_uri(), path.name, fetched_at, options, str(path))


def local_snapshot(
    body: bytes, source_url: str, name: str | None, fetched_at: datetime, options: LocalOptions, shown: str
) -> Snapshot:
    """A snapshot of bytes read locally, labelled by `options`; an empty body is refused, not sent."""
    if not body:
        raise FetchError(f"{shown}: empty, nothing to send", reason="empty")
    return Snapshot(
        body=body,
        source_url=source_url,
        site=options.site,
        fetched_at=fetched_at,
        content_type=options.content_type or content_type_for(name, body),
        charset=options.charset,
    )
