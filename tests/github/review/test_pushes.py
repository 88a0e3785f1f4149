"""Reviews after a push: incremental without repeats, a force push in full, nothing new skipped."""

from __future__ import annotations

from tests.fakes.openai_server import last_message
from tests.github.review.helpers import (
    APP_PUSH,
    BASE,
    HALF,
    HEAD,
    HEAD2,
    HEAD3,
    NUMBER,
    OFF_BY_ONE,
    REPO,
    UTIL,
    V1,
    V2,
    review_posts,
    run,
    script,
)


def test_new_push_is_reviewed_incrementally_without_repeats(fake, model, settings):
    script(model, {"src/app.py": [OFF_BY_ONE], "src/util.py": [HALF]})
    run(settings)
    fake.set_pr_head(REPO, NUMBER, HEAD2, V2)
    push = [
        {"filename": "src/app.py", "status": "modified", "patch": APP_PUSH},
        {"filename": "src/util.py", "status": "added", "patch": UTIL},
    ]
    fake.add_compare(REPO, HEAD, HEAD2, files=push, status="ahead")
    outcome = run(settings)
    assert fake.calls("GET", rf"/compare/{HEAD}\.\.\.{HEAD2}$")
    chunk_text = last_message(model.requests[-1])
    assert "src/util.py" in chunk_text and "README.md" not in chunk_text
    second = review_posts(fake)[-1].json
    assert [c["path"] for c in second["comments"]] == ["src/util.py"]  # app.py's is not repeated
    assert f"`{HEAD[:7]}..{HEAD2[:7]}`" in second["body"]
    assert outcome.review.reviewed_range == f"{HEAD[:7]}..{HEAD2[:7]}"
    bodies = [c["body"] for c in fake.review_comments(REPO, NUMBER)]
    assert len(bodies) == len(set(bodies)) == 2


def test_force_push_gets_a_full_review_with_dedupe(fake, model, settings):
    script(model, {"src/app.py": [OFF_BY_ONE]})
    run(settings)
    fake.set_pr_head(REPO, NUMBER, HEAD3, V2)
    fake.add_compare(REPO, HEAD, HEAD3, status="diverged", behind_by=1)
    outcome = run(settings)
    chunk_text = last_message(model.requests[-1])
    assert "README.md" in chunk_text  # the whole PR again
    latest = review_posts(fake)[-1].json
    assert latest["comments"] == [] and latest["commit_id"] == HEAD3
    assert "already posted" in outcome.review.summary
    assert outcome.review.reviewed_range == f"{BASE[:7]}..{HEAD3[:7]}"


def test_push_with_nothing_reviewable_is_skipped_without_the_model(fake, model, settings):
    run(settings)
    logo = {"filename": "logo.png", "status": "added", "changes": 0}
    fake.set_pr_head(REPO, NUMBER, HEAD2, [*V1, logo])
    fake.add_compare(REPO, HEAD, HEAD2, files=[logo], status="ahead")
    outcome = run(settings)
    assert (outcome.skipped_reason, outcome.posted) == ("nothing new to review", False)
    assert len(model.requests) == 1 and len(review_posts(fake)) == 1


def test_command_on_a_reviewed_head_with_nothing_new_posts_nothing(fake, model, settings):
    script(model, {"src/app.py": [OFF_BY_ONE]})
    run(settings)
    again = run(settings, trigger="command")
    assert len(model.requests) == 2  # a person asked: reviewed again
    assert again.skipped_reason == "already reviewed" and not again.posted
    assert again.notes == (f"already reviewed {HEAD[:7]}, nothing new; nothing posted",)
    assert len(review_posts(fake)) == 1
