"""Standard input as a source (`-`): read once, up to the body cap, as one snapshot."""

from datetime import datetime
from typing import BinaryIO

from services.domain.errors import BodyTooLarge
from services.domain.page.snapshot import Snapshot
from services.producer.files import LocalOptions, local_snapshot

STDIN_URL = "stdin:"


def stdin_too_large(max_bytes: int) -> BodyTooLarge:
    """The error of standard input over the body cap, as produce and parse say it."""
    return BodyTooLarge(f"stdin: more than {max_bytes} bytes, over the {max_bytes}-byte cap")


def read_stdin_snapshot(stream: BinaryIO, options: LocalOptions, max_bytes: int, now: datetime) -> Snapshot:
    """Everything on `stream`; fetched_at is --fetched-at or the time the input was read."""
    body = stream.read(max_bytes + 1)  # one byte past the cap is enough to know it is too large
    if len(body) > max_bytes:
        raise stdin_too_large(max_bytes)
    return local_snapshot(body, STDIN_URL, None, options.fetched_at or now, options, "stdin")
