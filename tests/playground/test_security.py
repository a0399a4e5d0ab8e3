"""The guards of a local page that edits files: token on every API call, Host allowlist
(DNS rebinding), same-Origin + JSON on POSTs, strict headers, loopback-only bind."""
from __future__ import annotations

import pytest

from entrec.engine.errors import EntrecError

API_CALLS = [("GET", "/playground/api/state"), ("GET", "/playground/api/file?path=pt/base.yaml"),
             ("POST", "/playground/api/extract"), ("POST", "/playground/api/validate"),
             ("POST", "/playground/api/tests"), ("POST", "/playground/api/save")]


@pytest.mark.parametrize("method,path", API_CALLS)
def test_every_api_call_needs_the_token(client, method, path):
    body = {"text": "SE Xingu", "path": "pt/base.yaml", "content": "x", "files": []}
    r = client.request(method, path, body, token=None)
    assert (r.status, r.json()["error"]["code"]) == (401, "token-missing")
    r = client.request(method, path, body, token="not-the-token")
    assert (r.status, r.json()["error"]["code"]) == (403, "token-invalid")


def test_the_page_needs_the_token_too(client, server):
    assert client.get("/playground", token=None).status == 401
    assert client.get("/playground?token=wrong", token=None).status == 403
    r = client.get(f"/playground?token={server.token}", token=None)
    assert r.status == 200 and f'content="{server.token}"' in r.body.decode()


@pytest.mark.parametrize("host", ["evil.example:80", f"attacker.test", "127.0.0.1:1", "", "0.0.0.0"])
def test_foreign_host_header_is_refused(client, server, host):
    for method, path in [("GET", f"/playground?token={server.token}"), ("GET", "/playground/api/state"),
                         ("GET", "/playground/static/app.js"), ("POST", "/playground/api/extract")]:
        r = client.request(method, path, {"text": "x"}, headers={"Host": host})
        assert (r.status, r.json()["error"]["code"]) == (403, "host-not-allowed"), (method, path)


def test_localhost_name_is_allowed(client, server):
    r = client.get("/playground/api/state", headers={"Host": f"localhost:{server.port}"})
    assert r.status == 200


@pytest.mark.parametrize("headers,status,code", [
    ({"Origin": "http://evil.example"}, 403, "origin-not-allowed"),
    ({"Origin": None}, 403, "origin-not-allowed"),
    ({"Origin": "null"}, 403, "origin-not-allowed"),
    ({"Sec-Fetch-Site": "cross-site"}, 403, "origin-not-allowed"),
    ({"Content-Type": "text/plain"}, 415, "content-type-not-json"),
    ({"Content-Type": "application/x-www-form-urlencoded"}, 415, "content-type-not-json"),
])
def test_posts_must_be_same_origin_json(client, headers, status, code):
    r = client.post("/playground/api/extract", {"text": "SE Xingu"}, headers=headers)
    assert (r.status, r.json()["error"]["code"]) == (status, code)


def test_strict_headers_on_every_response(client, server):
    for r in (client.get(f"/playground?token={server.token}", token=None), client.get("/playground/api/state"),
              client.get("/playground/static/app.js"), client.get("/playground/api/state", token=None)):
        csp = r.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "script-src 'self';" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "frame-ancestors 'none'" in csp
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Referrer-Policy"] == "no-referrer"


def test_page_has_no_inline_script_or_handlers(client, server):
    html = client.get(f"/playground?token={server.token}", token=None).body.decode()
    import re

    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all('src="/playground/static/' in attrs and not body.strip() for attrs, body in scripts)
    assert not re.search(r"\son[a-z]+=", html) and "<style" not in html and "style=" not in html


def test_static_files_cannot_escape_the_static_folder(client):
    assert client.get("/playground/static/vendor/codemirror/VENDORED.md").status == 200
    for path in ("/playground/static/../server.py", "/playground/static/%2e%2e/server.py",
                 "/playground/static/vendor/../../workspace.py", "/playground/static/.hidden",
                 "/playground/static/index.html"):
        assert client.get(path).status == 404, path


def test_bind_refuses_anything_but_loopback(server):
    from entrec.playground import PlaygroundServer

    for host in ("0.0.0.0", "192.168.1.10", "::"):
        with pytest.raises(EntrecError) as exc:
            PlaygroundServer(server.workspace, host, 0)
        assert exc.value.code == "bind-not-loopback"
