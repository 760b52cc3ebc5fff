"""``python -m reidlib train`` and ``python -m reidlib evaluate`` (see reidlib/__main__.py).

::

    python -m reidlib train --experiment ide_rgb --profile quick [--set profile.epochs=3 ...]
    torchrun --nproc_per_node=8 -m reidlib train --experiment ide_rgb --profile paper
    python -m reidlib evaluate runs/ide_rgb/<run-id> [--rerank]
"""
from __future__ import annotations

import argparse
import json
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


def train_cmd(args: argparse.Namespace) -> int:
    from . import distributed as D
    from .experiment import resolve_config, run_experiment

    overrides = dict(args.overrides)
    cfg = resolve_config(args.experiment, args.profile, overrides, args.seed)
    if args.dry_run:
        print(json.dumps(cfg, indent=2))
        return 0
    D.init_from_env()
    try:
        from reidlib.paths import runs_dir

        metrics = run_experiment(args.experiment, args.profile, overrides, args.seed,
                                 args.runs or runs_dir(), args.quiet)
    finally:
        D.cleanup()
    if D.is_main():
        print(json.dumps(metrics, indent=2))
    return 0


def evaluate_cmd(args: argparse.Namespace) -> int:
    from .checkpoint import load_checkpoint
    from .experiment import build_trainer
    from .runs import load_run, write_json

    run = load_run(args.run_dir)
    t = build_trainer(run.config, runs_root=run.dir.parent.parent, quiet=True)
    ckpt = run.best if args.checkpoint == "best" and run.best.is_file() else run.last
    t.model.load_state_dict(load_checkpoint(ckpt)["model"])
    protocols = tuple(run.config["eval"].get("protocols", ["sq"]))
    if args.rerank:  # k-reciprocal re-ranking of every protocol, under the run's metric
        protocols += tuple(f"{p}+rr" for p in protocols if "+rr" not in p and f"{p}+rr" not in protocols)
    res = t.evaluator(t.model, protocols=protocols)
    write_json(run.dir / f"eval_{args.checkpoint}{'_rr' if args.rerank else ''}.json", res)
    print(json.dumps(res, indent=2))
    return 0

