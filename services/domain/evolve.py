"""`evolve`: dataclasses.replace for the domain's frozen state records, without its per-call introspection."""

from dataclasses import fields
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")


def evolve(record: T, **changes: Any) -> T:
    """A copy of the frozen dataclass `record` with `changes`, as dataclasses.replace makes it.

    replace() looks up the dataclass's fields and calls __init__ on every call, some 6 us for a ticker
    state, and the worker makes a few dozen per snapshot; this copies the instance dictionary instead.
    Only for dataclasses whose __init__ does nothing but store its fields (no __post_init__, no slots).
    """
    names = _field_names(type(record))  # type: ignore[arg-type]  # a class is hashable
    if not changes.keys() <= names:
        raise TypeError(f"{type(record).__name__} has no field(s) {sorted(changes.keys() - names)}")
    copied = object.__new__(type(record))
    state = record.__dict__
    # fields only: a cached_property of the original describes the original
    copied.__dict__.update({name: state[name] for name in names}, **changes)
    return copied


@cache
def _field_names(kind: type) -> frozenset[str]:
    if hasattr(kind, "__post_init__") or hasattr(kind, "__slots__"):
        raise TypeError(f"{kind.__name__} validates or has slots: use dataclasses.replace")
    return frozenset(field.name for field in fields(kind))
