"""A stateful fake of GitHub's REST API on 127.0.0.1, for driving the real PyGithub in tests.

Point `Github(base_url=fake.url, auth=Auth.Token("tok-write"), retry=None,
seconds_between_requests=None, seconds_between_writes=None)` at it. It answers in GitHub's JSON
shapes, applies GitHub's rules (tokens and permissions, review comments only on diff lines, body
limits, `Link` pagination), records every request and can answer with injected failures.

Modules: this one is the HTTP server and the public API; `github_routes` maps paths to endpoints;
`github_state`, `github_reviews`, `github_checks` hold the objects and rules; `github_diff`
knows which lines of a patch GitHub lets a comment land on.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import threading
import time
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from . import github_reviews
from .github_git import GitStore
from .github_http import RecordedRequest, Reply
from .github_routes import APP_ONLY, NO_AUTH, find_route
from .github_state import DOCS, ApiError, GitHubState, Pull, Repo

__all__ = ["FakeGitHub", "RecordedRequest", "Reply"]

NO_ACCESS = {"message": "Resource not accessible by integration", "documentation_url": DOCS}
BAD_JWT = {"message": "A JSON web token could not be decoded", "documentation_url": DOCS}
BAD_CREDENTIALS = {"message": "Bad credentials", "documentation_url": DOCS}
Files = list[dict[str, Any]] | tuple[dict[str, Any], ...]


@dataclass
class Injection:
    method: str
    pattern: re.Pattern[str]
    reply: Reply
    times: int
    apply_then_fail: bool


class FakeGitHub:
    """The fake server; use as a context manager (`with FakeGitHub() as fake:`)."""

    def __init__(self, *, bot_login: str = "grok-review[bot]") -> None:
        # token -> "write" | "read" | "write-no-checks"; installation tokens are added as "write".
        self.tokens: dict[str, str] = {
            "tok-write": "write",
            "tok-read": "read",
            "tok-nochecks": "write-no-checks",
        }
        self.requests: list[RecordedRequest] = []
        self.jwt_claims: list[dict[str, Any]] = []  # claims of every App JWT received
        self._injections: list[Injection] = []
        self._lock = threading.RLock()
        handler = type("BoundHandler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.state = GitHubState(self.url, bot_login)
        self.git = GitStore()  # commit trees, blobs and archives (github_git)
        self._thread: threading.Thread | None = None

    @property
    def bot_login(self) -> str:
        """The login the bot's reviews and comments are stored under."""
        return self.state.bot_login

    @bot_login.setter
    def bot_login(self, login: str) -> None:
        self.state.bot_login = login

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> FakeGitHub:
        # A short poll interval keeps shutdown(), and so each test's teardown, fast.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), name="fake-github", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- setting up state ------------------------------------------------------------------------

    def add_repo(
        self, full_name: str, *, default_branch: str = "main", installation_id: int = 1
    ) -> None:
        self.state.repos[full_name] = Repo(full_name, default_branch, installation_id)

    def add_pr(
        self,
        full_name: str,
        number: int,
        *,
        title: str = "Test change",
        body: str | None = "",
        base_sha: str = "1" * 40,
        head_sha: str = "2" * 40,
        base_ref: str | None = None,
        head_ref: str = "feature",
        draft: bool = False,
        labels: list[str] | tuple[str, ...] = (),
        author: str = "alice",
        author_type: str = "User",
        files: Files = (),
        state: str = "open",
        head_repo_full_name: str | None = None,
    ) -> None:
        """Add a PR (and its repo if new); its head and base become known commits."""
        if full_name not in self.state.repos:
            self.add_repo(full_name)
        repo = self.state.repos[full_name]
        repo.pulls[number] = Pull(
            number=number,
            title=title,
            body=body,
            base_sha=base_sha,
            head_sha=head_sha,
            base_ref=base_ref or repo.default_branch,
            head_ref=head_ref,
            draft=draft,
            labels=list(labels),
            author=author,
            author_type=author_type,
            files=copy.deepcopy(list(files)),
            state=state,
            head_repo_full_name=head_repo_full_name,
            heads_seen=[head_sha],
        )
        repo.commits.setdefault(base_sha, [])
        repo.commits.setdefault(head_sha, [base_sha])

    def set_pr_head(self, full_name: str, number: int, new_head_sha: str, files: Files) -> None:
        """A push to the PR branch: new head, new files; the old head stays a valid commit_id."""
        pull = self.state.pull(full_name, number)
        self.state.repos[full_name].commits.setdefault(new_head_sha, [pull.head_sha])
        pull.head_sha, pull.files = new_head_sha, copy.deepcopy(list(files))
        pull.heads_seen.append(new_head_sha)

    def add_file_content(self, full_name: str, ref: str, path: str, text: str | bytes) -> None:
        data = text.encode() if isinstance(text, str) else text
        self.state.repo(full_name).contents[(ref, path)] = data

    def add_commit_files(self, full_name: str, sha: str, files: dict[str, Any]) -> None:
        """The files of commit `sha` (path -> bytes or str, or (mode, bytes)): served as a
        git tree, blobs and a tarball of the commit."""
        if full_name not in self.state.repos:
            self.add_repo(full_name)
        self.state.repos[full_name].commits.setdefault(sha, [])
        self.git.add_commit(full_name, sha, files)

    def set_archive(self, full_name: str, sha: str, data: bytes) -> None:
        """Serve these bytes as the tarball of `sha` instead of one built from its files."""
        self.git.archives[(full_name, sha)] = data

    def add_compare(
        self,
        full_name: str,
        base: str,
        head: str,
        *,
        files: Files = (),
        status: str = "ahead",
        ahead_by: int = 1,
        behind_by: int = 0,
        commits: list[str] | None = None,
        merge_base: str | None = None,
    ) -> None:
        """Answer `GET /compare/{base}...{head}`; `commits` defaults to [head]."""
        repo = self.state.repo(full_name)
        for sha in (base, head, *(commits or [])):
            repo.commits.setdefault(sha, [])
        repo.compares[(base, head)] = {
            "files": copy.deepcopy(list(files)),
            "status": status,
            "ahead_by": ahead_by,
            "behind_by": behind_by,
            "commits": commits if commits is not None else [head],
            "merge_base": merge_base or base,
        }

    def add_commit(
        self, full_name: str, sha: str, *, parents: list[str] | tuple[str, ...] = ()
    ) -> None:
        self.state.repo(full_name).commits[sha] = list(parents)

    def add_issue_comment(
        self,
        full_name: str,
        number: int,
        body: str,
        *,
        author: str = "bob",
        author_type: str = "User",
        author_association: str = "CONTRIBUTOR",
    ) -> dict[str, Any]:
        user = self.state.user_json(author, author_type)
        comment = self.state.add_issue_comment(full_name, number, body, user, author_association)
        return copy.deepcopy(comment)

    def add_review(
        self,
        full_name: str,
        number: int,
        *,
        body: str = "",
        state: str = "COMMENTED",
        commit_id: str | None = None,
        author: str | None = None,
        author_type: str = "User",
        comments: Files = (),
    ) -> dict[str, Any]:
        """Seed a review (by `author`, else by the bot) with its comments; no diff checks."""
        st = self.state
        user = st.bot_json() if author is None else st.user_json(author, author_type)
        commit = commit_id or st.pull(full_name, number).head_sha
        review = github_reviews.store_review(
            st, full_name, number, body=body, status=state, commit_id=commit, user=user
        )
        for comment in comments:
            github_reviews.store_review_comment(st, full_name, number, review, comment)
        return copy.deepcopy(review)

    def inject(
        self,
        method: str,
        path_regex: str,
        status: int,
        body: Any = None,
        headers: dict[str, str] | None = None,
        times: int = 1,
        *,
        apply_then_fail: bool = False,
        delay_s: float = 0.0,
    ) -> None:
        """The next `times` requests matching (`re.search` on the path) get this answer instead.

        With apply_then_fail the request is carried out first (e.g. the review is stored), then
        answered with `status`: a write whose response was lost. `delay_s` holds the answer
        back that long (a client timeout).
        """
        body = body if body is not None else {"message": HTTPStatus(status).phrase}
        reply = Reply(status, body, dict(headers or {}), delay_s=delay_s)
        pattern = re.compile(path_regex)
        self._injections.append(Injection(method.upper(), pattern, reply, times, apply_then_fail))

    # -- reading state back ----------------------------------------------------------------------

    def reviews(self, full_name: str, number: int) -> list[dict[str, Any]]:
        return copy.deepcopy(self.state.repo(full_name).reviews.get(number, []))

    def review_comments(self, full_name: str, number: int) -> list[dict[str, Any]]:
        """Every stored review comment, pending reviews' included."""
        return copy.deepcopy(self.state.repo(full_name).review_comments.get(number, []))

    def issue_comments(self, full_name: str, number: int) -> list[dict[str, Any]]:
        return copy.deepcopy(self.state.repo(full_name).issue_comments.get(number, []))

    def check_runs(self, full_name: str) -> list[dict[str, Any]]:
        """Each run's JSON plus `annotations`: every annotation sent, across create and updates."""
        runs = self.state.repo(full_name).check_runs.values()
        return [copy.deepcopy({**r["json"], "annotations": r["annotations"]}) for r in runs]

    def calls(self, method: str, path_regex: str) -> list[RecordedRequest]:
        """Recorded requests with this method whose path matches (`re.search`)."""
        method = method.upper()
        return [r for r in self.requests if r.method == method and re.search(path_regex, r.path)]

    # -- request handling ------------------------------------------------------------------------

    def handle(self, request: RecordedRequest, raw_body: bytes) -> Reply:
        """Answer one request (injections first), and record it with the status answered."""
        with self._lock:
            try:
                request.json = json.loads(raw_body) if raw_body else None
            except ValueError:
                reply = Reply(400, {"message": "Problems parsing JSON", "documentation_url": DOCS})
            else:
                reply = self._answer(request)
            request.status = reply.status
            self.requests.append(request)
            return reply

    def _answer(self, request: RecordedRequest) -> Reply:
        injection = self._take_injection(request)
        if injection is None:
            return self._route(request)
        if injection.apply_then_fail:
            self._route(request)  # carried out, then answered as injected
        return injection.reply

    def _take_injection(self, request: RecordedRequest) -> Injection | None:
        for injection in self._injections:
            if injection.method == request.method and injection.pattern.search(request.path):
                injection.times -= 1
                if injection.times <= 0:
                    self._injections.remove(injection)
                return injection
        return None

    def _route(self, request: RecordedRequest) -> Reply:
        try:
            permission = self._authenticate(request)
            endpoint, groups = find_route(request.method, request.path)
            self._authorize(request, permission)
            return endpoint(self, request, **groups)
        except ApiError as error:
            return Reply(error.status, error.body, error.headers)

    def _authenticate(self, request: RecordedRequest) -> str:
        scheme, _, credential = request.headers.get("authorization", "").partition(" ")
        if NO_AUTH.search(request.path):
            return "download"
        if APP_ONLY.search(request.path):
            if scheme.lower() != "bearer" or not self._valid_jwt(credential):
                raise ApiError(401, dict(BAD_JWT))
            return "app"
        permission = self.tokens.get(credential) if scheme.lower() in ("token", "bearer") else None
        if permission is None:
            raise ApiError(401, dict(BAD_CREDENTIALS))
        return permission

    def _valid_jwt(self, token: str) -> bool:
        """Shape and claims only: the signature is not checked."""
        parts = token.split(".")
        try:
            claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        except (IndexError, ValueError):
            return False
        if len(parts) != 3 or not isinstance(claims, dict) or "iss" not in claims:
            return False
        self.jwt_claims.append(claims)
        # GitHub refuses an expired JWT and one that is valid for more than 10 minutes.
        expires = claims.get("exp")
        return isinstance(expires, int | float) and time.time() < expires <= time.time() + 660

    def _authorize(self, request: RecordedRequest, permission: str) -> None:
        if request.method == "GET" or permission == "app":
            return
        checks = "/check-runs" in request.path
        if permission == "read" or (permission == "write-no-checks" and checks):
            raise ApiError(403, dict(NO_ACCESS))

    def paginate(self, request: RecordedRequest, items: list[Any]) -> Reply:
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
            links.append(f'<{self.url}{request.path}?{query}>; rel="{rel}"')
        chunk = items[(page - 1) * per_page : page * per_page]
        return Reply(200, chunk, {"Link": ", ".join(links)} if links else None)


class _Handler(BaseHTTPRequestHandler):
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
