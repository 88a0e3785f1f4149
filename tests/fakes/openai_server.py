"""A fake OpenAI-compatible chat-completions server on 127.0.0.1 for driving the real client.

    with FakeModel() as fake:
        fake.queue([error(429, headers={"retry-after": "0"}), findings([{...}])])
        client = AsyncOpenAI(base_url=fake.url, api_key="k", max_retries=0)

Every request is recorded (`fake.requests`: headers in lower case + parsed JSON). Replies come
from the queue first, then from the script function (default: no findings). Like xAI, it
rejects parameters reasoning models refuse and answers errors in xAI's `{code, error}` shape.

Function calling: `calls(tool_call("read_file", {"path": "a.py"}))` is a reply that calls
tools (`tool_calls` in the assistant message, finish_reason "tool_calls"); like OpenAI's API,
the fake refuses (400) a conversation whose assistant tool calls are not each answered by a
`tool` message with the call's id. `FakeModel(tools=False)` refuses any request offering
`tools` the way vLLM without --enable-auto-tool-choice does.

It can also act like other servers: `FakeModel(formats=("json_object", "text"))` refuses any
other `response_format` the way llama-cpp-python does (a 500 with its validation error);
`api_key="k"` answers 401 to any other bearer; `shared_context=True` answers llama-server's
"Context size has been exceeded" 500 to a request that arrives while another is in flight.
`stall()` is a reply that never comes (until the fake stops), `stop_listening()` closes the
listening socket while requests stay in flight, like a server that stops gracefully.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.fakes.openai_shapes import (
    CONTEXT_FULL,
    LLAMA_CPP_PYTHON_REFUSAL,
    LLAMA_SERVER_NO_JINJA,
    OLLAMA_NO_TOOLS,
    VLLM_NO_TOOLS,
    HttpError,
    exceeds_context,
    format_refusal,
    messages_of,
    tool_call,
    unanswered_calls,
)

__all__ = [  # the shapes are used from here too
    "CONTEXT_FULL",
    "LLAMA_CPP_PYTHON_REFUSAL",
    "LLAMA_SERVER_NO_JINJA",
    "OLLAMA_NO_TOOLS",
    "VLLM_NO_TOOLS",
    "exceeds_context",
    "format_refusal",
    "messages_of",
    "tool_call",
]

REJECTED_PARAMS = ("reasoning_effort", "presence_penalty", "frequency_penalty", "stop")
FORMATS = ("json_schema", "json_object", "text")


@dataclass(frozen=True)
class Completion:
    """A 200 chat.completion whose message content is `content`."""

    content: str
    model: str = "grok-4.3"
    prompt_tokens: int = 1000
    cached_tokens: int = 0
    completion_tokens: int = 50  # includes reasoning tokens (OpenAI's accounting)
    reasoning_tokens: int = 0
    total_tokens: int | None = None  # default prompt + completion
    cost_ticks: int | None = None
    finish_reason: str = "stop"
    refusal: str | None = None
    delay: float = 0.0
    tool_calls: tuple[dict[str, Any], ...] = ()  # function calls (see `calls`)


@dataclass(frozen=True)
class Stall:
    """A reply that never comes: the connection stays open until the fake stops."""

    delay: float = 0.0


Reply = Completion | HttpError | Stall
ReplyFn = Callable[[dict[str, Any]], "Reply | list[dict[str, Any]]"]


def findings(items: Iterable[dict[str, Any]] = (), **usage: Any) -> Completion:
    """A valid structured reply carrying `items` as findings."""
    return Completion(content=json.dumps({"findings": list(items)}), **usage)


def raw(text: str, **usage: Any) -> Completion:
    """A 200 reply with arbitrary message content (e.g. malformed JSON)."""
    return Completion(content=text, **usage)


def calls(*items: dict[str, Any], **usage: Any) -> Completion:
    """A reply calling tools: each item from `tool_call`, given ids call_1, call_2, … (per
    reply) unless it has one."""
    numbered = tuple(
        {**item, "id": item["id"] or f"call_{n}"} for n, item in enumerate(items, start=1)
    )
    usage.setdefault("finish_reason", "tool_calls")
    return Completion(content="", tool_calls=numbered, **usage)


def error(status: int, body: Any = None, *, headers: dict[str, str] | None = None) -> HttpError:
    return HttpError(status=status, body=body, headers=tuple((headers or {}).items()))


def stall() -> Stall:
    return Stall()


def delayed(seconds: float, reply: Reply) -> Reply:
    """`reply`, answered only after `seconds` (for timeouts and concurrency)."""
    return replace(reply, delay=seconds)


def finding(path: str = "app.py", line: int = 1, **fields: Any) -> dict[str, Any]:
    """A schema-valid finding dict with sensible defaults."""
    base: dict[str, Any] = {
        "path": path,
        "line": line,
        "start_line": None,
        "side": "RIGHT",
        "severity": "major",
        "category": "bug",
        "title": "Off-by-one",
        "body": "The loop skips the last element.",
        "suggestion": None,
        "confidence": 0.9,
        "code": "for i in range(len(xs) - 1):",
    }
    return {**base, **fields}


def last_message(request: dict[str, Any]) -> str:
    """The text of the request's last message (the chunk, or a repair prompt)."""
    content = request["json"]["messages"][-1]["content"]
    return content if isinstance(content, str) else json.dumps(content)


def _completion_json(reply: Completion, counter: int) -> dict[str, Any]:
    usage: dict[str, Any] = {
        "prompt_tokens": reply.prompt_tokens,
        "completion_tokens": reply.completion_tokens,
        "total_tokens": reply.total_tokens or reply.prompt_tokens + reply.completion_tokens,
        "prompt_tokens_details": {"cached_tokens": reply.cached_tokens, "text_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": reply.reasoning_tokens},
    }
    if reply.cost_ticks is not None:
        usage["cost_in_usd_ticks"] = reply.cost_ticks
    message: dict[str, Any] = {
        "role": "assistant",
        "content": reply.content or (None if reply.tool_calls else reply.content),
        "refusal": reply.refusal,
    }
    if reply.tool_calls:
        message["tool_calls"] = list(reply.tool_calls)
    return {
        "id": f"fake-{counter}",
        "object": "chat.completion",
        "created": 1_780_000_000,
        "model": reply.model,
        "choices": [{"index": 0, "message": message, "finish_reason": reply.finish_reason}],
        "usage": usage,
        "system_fingerprint": "fp_fake",
    }


class _Server(ThreadingHTTPServer):
    # socketserver's default listen backlog of 5 makes the 6th concurrent client wait for
    # a SYN retry (about 1 s): the fake must not be the bottleneck of concurrency checks.
    request_queue_size = 128


class FakeModel:
    """The server; use as a context manager. `.url` ends in /v1 like a real base_url."""

    def __init__(
        self,
        *,
        formats: Iterable[str] = FORMATS,
        api_key: str | None = None,
        shared_context: bool = False,
        tools: bool = True,
    ) -> None:
        self.formats = tuple(formats)
        self.tools = tools
        self.api_key = api_key
        self.shared_context = shared_context
        self.requests: list[dict[str, Any]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.stopped = threading.Event()  # set on exit: stalled replies give up
        self._queue: deque[Reply] = deque()
        self._reply_fn: ReplyFn = lambda request: findings()
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        # A short poll interval so shutdown (every test's teardown) returns at once.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def queue(self, replies: Iterable[Reply | list[dict[str, Any]]]) -> None:
        """Answer the next requests with these replies, in order (a list = findings)."""
        with self._lock:
            self._queue.extend(_as_reply(r) for r in replies)

    def script(self, reply_fn: ReplyFn) -> None:
        """Answer with `reply_fn(request)` once the queue is empty (route by chunk text)."""
        self._reply_fn = reply_fn

    def __enter__(self) -> FakeModel:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.stop_listening()

    def stop_listening(self) -> None:
        """Close the listening socket; requests in flight stay open (a graceful stop)."""
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()

    def _next_reply(self, request: dict[str, Any]) -> Reply:
        with self._lock:
            self.requests.append(request)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            crowded = self.shared_context and self.in_flight > 1
            refused = self._refusal(request)
            queued = None if refused or crowded else self._queue.popleft() if self._queue else None
        if refused is not None:
            return refused
        if crowded:
            return HttpError(status=500, body=CONTEXT_FULL)
        if queued is not None:
            return queued
        return _as_reply(self._reply_fn(request))

    def _refusal(self, request: dict[str, Any]) -> HttpError | None:
        """What this server says before looking at the queue: a wrong key, a format."""
        if self.api_key is not None:
            sent = request["headers"].get("authorization")
            if sent != f"Bearer {self.api_key}":
                body = {"error": {"message": "Invalid API Key", "type": "unauthorized"}}
                return HttpError(status=401, body=body)
        fmt = request["json"].get("response_format") or {"type": "text"}
        kind = fmt.get("type") if isinstance(fmt, dict) else None
        if kind not in self.formats:
            return format_refusal(str(kind), self.formats)
        if not self.tools and ("tools" in request["json"] or "tool_choice" in request["json"]):
            return HttpError(status=400, body=VLLM_NO_TOOLS)
        unanswered = unanswered_calls(request["json"].get("messages") or [])
        if unanswered:
            message = (
                "An assistant message with 'tool_calls' must be followed by tool messages "
                "responding to each 'tool_call_id'. The following tool_call_ids did not have "
                f"response messages: {', '.join(unanswered)}"
            )
            body = {"error": {"message": message, "type": "invalid_request_error"}}
            return HttpError(status=400, body=body)
        return None

    def _done(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                if self.path.rstrip("/") != "/v1/chat/completions":
                    self._send(404, {"code": "Not found", "error": f"no route {self.path}"})
                    return
                headers = {k.lower(): v for k, v in self.headers.items()}
                reply = fake._next_reply({"headers": headers, "json": body})
                try:
                    if isinstance(reply, Stall):
                        fake.stopped.wait()
                        return
                    time.sleep(reply.delay)
                    self._answer(reply, body, counter=len(fake.requests))
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout); nothing to answer
                finally:
                    fake._done()

            def _answer(
                self, reply: Completion | HttpError, body: dict[str, Any], *, counter: int
            ) -> None:
                rejected = [p for p in REJECTED_PARAMS if p in body]
                if rejected:
                    msg = f"Argument not supported on this model: {rejected[0]}"
                    self._send(400, {"code": "Client specified an invalid argument", "error": msg})
                elif isinstance(reply, HttpError):
                    default = {"code": "Fake error", "error": f"injected {reply.status}"}
                    self._send(reply.status, reply.body or default, dict(reply.headers))
                else:
                    self._send(200, _completion_json(reply, counter))

            def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                is_text = isinstance(body, str)
                data = body.encode() if is_text else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "text/plain" if is_text else "application/json")
                self.send_header("content-length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        return Handler


def _as_reply(reply: Reply | list[dict[str, Any]]) -> Reply:
    return findings(reply) if isinstance(reply, list) else reply
