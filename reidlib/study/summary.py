"""The study's summary: ``runs/<profile>/summary.md``, written after the notebooks ran.

:func:`write_summary` reads every result the notebooks recorded with
:func:`reidlib.study.report.write_result` and writes, in order: the profile and the machine,
the verdict rule (paired t-test, p < 0.05), the convergence check (00_convergence's verdict, then
the check pooled over every seed recorded so far, :func:`reidlib.study.convergence.pooled_check`),
the checks recorded beside the results, a verdict-at-a-glance table with each result's currency,
the notebooks' wall times, where the runs come from (commits, CPU kinds, precisions), then every
table with its verdict and figures. :mod:`reidlib.study.driver` runs the notebooks and calls it.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from reidlib import paths
from reidlib.engine.checkpoint import atomic_write_bytes
from reidlib.engine.runs import git
from reidlib.study.convergence import Pooled, convergence_sentence, pooled_check
from reidlib.study.currency import WITHHELD, result_currency
from reidlib.study.provenance import cpu_kind, mixed_sources, provenance_lines, run_provenance, run_sources
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
    defined, a seed subset, or an older definition, :func:`reidlib.study.currency.result_currency`),
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
    checked = pooled_check(result.profile)
    lines += _convergence_lines(results, currency, mixed, checked) + _checks_lines(base) + ["## Verdicts at a glance", ""]
    n_stale = sum(status == "stale" for status, _ in currency.values())
    n_partial = sum(status == "partial" for status, _ in currency.values())
    if n_stale:
        lines += [f"**{n_stale} of {len(results)} results are not from the profile as now defined** "
                  "(column \"runs\"): their verdicts are about the old definition (a changed length or recipe: training the convergence check no longer accepts) until their notebooks run again.", ""]
    if n_partial:
        lines += [f"**{n_partial} of {len(results)} results are partial** (column \"runs\"): they ran a subset of the "
                  "profile's seeds or of their rows; their verdicts are about that subset.", ""]
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
        elif res["experiment"] == CONVERGENCE and checked is not None:   # its seed subset, then every seed
            verdict = (f"{'This record' if CONVERGENCE in checked[1].used else 'This record (not pooled)'}: "
                       f"{verdict} **At every seed recorded so far**: {convergence_sentence(checked[0])}")
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
                       checked: tuple[pd.DataFrame, Pooled] | None = None) -> list[str]:
    """The summary's convergence line, before any verdict: 00_convergence's verdict (with its
    currency and whether its runs mix commits or machines), or a warning that the profile's
    training length was never checked; then, where partial records of 00 add seeds (a family
    checked again at seed 1, ...), the check over every seed recorded so far
    (``checked``: :func:`reidlib.study.convergence.pooled_check`'s table and pooling)."""
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
    if checked is not None:
        table, pooled = checked
        added = "; ".join(f"{row}: seed{'s' * (len(seeds) > 1)} {', '.join(map(str, seeds))}"
                          for row, seeds in pooled.added.items())
        commits = sorted({run_provenance(paths.runs_dir() / str(d))["commit"] for d in pooled.tidy["run_dir"]})
        seeds = (f"Seeds added to the line above: {added}." if CONVERGENCE in pooled.used else
                 f"00's own record is not pooled (see \"Not pooled\"), so the line above is not this check; "
                 f"the seeds here: {added}.")
        lines += [f"**The check at every seed recorded so far**: 00's record and its partial records of the "
                  f"profile as now defined ({', '.join(f'`results/{u}`' for u in pooled.used)}), each row over "
                  f"the seeds with both its T and 2T run, taken from one record. {seeds} "
                  f"The runs' commits: {', '.join(commits)}. "
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
