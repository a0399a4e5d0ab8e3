"""`entrec playground`: the analyst page on this machine (loopback only, token in the URL)."""
from __future__ import annotations

import argparse
import sys

NAME = "playground"
HELP = "local page to try texts, see why each entity won, edit a rule file live and run its tests"
DESCRIPTION = ("Serve the analyst playground on 127.0.0.1: paste a text and see its entities as "
               "coloured marks with the resolver's reasons, edit a rule file with live located "
               "errors, run its embedded tests, download (or, with --allow-save, save) the file. "
               "Open the printed URL: it carries a token generated at each start.")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--rules", metavar="DIR", help="rule-pack folder to edit (default: the embedded packs)")
    p.add_argument("--model", metavar="M", help="model directory or model.tar.gz (loaded once, kept while rules change)")
    p.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (default 8765; 0 = any free port)")
    p.add_argument("--host", default="127.0.0.1",
                   help="bind address: loopback only (127.0.0.1 or localhost); anything else is refused")
    p.add_argument("--open", action="store_true", help="open the page in the default browser")
    p.add_argument("--allow-save", action="store_true",
                   help="let the page save edited files into the pack folder (atomic, previous version kept as .bak)")
    p.add_argument("--quiet", action="store_true", help="do not log requests")


def run(args) -> int:
    from entrec.engine.errors import EntrecError
    from entrec.playground import PlaygroundServer, Workspace
    from entrec.playground.server import LOOPBACK_HOSTS

    if args.host not in LOOPBACK_HOSTS:  # refuse before the (slow) engine load
        raise EntrecError(f"the playground only listens on the loopback interface, not {args.host!r}",
                          code="bind-not-loopback", hint="reach it remotely through an SSH tunnel")
    ws = Workspace.open(rules=args.rules, model=args.model, allow_save=args.allow_save)
    try:
        try:
            server = PlaygroundServer(ws, args.host, args.port, quiet=args.quiet)
        except OSError as exc:
            raise EntrecError(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror or exc}",
                              code="port-unavailable", hint="pick another --port (0 = any free port)") from None
        print(f"entrec playground: {ws.root} ({len(ws.files())} rule file(s)"
              f"{', save enabled' if ws.allow_save else ''})", flush=True)
        print(f"  open {server.url}", flush=True)
        print("  Ctrl+C to stop", flush=True)
        if args.open:
            import webbrowser

            webbrowser.open(server.url)
        try:
            server.serve_forever()
        except KeyboardInterrupt:  # Ctrl+C, or SIGTERM (`entrec` turns it into one)
            print("entrec playground: stopped", file=sys.stderr)
        finally:
            server.server_close()
    finally:
        ws.close()
    return 0
