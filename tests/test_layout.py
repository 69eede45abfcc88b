"""The package follows the data flow: each layer imports only from itself and the layers before it, and no
module imports itself back through another (no import cycles)."""

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "src" / "evalkit"
# base helpers, then the pipeline in the order the README describes it, then the command line
LAYERS = ["errors", "settings", "validation", "yamlio", "paths", "fileio", "reads", "tools", "acquire", "indicators", "cycles", "analyses", "publish", "execution",
          "cli", "__main__"]


def modules() -> dict[str, Path]:
    return {".".join(p.relative_to(PKG.parent).with_suffix("").parts): p for p in sorted(PKG.rglob("*.py"))}


def imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("evalkit"):
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                out.add(full if full in modules() else node.module)
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("evalkit")}
    return out


def layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else None


@pytest.mark.parametrize("module", sorted(modules()))
def test_imports_only_from_earlier_layers(module):
    mine = layer(module)
    if mine is None:
        return  # evalkit/__init__.py
    upward = [m for m in imports(modules()[module]) if layer(m) is not None and layer(m) > mine]
    assert not upward, f"{module} imports from a later layer: {upward}"


def test_no_import_cycles():
    graph = {m: {i for i in imports(p) if i in modules() and i != m} for m, p in modules().items()}
    state: dict[str, int] = {}

    def visit(m, path):
        state[m] = 1
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                raise AssertionError("import cycle: " + " → ".join([*path, m, n]))
            if n not in state:
                visit(n, [*path, m])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [])


def test_every_module_is_in_a_layer():
    for m in modules():
        assert m == "evalkit" or layer(m) is not None or m.endswith("__init__"), m
