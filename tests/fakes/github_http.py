"""The fake GitHub's HTTP side: request and reply records, the handler that turns a socket
request into a `RecordedRequest` and writes the `Reply`, and GitHub's `Link` pagination."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

if TYPE_CHECKING:
    from .github import FakeGitHub


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    json: Any
    status: int = 0


@dataclass
class Reply:
    status: int
    body: Any = None  # dict or list -> JSON, str -> text, bytes -> as they are
    headers: dict[str, str] | None = None
    delay_s: float = 0.0  # wait this long before answering (a slow or hung server)


def paginate(base_url: str, request: RecordedRequest, items: list[Any]) -> Reply:
    """One page of `items` with GitHub's `Link` header (per_page default 30, max 100)."""
    try:
        per_page = min(max(int(request.query.get("per_page", 30)), 1), 100)
        page = max(int(request.query.get("page", 1)), 1)
    except ValueError:
        per_page, page = 30, 1
    last = max(1, -(-len(items) // per_page))
    rels = {"prev": page - 1, "first": 1} if page > 1 else {}
    if page < last:
        rels = {"next": page + 1, "last": last, **rels}
    links = []
    for rel, number in rels.items():
        query = urlencode({**request.query, "per_page": per_page, "page": number})
        links.append(f'<{base_url}{request.path}?{query}>; rel="{rel}"')
    chunk = items[(page - 1) * per_page : page * per_page]
    return Reply(200, chunk, {"Link": ", ".join(links)} if links else None)


class Handler(BaseHTTPRequestHandler):
    """Hands every request to `fake.handle` and writes its answer with GitHub's headers."""

    fake: FakeGitHub  # bound per server in FakeGitHub.__init__

    def _serve(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        request = RecordedRequest(self.command, url.path, dict(parse_qsl(url.query)), headers, None)
        self._write(self.fake.handle(request, raw))

    def _write(self, reply: Reply) -> None:
        if reply.delay_s:
            time.sleep(reply.delay_s)
        if isinstance(reply.body, bytes):
            data, kind = reply.body, "application/octet-stream"
        elif isinstance(reply.body, str):
            data, kind = reply.body.encode(), "text/plain; charset=utf-8"
        else:
            data, kind = json.dumps(reply.body).encode(), "application/json; charset=utf-8"
        headers = {
            "Content-Type": kind,
            "X-RateLimit-Limit": "5000",
            "X-RateLimit-Remaining": "4999",
            "X-RateLimit-Reset": str(int(time.time()) + 3600),
            "X-GitHub-Request-Id": "FAKE",
            **(reply.headers or {}),
        }
        try:
            self.send_response(reply.status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a delayed reply)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the per-request log on stderr."""
