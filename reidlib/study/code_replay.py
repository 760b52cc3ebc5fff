"""``python -m reidlib replay``: does today's code still train the committed runs the same way?

The committed study's runs were trained by many commits over days (``runs/<profile>/summary.md``,
"Where the runs come from"); issue 16 asks for one commit. Retraining everything per commit is
days of CPU; what one commit guarantees is that the same code trained every number. This command
checks that claim directly: it replays each run's first epochs with the code checked out now
(:func:`reidlib.engine.replay.replay_run`) and compares the recorded losses and learning rates
bit for bit. A run whose replay is identical was trained by code that, for that config, trains as
today's does; one that differs names the first differing value.

::

    python -m reidlib replay runs/maskreid/<run-id> [...] [--epochs 2]
    python -m reidlib replay --profile quick [--record]

``--profile`` replays a sample of the runs the profile's results use: one run per (commit that
trained its first epoch, experiment, CPU kind, precision), the first by run id. Runs trained on
another CPU kind are listed as not comparable here (fp32 kernels differ between kinds) and not
trained, to be replayed on such a machine; run folders given by name are replayed whatever
their kind (the numbers shown, not judged). ``--record`` writes ``runs/<profile>/checks/code_replay/README.md``,
which the summary lists with the other checks. Exit status 1 when a comparable replay differs.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Sequence

from reidlib import paths
from reidlib.engine.runs import git, read_json
from reidlib.study.provenance import machine_kind, run_sources, session_source

RECORD = "code_replay"


def replay_sample(profile: str) -> tuple[list[str], list[str], list[str]]:
    """``(to_replay, cross_domain, unreadable)``: run folders (relative to the runs root) the
    profile's results use (partial records, ``results/<id>/partial/<key>/``, included), one per
    (first session's commit, experiment, CPU kind, precision); the cross-domain runs, which the
    engine's replay does not cover; and the folders gone or without config.json / env.json."""
    chosen: dict[tuple[str, ...], str] = {}
    cross: list[str] = []
    unreadable: list[str] = []
    used = set(run_sources(profile))
    for rj in (paths.runs_dir() / profile / "results").glob("*/partial/*/runs.json"):
        used |= set(read_json(rj))   # a seed or row subset's record (reidlib.study.notebook)
    for run_dir in sorted(used):
        folder = paths.runs_dir() / run_dir
        if not (folder / "env.json").is_file() or not (folder / "config.json").is_file():
            unreadable.append(run_dir)
            continue
        if "adaptation" in read_json(folder / "config.json"):
            cross.append(run_dir)
            continue
        env = read_json(folder / "env.json")
        commit, kind, precision = session_source((env.get("earlier") or [env])[0])
        chosen.setdefault((commit, run_dir.split("/")[0], kind, precision), run_dir)
    return list(chosen.values()), cross, unreadable


def changed_since(commit: str) -> list[str] | None:
    """Files under ``reidlib/`` (less ``reidlib/study/``, which trains nothing) that differ between
    ``commit`` and the checkout (``git diff --name-only``); None outside a git checkout or for an
    unknown commit."""
    out = git("diff", "--name-only", commit, "--", "reidlib", ":!reidlib/study", cwd=paths.project_root())
    return None if out is None else [line for line in out.splitlines() if line]


def replay_record(profile: str, replays: Sequence[Any], cross: Sequence[str], epochs: int,
                  unreadable: Sequence[str] = ()) -> str:
    """The markdown of ``runs/<profile>/checks/code_replay/README.md`` for ``replays``
    (:class:`reidlib.engine.replay.Replay`); ``epochs`` is what was asked (a shorter run is
    replayed whole)."""
    here = next((r.here for r in replays if r.here), {})
    judged = [r for r in replays if r.comparable]
    same = [r for r in judged if r.identical]
    head = (f"# Today's code ({here.get('commit', '?')}) replays {len(same)} of {len(judged)} sampled committed runs "
            f"bit for bit over their first {epochs} epochs; {len(replays) - len(judged)} trained on another "
            f"machine kind are left to a machine of that kind (issue 16)")
    kinds = sorted({machine_kind(r.trained_by) for r in replays})
    lines = [head, "",
             f"Profile `{profile}`: one run per (commit that trained its first epoch, experiment, CPU kind, "
             f"precision) among the runs its results use; kinds trained on: {', '.join(kinds) or 'none'}. Each run's "
             f"`config.json` was built and trained for {epochs} epochs with the code at `{here.get('commit', '?')}` "
             f"(CPU capability {here.get('cpu_capability')}, AMX {here.get('amx_bf16')}, torch {here.get('torch')}, "
             "the run's own thread count), and every `loss*` / `lr/*` value compared with its `epochs.csv` "
             "(`reidlib/engine/replay.py`):", "",
             f"    python -m reidlib replay --profile {profile} --epochs {epochs} --record", "",
             "| run | experiment | trained by | CPU kind, precision | replay | max abs diff |",
             "|---|---|---|---|---|---|"]
    for r in replays:
        rel = "/".join(Path(r.run).parts[-2:])
        lines.append(f"| `{rel}` | {r.experiment} | {r.trained_by['commit']} | {machine_kind(r.trained_by)}, "
                     f"{r.trained_by.get('precision')} | {r.verdict} | "
                     f"{f'{r.max_abs_diff:.3g}' if r.replayed and r.error is None else '-'} |")
    differs = [r for r in judged if not r.identical]
    lines += ["", ("**Every comparable replay is identical**: the commits that trained these runs train their "
                   f"first {epochs} epochs as today's code does (same bits); for the later stages see the "
                   "files changed below."
                   if judged and not differs else
                   f"**{len(differs)} comparable replay(s) differ**: " + "; ".join(
                       f"`{'/'.join(Path(r.run).parts[-2:])}` ({r.error or r.first_difference})" for r in differs)
                   if differs else "No run could be compared on this machine kind.")]
    lines += ["", f"A replay runs the code of the first {epochs} epochs: the first stage's model, loss terms, "
              "sampler, augmentation and optimiser. A later stage (MPM-LTL's triplet stage, MaskReID's ranking "
              "stage) is not reached, so its code is not tested here; what changed in the training code since "
              "each commit is listed instead "
              "(`git diff --name-only <commit> -- reidlib ':!reidlib/study'`, the study layer trains nothing):", "",
              "| trained by | files changed since, in the code that trains |", "|---|---|"]
    for commit in dict.fromkeys(c for r in replays for c in r.trained_by["commit"].split(" + ") if c != "?"):
        files = changed_since(commit)
        shown = ("(git cannot say)" if files is None else
                 ", ".join(f"`{f.removeprefix('reidlib/')}`" for f in files) or "none")
        lines.append(f"| {commit} | {shown} |")
    if cross:
        lines += ["", f"Not replayed: {len(cross)} cross-domain run(s) (`reidlib.domain`'s trainer): "
                  + ", ".join(f"`{c}`" for c in cross) + "."]
    if unreadable:
        lines += ["", f"Not replayed: {len(unreadable)} run folder(s) named by a result but gone or without "
                  "config.json / env.json: " + ", ".join(f"`{c}`" for c in unreadable) + "."]
    return "\n".join(lines) + "\n"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("replay", help="replay runs' first epochs with today's code and compare bit for bit",
                       description=__doc__.splitlines()[0])
    p.add_argument("run_dirs", nargs="*", help="run folders runs/<experiment>/<run-id>")
    p.add_argument("--profile", default=None, help="replay a sample of the runs this profile's results use")
    p.add_argument("--epochs", type=int, default=2, help="epochs to replay per run (default 2)")
    p.add_argument("--record", action="store_true",
                   help="with --profile: write runs/<profile>/checks/code_replay/README.md")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from reidlib.engine.replay import Replay, replay_run
    from reidlib.engine.checkpoint import atomic_write_bytes

    if bool(args.run_dirs) == bool(args.profile):
        raise ValueError("give run folders or --profile PROFILE (one of the two)")
    if args.record and not args.profile:
        raise ValueError("--record writes the profile's check record: give --profile")
    if args.epochs < 1:
        raise ValueError(f"--epochs must be >= 1, got {args.epochs}")
    cross: list[str] = []
    unreadable: list[str] = []
    if args.profile:
        from reidlib.engine.profiles import get_profile

        get_profile(args.profile)   # an unknown profile: KeyError naming the valid ones
        todo, cross, unreadable = replay_sample(args.profile)
        if not todo:
            raise FileNotFoundError(f"no run of profile {args.profile!r} to replay: its results name no run "
                                    f"folder with config.json and env.json under {paths.runs_dir()} (run "
                                    f"python -m reidlib study --profile {args.profile} first, or set REIDLIB_RUNS)")
        folders = [paths.runs_dir() / d for d in todo]
    else:
        folders = [Path(d) for d in args.run_dirs]
        missing = [str(f) for f in folders if not (f / "config.json").is_file()]
        if missing:
            raise FileNotFoundError(f"not run folders (no config.json): {', '.join(missing)}; give "
                                    "runs/<experiment>/<run-id>")
    replays = []
    for folder in folders:
        if args.profile:   # a sample: a run shorter than --epochs is replayed whole; a failure is a result
            total = (read_json(folder / "config.json").get("profile") or {}).get("epochs") or args.epochs
            try:
                r = replay_run(folder, epochs=min(args.epochs, int(total)), skip_incomparable=True)
            except Exception as exc:  # noqa: BLE001 - today's code failing on a committed run is the finding
                r = Replay(str(folder), folder.parent.name, args.epochs, {"commit": "?"}, {},
                           error=f"{type(exc).__name__}: {exc}")
        else:
            r = replay_run(folder, epochs=args.epochs)
        print(f"{folder}: {r.verdict} (trained by {r.trained_by['commit']}; max abs diff {r.max_abs_diff:.3g}"
              + (f"; {r.first_difference}" if r.first_difference else "") + ")", flush=True)
        replays.append(r)
    if args.record:
        out = paths.runs_dir() / args.profile / "checks" / RECORD / "README.md"
        out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(out, replay_record(args.profile, replays, cross, args.epochs, unreadable).encode())
        print(f"[replay] record: {out}")
    return 1 if any(r.error or (r.comparable and not r.identical) for r in replays) else 0
