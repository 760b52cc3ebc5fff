"""Build the study's notebooks from their percent-format sources and execute them.

``notebooks/src/<name>.py`` is the readable source of ``notebooks/<name>.ipynb``
(cells start with ``# %%``; ``# %% [markdown]`` for text; ``# %% tags=["parameters"]``
for the papermill parameters cell). ``python tools/notebooks.py [NAME ...]``
converts each source and executes it at its stored (smoke) defaults with
papermill, so the committed notebook carries the reference outputs that nbval
compares in ``make test``. Edit either the source (then rebuild) or the notebook
in JupyterLab (then copy the change back to the source).
"""
from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "notebooks" / "src"
OUT = ROOT / "notebooks"
HEADER = re.compile(r"^# %%(?P<md> \[markdown\])?(?: tags=(?P<tags>\[.*\]))?\s*$")


def parse(text: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    cells: list[tuple[bool, list[str], list[str]]] = []
    for line in text.splitlines():
        m = HEADER.match(line)
        if m:
            cells.append((bool(m.group("md")), json.loads(m.group("tags")) if m.group("tags") else [], []))
        elif cells:
            cells[-1][2].append(line)
    for is_md, tags, lines in cells:
        while lines and not lines[-1].strip():
            lines.pop()
        if is_md:
            body = "\n".join(ln[2:] if ln.startswith("# ") else ln.lstrip("#") for ln in lines)
            cell = nbformat.v4.new_markdown_cell(body)
        else:
            cell = nbformat.v4.new_code_cell("\n".join(lines))
        if tags:
            cell.metadata["tags"] = tags
        nb.cells.append(cell)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (reidlib)", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def build(name: str, execute: bool = True) -> Path:
    src = SRC / f"{name}.py"
    target = OUT / f"{name}.ipynb"
    nbformat.write(parse(src.read_text()), str(target))
    if execute:
        import papermill as pm

        # train afresh, as nbval will: never reuse finished runs of an older code or data
        os.environ["REIDLIB_RUNS"] = tempfile.mkdtemp(prefix="reidlib-nb-runs-")
        pm.execute_notebook(str(target), str(target), kernel_name="python3", cwd=str(OUT), progress_bar=False)
        nb = nbformat.read(str(target), as_version=4)
        nb.metadata.pop("papermill", None)
        for cell in nb.cells:
            cell.metadata.pop("papermill", None)
            cell.metadata.pop("execution", None)
        nbformat.write(nb, str(target))
    return target


def main(argv: list[str]) -> int:
    names = argv or sorted(p.stem for p in SRC.glob("*.py"))
    for name in names:
        print(f"building {name} ...", flush=True)
        build(name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
