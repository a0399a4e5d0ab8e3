"""The attack run of issue 16 item 4, replayed against the real predictor (gunicorn on loopback,
raw sockets for what no HTTP client library would send).

Done when: 0 5xx and only JSON error bodies for these cases; two stalled uploads leave
`/ping` answering within 1 s; no worker is killed by a request within the limits; a slow
reader of a large response gets the whole body or an error status; a checksummed artifact
with a broken rule file makes `serve` exit 2 with a `startup-failed` line, no traceback.
"""
from __future__ import annotations

import json
import socket
import threading
import time
import urllib.parse
import urllib.request

import pytest


def _addr(url: str) -> tuple[str, int]:
    u = urllib.parse.urlsplit(url)
    return u.hostname, u.port


def raw(url: str, data: bytes, *, timeout: float = 30.0, pause_after: int | None = None,
        pause: float = 0.0) -> tuple[int, dict[str, str], bytes]:
    """Send `data` as is, read until the server closes or the response is complete."""
    with socket.create_connection(_addr(url), timeout=timeout) as s:
        if pause_after is None:
            s.sendall(data)
        else:
            s.sendall(data[:pause_after])
            time.sleep(pause)
            try:
                s.sendall(data[pause_after:])
            except OSError:
                pass
        return read_response(s)


def read_response(s: socket.socket, slow: float = 0.0, recv: int = 65536) -> tuple[int, dict[str, str], bytes]:
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(recv)
        if not chunk:
            raise AssertionError(f"connection closed before a full response head: {buf[:200]!r}")
        buf += chunk
    head, _, body = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines[1:])}
    length = int(headers.get("content-length", "-1"))
    while length < 0 or len(body) < length:
        if slow:
            time.sleep(slow)
        chunk = s.recv(recv)
        if not chunk:
            break
        body += chunk
    return status, headers, body


def assert_json_error(status: int, headers: dict[str, str], body: bytes, expect_status: int,
                      code: str) -> None:
    assert status == expect_status, (status, body[:300])
    assert headers["content-type"].startswith("application/json"), headers
    doc = json.loads(body)
    assert set(doc) == {"error"} and doc["error"]["code"] == code, doc
    assert doc["error"]["message"]


def _post_head(path: str = "/invocations", extra: str = "") -> str:
    return f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{extra}"


CHUNKED = _post_head() + "Transfer-Encoding: chunked\r\n\r\n"
BODY = b'{"text": "SE Xingu acima de 5 kV"}'


@pytest.mark.parametrize("name, data, status, code", [
    ("bogus chunk size", CHUNKED.encode() + b"zz\r\n" + BODY + b"\r\n0\r\n\r\n", 400, "invalid-framing"),
    ("missing chunk terminator", CHUNKED.encode() + b"%x\r\n" % len(BODY) + BODY + b"XX0\r\n\r\n",
     400, "invalid-framing"),
    ("negative chunk size", CHUNKED.encode() + b"-5\r\n" + BODY + b"\r\n0\r\n\r\n", 400, "invalid-framing"),
    ("chunk larger than sent, connection kept open", CHUNKED.encode() + b"ffff\r\n" + BODY, 408,
     "body-timeout"),
    ("content-length with transfer-encoding",
     (_post_head() + f"Content-Length: {len(BODY)}\r\nTransfer-Encoding: chunked\r\n\r\n").encode()
     + b"%x\r\n" % len(BODY) + BODY + b"\r\n0\r\n\r\n", 400, "invalid-header"),
    ("10 KB request line", b"GET /ping?" + b"a" * 10_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
     414, "request-line-too-long"),
    ("150 headers", b"GET /ping HTTP/1.1\r\nHost: x\r\n"
     + b"".join(b"X-H%d: v\r\n" % i for i in range(150)) + b"\r\n", 431, "request-headers-too-large"),
    ("10 KB header", b"GET /ping HTTP/1.1\r\nHost: x\r\nX-Big: " + b"v" * 10_000 + b"\r\n\r\n",
     431, "request-headers-too-large"),
    ("bad request line", b"HELLO\r\n\r\n", 400, "invalid-request-line"),
    ("bad method", b"G@T /ping HTTP/1.1\r\nHost: x\r\n\r\n", 400, "invalid-method"),
    ("bad http version", b"GET /ping HTTP/9.9\r\nHost: x\r\n\r\n", 400, "invalid-http-version"),
    ("two content-lengths", (_post_head() + "Content-Length: 3\r\nContent-Length: 4\r\n\r\n{}").encode(),
     400, "invalid-header"),
    ("unknown transfer coding", (_post_head() + "Transfer-Encoding: gzip\r\n\r\n").encode(), 400,
     "invalid-header"),
    ("obsolete header folding", b"GET /ping HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n", 400,
     "invalid-header"),
])
def test_protocol_attacks_get_json_4xx(server, name, data, status, code):
    assert_json_error(*raw(server.url, data), status, code)


def test_body_cut_short_then_closed_is_not_a_5xx(server):
    """Content-Length 1000, 10 bytes, then the client half-closes: 400, not 500."""
    with socket.create_connection(_addr(server.url), timeout=10) as s:
        s.sendall((_post_head() + "Content-Length: 1000\r\n\r\n").encode() + b'{"text": "')
        s.shutdown(socket.SHUT_WR)
        status, headers, body = read_response(s)
    assert_json_error(status, headers, body, 400, "invalid-framing")


def test_connection_survives_a_good_request_after_a_framing_error_elsewhere(server):
    """A framing error closes only its own connection; the next request is served."""
    raw(server.url, CHUNKED.encode() + b"zz\r\n\r\n")
    req = urllib.request.Request(server.url + "/invocations", data=BODY,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status == 200 and json.loads(r.read())["entities"]


def _ping(url: str, timeout: float) -> int:
    with urllib.request.urlopen(url + "/ping", timeout=timeout) as r:
        return r.status


def test_stalled_uploads_do_not_block_ping_and_time_out_with_408(server):
    """Headers plus 10 of 1,000 body bytes, twice (once per worker of the old sync server)."""
    stalled = []
    for _ in range(2):
        s = socket.create_connection(_addr(server.url), timeout=15)
        s.sendall((_post_head() + "Content-Length: 1000\r\n\r\n").encode() + b'{"text": "')
        stalled.append(s)
    try:
        time.sleep(0.3)  # both requests are in the app, reading their bodies
        for _ in range(5):
            assert _ping(server.url, timeout=1.0) == 200  # within 1 s, every time
        # the body deadline (ENTREC_BODY_TIMEOUT_SECONDS=3 for this server) answers them
        for s in stalled:
            assert_json_error(*read_response(s), 408, "body-timeout")
    finally:
        for s in stalled:
            s.close()


def test_slow_header_senders_do_not_block_ping_and_are_closed(server):
    """Connections that send nothing, or half a request line, do not starve `/ping`, and a
    head that stops arriving is dropped after ENTREC_HEADER_TIMEOUT_SECONDS (3 here)."""
    idle = [socket.create_connection(_addr(server.url), timeout=15) for _ in range(12)]
    try:
        for s in idle[:2]:
            s.sendall(b"POST /invoc")
        time.sleep(0.3)
        for _ in range(3):
            assert _ping(server.url, timeout=1.0) == 200
        t0 = time.monotonic()
        for s in idle[:2]:
            assert s.recv(100) == b""  # closed by the server, no response for half a head
        assert time.monotonic() - t0 < 10
    finally:
        for s in idle:
            s.close()


def _workers(srv) -> list[int]:
    """Worker pids of the gunicorn master (its children, from /proc)."""
    from pathlib import Path

    out = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                stat = (p / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == srv.proc.pid:
                out.append(int(p.name))
    return sorted(out)


def test_largest_allowed_pathological_requests_answer_200_without_killing_a_worker(default_server):
    """The issue's inputs: a 99,999-character run of one character (was 11 s in spaCy's
    tokenizer), eight of them in one request (was a 500 after 60.6 s and a killed worker)."""
    deadline = time.monotonic() + 20
    while len(_workers(default_server)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    before = _workers(default_server)
    assert len(before) == 2
    run = "a" * 99_999
    for body in ({"text": run}, {"texts": [run] * 8},
                 {"texts": ["(" * 20_000, "1" * 99_999, "> 1 " * 20_000, "SE Xingu " + "x" * 99_990]}):
        data = json.dumps(body).encode()
        req = urllib.request.Request(default_server.url + "/invocations", data=data,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=120) as r:
            assert r.status == 200
            json.loads(r.read())
    assert _workers(default_server) == before  # no worker was killed and replaced


def test_over_the_character_limit_is_413_json(default_server):
    """The issue's largest batch (61 x 99,999 characters, 6.2 MB) is now over the
    per-request character limit: a quick 413 instead of a minute of work."""
    data = json.dumps({"texts": ["a" * 99_999] * 61}).encode()
    req = (f"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
           f"Content-Length: {len(data)}\r\n\r\n").encode() + data
    assert_json_error(*raw(default_server.url, req, timeout=60), 413, "too-many-characters")


def test_slow_reader_gets_the_whole_body(server):
    """A response of several MB read in small sips with pauses arrives complete."""
    text = "A CHESF e o ONS. " * 470  # ~8,000 characters, 940 entities
    data = json.dumps({"texts": [text] * 3}).encode()
    req = (f"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
           f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n").encode() + data
    with socket.create_connection(_addr(server.url), timeout=60) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.sendall(req)
        status, headers, body = read_response(s, slow=0.002, recv=8192)
    assert status == 200, body[:300]
    assert len(body) == int(headers["content-length"]) > 300_000  # > 1 send chunk
    results = json.loads(body)["results"]
    assert len(results) == 3 and all(len(r["entities"]) >= 900 for r in results)


def test_many_concurrent_requests_no_5xx(server):
    """A burst of 40 concurrent requests mixing good and bad bodies: only 200 and 4xx."""
    statuses: list[int] = []
    bodies = [BODY, b"{", b'{"texts": 5}', CHUNKED.encode()]

    def one(i: int) -> None:
        body = bodies[i % 4]
        if body.startswith(b"POST"):
            statuses.append(raw(server.url, body + b"zz\r\n\r\n")[0])
            return
        req = urllib.request.Request(server.url + "/invocations", data=body,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                statuses.append(r.status)
        except urllib.error.HTTPError as e:
            statuses.append(e.code)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(statuses) == 40 and all(s < 500 for s in statuses), statuses
    assert statuses.count(200) == 10


def test_checksummed_artifact_with_broken_rule_file_exits_2_without_traceback(tmp_path, capsys):
    """An ESC byte in a rule file of a correctly checksummed artifact: the documented start-up
    failure (exit 2, one `startup-failed` JSON line), not exit 1 and a traceback."""
    from entrec.serving.entrypoint import main
    from entrec.training.package import package_model

    rules = tmp_path / "rules" / "pt"
    rules.mkdir(parents=True)
    (rules / "bad.yaml").write_text("version: 1\nlanguage: pt\nrules:\n  - id: x\x1b\n",
                                    encoding="utf-8")
    tar = package_model(tmp_path / "pkg", rules=[rules], name="bad", version="1", validate=False)
    rc = main(["serve", "--model", str(tar), "--port", "1"])
    err = capsys.readouterr().err
    assert rc == 2
    assert "Traceback" not in err
    line = json.loads(err.strip().splitlines()[-1])
    assert line["event"] == "startup-failed" and line["level"] == "error" and line["code"]


@pytest.fixture(scope="module")
def one_thread_server(serve_control):
    """The default engine with ONE request thread per worker: only the event loop's request
    staging keeps slow clients off that thread."""
    srv = serve_control.start(None, {"ENTREC_THREADS": "1"})
    yield srv
    serve_control.stop(srv)


def test_slow_clients_hold_no_request_thread(one_thread_server):
    """Six half-sent heads and six stalled uploads against 2 workers x 1 thread: `/ping` and
    a real request are still answered at once; then the uploads get 408, the heads a close."""
    url = one_thread_server.url
    heads, uploads = [], []
    try:
        for _ in range(6):
            s = socket.create_connection(_addr(url), timeout=15)
            s.sendall(b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Le")
            heads.append(s)
            u = socket.create_connection(_addr(url), timeout=15)
            u.sendall((_post_head() + "Content-Length: 1000\r\n\r\n").encode() + b'{"text": "')
            uploads.append(u)
        time.sleep(0.3)
        for _ in range(5):
            assert _ping(url, timeout=1.0) == 200
        req = urllib.request.Request(url + "/invocations", data=BODY,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=2) as r:
            assert r.status == 200 and json.loads(r.read())["entities"]
        for u in uploads:
            assert_json_error(*read_response(u), 408, "body-timeout")
        for s in heads:
            assert s.recv(100) == b""
    finally:
        for s in heads + uploads:
            s.close()


def test_pipelined_requests_are_each_answered_in_order(one_thread_server):
    """Two requests in one write: the staged first one, then the read-ahead second."""
    one = (_post_head() + f"Content-Length: {len(BODY)}\r\n\r\n").encode() + BODY
    two = b"GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    with socket.create_connection(_addr(one_thread_server.url), timeout=10) as s:
        s.sendall(one + two)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    first, second = data.split(b"HTTP/1.1 ")[1:]
    assert first.startswith(b"200") and b'"entities"' in first and b'"status"' not in first
    assert second.startswith(b"200") and b'"status":"ok"' in second


def test_a_body_sent_in_pieces_is_served_whole(one_thread_server):
    """A body that arrives in three pieces 0.2 s apart is staged, then answered 200."""
    data = (_post_head() + f"Content-Length: {len(BODY)}\r\n\r\n").encode() + BODY
    with socket.create_connection(_addr(one_thread_server.url), timeout=10) as s:
        for piece in (data[:20], data[20:-10], data[-10:]):
            s.sendall(piece)
            time.sleep(0.2)
        status, _, body = read_response(s)
    assert status == 200 and json.loads(body)["entities"]
