"""Is a buffered HTTP/1.x request complete? The worker's event loop asks before it spends a thread.

Why: a request thread that parses a request as it trickles in is held for as long as the
client takes (a half-sent head, a stalled upload), so a worker with 2 threads had its `/ping`
stalled by two slow clients. The worker's event loop now reads each request into memory
without blocking and hands it to a thread only once it is complete (what a buffering proxy in
front would do), so threads only ever run requests that are ready and the thread count can be
chosen for latency alone.

This module only inspects framing; it never decides what is *valid*. Anything unusual (two
Content-Lengths, an unknown transfer coding, a malformed chunk size, a head over the size
limit, `Expect: 100-continue`, which needs an interim answer before the body comes) is
`HAND_OVER`: gunicorn's parser and the app then answer it exactly as before.
"""
from __future__ import annotations

from typing import Final

__all__ = ["NEED_HEAD", "NEED_BODY", "READY", "HAND_OVER", "request_state"]

#: The head (request line + headers) has not fully arrived.
NEED_HEAD: Final = "need-head"
#: The head is complete, the body is not.
NEED_BODY: Final = "need-body"
#: The whole first request is buffered: hand it to a thread.
READY: Final = "ready"
#: Not a case to wait for: let gunicorn's parser and the app deal with it now.
HAND_OVER: Final = "hand-over"

_CHUNK_LINE_MAX = 4096


def request_state(buf: bytes | bytearray, *, max_head: int, max_body: int) -> str:
    """The state of the first request in `buf` (which may hold more after it).

    `max_head`: a head longer than this without its blank line is handed over (the parser
    answers 414/431). `max_body`: a body announced or found larger is handed over (the app
    answers 413 without waiting for the rest).
    """
    end = buf.find(b"\r\n\r\n", 0, max_head + 4)
    if end < 0:
        if buf.find(b"\n\n", 0, max_head + 2) >= 0 or len(buf) > max_head:
            return HAND_OVER  # bare-LF head or over the limit: the parser decides
        return NEED_HEAD
    head = bytes(buf[:end]).split(b"\r\n")
    length: int | None = None
    coding: bytes | None = None
    for line in head[1:]:
        name, sep, value = line.partition(b":")
        if not sep:
            return HAND_OVER
        name = name.strip().lower()
        if name == b"content-length":
            if length is not None:
                return HAND_OVER
            value = value.strip()
            if not value.isdigit() or len(value) > 12:
                return HAND_OVER
            length = int(value)
        elif name == b"transfer-encoding":
            if coding is not None:
                return HAND_OVER
            coding = value.strip().lower()
        elif name == b"expect":
            return HAND_OVER  # 100-continue: the client waits for us before sending the body
    body = end + 4
    if coding is not None:
        if length is not None or coding != b"chunked":
            return HAND_OVER
        return _chunked_state(buf, body, max_body)
    if length is None:
        return READY
    if length > max_body:
        return HAND_OVER
    return READY if len(buf) - body >= length else NEED_BODY


def _chunked_state(buf: bytes | bytearray, pos: int, max_body: int) -> str:
    """Walk the chunks from `pos`: READY after the last chunk and its trailers."""
    total = 0
    n = len(buf)
    while True:
        eol = buf.find(b"\r\n", pos, pos + _CHUNK_LINE_MAX)
        if eol < 0:
            return NEED_BODY if n - pos < _CHUNK_LINE_MAX else HAND_OVER
        size_text = bytes(buf[pos:eol]).split(b";", 1)[0].strip()
        if not size_text or len(size_text) > 16 or any(
                c not in b"0123456789abcdefABCDEF" for c in size_text):
            return HAND_OVER
        size = int(size_text, 16)
        pos = eol + 2
        if size == 0:
            if buf[pos:pos + 2] == b"\r\n":
                return READY
            if len(buf) - pos < 2:
                return NEED_BODY
            return READY if buf.find(b"\r\n\r\n", pos - 2) >= 0 else NEED_BODY
        total += size
        if total > max_body:
            return HAND_OVER
        if n < pos + size + 2:
            return NEED_BODY
        if buf[pos + size:pos + size + 2] != b"\r\n":
            return HAND_OVER  # missing chunk terminator: the parser's 400
        pos += size + 2
