"""Playground fixtures: a private copy of the default packs, one real server per module
(standard library HTTP server on a loopback port, in a thread), and a tiny HTTP client."""
from __future__ import annotations

import json
import shutil
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Reply:
    status: int
    headers: dict
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body.decode("utf-8"))


class Client:
    """Speaks to one playground server; `token=None` / custom headers to test the guards."""

    def __init__(self, server):
        self.server = server
        self.base = server.base_url

    def request(self, method: str, path: str, body: object = None, *, token: str | None = "",
                headers: dict | None = None, raw: bytes | None = None) -> Reply:
        hdrs = {"Host": f"127.0.0.1:{self.server.port}"}
        if token == "":
            token = self.server.token
        if token is not None:
            hdrs["X-Entrec-Token"] = token
        data = raw
        if method == "POST":
            hdrs.setdefault("Origin", self.base)
            hdrs["Content-Type"] = "application/json"
            if data is None:
                data = json.dumps(body if body is not None else {}).encode()
        hdrs.update(headers or {})
        hdrs = {k: v for k, v in hdrs.items() if v is not None}
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=hdrs)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return Reply(r.status, dict(r.headers), r.read())
        except urllib.error.HTTPError as e:
            return Reply(e.code, dict(e.headers), e.read())

    def get(self, path: str, **kw) -> Reply:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: object = None, **kw) -> Reply:
        return self.request("POST", path, body, **kw)


def copy_default_packs(dest: Path) -> Path:
    """The embedded pt/en packs, copied so tests may edit and save them."""
    src = ROOT / "rules"
    dest.mkdir(parents=True, exist_ok=True)
    for lang in ("pt", "en"):
        shutil.copytree(src / lang, dest / lang)
    return dest


def start(rules: Path, *, allow_save: bool = False):
    from entrec.playground import PlaygroundServer, Workspace

    ws = Workspace.open(rules=rules, allow_save=allow_save)
    srv = PlaygroundServer(ws, port=0, quiet=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def stop(srv) -> None:
    srv.shutdown()
    srv.server_close()
    srv.workspace.close()


@pytest.fixture(scope="module")
def pack(tmp_path_factory) -> Path:
    return copy_default_packs(tmp_path_factory.mktemp("pack"))


@pytest.fixture(scope="module")
def server(pack):
    srv = start(pack, allow_save=True)
    yield srv
    stop(srv)


@pytest.fixture(scope="module")
def client(server) -> Client:
    return Client(server)


@pytest.fixture(scope="session")
def playground_control():
    """Helpers as a fixture (test modules import nothing from conftest)."""
    from types import SimpleNamespace

    return SimpleNamespace(start=start, stop=stop, Client=Client, copy_default_packs=copy_default_packs,
                           root=ROOT)
