"""`entrec errors`: every error code entrec can emit, with its meaning (docs/errors.md)."""
from __future__ import annotations

import argparse

NAME = "errors"
HELP = "list the stable error codes (docs/errors.md is this command's --markdown output)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--markdown", action="store_true", help="print docs/errors.md (tree and tables)")
    p.add_argument("code", nargs="?", help="explain one code")


def run(args: argparse.Namespace) -> int:
    from entrec.engine.error_codes import ERROR_CODES, render_markdown
    from entrec.engine.errors import InputError

    if args.markdown:
        print(render_markdown(), end="")
        return 0
    if args.code:
        entry = ERROR_CODES.get(args.code)
        if entry is None:
            from entrec.engine.diagnostics import did_you_mean

            raise InputError(f"unknown error code {args.code!r}", code="bad-option",
                             hint=did_you_mean(args.code, ERROR_CODES) or "run `entrec errors` for the list")
        print(f"{entry.code} ({entry.kind}): {entry.summary}")
        return 0
    for e in ERROR_CODES.values():
        print(f"{e.code:<32} {e.kind:<10} {e.summary}")
    return 0
