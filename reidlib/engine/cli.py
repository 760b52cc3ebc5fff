"""``python -m reidlib train`` and ``python -m reidlib evaluate`` (see reidlib/__main__.py).

::

    python -m reidlib train --experiment ide_rgb --profile quick [--set profile.epochs=3 ...]
    torchrun --nproc_per_node=8 -m reidlib train --experiment ide_rgb --profile paper
    python -m reidlib evaluate runs/ide_rgb/<run-id> [--rerank]
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .profiles import PROFILES
from .recipes import EXPERIMENTS


def _kv(text: str) -> tuple[str, str]:
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"--set expects key=value, got {text!r}")
    k, v = text.split("=", 1)
    return k.strip(), v.strip()


def register(subparsers: Any) -> None:
    """Add the ``train`` and ``evaluate`` commands."""
    exps = ", ".join(sorted(EXPERIMENTS))
    profs = ", ".join(f"{n} ({p.epochs or 'paper'} epochs, {p.image_size[0]}x{p.image_size[1]})"
                      for n, p in PROFILES.items())
    tr = subparsers.add_parser("train", help="train one experiment (reuses / resumes its run folder)",
                               description=f"experiments: {exps}. profiles: {profs}.")
    tr.add_argument("--experiment", required=True, choices=sorted(EXPERIMENTS), metavar="NAME",
                    help=f"one of: {exps}")
    tr.add_argument("--profile", default="quick", choices=list(PROFILES), metavar="PROFILE",
                    help=f"one of: {', '.join(PROFILES)} (default quick)")
    tr.add_argument("--set", dest="overrides", type=_kv, action="append", default=[], metavar="KEY=VALUE",
                    help="override a config key, e.g. profile.epochs=3 or eval.flip=true (repeatable)")
    tr.add_argument("--seed", type=int, default=None, help="seed (default: the profile's first)")
    tr.add_argument("--runs", default=None,
                    help="runs root folder (default: $REIDLIB_RUNS or <project>/runs)")
    tr.add_argument("--quiet", action="store_true", help="no progress bars")
    tr.add_argument("--dry-run", action="store_true", help="print the resolved config and exit")
    tr.set_defaults(func=train_cmd)
    ev = subparsers.add_parser("evaluate", help="evaluate a trained run folder")
    ev.add_argument("run_dir", help="runs/<experiment>/<run-id>")
    ev.add_argument("--rerank", action="store_true", help="add k-reciprocal re-ranking protocols")
    ev.add_argument("--checkpoint", default="last", choices=["last", "best"])
    ev.set_defaults(func=evaluate_cmd)


def _resume_command(args: argparse.Namespace) -> str:
    """The ``train`` command line that resumes the run of ``args``."""
    import shlex

    parts = ["python -m reidlib train", "--experiment", args.experiment, "--profile", args.profile]
    for k, v in args.overrides:
        parts += ["--set", f"{k}={v}"]
    if args.seed is not None:
        parts += ["--seed", str(args.seed)]
    if args.runs:
        parts += ["--runs", args.runs]
    return " ".join(parts[:1] + [shlex.quote(p) for p in parts[1:]])


def train_cmd(args: argparse.Namespace) -> int:
    """Resolve and validate the whole config before building data or a model,
    then train; the run folder is printed first (new / resumed / reused) and an interrupt
    ends with one line saying how to resume (the command it prints)."""
    from . import distributed as D
    from .experiment import build_trainer, resolve_config, validate_config

    overrides = dict(args.overrides)
    cfg = resolve_config(args.experiment, args.profile, overrides, args.seed)
    validate_config(cfg)
    if args.dry_run:
        from .paper_scale import iterations_table

        print(json.dumps(cfg, indent=2))
        print(iterations_table(cfg), file=sys.stderr)  # stdout stays the config's JSON
        return 0
    D.init_from_env()
    try:
        from reidlib.paths import runs_dir

        trainer = build_trainer(cfg, args.runs or runs_dir(), args.quiet)
        try:
            metrics = trainer.fit()
        except KeyboardInterrupt:
            if D.is_main():
                run = trainer.run
                kept = ("its checkpoints/last.pt is kept" if run is not None and run.last.is_file()
                        else "no checkpoint yet: it restarts from scratch")
                line = f"interrupted: {run.dir if run else 'run'} ({kept}); resume with: {_resume_command(args)}"
                print(line, file=sys.stderr, flush=True)
                if run is not None:
                    with open(run.log_path, "a", encoding="utf-8") as f:
                        f.write(line + "\n")
            return 130
    finally:
        D.cleanup()
    if D.is_main():
        print(json.dumps(metrics, indent=2))
    return 0


def evaluate_cmd(args: argparse.Namespace) -> int:
    """Evaluate a run folder's checkpoint and write ``eval_<checkpoint>[_rr].json``
    (``--checkpoint best`` without best.pt is an error, never an evaluation of last.pt; an
    unfinished run is evaluated with a warning)."""
    from .checkpoint import load_checkpoint
    from .experiment import build_trainer
    from .runs import load_run, write_json

    run = load_run(args.run_dir)
    ckpt = run.best if args.checkpoint == "best" else run.last
    if not ckpt.is_file():
        hint = ("best.pt is written by the evaluations during training (every profile.eval_every epochs "
                "and at the end) and this run has had none; use --checkpoint last"
                if args.checkpoint == "best" else "train the run first (python -m reidlib train ...)")
        raise FileNotFoundError(f"run {run.dir} has no checkpoints/{ckpt.name}: {hint}")
    if run.state != "finished":
        print(f"warning: run {run.dir} is unfinished (no metrics.json): evaluating checkpoints/{ckpt.name} "
              "of a partly trained model", file=sys.stderr, flush=True)
    t = build_trainer(run.config, runs_root=run.dir.parent.parent, quiet=True)
    t.model.load_state_dict(load_checkpoint(ckpt)["model"])
    protocols = tuple(run.config["eval"].get("protocols", ["sq"]))
    if args.rerank:  # k-reciprocal re-ranking of every protocol, under the run's metric
        protocols += tuple(f"{p}+rr" for p in protocols if "+rr" not in p and f"{p}+rr" not in protocols)
    res = t.evaluator(t.model, protocols=protocols)
    write_json(run.dir / f"eval_{args.checkpoint}{'_rr' if args.rerank else ''}.json", res)
    print(json.dumps(res, indent=2))
    return 0
