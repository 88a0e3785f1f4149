"""The webhook App's reviewer: posting and its cost, failures, notices, clients per installation."""

from __future__ import annotations

from bot.app import reviewer as app_reviewer
from bot.app.jobs import ReviewJob
from bot.app.reviewer import AppReviewer
from bot.github.api import GitHubClient
from tests.fakes.jobs import FakeJobContext
from tests.fakes.openai_server import FakeModel
from tests.github.review.helpers import (
    BASE,
    HEAD,
    HEAD2,
    NUMBER,
    OFF_BY_ONE,
    REPO,
    V1,
    make_settings,
    script,
)


def test_app_reviewer_posts_and_reports_cost(fake, model, settings):
    script(model, {"src/app.py": [OFF_BY_ONE]})
    reviewer = AppReviewer(settings, client_for=lambda iid: GitHubClient.from_token(settings))
    job = ReviewJob("delivery-1", 1, REPO, NUMBER, HEAD, "auto")
    ctx = FakeJobContext()
    result = reviewer.review(job, ctx)
    assert result.status == "posted"
    assert result.review_url == fake.reviews(REPO, NUMBER)[0]["html_url"]
    assert result.prompt_tokens > 0 and ctx.beats >= 2
    assert "<!-- grok-review:run=delivery-1 -->" in fake.reviews(REPO, NUMBER)[0]["body"]
    redelivered = reviewer.review(job, FakeJobContext())
    assert (redelivered.status, redelivered.detail) == ("skipped", "already reviewed")
    stale = reviewer.review(
        ReviewJob("delivery-2", 1, REPO, NUMBER, HEAD2, "auto"), FakeJobContext()
    )
    assert stale.status == "superseded"
    cancelled = reviewer.review(
        ReviewJob("d3", 1, REPO, NUMBER, None, "command"), FakeJobContext(cancel=True)
    )
    assert cancelled.status == "superseded"
    assert len(fake.reviews(REPO, NUMBER)) == 1


def test_app_reviewer_remembers_how_the_model_server_takes_json_across_jobs(fake):
    fake.add_pr(REPO, NUMBER + 1, base_sha=BASE, head_sha=HEAD2, files=V1, title="Other")
    with FakeModel(formats=("json_object", "text")) as model:  # like llama-cpp-python
        settings = make_settings(fake, model)
        reviewer = AppReviewer(settings, client_for=lambda iid: GitHubClient.from_token(settings))
        first = reviewer.review(ReviewJob("d1", 1, REPO, NUMBER, HEAD, "auto"), FakeJobContext())
        sent = len(model.requests)
        second = reviewer.review(
            ReviewJob("d2", 1, REPO, NUMBER + 1, HEAD2, "auto"), FakeJobContext()
        )
    assert (first.status, second.status) == ("posted", "posted")
    kinds = [r["json"]["response_format"]["type"] for r in model.requests]
    assert kinds[0] == "json_schema" and set(kinds[1:]) == {"json_object"}
    assert len(kinds) > sent  # the second job asked too, in JSON mode from the start
    for number in (NUMBER, NUMBER + 1):
        (posted,) = fake.reviews(REPO, number)
        assert "The model server takes no JSON schema" in posted["body"]


def test_app_reviewer_reports_failures_and_posts_notices(fake, model, settings):
    reviewer = AppReviewer(settings, client_for=lambda iid: GitHubClient.from_token(settings))
    missing = reviewer.review(ReviewJob("d1", 1, REPO, 404, None, "command"), FakeJobContext())
    assert missing.status == "failed" and "not found" in missing.detail
    reviewer.post_notice(ReviewJob("d2", 1, REPO, NUMBER, None, "auto"), "Budget used @alice")
    (comment,) = fake.issue_comments(REPO, NUMBER)
    assert comment["body"] == "Budget used `@alice`\n\n<!-- grok-review:notice -->"


def test_app_reviewer_caches_one_client_per_installation(settings):
    made: list[int | None] = []
    now = [0.0]

    def client_for(iid: int | None) -> GitHubClient:
        made.append(iid)
        return GitHubClient.from_token(settings)

    reviewer = AppReviewer(settings, client_for=client_for, clock=lambda: now[0])
    first = reviewer.client(1)
    assert reviewer.client(1) is first and reviewer.client(2) is not first
    now[0] += app_reviewer.INSTALLATION_CLIENT_TTL_S + 1
    assert reviewer.client(1) is not first
    assert made == [1, 2, 1]


def test_a_review_command_replayed_after_the_store_forgot_it_is_not_paid_twice(
    fake, model, settings
):
    """The store remembers a comment for 7 days; past that, a replayed `/review` body comes back
    under a new delivery id, and the review posted for that comment is what stops it."""
    script(model, {"src/app.py": [OFF_BY_ONE]})
    reviewer = AppReviewer(settings, client_for=lambda iid: GitHubClient.from_token(settings))
    first = ReviewJob("d1", 1, REPO, NUMBER, None, "command", requested_by="octocat", comment_id=7)
    assert reviewer.review(first, FakeJobContext()).status == "posted"
    sent = len(model.requests)
    again = ReviewJob("d9", 1, REPO, NUMBER, None, "command", requested_by="octocat", comment_id=7)
    replayed = reviewer.review(again, FakeJobContext())
    assert (replayed.status, replayed.detail) == ("skipped", "already reviewed")
    assert len(model.requests) == sent and len(fake.reviews(REPO, NUMBER)) == 1
    # Another comment asking for a full review is another request: the model is asked again.
    other = ReviewJob("d10", 1, REPO, NUMBER, None, "command_full", comment_id=8)
    reviewer.review(other, FakeJobContext())
    assert len(model.requests) > sent


def test_run_keys_name_the_comment_of_a_command_and_the_delivery_otherwise():
    assert ReviewJob("d1", 1, REPO, 1, None, "command_full", comment_id=5).run_key == "comment-5"
    assert ReviewJob("d1", 1, REPO, 1, "a" * 40, "auto").run_key == "d1"
    assert ReviewJob("d1", 1, REPO, 1, None, "rerun").run_key == "d1"
    assert ReviewJob("d1", 1, REPO, 1, None, "ask", comment_id=5).run_key == "d1"


def test_the_app_reacts_to_the_comment_it_works_on_and_only_to_it(fake, model, settings):
    script(model, {"src/app.py": [OFF_BY_ONE]})
    reviewer = AppReviewer(settings, client_for=lambda iid: GitHubClient.from_token(settings))
    cid = fake.add_issue_comment(REPO, NUMBER, "/review", author="octocat")["id"]
    job = ReviewJob("d1", 1, REPO, NUMBER, None, "command", requested_by="octocat", comment_id=cid)
    assert reviewer.review(job, FakeJobContext()).status == "posted"
    assert fake.issue_comment_reactions(REPO, cid) == ["eyes"]
    # A comment deleted meanwhile cannot be reacted to; the review goes on all the same.
    gone = ReviewJob("d2", 1, REPO, NUMBER, None, "command_full", comment_id=cid + 1000)
    reviewer.review(gone, FakeJobContext())
    assert len(model.requests) > 1
    reacted = fake.calls("POST", r"/issues/comments/\d+/reactions$")
    assert len(reacted) == 2  # the two commands; an automatic review reacts to nothing
