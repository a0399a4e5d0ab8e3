"""`entrec` entry point. Every module in `entrec.cli` not starting with `_` is a command
exposing NAME, HELP, add_arguments(parser) and run(args) -> int."""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
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
    try:
        return int(args._run(args) or 0)
    except EntrecError as exc:
        print(f"entrec {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
