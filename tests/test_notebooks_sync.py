"""The committed notebooks match their percent-format sources, name one kernel and carry no images."""
import importlib.util
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "notebooks" / "src").glob("*.py"))


def _tool():
    spec = importlib.util.spec_from_file_location("nbtool", ROOT / "tools" / "notebooks.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("src", SOURCES, ids=[p.stem for p in SOURCES])
def test_notebook_matches_its_source(src: Path) -> None:
    tool = _tool()
    target = ROOT / "notebooks" / f"{src.stem}.ipynb"
    assert target.is_file(), f"{target.name} missing: run `make notebooks NB={src.stem}`"
    stored = nbformat.read(str(target), as_version=4)
    assert tool.code_and_text(stored) == tool.code_and_text(tool.parse(src.read_text())), (
        f"{target.name} differs from notebooks/src/{src.name}: rebuild it with `make notebooks NB={src.stem}` "
        "(or copy a change made in JupyterLab back to the source)")
    assert stored.metadata["kernelspec"] == tool.KERNELSPEC


def test_notebooks_hold_no_images_and_stay_small() -> None:
    total = 0
    for path in (ROOT / "notebooks").glob("*.ipynb"):
        total += path.stat().st_size
        nb = nbformat.read(str(path), as_version=4)
        assert "widgets" not in nb.metadata, f"{path.name} stores widget state"
        for cell in nb.cells:
            for out in cell.get("outputs", []):
                assert not any(k.startswith("image/") for k in out.get("data", {})), f"{path.name}: embedded image"
    assert total < 500_000, f"notebooks/ holds {total} bytes of notebooks (limit 500 KB)"


def test_strip_images_keeps_text() -> None:
    tool = _tool()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=[
        nbformat.v4.new_output("display_data", data={"image/png": "AAAA", "text/plain": "<Figure size 10x10>"}),
        nbformat.v4.new_output("stream", text="table\n")])])
    nb.metadata["widgets"] = {"state": {}}
    assert tool.strip_images(nb) == 1
    assert [o["output_type"] for o in nb.cells[0].outputs] == ["stream"] and "widgets" not in nb.metadata


@pytest.mark.parametrize("src", SOURCES, ids=[p.stem for p in SOURCES])
def test_papermill_reads_every_parameter(src: Path) -> None:
    """`papermill --help-notebook` and `-p`/`-y` see every name of the parameters cell, with its
    comment as help (papermill skips a line whose comment holds a second '=')."""
    import ast
    import logging

    from papermill.translators import PythonTranslator

    nb = nbformat.read(str(ROOT / "notebooks" / f"{src.stem}.ipynb"), as_version=4)
    cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"{src.name}: {len(cells)} cells tagged 'parameters' (want 1)"
    assigned = [t.id for node in ast.parse(cells[0].source).body if isinstance(node, ast.Assign)
                for t in node.targets if isinstance(t, ast.Name)]
    logging.disable(logging.WARNING)
    try:
        seen = {p.name: p for p in PythonTranslator.inspect(cells[0])}
    finally:
        logging.disable(logging.NOTSET)
    assert list(seen) == assigned, f"{src.name}: papermill reads {list(seen)}, the cell assigns {assigned}"
    assert all(p.help for p in seen.values()), f"{src.name}: parameters without a help comment: " \
        f"{[n for n, p in seen.items() if not p.help]}"


@pytest.mark.parametrize("src", SOURCES, ids=[p.stem for p in SOURCES])
def test_parameters_cell_matches_its_dataclass(src: Path) -> None:
    """A notebook's parameters cell and its :mod:`reidlib.study.notebook_params` class name the
    same parameters with the same defaults, so a result run at the defaults records no parameter
    as changed (``run_as``'s ``params``) and the summary calls it current."""
    import dataclasses
    import re

    from reidlib.study import notebook_params

    nb = nbformat.read(str(ROOT / "notebooks" / f"{src.stem}.ipynb"), as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    names = re.findall(r"\.params\((\w+)", "\n".join(c.source for c in nb.cells))
    assert len(set(names)) == 1, f"{src.name}: reads its parameters with {names} (want one class)"
    spec = getattr(notebook_params, names[0])
    cell_values: dict = {}
    exec(cell.source, {}, cell_values)
    defaults = {f.name: f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
                for f in dataclasses.fields(spec)}
    # a field the cell leaves out takes the class default in the notebook too (Notebook.params)
    assert set(cell_values) <= set(defaults), f"{src.name}: {sorted(set(cell_values) - set(defaults))} not in {spec.__name__}"
    differ = {k: (v, defaults[k]) for k, v in cell_values.items() if k != "profile" and v != defaults[k]}
    assert not differ, f"{src.name}: cell default vs {spec.__name__} default: {differ}"
