"""``python -m reidlib study --profile quick [--only E3,E4] [--param seeds=[0]]``."""
from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("study", help="execute every experiment notebook with papermill and summarise",
                       description=__doc__)
    p.add_argument("--profile", default="quick", help="smoke | quick | full | paper (default: quick)")
    p.add_argument("--only", default=None, help="comma-separated notebook ids, e.g. E3,E4")
    p.add_argument("--param", action="append", default=None, metavar="NAME=VALUE",
                   help="a notebook parameter (repeatable; the value is JSON, else a string), e.g. seeds=[0] or "
                        "'methods=[\"mpm\"]': set in every notebook that has it; results not run as the "
                        "profile defines them are marked partial in the summary, or, where a result run otherwise is "
                        "stored, kept beside it (results/<id>/partial/<key>/), never over it")
    p.add_argument("--progress", action="store_true", help="show papermill's cell progress bar")
    p.add_argument("--summary-only", action="store_true",
                   help="run nothing: rewrite runs/<profile>/summary.md from the stored results")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from reidlib.study.driver import StudyResult, run_study, write_summary

    if args.summary_only:
        from reidlib.engine.profiles import get_profile

        get_profile(args.profile)  # --profile nosuch: KeyError listing the valid profiles (exit 2)
        print(f"[study] summary: {write_summary(StudyResult(args.profile))}")
        return 0
    from reidlib.study.driver import parse_params

    result = run_study(args.profile, args.only, params=parse_params(args.param), progress=args.progress)
    print(f"[study] summary: runs/{args.profile}/summary.md")
    if result.failures:
        print("[study] FAILED notebooks:")
        for r in result.failures:
            print(f"  {r.name}: {r.error}")
        return 1
    return 0
