"""post_json against a real HTTP server on localhost: retries, timeouts, non-retryable 4xx."""

from __future__ import annotations

import socket

import pytest

from remote_services.http_post import PostError, post_json
from tests.support.http_fake import FakeHttpServer


def test_posts_json() -> None:
    with FakeHttpServer() as srv:
        status, reply = post_json(srv.url, {"a": 1, "b": [1, 2]})
    assert status == 200 and b"ok" in reply
    assert srv.bodies == [{"a": 1, "b": [1, 2]}]


def test_retries_5xx_and_429_then_succeeds() -> None:
    with FakeHttpServer() as srv:
        srv.script = [503, 429]
        status, _ = post_json(srv.url, {"x": 1}, attempts=3, backoff_s=0.001)
    assert status == 200 and len(srv.requests) == 3 and srv.bodies == [{"x": 1}]


def test_gives_up_after_the_last_attempt() -> None:
    with FakeHttpServer() as srv:
        srv.default = 500
        with pytest.raises(PostError) as info:
            post_json(srv.url, {"x": 1}, attempts=3, backoff_s=0.001)
    assert len(srv.requests) == 3
    assert info.value.attempts == 3 and info.value.status == 500
    assert "failed after 3 attempt(s): HTTP 500" in str(info.value)


def test_4xx_is_not_retried() -> None:
    with FakeHttpServer() as srv:
        srv.default = 400
        with pytest.raises(PostError, match="after 1 attempt"):
            post_json(srv.url, {"x": 1}, attempts=3)
    assert len(srv.requests) == 1


def test_a_slow_answer_is_cut_and_retried() -> None:
    with FakeHttpServer() as srv:
        srv.script = [("sleep", 3.0)]
        status, _ = post_json(srv.url, {"x": 1}, timeout_s=0.2, attempts=2, backoff_s=0.001)
    assert status == 200 and len(srv.requests) == 2


def test_connection_refused_is_a_clear_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when we post: nobody listens there
    with pytest.raises(PostError, match="failed after 2 attempt"):
        post_json(f"http://127.0.0.1:{port}/x", {}, attempts=2, backoff_s=0.001)


def test_bad_url() -> None:
    with pytest.raises(PostError, match="not an http"):
        post_json("ftp://example.com/x", {})


def test_an_unanswered_attempt_may_have_been_delivered() -> None:
    """A timeout is no refusal: the server got the request and may act on it (the broker mock held
    under load answered 202 after the connector had given up, and the car executed the command)."""
    with FakeHttpServer() as srv:
        srv.default = ("sleep", 1.0)
        with pytest.raises(PostError) as info:
            post_json(srv.url, {"x": 1}, timeout_s=0.2, attempts=2, backoff_s=0.001)
    assert len(srv.requests) == 2 and info.value.maybe_delivered


def test_a_timeout_then_5xx_may_still_have_been_delivered() -> None:
    with FakeHttpServer() as srv:
        srv.script = [("sleep", 1.0)]
        srv.default = 503
        with pytest.raises(PostError) as info:
            post_json(srv.url, {"x": 1}, timeout_s=0.2, attempts=3, backoff_s=0.001)
    assert info.value.status == 503 and info.value.maybe_delivered


def test_answered_refusals_were_not_delivered() -> None:
    with FakeHttpServer() as srv:
        srv.default = 503
        with pytest.raises(PostError) as info:
            post_json(srv.url, {"x": 1}, attempts=2, backoff_s=0.001)
    assert not info.value.maybe_delivered
    with FakeHttpServer() as srv:  # a 4xx refuses the request itself, also the one that timed out
        srv.script = [("sleep", 1.0)]
        srv.default = 403
        with pytest.raises(PostError) as info:
            post_json(srv.url, {"x": 1}, timeout_s=0.2, attempts=3, backoff_s=0.001)
    assert info.value.status == 403 and not info.value.maybe_delivered
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(PostError) as info:
        post_json(f"http://127.0.0.1:{port}/x", {}, attempts=2, backoff_s=0.001)
    assert not info.value.maybe_delivered
