"""Count `Any` in the public signatures of the layers above the space (issue 23's figure).

A public signature is a module-level function or a method of a module-level class whose names do
not start with an underscore (``__init__`` counts as public). Every ``Any`` in a parameter or return
annotation counts once; ``benchmark: Any`` and bare ``Any`` cells are what the typed seams remove.

    python benchmarks/any_in_signatures.py [--list] [folders ...]

(default folders: surrogate_nb/table, regressors, evaluation)
"""

from __future__ import annotations

import argparse
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ("surrogate_nb/table", "regressors", "evaluation")


def _count_any(node: ast.AST | None) -> int:
    if node is None:
        return 0
    return sum(
        1
        for n in ast.walk(node)
        if (isinstance(n, ast.Name) and n.id == "Any")
        or (isinstance(n, ast.Attribute) and n.attr == "Any")
        or (
            isinstance(n, ast.Constant)
            and isinstance(n.value, str)
            and "Any" in n.value.split("[")[0]
        )
    )


def _public(name: str) -> bool:
    return not name.startswith("_") or name == "__init__"


def signatures(path: Path) -> list[tuple[str, int]]:
    """(qualified name, number of Any) of every public signature in one file."""
    if any(p.startswith("_") and p != "__init__.py" for p in path.relative_to(ROOT).parts[:-1]):
        return []
    tree = ast.parse(path.read_text(), str(path))
    out = []

    def fn(f: ast.FunctionDef | ast.AsyncFunctionDef, prefix: str) -> None:
        if not _public(f.name):
            return
        a = f.args
        params = [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg]
        n = sum(_count_any(p.annotation) for p in params if p is not None)
        out.append((prefix + f.name, n + _count_any(f.returns)))

    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            fn(node, "")
        elif isinstance(node, ast.ClassDef) and _public(node.name):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    fn(item, node.name + ".")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folders", nargs="*", default=list(DEFAULT))
    ap.add_argument("--list", action="store_true", help="name every signature with an Any")
    args = ap.parse_args()
    total = 0
    for folder in args.folders:
        n_folder = 0
        for path in sorted((ROOT / folder).rglob("*.py")):
            for name, n in signatures(path):
                n_folder += n
                if n and args.list:
                    print(f"  {path.relative_to(ROOT)}:{name}: {n}")
        print(f"{folder}: {n_folder}")
        total += n_folder
    print(f"total: {total}")


if __name__ == "__main__":
    main()
