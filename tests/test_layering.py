"""CONTRIBUTING.md's layering, checked: a package imports only packages of lower layers."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "reidlib"
#: the layers of CONTRIBUTING.md, bottom (0) to top
LAYER = {"paths": 0, "data": 1, "metrics": 1, "losses": 1, "models": 1, "miners": 2, "masks": 2,
         "engine": 3, "domain": 4, "study": 5, "__main__": 6, "__init__": 6}


def _imports(path: Path) -> set[str]:
    parts = path.relative_to(ROOT).parts
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                out.add(node.module)
            elif node.level >= 2:  # ``from ..losses import x`` inside reidlib/<pkg>/
                base = list(parts[:-1])[: len(parts) - node.level]
                out.add(".".join(["reidlib", *base, *([node.module] if node.module else [])]))
    return {m.split(".")[1] for m in out if m.startswith("reidlib.") and len(m.split(".")) > 1}


def test_no_package_imports_a_higher_layer() -> None:
    bad = []
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        pkg = parts[0] if len(parts) > 1 else path.stem
        assert pkg in LAYER, f"{pkg} has no layer in CONTRIBUTING.md (add it there and here)"
        for dst in _imports(path) - {pkg}:
            if LAYER[dst] >= LAYER[pkg]:
                bad.append(f"{path.relative_to(ROOT.parent)} imports reidlib.{dst}")
    assert not bad, "imports against the layering:\n" + "\n".join(sorted(bad))
