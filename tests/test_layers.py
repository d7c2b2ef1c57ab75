"""The package's layer order, checked on the source: an import against it fails here.

Layers, bottom to top (README, "Layout"); a module may import from its own layer and the layers
below it, never above:

    base (errors, _provenance, ranking) → space → network → table → exhaustive → regressors
    → evaluation → compat → cli

The root package (`surrogate_nb/__init__.py`) is the front door: it may serve any name, and no
module inside the package imports from it. First-party imports sit at the top of a module, except
an import of a heavy module (one that loads torch, xgboost, lightgbm, optuna, ray or matplotlib
when imported) and the CLI's, which stay inside functions so `snb --help` starts fast.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Source folder -> import name (pyproject's package-dir).
PACKAGE_DIRS = {
    "surrogate_nb": "surrogate_nb",
    "exhaustive": "surrogate_nb.exhaustive",
    "regressors": "surrogate_nb.regressors",
    "evaluation": "surrogate_nb.evaluation",
}
#: Bottom to top; each entry lists the module prefixes of that layer.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "base",
        (
            "surrogate_nb.errors",
            "surrogate_nb._provenance",
            "surrogate_nb.ranking",
            "surrogate_nb._atomic",
        ),
    ),
    ("space", ("surrogate_nb.space",)),
    ("network", ("surrogate_nb.network", "surrogate_nb.supernet")),
    ("table", ("surrogate_nb.table",)),
    ("exhaustive", ("surrogate_nb.exhaustive",)),
    ("regressors", ("surrogate_nb.regressors",)),
    ("evaluation", ("surrogate_nb.evaluation",)),
    ("compat", ("surrogate_nb.compat",)),
    ("cli", ("surrogate_nb.cli",)),
]
#: Third-party packages whose import is slow or large (kept out of `snb --help`).
HEAVY = {"torch", "torchvision", "xgboost", "lightgbm", "optuna", "ray", "matplotlib"}
#: In-function first-party imports allowed for a stated reason: (importer, imported) -> why.
ALLOWED_LATE = {
    ("surrogate_nb.regressors.surrogate", "surrogate_nb.regressors.benchmark"): (
        "cycle: a SurrogateBenchmark holds Surrogates"
    ),
}


def _modules() -> dict[str, Path]:
    out = {}
    for folder, name in PACKAGE_DIRS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT / folder).with_suffix("").parts
            parts = [name, *rel]
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


MODULES = _modules()


def _layer(module: str) -> int | None:
    for i, (_, prefixes) in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return i
    return None


def _imports(module: str, path: Path) -> list[tuple[str, int, bool, bool]]:
    """(imported name, line, inside a function, under TYPE_CHECKING) of every import."""
    tree = ast.parse(path.read_text(), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = []

    def visit(node: ast.AST, in_func: bool, typing_only: bool) -> None:
        for child in ast.iter_child_nodes(node):
            f = in_func or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            t = typing_only or (
                isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test)
            )
            if isinstance(child, ast.Import):
                out.extend((a.name, child.lineno, f, t) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    up = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join([*up, base] if base else up)
                for a in child.names:  # `from pkg import submodule` imports the submodule
                    sub = f"{base}.{a.name}"
                    out.append((sub if sub in MODULES else base, child.lineno, f, t))
            visit(child, f, t)

    visit(tree, False, False)
    return out


@functools.cache
def _heavy_modules() -> frozenset[str]:
    """First-party modules that load a heavy library at import time (directly or through
    another first-party module's top-level import)."""
    top = {
        m: {name for name, _, f, t in _imports(m, p) if not f and not t} for m, p in MODULES.items()
    }
    heavy = {m for m, names in top.items() if any(n.split(".")[0] in HEAVY for n in names)}
    changed = True
    while changed:
        changed = False
        for m, names in top.items():
            if m not in heavy and names & heavy:
                heavy.add(m)
                changed = True
    return frozenset(heavy)


def test_every_module_has_a_layer():
    missing = [m for m in MODULES if m != "surrogate_nb" and _layer(m) is None]
    assert not missing, f"modules outside every layer (add them to LAYERS and README): {missing}"


@pytest.mark.parametrize("module", [m for m in MODULES if m != "surrogate_nb"])
def test_imports_follow_the_layer_order(module):
    mine = _layer(module)
    heavy = _heavy_modules()
    bad = []
    for name, line, in_func, _ in _imports(module, MODULES[module]):
        if not name.startswith("surrogate_nb"):
            continue
        where = f"{MODULES[module].relative_to(ROOT)}:{line} imports {name}"
        if name == "surrogate_nb":
            bad.append(f"{where}: the front door; import the defining module instead")
            continue
        theirs = _layer(name)
        if theirs is not None and theirs > mine:
            bad.append(f"{where}: layer {LAYERS[theirs][0]!r} is above {LAYERS[mine][0]!r}")
        late_ok = LAYERS[mine][0] == "cli" or name in heavy or (module, name) in ALLOWED_LATE
        if in_func and not late_ok:
            bad.append(f"{where} inside a function: light first-party imports go at the top")
    assert not bad, "\n".join(bad)


def test_the_check_sees_a_violation(tmp_path):
    """The checker itself: an upward import and a needless late import are both found."""
    src = tmp_path / "m.py"
    src.write_text(
        "from surrogate_nb.evaluation import metrics\n"
        "def f():\n    from surrogate_nb.errors import SurrogateNBError\n"
    )
    found = _imports("surrogate_nb.table._x", src)
    assert ("surrogate_nb.evaluation.metrics", 1, False, False) in found
    assert ("surrogate_nb.errors", 3, True, False) in found
    assert _layer("surrogate_nb.evaluation.metrics") > _layer("surrogate_nb.table._x")
    assert "surrogate_nb.network" in _heavy_modules()  # torch at import time
    assert "surrogate_nb.errors" not in _heavy_modules()


def test_readme_states_the_same_order():
    readme = (ROOT / "README.md").read_text()
    order = " → ".join(name for name, _ in LAYERS)
    assert order in readme, f"README must state the layer order: {order}"
