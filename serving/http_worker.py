"""The predictor's gunicorn worker: gunicorn's threaded worker, answering in JSON.

Why threads (gthread) instead of sync workers: a sync worker serves one connection at a
time, so two clients that send headers and then stall their body held both workers and
`/ping` went unanswered until the worker timeout killed them. Here each worker runs
`threads` request threads next to an event loop that accepts connections, heartbeats the
arbiter and only hands a connection to a thread once data arrived; the app reads bodies
with a deadline (408 `body-timeout`). A long request no longer gets its worker killed
mid-response: the heartbeat comes from the event loop, and the app bounds the work itself
(limits, per-request time budget).

Why a subclass: gunicorn answers the requests it refuses itself (bad request line, a 10 KB
request line, 150 headers, Content-Length together with Transfer-Encoding, broken chunked
framing found while draining) with HTML pages. `handle_error` here answers with the same
`{"error": {"code", "message"}}` body as the app, with a stable kebab-case code per case,
and never a 5xx for something a client sent.
"""
from __future__ import annotations

import json
import logging
import os
import selectors
import socket
import time
from functools import partial
from typing import Any

from gunicorn.workers import gthread
from gunicorn.workers.gthread import ThreadWorker

from .request_staging import HAND_OVER, NEED_HEAD, READY, request_state

#: gthread's "no data yet, hand the connection back to the event loop" result (gunicorn >= 23).
_DEFER = getattr(gthread, "_DEFER", None)

__all__ = ["JsonErrorThreadWorker", "gunicorn_error", "WORKER_CLASS", "keepalive_requests",
           "header_timeout", "body_timeout"]

#: What `worker_class` names in the gunicorn settings.
WORKER_CLASS = "entrec.serving.http_worker.JsonErrorThreadWorker"

access_log = logging.getLogger("entrec.access")

#: gunicorn's parse errors by class name -> (status, code, reason phrase).
_PARSE_ERRORS: dict[str, tuple[int, str, str]] = {
    # a header the *app* tried to send: a server bug, not the client's (checked first: MRO)
    "InvalidResponseHeader": (500, "internal-error", "Internal Server Error"),
    "InvalidResponseHeaderName": (500, "internal-error", "Internal Server Error"),
    "InvalidRequestLine": (400, "invalid-request-line", "Bad Request"),
    "InvalidRequestMethod": (400, "invalid-method", "Bad Request"),
    "InvalidHTTPVersion": (400, "invalid-http-version", "Bad Request"),
    "InvalidHeader": (400, "invalid-header", "Bad Request"),
    "InvalidHeaderName": (400, "invalid-header", "Bad Request"),
    "ObsoleteFolding": (400, "invalid-header", "Bad Request"),
    "InvalidSchemeHeaders": (400, "invalid-header", "Bad Request"),
    "LimitRequestLine": (414, "request-line-too-long", "URI Too Long"),
    "LimitRequestHeaders": (431, "request-headers-too-large", "Request Header Fields Too Large"),
    "UnsupportedTransferCoding": (400, "unsupported-transfer-coding", "Bad Request"),
    "InvalidChunkSize": (400, "invalid-framing", "Bad Request"),
    "ChunkMissingTerminator": (400, "invalid-framing", "Bad Request"),
    "InvalidChunkExtension": (400, "invalid-framing", "Bad Request"),
    "InvalidProxyLine": (400, "invalid-proxy-line", "Bad Request"),
    "InvalidProxyHeader": (400, "invalid-proxy-line", "Bad Request"),
    "ForbiddenProxyRequest": (403, "forbidden", "Forbidden"),
    "ExpectationFailed": (417, "expectation-failed", "Expectation Failed"),
    "InvalidH2CPreface": (400, "invalid-request-line", "Bad Request"),
    "SSLError": (400, "tls-error", "Bad Request"),
}
_HINTS = {
    "invalid-header": "a header is malformed or conflicts with another (for example "
                      "Content-Length together with Transfer-Encoding)",
    "request-line-too-long": "the request line exceeds the server's limit",
    "request-headers-too-large": "too many headers, or a header too large",
}


def gunicorn_error(exc: BaseException) -> tuple[int, str, str, str]:
    """(status, code, reason phrase, message) for an exception gunicorn's parser raised."""
    for cls in type(exc).__mro__:
        hit = _PARSE_ERRORS.get(cls.__name__)
        if hit:
            status, code, reason = hit
            try:
                detail = str(exc)[:200]
            except Exception:  # an exception whose __str__ needs state it lacks
                detail = cls.__name__
            hint = _HINTS.get(code)
            return status, code, reason, f"{hint}: {detail}" if hint else detail
    return 500, "internal-error", "Internal Server Error", "unexpected server error"


def _response(status: int, reason: str, code: str, message: str) -> bytes:
    body = json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=True).encode()
    head = (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode("latin-1") + body


class _DeadlineSocket(socket.socket):
    """A client socket whose "blocking" mode has a timeout.

    gunicorn switches a connection to blocking mode before parsing a request's head, and a
    blocking read has no end: a client that sends half a request line and stops would hold
    a request thread for good. Here every blocking read or write gives up after
    `io_timeout` seconds without progress (the app sets its own deadlines on the body
    and the response); the connection is then closed.
    """

    __slots__ = ()
    io_timeout = 10.0

    def setblocking(self, flag: bool) -> None:
        if flag:
            self.settimeout(self.io_timeout)
        else:
            super().setblocking(False)


def header_timeout(env: Any = None) -> float:
    """`ENTREC_HEADER_TIMEOUT_SECONDS` (default 10): idle time allowed while a request head
    arrives."""
    raw = (env if env is not None else os.environ).get("ENTREC_HEADER_TIMEOUT_SECONDS", "")
    try:
        value = float(raw) if raw.strip() else 10.0
    except ValueError:
        value = 10.0
    return value if value > 0 else 10.0


def body_timeout(env: Any = None) -> float:
    """`ENTREC_BODY_TIMEOUT_SECONDS` (default 20, the app's own body deadline): how long the
    event loop waits for a body once its head is in, before answering 408 `body-timeout`."""
    raw = (env if env is not None else os.environ).get("ENTREC_BODY_TIMEOUT_SECONDS", "")
    try:
        value = float(raw) if raw.strip() else 20.0
    except ValueError:
        value = 20.0
    return value if value > 0 else 20.0


#: Requests served on one keep-alive connection before the response says `Connection: close`.
KEEPALIVE_REQUESTS_DEFAULT = 100


def keepalive_requests(env: Any = None) -> int:
    """`ENTREC_KEEPALIVE_REQUESTS` (default 100): requests per keep-alive connection."""
    raw = (env if env is not None else os.environ).get("ENTREC_KEEPALIVE_REQUESTS", "")
    try:
        value = int(raw) if raw.strip() else KEEPALIVE_REQUESTS_DEFAULT
    except ValueError:
        value = KEEPALIVE_REQUESTS_DEFAULT
    return value if value > 0 else KEEPALIVE_REQUESTS_DEFAULT


class _SocketTimeoutFilter(logging.Filter):
    """gunicorn logs a traceback for a socket that timed out while reading a request head;
    that is a slow or idle client, not a server fault: one warning line instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, TimeoutError) and record.levelno >= logging.ERROR:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.msg, record.args, record.exc_info, record.exc_text = (
                "closed a connection idle for %.0f s while sending its request head",
                (_DeadlineSocket.io_timeout,), None, None)
        return True


#: A head that grows past this without its blank line goes to the parser (its 414/431).
_MAX_HEAD = 65536
#: Bytes one worker keeps in staging at most; past it, requests go to threads as they come.
_STAGED_BYTES_MAX = 64 * 1024 * 1024


def _payload_limit() -> int:
    """The app's body limit (`ENTREC_MAX_PAYLOAD_BYTES`): a larger body goes straight to the
    app, which answers 413 without waiting for it."""
    raw = os.environ.get("ENTREC_MAX_PAYLOAD_BYTES", "")
    return int(raw) if raw.strip().isdigit() else 6 * 1024 * 1024


#: Seconds between two heartbeats to the arbiter (its timeout is tens of seconds).
HEARTBEAT_SECONDS = 1.0
_clock = time.monotonic


class JsonErrorThreadWorker(ThreadWorker):
    """gthread worker whose own error responses are JSON and whose reads have deadlines."""

    _last_notify = float("-inf")

    def notify(self) -> None:
        """Heartbeat at most once per `HEARTBEAT_SECONDS`: gthread calls this on every turn
        of its event loop, i.e. about once per request under load, and each call is a
        `utime` syscall (after which the event-loop thread waits for the GIL again): 9 % of
        a busy worker's samples in a py-spy profile. The arbiter only needs one within its
        timeout."""
        now = _clock()
        if now - self._last_notify >= min(HEARTBEAT_SECONDS, self.timeout / 4):
            self._last_notify = now
            super().notify()

    #: requests per keep-alive connection (`ENTREC_KEEPALIVE_REQUESTS`)
    keepalive_requests = KEEPALIVE_REQUESTS_DEFAULT

    def handle_request(self, req: Any, conn: Any) -> Any:
        """Close a keep-alive connection after `keepalive_requests` requests, announced with
        `Connection: close` on the last response (as nginx's `keepalive_requests` does).

        Why: a keep-alive connection stays with the worker that accepted it, and the
        accepts race between workers, so 16 clients can end up 12 on one worker and 4 on the
        other; the GIL limits a worker to one core, so the 12 queue behind each other while
        the other core idles (measured: 50 ms mean latency for those clients, 18 ms for the
        others, same run). A client that reconnects is accepted by whichever worker gets to
        it first, which is the less busy one, so the split evens out within seconds."""
        served = getattr(conn, "entrec_requests", 0) + 1
        conn.entrec_requests = served
        if served >= self.keepalive_requests:
            req.must_close = True
        return super().handle_request(req, conn)

    def init_process(self) -> None:
        self.keepalive_requests = keepalive_requests()
        _DeadlineSocket.io_timeout = header_timeout()
        self._head_timeout = header_timeout()
        self._body_timeout = body_timeout()
        self._max_body = _payload_limit()
        self._staging: set[Any] = set()
        self._staged_bytes = 0
        # TLS and HTTP/2 read their own preface/handshake from the socket: no staging there.
        self._stage = (not self.cfg.is_ssl
                       and getattr(self.cfg, "http2_cleartext", "off") in (None, "off", "", False)
                       and getattr(self.cfg, "protocol", "http") == "http")
        logging.getLogger("gunicorn.error").addFilter(_SocketTimeoutFilter())
        super().init_process()

    # -- staging: the event loop buffers each request until it is complete ---------------
    #
    # A connection goes to a request thread only when its whole request is in memory (or when
    # request_staging says the parser must see it now). Slow heads and stalled uploads then
    # wait in the event loop, holding no thread, and the thread count is chosen for latency.

    def _begin_staging(self, conn: Any) -> None:
        conn.sock.setblocking(False)
        conn.entrec_buf = bytearray()
        conn.entrec_deadline = time.monotonic() + self._head_timeout
        conn.entrec_head_done = False
        self._staging.add(conn)
        if not self._stage_read(conn):
            self.poller.register(conn.sock, selectors.EVENT_READ,
                                 partial(self._on_staging_readable, conn))

    def _on_staging_readable(self, conn: Any, _sock: Any) -> None:
        if self._stage_read(conn):
            try:
                self.poller.unregister(conn.sock)
            except (KeyError, ValueError, OSError):
                pass

    def _stage_read(self, conn: Any) -> bool:
        """Read what has arrived; True when the connection left staging (handed or closed)."""
        buf = conn.entrec_buf
        eof = False
        while True:
            try:
                chunk = conn.sock.recv(262144)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                self._drop_staged(conn)
                return True
            if not chunk:
                eof = True
                break
            buf += chunk
            self._staged_bytes += len(chunk)
            if len(chunk) < 262144:
                break
        if eof and not buf:
            self._drop_staged(conn)  # closed before sending anything: nothing to answer
            return True
        state = request_state(buf, max_head=_MAX_HEAD, max_body=self._max_body)
        if state in (READY, HAND_OVER) or eof or self._staged_bytes > _STAGED_BYTES_MAX:
            self._hand_over(conn)  # at EOF the parser answers a cut-short request itself
            return True
        if state != NEED_HEAD and not conn.entrec_head_done:
            conn.entrec_head_done = True
            conn.entrec_deadline = time.monotonic() + self._body_timeout
        return False

    def _hand_over(self, conn: Any) -> None:
        self._staging.discard(conn)
        self._staged_bytes -= len(conn.entrec_buf)
        conn.entrec_prefix = bytes(conn.entrec_buf)
        conn.entrec_buf = bytearray()
        conn.data_ready = True
        self._submit(conn)

    def _drop_staged(self, conn: Any, answer: bytes = b"") -> None:
        self._staging.discard(conn)
        self._staged_bytes -= len(conn.entrec_buf)
        conn.entrec_buf = bytearray()
        try:
            self.poller.unregister(conn.sock)
        except (KeyError, ValueError, OSError):
            pass
        if answer:
            try:
                conn.sock.send(answer)  # a few hundred bytes: fits the empty send buffer
            except OSError:
                pass
        self.nr_conns -= 1
        conn.close()

    def murder_pending(self) -> None:
        """Also expire staged requests: a head that stopped arriving is closed without an
        answer (as before, when a thread's read timed out); a body that stopped arriving
        gets the app's 408 `body-timeout`."""
        super().murder_pending()
        if not self._staging:
            return
        now = time.monotonic()
        for conn in [c for c in self._staging if c.entrec_deadline <= now or
                     (not self.alive and not c.entrec_buf)]:
            if conn.entrec_head_done:
                got = len(conn.entrec_buf) - conn.entrec_buf.find(b"\r\n\r\n") - 4
                self._drop_staged(conn, _response(
                    408, "Request Timeout", "body-timeout",
                    f"the request body did not arrive within {self._body_timeout:g} s "
                    f"({got} bytes received)"))
            else:
                self._drop_staged(conn)

    def _submit(self, conn: Any) -> None:
        if type(conn.sock) is socket.socket:
            conn.sock.__class__ = _DeadlineSocket
        super().enqueue_req(conn)

    def enqueue_req(self, conn: Any) -> None:
        """Every path to a request thread (new connection, kept-alive or deferred one
        becoming readable) goes through staging first, except a connection whose parser
        already holds the next request's bytes (pipelining, read ahead by a body drain)."""
        pending = conn.parser is not None and conn.parser.unreader.buf.getvalue()
        if not self._stage or pending or getattr(conn, "entrec_prefix", None) is not None:
            self._submit(conn)
        else:
            self._begin_staging(conn)

    def handle(self, conn: Any) -> Any:
        """Feed a staged request to gunicorn's parser, then serve it as gunicorn does.

        Without staging (TLS, HTTP/2): a new connection that has sent nothing yet goes
        straight back to the event loop (gunicorn's own handle() would hold a request thread
        for up to 5 s waiting for it), so idle connections cost no thread."""
        prefix = getattr(conn, "entrec_prefix", None)
        if prefix is not None:
            conn.entrec_prefix = None
            try:
                conn.sock.setblocking(True)
                conn.init()
            except Exception as exc:  # as gunicorn's handle() does for its own init
                self.handle_error(None, conn.sock, conn.client, exc)
                return False
            conn.parser.unreader.unread(prefix)
        elif (_DEFER is not None and not conn.initialized and not conn.data_ready
                and not conn.wait_for_data(0.05)):
            return _DEFER
        return super().handle(conn)

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        status, code, reason, message = gunicorn_error(exc)
        ip = (addr or ("", -1))[0] if isinstance(addr, tuple) else str(addr)
        if status >= 500:
            self.log.exception("Error handling request")
        else:
            self.log.warning("Invalid request from ip=%s: %s", ip, code)
        access_log.info("%s", code, extra={"fields": {
            "event": "access", "status": status, "error": code, "path": getattr(req, "path", None),
            "method": getattr(req, "method", None), "remote": ip}})
        try:
            client.setblocking(True)
            client.settimeout(5)
            client.sendall(_response(status, reason, code, message))
        except Exception:  # the client is gone: nothing left to tell it
            self.log.debug("Failed to send error message.")

    def _keepalive_after(self, conn: Any, keepalive: Any) -> bool:
        """Drain the rest of the body before reusing the connection; a broken framing or a
        stall there closes it (the app has already answered, a second answer would corrupt
        the stream)."""
        try:
            return bool(super()._keepalive_after(conn, keepalive))
        except Exception:
            return False
