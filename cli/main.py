"""`entrec` entry point. Every module in `entrec.cli` not starting with `_` is a command
exposing NAME, HELP, add_arguments(parser) and run(args) -> int."""
from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import signal
import sys
import threading
from types import ModuleType

from entrec.engine.errors import EntrecError

__all__ = ["main", "build_parser"]


def _commands() -> list[ModuleType]:
    import entrec.cli as pkg

    mods = []
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if info.name.startswith("_") or info.name == "main":
            continue
        mod = importlib.import_module(f"entrec.cli.{info.name}")
        if hasattr(mod, "NAME") and hasattr(mod, "run"):
            mods.append(mod)
    return mods


def build_parser() -> argparse.ArgumentParser:
    from entrec import __version__

    parser = argparse.ArgumentParser(prog="entrec", description="Entity recognition for grid operating "
                                     "procedures: rules, inequality grammar, trainable model.")
    parser.add_argument("--version", action="version", version=f"entrec {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for mod in _commands():
        p = sub.add_parser(mod.NAME, help=mod.HELP, description=getattr(mod, "DESCRIPTION", mod.HELP))
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help(sys.stderr)
        return 2
    # SIGTERM (`kill`, a service manager, a container stop) unwinds like Ctrl+C, so `finally`
    # blocks and atexit cleanups run (an unpacked model.tar.gz, the playground's scratch
    # folder); without this the default action ends the process on the spot
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _sigterm_handler(os.getpid())) if main_thread else None
    try:
        return int(args._run(args) or 0)
    except EntrecError as exc:
        print(f"entrec {args.command}: {exc}", file=sys.stderr)
        return 2
    except Terminated:
        return 143  # 128 + SIGTERM, what the shell reports for a process the signal ended
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread. A KeyboardInterrupt, so commands that stop
    cleanly on Ctrl+C (the playground) stop the same way."""


def _sigterm_handler(owner_pid: int):
    def handler(signum, frame):
        if os.getpid() != owner_pid:
            # a forked worker (`entrec batch`'s fork pool, stopped by Pool.terminate): end as
            # it would have without this handler, with no traceback
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
            return
        raise Terminated

    return handler


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
