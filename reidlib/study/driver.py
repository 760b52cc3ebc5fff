"""The study driver: execute every experiment notebook with papermill, then summarise.

``python -m reidlib study --profile quick`` (what ``make study`` runs) executes
each notebook of ``notebooks/`` into ``runs/<profile>/notebooks/``, continues
past a failing notebook, reports all failures at the end with a non-zero exit
status, and writes ``runs/<profile>/summary.md`` (:mod:`reidlib.study.summary`).
"""
from __future__ import annotations

import json
import time
import traceback
from pathlib import Path
from typing import Any

from reidlib import paths
from reidlib.study.report import study_order
from reidlib.study.summary import NotebookRun, StudyResult, write_summary

__all__ = ["NotebookRun", "StudyResult", "list_notebooks", "select", "kernel_name", "parse_params",
           "notebook_parameters", "run_study", "relative_paths", "write_summary"]


def list_notebooks(directory: Path | None = None) -> list[Path]:
    """The experiment notebooks, in study order (``00_...``, ``E1_...`` .. ``E10_...``, others)."""
    directory = directory or paths.notebooks_dir()
    return sorted((p for p in directory.glob("*.ipynb") if not p.name.startswith(".")),
                  key=lambda p: study_order(p.stem))


def select(notebooks: list[Path], only: str | None) -> list[Path]:
    """Filter by a comma-separated list of prefixes (``E3,E4``) or full stems."""
    if not only:
        return notebooks
    wanted = [w.strip() for w in only.split(",") if w.strip()]
    chosen = [nb for nb in notebooks if any(nb.stem == w or nb.stem.split("_", 1)[0] == w for w in wanted)]
    found = {nb.stem.split("_", 1)[0] for nb in chosen} | {nb.stem for nb in chosen}
    missing = [w for w in wanted if w not in found]
    if missing:
        valid = ", ".join(nb.stem for nb in notebooks)
        raise ValueError(f"--only {missing}: no such notebook; valid: {valid}")
    return chosen


#: the Jupyter kernel the notebooks name (registered by ``make venv``)
KERNEL = "reidlib"


def kernel_name() -> str:
    """:data:`KERNEL` where it is registered, else ``python3`` (ipykernel's own, e.g. after a plain
    ``pip install``): both run the interpreter of the environment that has reidlib."""
    try:
        from jupyter_client.kernelspec import find_kernel_specs

        return KERNEL if KERNEL in find_kernel_specs() else "python3"
    except Exception:  # pragma: no cover - jupyter_client comes with papermill
        return "python3"


def parse_params(items: list[str] | None) -> dict[str, Any]:
    """``["seeds=[0]", "methods=[\"mpm\"]"]`` -> ``{"seeds": [0], "methods": ["mpm"]}`` (``--param``):
    each value is read as JSON, else kept as a string (``dataset=market1501``)."""
    out: dict[str, Any] = {}
    for item in items or []:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise ValueError(f"--param {item!r}: write NAME=VALUE, e.g. --param seeds=[0] or --param 'methods=[\"mpm\"]'")
        if name == "profile":
            raise ValueError("--param profile=...: the profile is --profile")
        if name in out:
            raise ValueError(f"--param {name} given twice")
        try:
            out[name] = json.loads(text)
        except ValueError:
            out[name] = text
    return out


def notebook_parameters(path: Path) -> list[str]:
    """The names of ``path``'s papermill parameters cell, as papermill reads them."""
    import logging

    import nbformat
    from papermill.translators import PythonTranslator

    nb = nbformat.read(str(path), as_version=4)
    cell = next((c for c in nb.cells if "parameters" in c.metadata.get("tags", [])), None)
    if cell is None:
        return []
    logging.disable(logging.WARNING)
    try:
        return [p.name for p in PythonTranslator.inspect(cell)]
    finally:
        logging.disable(logging.NOTSET)


def run_study(profile: str = "quick", only: str | None = None, *, params: dict[str, Any] | None = None,
              kernel: str | None = None, progress: bool = False) -> StudyResult:
    """Execute the notebooks for ``profile``; never stops at a failure. ``params`` (``--param``,
    e.g. ``{"seeds": [0]}``) go to every chosen notebook whose parameters cell has that name; a
    name no chosen notebook has is refused before anything runs. A result run with other seeds
    or parameters than the profile's records them (``run_as``), and the summary marks it
    *partial* until a run as the profile defines it replaces it."""
    import papermill as pm

    from reidlib.engine.profiles import get_profile

    get_profile(profile)  # an unknown profile lists the valid ones before anything runs
    nb_dir = paths.notebooks_dir()
    notebooks = list_notebooks(nb_dir) if nb_dir.is_dir() else []
    if not notebooks:  # outside a checkout: never report success after running nothing
        raise FileNotFoundError(f"no experiment notebooks in {nb_dir}: run the study from a reidlib checkout "
                                "(the folder with pyproject.toml and notebooks/)")
    chosen = select(notebooks, only)  # --only NOPE lists the valid names before anything is written
    params = dict(params or {})
    declared = {nb.stem: notebook_parameters(nb) for nb in chosen} if params else {}
    for name in params:
        takers = [stem for stem, names in declared.items() if name in names]
        if not takers:
            raise ValueError(f"--param {name}: none of {sorted(declared)} has a parameter {name!r}; their parameters: "
                             f"{sorted({n for names in declared.values() for n in names} - {'profile'})}")
        if len(takers) < len(declared):
            print(f"[study] --param {name}: for {', '.join(takers)} only (the others have no such parameter)", flush=True)
    out_dir = paths.runs_dir() / profile / "notebooks"
    out_dir.mkdir(parents=True, exist_ok=True)
    result = StudyResult(profile)
    for nb in chosen:
        start = time.perf_counter()
        print(f"[study] {nb.stem} (profile {profile}) ...", flush=True)
        try:
            given = {k: v for k, v in params.items() if k in declared.get(nb.stem, ())}
            pm.execute_notebook(str(nb), str(out_dir / nb.name), parameters={"profile": profile, **given},
                                kernel_name=kernel or kernel_name(), cwd=str(nb.parent), progress_bar=progress)
            relative_paths(out_dir / nb.name)
            run = NotebookRun(nb.stem, time.perf_counter() - start, True)
        except Exception as exc:  # papermill raises PapermillExecutionError with the cell's traceback
            msg = str(exc).strip().splitlines()
            run = NotebookRun(nb.stem, time.perf_counter() - start, False,
                              error=msg[-1] if msg else repr(exc), output=traceback.format_exc())
        print(f"[study] {nb.stem}: {'ok' if run.ok else 'FAILED'} in {run.seconds:.0f} s", flush=True)
        result.runs.append(run)
    write_summary(result)
    return result


def relative_paths(path: Path) -> None:
    """Keep machine paths out of an executed notebook: papermill's input/output paths, and the
    runs folder's and the checkout's absolute paths in printed outputs (``run /home/.../runs/mpm_ltl/ab12:
    reused`` reads ``run runs/mpm_ltl/ab12: reused``, wherever ``REIDLIB_RUNS`` points)."""
    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    meta = nb.metadata.get("papermill", {})
    root = paths.project_root()
    for key in ("input_path", "output_path"):
        if meta.get(key):
            try:
                meta[key] = str(Path(meta[key]).resolve().relative_to(root))
            except ValueError:
                meta[key] = Path(meta[key]).name
    swaps = [(str(paths.runs_dir().resolve()) + "/", "runs/"), (str(root.resolve()) + "/", "")]

    def relative(text: str) -> str:
        for prefix, short in swaps:
            text = text.replace(prefix, short)
        return text

    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if isinstance(out.get("text"), str):
                out["text"] = relative(out["text"])
            data = out.get("data") or {}
            if isinstance(data.get("text/plain"), str):
                data["text/plain"] = relative(data["text/plain"])
    nbformat.write(nb, str(path))
