"""Every import between duelo's modules, at module level and inside functions (lazy imports count: they run)."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@functools.cache
def _parsed() -> dict[str, tuple[Path, ast.Module]]:
    """module -> (its file, its syntax tree): parsed once per test process, not once per test (1 s each)."""
    return {module_name(p): (p, ast.parse(p.read_text())) for p in (SRC / "duelo").rglob("*.py")}


def imports(module_level_only: bool = False) -> dict[str, set[str]]:
    """module -> the duelo modules (or packages) it imports anywhere in its body (or at module level only)."""
    modules = _parsed()
    edges: dict[str, set[str]] = {}
    for name, (path, tree) in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in (tree.body if module_level_only else ast.walk(tree)):
            if isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(parts + ([base] if base else []))
                targets.add(base)                          # `from a import b` loads a (its __init__) too
                targets |= {f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in modules}
        edges[name] = {t for t in targets if t.startswith("duelo") and t != name}
    return edges
