"""The house's layering, from the imports: no circles, and each folder imports only the layers below it."""

import ast
from itertools import pairwise
from pathlib import Path

SERVICES = Path(__file__).resolve().parents[2] / "services"
#: what each folder may import from services (besides itself); domain is pure (test_domain_purity.py)
ALLOWED = {
    "domain": set(),
    "common": {"domain"},
    "localkafka": {"common", "domain"},
    "producer": {"common", "domain"},
    "stream": {"common", "domain"},
    "sinks": {"common", "domain"},
    "demo": {"common", "domain", "producer", "localkafka"},
    "cli": {"common", "domain", "producer", "stream", "sinks", "localkafka", "demo"},
}


def module_name(path: Path) -> str:
    parts = path.relative_to(SERVICES.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """services.* modules a file imports, wherever in it (a function-level import hides a circle, too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("services"):
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("services"))
    return found


MODULES = {module_name(path): path for path in SERVICES.rglob("*.py")}
GRAPH = {name: {m for m in imports_of(path) if m in MODULES and m != name} for name, path in MODULES.items()}


def test_no_module_imports_itself_back_through_others() -> None:
    circles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for target in sorted(GRAPH[name]):
            if state.get(target) == 1:
                circles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[name] = 2

    for name in sorted(GRAPH):
        if name not in state:
            visit(name, [name])
    # a package __init__ re-exporting its own modules is not a circle between parts
    circles = [
        c for c in circles if not any(a.startswith(b + ".") or b.startswith(a + ".") for a, b in pairwise(c))
    ]
    assert circles == []


def test_each_folder_imports_only_the_layers_below_it() -> None:
    wrong = []
    for name, targets in GRAPH.items():
        folder = name.split(".")[1] if name.count(".") else ""
        if folder not in ALLOWED:
            continue
        for target in targets:
            other = target.split(".")[1]
            if other != folder and other not in ALLOWED[folder]:
                wrong.append(f"{name} -> {target}")
    assert sorted(wrong) == []
