"""The study driver: execute every experiment notebook with papermill, then summarise.

``python -m reidlib study --profile quick`` (what ``make study`` runs) executes
each notebook of ``notebooks/`` into ``runs/<profile>/notebooks/``, continues
past a failing notebook, reports all failures at the end with a non-zero exit
status, and writes ``runs/<profile>/summary.md``: every table and verdict that
the notebooks recorded with :func:`reidlib.study.report.write_result`, the
wall time of each notebook and links to the figures.
"""
from __future__ import annotations

import json
import re
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reidlib import paths
from reidlib.engine.checkpoint import atomic_write_bytes
from reidlib.engine.runs import git
from reidlib.study.convergence import convergence_sentence, pooled_check
from reidlib.study.provenance import (WITHHELD, cpu_kind, mixed_sources, provenance_lines, result_currency,
                                      run_provenance, run_sources)
from reidlib.study.report import read_results, study_order


@dataclass
class NotebookRun:
    name: str
    seconds: float
    ok: bool
    error: str = ""
    output: str = ""


@dataclass
class StudyResult:
    profile: str
    runs: list[NotebookRun] = field(default_factory=list)

    @property
    def failures(self) -> list[NotebookRun]:
        return [r for r in self.runs if not r.ok]


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


def _profile_line(profile: str) -> str:
    try:
        from reidlib.engine.profiles import get_profile

        p = get_profile(profile)
    except KeyError:
        return f"Profile `{profile}`."
    steps = f", at most {p.max_steps_per_epoch} steps of" if p.max_steps_per_epoch else " of"
    epochs = p.epochs or "the papers' numbers of"
    if p.recipe_epochs:
        epochs = f"{epochs} ({', '.join(f'{r} {e}' for r, e in p.recipe_epochs.items())})"
    return (f"Profile `{profile}`: SynthReID preset `{p.data_preset}`, {p.image_size[0]}x{p.image_size[1]} images, "
            f"{epochs} epochs{steps} {p.batch_size} images, seeds {list(p.seeds)}, "
            f"`{p.model_size}` models{' trained from scratch' if p.from_scratch else ''}.")


def _machine_line(profile: str) -> str:
    """The machine writing the summary: CPU kind, resolved precision, threads, torch version and code
    commit (the machines that trained the runs are listed per run in "Where the runs come from")."""
    import os

    from reidlib.engine.machine import describe_machine

    try:
        from reidlib.engine.machine import forced_precision
        from reidlib.engine.profiles import get_profile

        precision = forced_precision() or get_profile(profile).precision
    except (KeyError, ValueError):
        precision = None
    m = describe_machine(precision)
    kind = cpu_kind(m)
    return (f"Summary written on: {m['cpu_model']} ({kind}, torch capability {m['cpu_capability'] or '?'}), "
            f"{m['cpu_count']} cores, precision {m['precision'] or '?'}"
            f"{' (forced by REIDLIB_PRECISION)' if m['forced_precision'] else ''}, {m['torch_threads']} torch threads, "
            f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, torch {m['torch']}, "
            f"code {_git_commit()}. The runs' own commits, CPU kinds and precisions: \"Where the runs come from\".")


def _git_commit() -> str:
    root = paths.project_root()
    dirty = git("status", "--porcelain", "--untracked-files=no", cwd=root)
    return (git("rev-parse", "--short", "HEAD", cwd=root) or "unknown") + (" (uncommitted changes)" if dirty else "")


def write_summary(result: StudyResult) -> Path:
    """Write ``runs/<profile>/summary.md`` from the notebooks' recorded results.

    Wall times of this call's notebooks replace earlier ones in ``wall_times.json`` (so a
    ``--only`` rerun keeps the others). The summary opens with the profile, the verdict rule,
    the convergence line, any checks recorded beside the results (:func:`_checks_lines`) and a
    verdict-at-a-glance table (with each result's currency: from the profile as now
    defined, a seed subset, or an older definition, :func:`reidlib.study.provenance.result_currency`),
    then the wall times (study order), where the runs come from
    (:func:`reidlib.study.provenance.provenance_lines`: the commits, CPU kinds and precisions that
    trained them), then every table.
    """
    base = paths.runs_dir() / result.profile
    times_path = base / "wall_times.json"
    times = json.loads(times_path.read_text()) if times_path.is_file() else {}
    times.update({r.name: {"seconds": round(r.seconds, 1), "ok": r.ok, "error": r.error} for r in result.runs})
    atomic_write_bytes(times_path, json.dumps(times, indent=1, sort_keys=True).encode())
    results = read_results(result.profile)
    lines = [f"# Study summary: profile `{result.profile}`", "",
             _profile_line(result.profile) + " " + _machine_line(result.profile), "",
             "A paper's ordering \"A beats B\" **holds** when the per-seed paired difference is significant "
             "(paired t-test, p < 0.05), is **reversed** when significantly negative, and is otherwise "
             "**within noise** (see `reidlib/study/verdict.py`).", ""]
    currency = {r.experiment: (r.status, r.why) for r in result_currency(result.profile, results).itertuples()}
    sources = run_sources(result.profile)
    mixed = mixed_sources(sources)
    lines += _convergence_lines(results, currency, mixed, result.profile) + _checks_lines(base) + ["## Verdicts at a glance", ""]
    n_current = sum(status == "current" for status, _ in currency.values())
    if results and n_current < len(results):
        lines += [f"**{len(results) - n_current} of {len(results)} results are not from the profile as now defined** "
                  "(column \"runs\"): their verdicts are about the old definition (a changed length or recipe: training the convergence check no longer accepts) until their notebooks run again.", ""]
    if mixed:
        lines += [f"**{len(mixed)} of {len(results)} results mix runs of several code commits or machines** "
                  "(column \"runs\", and \"Where the runs come from\").", ""]
    withheld = {e for e, (status, why) in currency.items() if e != CONVERGENCE and why.startswith(WITHHELD)}
    if withheld:
        lines += [f"**{len(withheld)} of {len(results)} results are withheld** (their runs are not the profile's "
                  "as now defined, e.g. a length the convergence check no longer accepts): their tables stay in "
                  "`results/<notebook>/`, not here, until their notebooks run again.", ""]
    lines += ["| experiment | verdict | runs |", "|---|---|---|"]
    for res in results:
        verdict = " ".join(str(res.get("verdict") or "(no verdict recorded)").split()).replace("|", "/")
        if res["experiment"] in withheld:
            verdict = "**withheld**"
        status, why = currency[res["experiment"]]
        runs = status if status == "current" else f"**{status}**: {why}".replace("|", "/")
        if res["experiment"] in mixed:
            runs += f"; **mixed**: {mixed[res['experiment']]}"
        lines.append(f"| [{res['title'].split(' — ')[0]}](#{_anchor(res['title'])}) | {verdict} | {runs} |")
    lines += ["", "## Wall times", "",
              "Each notebook's own last execution: a run it reused (trained earlier, its record on disk) "
              "costs nothing here; the training hours of every run the tables use are in \"Where the "
              "runs come from\".", "", "| notebook | status | wall time (s) |", "|---|---|---|"]
    for name in sorted(times, key=study_order):
        t = times[name]
        lines.append(f"| {name} | {'ok' if t['ok'] else 'FAILED: ' + t['error'][:80]} | {t['seconds']:.0f} |")
    lines += ["", f"Total: {sum(t['seconds'] for t in times.values()) / 60:.1f} min", ""]
    lines += provenance_lines(result.profile, sources)
    for res in results:
        if res["experiment"] in withheld:
            lines += [f"## {res['title']}", "", res.get("claim", ""), "",
                      f"**Withheld**: {currency[res['experiment']][1]}.", ""]
            continue
        lines += [f"## {res['title']}", "", res.get("claim", ""), "", res["table_md"], ""]
        if res.get("verdict"):
            lines += [f"**Verdict:** {res['verdict']}", ""]
        for fig in res.get("figures", []):
            lines.append(f"![{fig}](../../figures/{fig}.png)")
        lines.append("")
    out = base / "summary.md"
    atomic_write_bytes(out, "\n".join(lines).encode())
    return out


#: the notebook whose result is the profile's convergence check (issue 16 item 1)
CONVERGENCE = "00_convergence"


def _convergence_lines(results: list[dict], currency: dict[str, tuple[str, str]], mixed: dict[str, str],
                       profile: str | None = None) -> list[str]:
    """The summary's convergence line, before any verdict: 00_convergence's verdict (with its
    currency and whether its runs mix commits or machines), or a warning that the profile's
    training length was never checked; then, where partial records of 00 add seeds (a family
    checked again at seed 1, ...), the check over every seed recorded so far
    (:func:`reidlib.study.convergence.pooled_check`)."""
    conv = next((r for r in results if r["experiment"] == CONVERGENCE), None)
    if conv is None:
        return [f"**Convergence: not checked for this profile** (`{CONVERGENCE}` has no result): every verdict "
                "below may be about training length rather than the papers.", ""]
    status, why = currency[CONVERGENCE]
    where = f"[{CONVERGENCE}](#{_anchor(conv['title'])})" + ("" if status == "current" else f", **{status}**: {why}")
    if CONVERGENCE in mixed:
        where += f", **mixed**: {mixed[CONVERGENCE]}"
    verdict = " ".join(str(conv.get("verdict") or "(no verdict recorded)").split())
    lines = [f"**Convergence** ({where}): {verdict}", ""]
    checked = pooled_check(profile) if profile else None
    if checked is not None:
        table, pooled = checked
        added = "; ".join(f"{row}: seed{'s' * (len(seeds) > 1)} {', '.join(map(str, seeds))}"
                          for row, seeds in pooled.added.items())
        commits = sorted({run_provenance(paths.runs_dir() / str(d))["commit"] for d in pooled.tidy["run_dir"]})
        lines += [f"**The check at every seed recorded so far**: 00's record and its partial records of the "
                  f"profile as now defined ({', '.join(f'`results/{u}`' for u in pooled.used)}), each row over "
                  f"the seeds with both its T and 2T run, taken from one record. Seeds added to the line above: "
                  f"{added}. The runs' commits: {', '.join(commits)}. "
                  + convergence_sentence(table), "", table.to_markdown(index=False), ""]
        if pooled.left_out:
            lines += ["Not pooled: " + "; ".join(f"`results/{u}` ({why})" for u, why in pooled.left_out) + ".", ""]
    return lines


def _natural_key(name: str) -> list[tuple[int, int | str]]:
    """Sort key reading runs of digits as numbers: ``a_512`` < ``a_1024`` < ``b``."""
    return [(0, int(t)) if t.isdigit() else (1, t) for t in re.split(r"(\d+)", name) if t]


def _checks_lines(base: Path) -> list[str]:
    """One line per check recorded beside the results (``runs/<profile>/checks/<name>/README.md``,
    e.g. a family's convergence re-checked at more seeds, or a CPU-kind comparison): its first
    heading, linked, so the summary names what the notebooks' own tables do not yet show.
    Listed in natural order of their folders (``maskreid_512`` before ``maskreid_1024``)."""
    readmes = sorted((base / "checks").glob("*/README.md"), key=lambda p: _natural_key(p.parent.name))
    if not readmes:
        return []
    lines = ["**Checks recorded beside the results** (`checks/`; they bear on the verdicts below):", ""]
    for readme in readmes:
        head = next((ln.lstrip("# ").strip() for ln in readme.read_text().splitlines() if ln.startswith("#")),
                    readme.parent.name)
        lines.append(f"- [{head}](checks/{readme.parent.name}/README.md)")
    return lines + [""]


def _anchor(title: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens."""
    keep = "".join(c for c in title.lower() if c.isalnum() or c in " -_")
    return keep.replace(" ", "-")
