"""A stateful fake of GitHub's REST API on 127.0.0.1, for driving the real PyGithub in tests.

Point `Github(base_url=fake.url, auth=Auth.Token("tok-write"), retry=None,
seconds_between_requests=None, seconds_between_writes=None)` at it. It answers in GitHub's JSON
shapes, applies GitHub's rules (tokens and permissions, review comments only on diff lines, body
limits, `Link` pagination), records every request and can answer with injected failures.

Modules: this one is the public API (set up, inject, read back) and the server's lifecycle;
`github_http` the HTTP handler, records and pagination; `github_access` tokens, permissions and
injected failures; `github_routes` maps paths to endpoints; `github_state`, `github_reviews`,
`github_checks` hold the objects and rules; `github_diff` knows which lines of a patch GitHub
lets a comment land on.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from http import HTTPStatus
from http.server import ThreadingHTTPServer
from typing import Any

from . import github_reviews
from .github_access import Injection, authenticate, authorize, take_injection
from .github_git import GitStore
from .github_http import Handler, RecordedRequest, Reply, paginate
from .github_routes import find_route
from .github_state import DOCS, ApiError, GitHubState, Pull, Repo

__all__ = ["FakeGitHub", "RecordedRequest", "Reply"]

Files = list[dict[str, Any]] | tuple[dict[str, Any], ...]


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
        handler = type("BoundHandler", (Handler,), {"fake": self})
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

    def issue_comment_reactions(self, full_name: str, comment_id: int) -> list[str]:
        """The kinds of reaction the bot made to conversation comment `comment_id`."""
        made = self.state.repo(full_name).issue_reactions.get(comment_id, [])
        return [r["content"] for r in made]

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
        injection = take_injection(self._injections, request)
        if injection is None:
            return self._route(request)
        if injection.apply_then_fail:
            self._route(request)  # carried out, then answered as injected
        return injection.reply

    def _route(self, request: RecordedRequest) -> Reply:
        try:
            permission = authenticate(request, tokens=self.tokens, jwt_claims=self.jwt_claims)
            endpoint, groups = find_route(request.method, request.path)
            authorize(request, permission)
            return endpoint(self, request, **groups)
        except ApiError as error:
            return Reply(error.status, error.body, error.headers)

    def paginate(self, request: RecordedRequest, items: list[Any]) -> Reply:
        """One page of `items` with GitHub's `Link` header (per_page default 30, max 100)."""
        return paginate(self.url, request, items)
