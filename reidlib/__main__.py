"""``python -m reidlib <command> ...``: the study's command line.

Each command lives in its own module that exposes ``register(subparsers)``
(adds its parser and sets ``func``); the table below maps names to modules, so
``--help`` stays fast and a command's heavy imports load only when it runs.
A command module that fails to import is an error naming it (never a silently
missing command).

User errors (a bad config key or value, a missing folder or file, a
refused checkpoint: :data:`USER_ERRORS`) print one ``error: ...`` message to stderr and
exit with status 2, without a traceback; ``--debug`` (anywhere on the line) shows it.
An interrupt exits with 130 (the ``train`` command prints how to resume).
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
    "replay": "reidlib.study.code_replay",
    "check-gpu": "reidlib.engine.gpu_check",
}


class UserError(Exception):
    """An error the person at the command line can fix; printed without a traceback."""


def _user_errors() -> tuple[type[BaseException], ...]:
    """The exception types shown as one message: config errors (KeyError / ValueError /
    TypeError from resolution and validation), missing files and folders, and checkpoint and
    loss-guard errors, whose messages name the fix."""
    errors: list[type[BaseException]] = [UserError, KeyError, ValueError, TypeError, FileNotFoundError,
                                         NotADirectoryError, IsADirectoryError, PermissionError]
    for module, name in (("reidlib.engine.checkpoint", "CheckpointError"), ("reidlib.engine.hooks", "LossExplodedError")):
        mod = sys.modules.get(module)  # only where it was imported: then it may have been raised
        if mod is not None:
            errors.append(getattr(mod, name))
    return tuple(errors)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m reidlib", description=__doc__.splitlines()[0])
    parser.add_argument("--debug", action="store_true", help="show the Python traceback of an error")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    registered: set[str] = set()
    for name, module in COMMANDS.items():
        if module in registered:
            continue
        try:
            mod = importlib.import_module(module)
        except Exception as exc:
            raise ImportError(f"command {name!r}: cannot import its module {module} "
                              f"({type(exc).__name__}: {exc})") from exc
        mod.register(sub)
        registered.add(module)
    return parser


def _message(exc: BaseException) -> str:
    text = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    return text or type(exc).__name__


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        if debug:
            raise
        return 130
    except _user_errors() as exc:  # type: ignore[misc]
        if debug:
            raise
        print(f"error: {_message(exc)}\n(add --debug for the traceback)", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
