"""Run All twice in one kernel (as in JupyterLab), editing the parameters cell in between:
the second run must use the edited values (nbclient drives a real kernel)."""
from pathlib import Path

import nbformat
import pytest

nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[2]


def _outputs(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")


def _run_all(client, nb) -> None:
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            client.execute_cell(cell, i)


def test_edited_parameters_take_effect_on_a_second_run_in_the_same_kernel() -> None:
    real = nbformat.read(str(ROOT / "notebooks" / "E5_triplet_selection.ipynb"), as_version=4)
    code = [c for c in real.cells if c.cell_type == "code"]
    first, params_cell = code[0], code[1]
    assert "Notebook(globals()" in first.source and "parameters" in params_cell.metadata.get("tags", [])
    probe = nbformat.v4.new_code_cell(
        "from reidlib.study.notebook_params import ExperimentParams\n"
        "params = nb.params(ExperimentParams, show_banner=False)\n"
        "print('RUN', params.profile, params.seeds)")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(first.source),
                                         nbformat.v4.new_code_cell(params_cell.source, metadata=params_cell.metadata),
                                         probe])
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=120,
                                     resources={"metadata": {"path": str(ROOT / "notebooks")}})
    with client.setup_kernel():
        _run_all(client, nb)
        assert "RUN smoke None" in _outputs(nb.cells[2])
        nb.cells[1].source = nb.cells[1].source.replace('profile = "smoke"', 'profile = "quick"').replace(
            "seeds = None", "seeds = [0, 1, 2]")
        _run_all(client, nb)
        assert "RUN quick [0, 1, 2]" in _outputs(nb.cells[2])
        nb.cells[1].source += "\nseeeds = 3\n"
        with pytest.raises(nbclient.exceptions.CellExecutionError, match="seeeds"):
            _run_all(client, nb)
