"""``python -m reidlib <command> ...``: the study's command line.

Each command lives in its own module that exposes ``register(subparsers)``
(adds its parser and sets ``func``); the table below maps names to modules, so
``--help`` stays fast and a command's heavy imports load only when it runs.
"""
from __future__ import annotations

import argparse
import importlib
import sys

#: command name -> module with ``register(subparsers)``
COMMANDS: dict[str, str] = {
    "synth": "reidlib.data.synth.cli",
    "train": "reidlib.engine.cli",
    "evaluate": "reidlib.engine.cli",
    "masks": "reidlib.masks.cli",
    "study": "reidlib.study.cli",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m reidlib", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    registered: set[str] = set()
    for name, module in COMMANDS.items():
        if module in registered:
            continue
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:  # a command whose module is not built yet
            if exc.name and exc.name.startswith("reidlib"):
                continue
            raise
        mod.register(sub)
        registered.add(module)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
