"""The playground's HTTP server: loopback only, one token per start, strict headers.

Standard library `http.server` on purpose: the page is a single-user local tool, it needs no
dependency beyond the engine (`pip install entrec` is enough, no Flask), and every header
that guards it (Host allowlist against DNS rebinding, token, same-Origin + JSON on POSTs,
CSP) is checked in one place below, before any route runs.
"""
from __future__ import annotations

import hmac
import html
import json
import secrets
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

from entrec.engine.errors import EntrecError

from .api import extract, read_file, save, state, tests, validate
from .workspace import PlaygroundError, Workspace

__all__ = ["PlaygroundServer", "LOOPBACK_HOSTS", "CSP", "PREFIX", "TOKEN_HEADER"]

PREFIX = "/playground"
TOKEN_HEADER = "X-Entrec-Token"
#: the only addresses the server may bind (it serves an editor of local files)
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
       "frame-ancestors 'none'; form-action 'none'")
MAX_BODY_BYTES = 4 * 1024 * 1024
_TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
          ".js": "text/javascript; charset=utf-8", ".png": "image/png", ".svg": "image/svg+xml",
          ".md": "text/plain; charset=utf-8", ".txt": "text/plain; charset=utf-8"}
_SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the page URL carries the token
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class PlaygroundServer(ThreadingHTTPServer):
    """`PlaygroundServer(workspace, port=0).serve_forever()`; `url` has the token."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, workspace: Workspace, host: str = "127.0.0.1", port: int = 0, *,
                 token: str | None = None, quiet: bool = False):
        if host not in LOOPBACK_HOSTS:
            raise EntrecError(f"the playground only listens on the loopback interface, not {host!r}",
                              code="bind-not-loopback",
                              hint="it edits local files; reach it remotely through an SSH tunnel")
        self.workspace = workspace
        self.token = token or secrets.token_urlsafe(24)
        self.quiet = quiet
        super().__init__(("127.0.0.1", port), _Handler)
        self.port = self.server_address[1]
        self.allowed_hosts = {f"127.0.0.1:{self.port}", f"localhost:{self.port}"}

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.base_url}{PREFIX}?token={self.token}"


_GET: dict[str, Callable[[Workspace, dict], Any]] = {
    "state": lambda ws, q: state(ws),
    "file": lambda ws, q: read_file(ws, (q.get("path") or [None])[0]),
}
_POST: dict[str, Callable[[Workspace, dict], Any]] = {
    "extract": extract, "validate": validate, "tests": tests, "save": save,
}


class _Handler(BaseHTTPRequestHandler):
    server: PlaygroundServer
    server_version = "entrec-playground"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    # ------------------------------------------------------------- plumbing
    def log_message(self, fmt: str, *args: Any) -> None:  # noqa: D102 - keep tokens out of logs
        if not self.server.quiet:
            sys.stderr.write(f"playground: {fmt % args}\n")

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        ms = (time.perf_counter() - getattr(self, "_t0", time.perf_counter())) * 1000
        self.log_message("%s %s %s %.0f ms", self.command, urlsplit(self.path).path, code, ms)

    def _send(self, status: int, body: bytes, ctype: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for k, v in {**_SECURITY_HEADERS, **(extra or {})}.items():
            self.send_header(k, v)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, obj: Any) -> None:
        self._send(status, json.dumps(obj, ensure_ascii=False).encode("utf-8"), "application/json")

    def _error(self, status: int, code: str, message: str, hint: str | None = None, **more: Any) -> None:
        self._json(status, {"error": {"code": code, "message": message, "hint": hint, **more}})

    # ------------------------------------------------------------- guards
    def _host_ok(self) -> bool:
        host = (self.headers.get("Host") or "").strip().lower()
        if host in self.server.allowed_hosts:
            return True
        self._error(403, "host-not-allowed", f"Host {host[:100]!r} is not this playground",
                    hint=f"open {self.server.base_url}{PREFIX}")
        return False

    def _token_ok(self, given: str | None) -> bool:
        if not given:
            self._error(401, "token-missing", "this playground needs the token it printed at start",
                        hint=f"send the {TOKEN_HEADER} header (the page does it for you)")
            return False
        if not hmac.compare_digest(given.encode(), self.server.token.encode()):
            self._error(403, "token-invalid", "wrong token", hint="use the URL printed by `entrec playground`")
            return False
        return True

    def _post_ok(self) -> bool:
        origin = self.headers.get("Origin")
        own = f"http://{(self.headers.get('Host') or '').strip().lower()}"
        site = self.headers.get("Sec-Fetch-Site")
        if origin is None or origin.lower() != own or (site is not None and site != "same-origin"):
            self._error(403, "origin-not-allowed", f"cross-origin request refused (Origin {str(origin)[:100]!r})",
                        hint="POSTs must come from the playground page itself")
            return False
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/json":
            self._error(415, "content-type-not-json", f"Content-Type must be application/json, not {ctype!r}")
            return False
        return True

    # ------------------------------------------------------------- verbs
    def do_GET(self) -> None:  # noqa: N802
        self._t0 = time.perf_counter()
        if not self._host_ok():
            return
        url = urlsplit(self.path)
        path, query = url.path, parse_qs(url.query)
        if path in ("", "/"):
            self._send(302, b"", "text/plain", {"Location": PREFIX + (f"?{url.query}" if url.query else "")})
        elif path in (PREFIX, PREFIX + "/"):
            self._page((query.get("token") or [None])[0])
        elif path.startswith(PREFIX + "/static/"):
            self._static(path[len(PREFIX + "/static/"):])
        elif path.startswith(PREFIX + "/api/"):
            if self._token_ok(self.headers.get(TOKEN_HEADER)):
                self._api(_GET, path[len(PREFIX + "/api/"):], query)
        else:
            self._error(404, "not-found", f"no such page: {path[:200]}")

    do_HEAD = do_GET

    def do_POST(self) -> None:  # noqa: N802
        self._t0 = time.perf_counter()
        if not self._host_ok():
            return
        path = urlsplit(self.path).path
        if not path.startswith(PREFIX + "/api/"):
            self._error(404, "not-found", f"no such endpoint: {path[:200]}")
            return
        if not (self._token_ok(self.headers.get(TOKEN_HEADER)) and self._post_ok()):
            return
        try:
            length = int(self.headers.get("Content-Length") or "0")
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES:
            self._error(413, "body-too-large", f"request body must be 0..{MAX_BODY_BYTES} bytes")
            self.close_connection = True
            return
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw.decode("utf-8")) if raw else {}
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            self._error(400, "bad-json", f"request body is not JSON: {exc}")
            return
        if not isinstance(body, dict):
            self._error(400, "bad-json", "request body must be a JSON object")
            return
        self._api(_POST, path[len(PREFIX + "/api/"):], body)

    def _api(self, table: dict, name: str, arg: Any) -> None:
        fn = table.get(name)
        if fn is None:
            self._error(404 if name not in _GET and name not in _POST else 405, "not-found",
                        f"no such endpoint: {self.command} {PREFIX}/api/{name[:100]}")
            return
        try:
            self._json(200, fn(self.server.workspace, arg))
        except PlaygroundError as exc:
            more = {"diagnostics": exc.diagnostics} if exc.diagnostics is not None else {}
            self._error(exc.status, exc.code, exc.message, exc.hint, **more)
        except EntrecError as exc:
            self._error(400, exc.code, exc.message, exc.hint)

    def _page(self, token: str | None) -> None:
        if not token or not hmac.compare_digest(token.encode(), self.server.token.encode()):
            body = ("<!doctype html><html lang=\"pt-BR\"><meta charset=\"utf-8\"><title>entrec playground</title>"
                    "<p>Acesso negado: abra o endereço com <code>?token=…</code> impresso por "
                    "<code>entrec playground</code>.</p></html>").encode()
            self._send(401 if not token else 403, body, _TYPES[".html"])
            return
        page = _asset("index.html").decode("utf-8").replace("{{TOKEN}}", html.escape(self.server.token))
        self._send(200, page.encode("utf-8"), _TYPES[".html"])

    def _static(self, rel: str) -> None:
        parts = rel.split("/")
        if not rel or any(p in ("", ".", "..") or p.startswith(".") for p in parts) or "\\" in rel \
                or rel == "index.html":
            self._error(404, "not-found", "no such file")
            return
        data = _asset(*parts)
        suffix = "." + parts[-1].rsplit(".", 1)[-1] if "." in parts[-1] else ""
        if data is None or suffix not in _TYPES:
            self._error(404, "not-found", f"no such file: {rel[:200]}")
            return
        self._send(200, data, _TYPES[suffix], {"Cache-Control": "no-cache"})


def _asset(*parts: str) -> bytes | None:
    node = resources.files(__package__).joinpath("static", *parts)
    try:
        return node.read_bytes() if node.is_file() else None
    except OSError:
        return None

