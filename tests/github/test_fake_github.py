"""The fake GitHub behaves like GitHub for the real PyGithub client."""

from __future__ import annotations

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from github import Auth, BadCredentialsException, Github, GithubException, GithubIntegration
from github.GithubException import RateLimitExceededException, UnknownObjectException

from tests.fakes.github import FakeGitHub
from tests.fakes.github_diff import parse_hunks

REPO, NUMBER = "o/r", 7
BASE, HEAD = "b" * 40, "c" * 40
# Hunk 1: RIGHT 1-4 (2 added), LEFT 1-3. Hunk 2: RIGHT 21-23, LEFT 20-23 (21 removed).
PATCH = (
    "@@ -1,3 +1,4 @@\n line1\n+added2\n line2\n line3\n"
    "@@ -20,4 +21,3 @@\n ctx20\n-removed21\n ctx22\n ctx23"
)
FILES = [
    {
        "filename": "src/app.py",
        "status": "modified",
        "additions": 1,
        "deletions": 1,
        "changes": 2,
        "patch": PATCH,
    },
    {"filename": "logo.png", "status": "added", "additions": 0, "deletions": 0, "changes": 0},
]


@pytest.fixture
def fake(fake_github: FakeGitHub) -> FakeGitHub:
    fake_github.add_repo(REPO)
    fake_github.add_pr(REPO, NUMBER, title="Add thing", base_sha=BASE, head_sha=HEAD, files=FILES)
    return fake_github


def client(fake: FakeGitHub, token: str | None = "tok-write") -> Github:
    auth = Auth.Token(token) if token else None
    return Github(
        base_url=fake.url,
        auth=auth,
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )


def post_review(
    fake: FakeGitHub, comments: list[dict], *, event: str | None = "COMMENT", body: str = "Review"
):
    repo = client(fake).get_repo(REPO)
    kwargs = {"event": event} if event else {}
    return repo.get_pull(NUMBER).create_review(
        commit=repo.get_commit(HEAD), body=body, comments=comments, **kwargs
    )


def test_hunk_parser_numbers_lines_like_github():
    first, second = parse_hunks(PATCH)
    assert (first.right, first.left) == ({1, 2, 3, 4}, {1, 2, 3})
    assert (second.right, second.left) == ({21, 22, 23}, {20, 21, 22, 23})


def test_pull_request_and_files_across_three_pages(fake):
    files = [
        {"filename": f"f{i:02}.py", "status": "added", "patch": "@@ -0,0 +1 @@\n+x"}
        for i in range(65)
    ]
    fake.add_pr(REPO, 8, head_sha="d" * 40, base_sha=BASE, files=files, draft=True, labels=["wip"])
    pr = client(fake).get_repo(REPO).get_pull(8)
    assert (pr.number, pr.head.sha, pr.base.sha, pr.draft, pr.user.login) == (
        8,
        "d" * 40,
        BASE,
        True,
        "alice",
    )
    assert [label.name for label in pr.labels] == ["wip"]
    got = list(pr.get_files())
    assert [f.filename for f in got] == [f"f{i:02}.py" for i in range(65)]
    assert got[0].additions == 1 and got[0].patch == "@@ -0,0 +1 @@\n+x"
    pages = fake.calls("GET", r"/pulls/8/files$")
    assert [r.query.get("page", "1") for r in pages] == ["1", "2", "3"]


def test_files_link_header_and_3000_cap(fake):
    fake.add_pr(REPO, 9, files=[{"filename": f"{i}.txt", "status": "added"} for i in range(3005)])
    url = f"{fake.url}/repos/{REPO}/pulls/9/files"
    headers = {"Authorization": "token tok-write"}
    first = httpx.get(url, params={"per_page": 100}, headers=headers)
    assert (
        'page=2>; rel="next"' in first.headers["link"]
        and 'page=30>; rel="last"' in first.headers["link"]
    )
    last = httpx.get(url, params={"per_page": 100, "page": 30}, headers=headers)
    assert len(last.json()) == 100 and 'rel="next"' not in last.headers["link"]
    assert httpx.get(url, params={"per_page": 100, "page": 31}, headers=headers).json() == []


def test_diff_media_type_and_406_when_too_large(fake):
    headers = {"Authorization": "token tok-write", "Accept": "application/vnd.github.diff"}
    diff = httpx.get(f"{fake.url}/repos/{REPO}/pulls/{NUMBER}", headers=headers)
    assert diff.status_code == 200
    assert diff.text.startswith("diff --git a/src/app.py b/src/app.py\n")
    assert "+added2\n" in diff.text and "Binary files /dev/null and b/logo.png differ" in diff.text
    fake.add_pr(REPO, 10, files=[{"filename": f"{i}.txt", "status": "added"} for i in range(301)])
    too_big = httpx.get(f"{fake.url}/repos/{REPO}/pulls/10", headers=headers)
    assert too_big.status_code == 406
    assert too_big.json()["errors"][0]["code"] == "too_large"
    long_patch = "@@ -0,0 +1,20001 @@\n" + "+x\n" * 20001
    fake.add_pr(REPO, 11, files=[{"filename": "big.txt", "status": "added", "patch": long_patch}])
    too_long = httpx.get(f"{fake.url}/repos/{REPO}/pulls/11", headers=headers)
    assert too_long.status_code == 406 and "lines (20000)" in too_long.json()["message"]


def test_valid_review_with_comments_is_stored(fake):
    comments = [
        {"path": "src/app.py", "body": "added line", "line": 2, "side": "RIGHT"},
        {"path": "src/app.py", "body": "removed line", "line": 21, "side": "LEFT"},
        {
            "path": "src/app.py",
            "body": "range",
            "start_line": 21,
            "line": 23,
            "side": "RIGHT",
            "start_side": "RIGHT",
        },
    ]
    review = post_review(fake, comments)
    assert (review.state, review.user.login, review.commit_id) == (
        "COMMENTED",
        "grok-review[bot]",
        HEAD,
    )
    pr = client(fake).get_repo(REPO).get_pull(NUMBER)
    assert [r.id for r in pr.get_reviews()] == [review.id]
    listed = list(pr.get_review_comments())
    assert [(c.line, c.side, c.start_line) for c in listed] == [
        (2, "RIGHT", None),
        (21, "LEFT", None),
        (23, "RIGHT", 21),
    ]
    assert {c["pull_request_review_id"] for c in fake.review_comments(REPO, NUMBER)} == {review.id}
    assert fake.reviews(REPO, NUMBER)[0]["user"]["type"] == "Bot"


@pytest.mark.parametrize(
    ("comment", "error"),
    [
        (
            {"path": "src/app.py", "line": 10, "side": "RIGHT"},
            "Pull request review thread line must be part of the diff",
        ),
        (
            {"path": "src/app.py", "line": 4, "side": "LEFT"},
            "Pull request review thread line must be part of the diff",
        ),
        (
            {"path": "logo.png", "line": 1},
            "Pull request review thread line must be part of the diff",
        ),
        ({"path": "nope.py", "line": 2}, "Line could not be resolved"),
        (
            {"path": "src/app.py", "start_line": 3, "line": 22, "side": "RIGHT"},
            "Pull request review thread start line must be part of the same hunk as the line.",
        ),
    ],
)
def test_invalid_comment_fails_whole_review_and_stores_nothing(fake, comment, error):
    good = {"path": "src/app.py", "body": "fine", "line": 2}
    with pytest.raises(GithubException) as caught:
        post_review(fake, [good, {**comment, "body": "x"}])
    assert caught.value.status == 422
    assert caught.value.data["message"] == "Unprocessable Entity"
    assert caught.value.data["errors"] == [error]
    assert fake.reviews(REPO, NUMBER) == [] and fake.review_comments(REPO, NUMBER) == []


def test_review_body_limit_and_unknown_commit(fake):
    with pytest.raises(GithubException) as caught:
        post_review(fake, [], body="x" * 65537)
    assert caught.value.data["errors"] == ["Body is too long (maximum is 65536 characters)"]
    requester = client(fake).requester
    with pytest.raises(GithubException) as caught:
        requester.requestJsonAndCheck(
            "POST", f"/repos/{REPO}/pulls/{NUMBER}/reviews", input={"commit_id": "e" * 40}
        )
    assert (
        caught.value.status == 422 and "No commit found for SHA" in caught.value.data["errors"][0]
    )
    assert fake.reviews(REPO, NUMBER) == []


def test_old_head_stays_valid_after_push_and_lines_follow_new_diff(fake):
    fake.set_pr_head(
        REPO,
        NUMBER,
        "f" * 40,
        [{"filename": "src/app.py", "status": "modified", "patch": "@@ -5,1 +5,2 @@\n x\n+y"}],
    )
    assert post_review(fake, [{"path": "src/app.py", "body": "b", "line": 6}]).commit_id == HEAD
    with pytest.raises(GithubException):
        post_review(fake, [{"path": "src/app.py", "body": "b", "line": 2}])


def test_pending_review_blocks_another_and_dismissal_rules(fake):
    pending = post_review(fake, [], event=None)
    assert pending.state == "PENDING"
    with pytest.raises(GithubException) as caught:
        post_review(fake, [])
    assert caught.value.data["errors"] == ["User can only have one pending review per pull request"]
    client(fake).requester.requestJsonAndCheck(
        "DELETE", f"/repos/{REPO}/pulls/{NUMBER}/reviews/{pending.id}"
    )
    changes = post_review(fake, [], event="REQUEST_CHANGES", body="Please fix")
    changes.dismiss("outdated")
    assert fake.reviews(REPO, NUMBER)[0]["state"] == "DISMISSED"
    commented = post_review(fake, [])
    with pytest.raises(GithubException) as caught:
        commented.dismiss("no")
    assert caught.value.data["errors"] == ["Can not dismiss a commented pull request review"]


def test_read_token_gets_403_on_writes_and_no_token_401(fake):
    pr = client(fake, "tok-read").get_repo(REPO).get_pull(NUMBER)
    with pytest.raises(GithubException) as caught:
        pr.create_issue_comment("hi")
    assert caught.value.status == 403
    assert caught.value.data["message"] == "Resource not accessible by integration"
    with pytest.raises(BadCredentialsException):
        client(fake, None).get_repo(REPO)
    with pytest.raises(BadCredentialsException):
        client(fake, "tok-unknown").get_repo(REPO)
    assert fake.issue_comments(REPO, NUMBER) == []


def test_injected_secondary_rate_limit_then_success(fake):
    fake.inject(
        "POST",
        r"/issues/\d+/comments$",
        403,
        {"message": "You have exceeded a secondary rate limit"},
        {"retry-after": "1"},
    )
    pr = client(fake).get_repo(REPO).get_pull(NUMBER)
    with pytest.raises(RateLimitExceededException) as caught:
        pr.create_issue_comment("first")
    assert caught.value.headers["retry-after"] == "1"
    pr.create_issue_comment("second")
    assert [c["body"] for c in fake.issue_comments(REPO, NUMBER)] == ["second"]
    assert [r.status for r in fake.calls("POST", r"/comments$")] == [403, 201]


def test_apply_then_fail_stores_one_review_and_answers_500(fake):
    fake.inject("POST", r"/pulls/\d+/reviews$", 500, apply_then_fail=True)
    with pytest.raises(GithubException) as caught:
        post_review(fake, [{"path": "src/app.py", "body": "b", "line": 2}])
    assert caught.value.status == 500
    assert len(fake.reviews(REPO, NUMBER)) == 1 and len(fake.review_comments(REPO, NUMBER)) == 1
    assert client(fake).get_repo(REPO).get_pull(NUMBER).get_reviews().totalCount == 1


def test_issue_comments_seeded_created_and_edited(fake):
    fake.add_issue_comment(
        REPO, NUMBER, "/grok review", author="maintainer", author_association="OWNER"
    )
    pr = client(fake).get_repo(REPO).get_pull(NUMBER)
    mine = pr.create_issue_comment("<!-- grok-review:summary -->\nold")
    mine.edit("<!-- grok-review:summary -->\nnew")
    listed = [(c.user.login, c.body) for c in pr.get_issue_comments()]
    assert listed == [
        ("maintainer", "/grok review"),
        ("grok-review[bot]", "<!-- grok-review:summary -->\nnew"),
    ]


def test_check_run_create_and_patch(fake):
    repo = client(fake).get_repo(REPO)
    note = {
        "path": "src/app.py",
        "start_line": 2,
        "end_line": 2,
        "annotation_level": "warning",
        "message": "m",
    }
    run = repo.create_check_run(
        name="grok-review",
        head_sha=HEAD,
        status="in_progress",
        output={"title": "t", "summary": "s", "annotations": [note]},
    )
    run.edit(conclusion="neutral", output={"title": "t", "summary": "done", "annotations": [note]})
    (stored,) = fake.check_runs(REPO)
    assert (stored["status"], stored["conclusion"], stored["output"]["summary"]) == (
        "completed",
        "neutral",
        "done",
    )
    assert len(stored["annotations"]) == 2
    with pytest.raises(GithubException) as caught:
        run.edit(output={"title": "t", "summary": "s", "annotations": [note] * 51})
    assert caught.value.status == 422
    with pytest.raises(GithubException) as caught:
        client(fake, "tok-nochecks").get_repo(REPO).create_check_run(name="x", head_sha=HEAD)
    assert caught.value.status == 403


def test_contents_at_ref(fake):
    fake.add_file_content(REPO, HEAD, "src/app.py", "print('hé')\n")
    repo = client(fake).get_repo(REPO)
    assert repo.get_contents("src/app.py", ref=HEAD).decoded_content == "print('hé')\n".encode()
    with pytest.raises(UnknownObjectException):
        repo.get_contents("src/app.py", ref=BASE)


def test_compare_and_commit(fake):
    fake.add_compare(
        REPO, HEAD, "f" * 40, files=FILES[:1], status="diverged", ahead_by=2, behind_by=1
    )
    fake.add_commit(REPO, "f" * 40, parents=[HEAD])
    repo = client(fake).get_repo(REPO)
    comparison = repo.compare(HEAD, "f" * 40)
    assert (comparison.status, comparison.ahead_by, comparison.behind_by) == ("diverged", 2, 1)
    assert [f.filename for f in comparison.files] == ["src/app.py"]
    assert [p.sha for p in repo.get_commit("f" * 40).parents] == [HEAD]
    with pytest.raises(UnknownObjectException):
        repo.compare(BASE, "f" * 40).status


def test_app_installation_token_flow(fake):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    integration = GithubIntegration(
        auth=Auth.AppAuth(123, pem.decode()),
        base_url=fake.url,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )
    assert integration.get_repo_installation("o", "r").id == 1
    gh = integration.get_github_for_installation(1)
    gh.get_repo(REPO).get_pull(NUMBER).create_issue_comment("from the app")
    assert fake.tokens["ghs_inst_1"] == "write"
    assert fake.calls("POST", r"/comments$")[0].headers["authorization"] == "token ghs_inst_1"
    assert fake.jwt_claims[0]["iss"] == "123"
    with pytest.raises(GithubException) as caught:
        client(fake).requester.requestJsonAndCheck("POST", "/app/installations/1/access_tokens")
    assert caught.value.status == 401


# --- git data: trees, blobs, archives ---------------------------------------------------


def test_git_tree_blob_and_archive_link_parse_in_pygithub(fake):
    fake.add_commit_files(REPO, HEAD, {"src/app.py": "x = 1\n", "run": ("100755", b"#!")})
    repo = client(fake).get_repo(REPO)
    tree = repo.get_git_tree(HEAD, recursive=True)
    assert not tree.raw_data["truncated"]
    entries = {e.path: (e.type, e.mode, e.size) for e in tree.tree}
    assert entries == {
        "run": ("blob", "100755", 2),
        "src": ("tree", "040000", None),
        "src/app.py": ("blob", "100644", 6),
    }
    blob = repo.get_git_blob(next(e.sha for e in tree.tree if e.path == "src/app.py"))
    assert (blob.encoding, blob.size) == ("base64", 6)
    link = repo.get_archive_link("tarball", HEAD)
    assert link.startswith(f"{fake.url}/codeload/{REPO}/legacy.tar.gz/{HEAD}?token=")
    assert httpx.get(link).headers["content-type"] == "application/x-gzip"
    assert httpx.get(link.split("?")[0]).status_code == 404  # the token is the credential
    with pytest.raises(UnknownObjectException):
        repo.get_archive_link("tarball", "f" * 40)
