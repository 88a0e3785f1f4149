"""Reading feedback from the fake GitHub: who counts, what it costs, what a review does with it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.config import FeedbackConfig
from bot.github import feedback as github_feedback
from bot.github.api import GitHubClient
from bot.github.feedback import feedback_for_review, read_feedback
from bot.github.review import review_pull_request
from bot.review.feedback import Votes
from bot.settings import Settings
from tests.fakes.github import FakeGitHub
from tests.fakes.github_feedback import age_comment, set_role
from tests.fakes.openai_server import finding
from tests.github.feedback_helpers import vote
from tests.helpers.findings import bot_finding, post_bot_comment
from tests.helpers.settings import github_values, settings_for

REPO = "octo/widgets"
HEAD = "b" * 40


@pytest.fixture
def settings(fake_github: FakeGitHub) -> Settings:
    fake_github.add_repo(REPO)
    return Settings(**github_values(fake_github))


def client(settings: Settings) -> GitHubClient:
    return GitHubClient.from_token(settings)


def test_only_reactions_of_people_who_can_push_count(fake_github, settings):
    fake = fake_github
    a = post_bot_comment(fake, REPO, 1, bot_finding(fingerprint="a" * 16, title="A"))
    b = post_bot_comment(fake, REPO, 2, bot_finding(fingerprint="b" * 16, title="B"))
    c = post_bot_comment(fake, REPO, 3, bot_finding(fingerprint="c" * 16, title="C"))
    vote(fake, REPO, a, "-1", "reader", "read")
    vote(fake, REPO, a, "+1", "writer", "write")
    vote(fake, REPO, b, "-1", "maintainer", "maintain")
    vote(fake, REPO, b, "confused", "writer", None)
    vote(fake, REPO, b, "+1", "admin", "admin")
    vote(fake, REPO, c, "-1", "triager", "triage")
    vote(fake, REPO, c, "-1", "stranger", None)  # no access at all: GitHub answers 404
    vote(fake, REPO, c, "-1", "dependabot[bot]", "write")  # a bot never counts
    vote(fake, REPO, c, "heart", "writer", None)
    feedback = read_feedback(client(settings), REPO, days=90)
    votes = {x.id: x.writers for x in feedback.comments}
    assert votes == {
        a: Votes(up=1),
        b: Votes(up=1, down=1, confused=1),
        c: Votes(),
    }
    assert [k.fingerprint for k in feedback.muted] == ["b" * 16]
    # Each person's permission is asked once per run, whatever they reacted to; bots never.
    asked = [r.path.split("/")[-2] for r in fake.calls("GET", r"/collaborators/")]
    assert sorted(asked) == ["admin", "maintainer", "reader", "stranger", "triager", "writer"]


def test_a_review_reads_reactors_only_where_a_vote_against_exists(fake_github, settings):
    fake = fake_github
    liked = post_bot_comment(fake, REPO, 1, bot_finding(fingerprint="a" * 16))
    disliked = post_bot_comment(fake, REPO, 2, bot_finding(fingerprint="b" * 16))
    post_bot_comment(fake, REPO, 3, bot_finding(fingerprint="c" * 16))  # no reactions
    vote(fake, REPO, liked, "+1", "writer", "write")
    vote(fake, REPO, disliked, "-1", "writer", None)
    review = read_feedback(client(settings), REPO, days=90)
    assert [r.path for r in fake.calls("GET", r"/reactions$")] == [
        f"/repos/{REPO}/pulls/comments/{disliked}/reactions"
    ]
    assert [x.writers is not None for x in review.comments] == [False, True, False]
    stats = read_feedback(client(settings), REPO, days=90, everything=True)
    assert [x.writers for x in stats.comments] == [None, Votes(down=1), Votes(up=1)]


def test_the_listing_is_newest_first_within_the_window_and_ignores_others(fake_github, settings):
    fake = fake_github
    old = post_bot_comment(fake, REPO, 1, bot_finding(fingerprint="a" * 16))
    new = post_bot_comment(fake, REPO, 2, bot_finding(fingerprint="b" * 16))
    age_comment(fake, REPO, old, days=100)
    # A person's comment carrying our marker is not ours; neither is one without a marker.
    fake.add_review(REPO, 2, author="mallory", comments=[_comment("<!-- grok-review:fp=1 -->")])
    fake.add_review(REPO, 2, author="alice", comments=[_comment("looks fine")])
    now = datetime.now(UTC)
    feedback = read_feedback(client(settings), REPO, days=90, now=now)
    assert [x.id for x in feedback.comments] == [new]
    (listing,) = fake.calls("GET", r"/pulls/comments$")
    since = listing.query["since"]
    assert (listing.query["sort"], listing.query["direction"]) == ("created", "desc")
    assert since == github_feedback.window_start(now, 90) and since.endswith("Z")
    assert listing.query["per_page"] == "100"


def test_a_busy_repository_costs_a_bounded_number_of_requests(fake_github, settings, monkeypatch):
    fake = fake_github
    fake.add_pr(REPO, 5, files=[{"filename": "a.py", "patch": "@@ -1 +1,2 @@\n a\n+b"}])
    people = [_comment(f"comment {i}") for i in range(260)]
    fake.add_review(REPO, 5, author="alice", comments=people)
    ours = post_bot_comment(fake, REPO, 6, bot_finding())
    vote(fake, REPO, ours, "-1", "writer", "write")
    feedback = read_feedback(client(settings), REPO, days=90)
    assert [x.id for x in feedback.comments] == [ours]  # the newest, on the first page
    assert len(fake.calls("GET", r"/pulls/comments$")) == 3  # 261 comments, 100 a page
    monkeypatch.setattr(github_feedback, "MAX_COMMENT_PAGES", 2)
    before = len(fake.requests)
    capped = read_feedback(client(settings), REPO, days=90)
    listings = [r for r in fake.requests[before:] if r.path.endswith("/pulls/comments")]
    assert len(listings) == 2
    assert capped.notes == ("only the newest 200 review comments of the window were read",)


def test_reaction_and_permission_lookups_are_capped(fake_github, settings, monkeypatch):
    fake = fake_github
    monkeypatch.setattr(github_feedback, "MAX_REACTION_LOOKUPS", 2)
    monkeypatch.setattr(github_feedback, "MAX_PEOPLE", 1)
    for n in range(1, 5):
        cid = post_bot_comment(fake, REPO, n, bot_finding(fingerprint=f"{n:016x}"))
        vote(fake, REPO, cid, "-1", f"writer{n}", "write")
    feedback = read_feedback(client(settings), REPO, days=90)
    assert len(fake.calls("GET", r"/reactions$")) == 2
    assert len(fake.calls("GET", r"/collaborators/")) == 1
    assert feedback.notes == (
        "reactions read on the newest 2 comments that have any",
        "permissions looked up for 1 people only",
    )
    assert [k.fingerprint for k in feedback.muted] == [f"{4:016x}"]


def test_disabled_or_unreadable_feedback_leaves_the_review_alone(fake_github, settings):
    fake = fake_github
    off = feedback_for_review(client(settings), REPO, FeedbackConfig(enabled=False))
    assert (off.read, off.muted) == (False, ())
    assert not fake.calls("GET", r"/pulls/comments$")
    fake.inject("GET", r"/pulls/comments$", 403)
    refused = feedback_for_review(client(settings), REPO, FeedbackConfig())
    assert not refused.read and refused.note is not None
    assert refused.note.startswith("earlier feedback not read: the token cannot read")


# --- a review with feedback, end to end --------------------------------------------------------


def _big_file(name: str, lines: int) -> dict[str, Any]:
    added = "".join(
        f"+value_{i} = compute_something_long({i}, name='{name}')\n" for i in range(lines)
    )
    return {"filename": name, "status": "added", "patch": f"@@ -0,0 +1,{lines} @@\n{added}"}


def test_a_muted_kind_is_not_posted_again_and_the_model_is_told(fake_github, model):
    fake = fake_github
    earlier = post_bot_comment(fake, REPO, 1, bot_finding(path="src/a.py", title="Off-by-one"))
    vote(fake, REPO, earlier, "-1", "maintainer", "maintain")
    files = [_big_file("src/a.py", 120), _big_file("src/b.py", 120)]
    fake.add_pr(REPO, 7, base_sha="a" * 40, head_sha=HEAD, files=files)
    settings = settings_for(fake, model, context_tokens=8_000, max_output_tokens=512)
    like_it = finding(path="src/a.py", line=3, title="Possible off-by-one", code="value_2 = ")
    other = finding(path="src/b.py", line=3, title="Shadowed name", code="value_2 = ")

    def reply(request: dict[str, Any]) -> list[dict[str, Any]]:
        text = request["json"]["messages"][-1]["content"]
        return [f for f in (like_it, other) if f["path"] in text]

    model.script(reply)
    outcome = review_pull_request(
        settings, client(settings), repo=REPO, number=7, trigger="auto", post=True
    )
    assert outcome.posted and outcome.review is not None
    assert len(model.requests) == 2  # two chunks
    assert [c.title for c in outcome.review.comments] == ["Shadowed name"]
    assert "Left out: 1 muted by earlier feedback." in outcome.review.summary
    (posted,) = fake.reviews(REPO, 7)
    assert "1 muted by earlier feedback" in posted["body"]
    # Both chunks carry the same prefix, naming the muted kind among the instructions.
    prefixes = [r["json"]["messages"][:2] for r in model.requests]
    assert prefixes[0] == prefixes[1]
    assert "- bug in `src/a.py`: Off-by-one" in prefixes[0][1]["content"]
    assert "<repository_unwanted_findings>" in prefixes[0][1]["content"]


def test_a_read_only_vote_mutes_nothing(fake_github, model):
    fake = fake_github
    earlier = post_bot_comment(fake, REPO, 1, bot_finding())
    vote(fake, REPO, earlier, "-1", "reader", "read")
    set_role(fake, REPO, "writer", "write")
    fake.add_pr(REPO, 7, head_sha=HEAD, files=[_big_file("src/app.py", 3)])
    settings = settings_for(fake, model)
    model.script(lambda request: [finding(path="src/app.py", line=2, code="value_1 = ")])
    outcome = review_pull_request(
        settings, client(settings), repo=REPO, number=7, trigger="auto", post=False
    )
    assert outcome.review is not None and len(outcome.review.comments) == 1
    assert "unwanted" not in model.requests[0]["json"]["messages"][1]["content"]


def _comment(body: str) -> dict[str, Any]:
    return {"path": "a.py", "line": 2, "body": body}


def test_feedback_disabled_on_the_base_branch_reads_nothing_and_mutes_nothing(fake_github, model):
    fake = fake_github
    earlier = post_bot_comment(fake, REPO, 1, bot_finding())
    vote(fake, REPO, earlier, "-1", "writer", "write")
    fake.add_pr(REPO, 7, base_sha="a" * 40, head_sha=HEAD, files=[_big_file("src/app.py", 3)])
    fake.add_file_content(REPO, "a" * 40, ".github/grok-review.yml", "feedback: {enabled: false}")
    settings = settings_for(fake, model)
    model.script(lambda request: [finding(path="src/app.py", line=2, code="value_1 = ")])
    outcome = review_pull_request(
        settings, client(settings), repo=REPO, number=7, trigger="auto", post=False
    )
    assert outcome.review is not None and len(outcome.review.comments) == 1
    assert not fake.calls("GET", r"/pulls/comments$") and outcome.notes == ()
