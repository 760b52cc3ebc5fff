"""``python -m reidlib synth [--preset P] [--domain D] [--seed S] [--set k=v ...] OUT_DIR``.

Generates a SynthReID data set into OUT_DIR (or, with ``--cache``, into the cache
and prints its path). ``--set`` overrides any :class:`SynthConfig` field, e.g.
``--set clutter=0.9 --set images_per_cam=2,4``.
"""
from __future__ import annotations

import argparse
import ast
from typing import Any

from .config import DOMAINS, PRESETS


def _parse_set(items: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise SystemExit(f"--set expects key=value, got {item!r}")
        k, v = item.split("=", 1)
        try:
            out[k] = ast.literal_eval(v)
        except (ValueError, SyntaxError):
            out[k] = v
    return out


def run(args: argparse.Namespace) -> int:
    from .writer import ensure_synth, generate

    overrides = _parse_set(args.set or [])
    if args.cache:
        path = ensure_synth(args.preset, args.domain, args.seed, cache_dir=args.out_dir,
                            workers=args.workers, **overrides)
    else:
        if args.out_dir is None:
            raise SystemExit("synth: give OUT_DIR (or --cache)")
        path = generate(args.out_dir, args.preset, args.domain, args.seed, workers=args.workers, **overrides)
    print(path)
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("synth", help="generate the SynthReID data set (Market-1501 layout)",
                              description=__doc__.splitlines()[0])
    p.add_argument("out_dir", nargs="?", default=None, metavar="OUT_DIR",
                   help="output folder (with --cache: the cache root, default $REIDLIB_CACHE or ./cache)")
    p.add_argument("--preset", default="smoke", choices=sorted(PRESETS))
    p.add_argument("--domain", default="market", choices=sorted(DOMAINS))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=None,
                   help="processes (default: 2 for large sets; output does not depend on it)")
    p.add_argument("--cache", action="store_true", help="generate once into the cache and reuse")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a SynthConfig field")
    p.set_defaults(func=run)
