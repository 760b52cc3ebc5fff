"""Build the study's notebooks from their percent-format sources and execute them.

``notebooks/src/<name>.py`` is the readable source of ``notebooks/<name>.ipynb``
(cells start with ``# %%``; ``# %% [markdown]`` for text; ``# %% tags=["parameters"]``
for the papermill parameters cell). ``python tools/notebooks.py [NAME ...]``
converts each source and executes it at its stored (smoke) defaults with
papermill, so the committed notebook carries the reference outputs that nbval
compares in ``make test``; images and widget state are stripped from the stored
outputs (``figures/`` holds each figure once). Edit either the source (then rebuild) or the notebook
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
#: the one kernel every notebook names; ``make venv`` registers it (Makefile)
KERNELSPEC = {"name": "reidlib", "display_name": "Python 3 (reidlib)", "language": "python"}
#: what a Python 3 kernel reports (JupyterLab rewrites a notebook whose metadata lacks these)
LANGUAGE_INFO = {"name": "python", "codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py",
                 "mimetype": "text/x-python", "nbconvert_exporter": "python", "pygments_lexer": "ipython3"}
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
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = dict(LANGUAGE_INFO)
    return nb


def code_and_text(nb: nbformat.NotebookNode) -> list[tuple[str, str, list[str]]]:
    """``(cell type, source, tags)`` of every cell: what must agree between a notebook and its source."""
    return [(c.cell_type, c.source, list(c.metadata.get("tags", []))) for c in nb.cells]


def strip_images(nb: nbformat.NotebookNode) -> int:
    """Drop image data from the outputs (nbval skips images; ``figures/`` holds every figure) and
    the widget state; returns how many outputs lost an image."""
    n = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            images = [k for k in data if k.startswith("image/") or k == "application/vnd.jupyter.widget-view+json"]
            if images:
                n += 1
                for k in images:
                    del data[k]
                if not data or set(data) == {"text/plain"} and str(data["text/plain"]).startswith(("<Figure", "VBox", "HBox")):
                    continue
            kept.append(out)
        cell["outputs"] = kept
    nb.metadata.pop("widgets", None)
    return n


def build(name: str, execute: bool = True) -> Path:
    src = SRC / f"{name}.py"
    target = OUT / f"{name}.ipynb"
    nbformat.write(parse(src.read_text()), str(target))
    if execute:
        import papermill as pm

        # train afresh, as nbval will: never reuse finished runs of an older code or data
        os.environ["REIDLIB_RUNS"] = tempfile.mkdtemp(prefix="reidlib-nb-runs-")
        from reidlib.study.driver import kernel_name, relative_paths

        pm.execute_notebook(str(target), str(target), kernel_name=kernel_name(), cwd=str(OUT), progress_bar=False)
        relative_paths(target)  # "run runs/mpm_ltl/<id>: new", not the temporary folder's name
        nb = nbformat.read(str(target), as_version=4)
        nb.metadata.pop("papermill", None)
        nb.metadata["kernelspec"] = dict(KERNELSPEC)
        nb.metadata["language_info"] = dict(LANGUAGE_INFO)
        for i, cell in enumerate(nb.cells):
            cell.id = f"cell-{i:02d}"  # stable ids: a rebuild's diff shows what changed, not new ids
            cell.metadata.pop("papermill", None)
            cell.metadata.pop("execution", None)
        strip_images(nb)
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
