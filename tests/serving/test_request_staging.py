"""request_state: when the worker's event loop may hand a buffered request to a thread."""
from __future__ import annotations

import pytest

from entrec.serving.request_staging import HAND_OVER, NEED_BODY, NEED_HEAD, READY, request_state

HEAD = b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
BODY = b'{"text": "SE Xingu acima de 5 kV"}'


def state(buf: bytes, max_head: int = 65536, max_body: int = 1000) -> str:
    return request_state(buf, max_head=max_head, max_body=max_body)


def chunked(*parts: bytes, end: bytes = b"0\r\n\r\n") -> bytes:
    body = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts)
    return HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + body + end


@pytest.mark.parametrize("buf", [b"", b"GET /pi", b"POST /invocations HTTP/1.1\r\nHost: x\r\n",
                                 HEAD + b"Content-Length: 3\r\n\r"])
def test_a_head_without_its_blank_line_waits(buf):
    assert state(buf) == NEED_HEAD


def test_a_request_without_body_is_ready_when_its_head_is():
    assert state(b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n") == READY


def test_content_length_body_waits_until_every_byte_is_in():
    full = HEAD + b"Content-Length: %d\r\n\r\n" % len(BODY) + BODY
    for cut in range(len(full) - len(BODY), len(full)):
        assert state(full[:cut]) == NEED_BODY, cut
    assert state(full) == READY
    assert state(full + b"GET /ping HTTP/1.1\r\n") == READY  # a pipelined next request


def test_header_names_are_case_insensitive():
    assert state(HEAD + b"content-LENGTH: 5\r\n\r\n12") == NEED_BODY


def test_chunked_body_waits_for_the_last_chunk_and_trailers():
    full = chunked(BODY[:10], BODY[10:])
    for cut in range(full.index(b"\r\n\r\n") + 4, len(full)):
        assert state(full[:cut]) == NEED_BODY, (cut, full[:cut][-12:])
    assert state(full) == READY
    assert state(chunked(BODY, end=b"0;ext=1\r\nX-Trailer: v\r\n\r\n")) == READY
    assert state(chunked(BODY, end=b"0\r\nX-Trailer: v\r\n")) == NEED_BODY


@pytest.mark.parametrize("buf, why", [
    (HEAD + b"Content-Length: 3\r\nContent-Length: 4\r\n\r\n{}", "two lengths: the parser's 400"),
    (HEAD + b"Content-Length: -3\r\n\r\n", "a malformed length"),
    (HEAD + b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", "length and coding"),
    (HEAD + b"Transfer-Encoding: gzip\r\n\r\n", "an unknown coding"),
    (HEAD + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n", "a bogus chunk size"),
    (HEAD + b"Transfer-Encoding: chunked\r\n\r\n3\r\nabcXX", "a missing chunk terminator"),
    (HEAD + b"Content-Length: 5000\r\n\r\n", "a body over the limit: the app's 413 now"),
    (HEAD + b"Expect: 100-continue\r\nContent-Length: 3\r\n\r\n", "the client waits for 100"),
    (b"GET /ping HTTP/1.1\nHost: x\n\n", "a bare-LF head"),
    (b"GET /ping HTTP/1.1\r\nX-Big: " + b"v" * 70_000, "a head past the size limit: 431"),
    (HEAD + b"no colon here\r\n\r\n", "a header line without a colon"),
])
def test_what_the_parser_must_judge_is_handed_over_at_once(buf, why):
    assert state(buf) == HAND_OVER, why


def test_a_chunked_body_over_the_limit_is_handed_over():
    assert state(chunked(b"x" * 600, b"y" * 600)) == HAND_OVER
    assert state(chunked(b"x" * 600)) == READY
