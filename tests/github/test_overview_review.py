"""The overview in a posted review: after the findings headline, a new push described alone."""

from __future__ import annotations

import json
import re
from typing import Any

from bot.github.api import GitHubClient
from bot.github.review import review_pull_request
from bot.settings import Settings
from tests.fakes.github import FakeGitHub
from tests.fakes.openai_server import Completion, FakeModel, raw
from tests.github.review.helpers import (
    HEAD,
    HEAD2,
    NUMBER,
    OFF_BY_ONE,
    README,
    REPO,
    V1,
    make_settings,
)

PUSH = [{"filename": "src/util.py", "status": "added", "patch": "@@ -0,0 +1 @@\n+x = 1"}]


def reply(request: dict[str, Any]) -> Completion:
    """Each chunk's overview names the files it was sent; app.py gets the off-by-one."""
    paths = re.findall(r"### File: (\S+)", request["json"]["messages"][-1]["content"])
    overview = {
        "summary": f"Changes {', '.join(paths)} @octocat.",
        "files": [{"path": p, "summary": f"edits {p}"} for p in paths],
        "focus": [{"path": paths[-1], "line": 2, "note": "look here"}],
    }
    found = [OFF_BY_ONE] if "src/app.py" in paths else []
    return raw(json.dumps({"findings": found, "overview": overview}))


def run(settings: Settings) -> Any:
    client = GitHubClient.from_token(settings)
    return review_pull_request(
        settings, client, repo=REPO, number=NUMBER, trigger="command", post=True
    )


def test_the_posted_review_shows_the_overview_after_the_headline(
    fake_github: FakeGitHub,
) -> None:
    with FakeModel() as model:
        model.script(reply)
        fake_github.add_pr(REPO, NUMBER, head_sha=HEAD, files=V1, title="Loop fix")
        outcome = run(make_settings(fake_github, model))
        assert len(model.requests) == 1  # one chunk: no request beyond the review's own
    assert outcome.posted
    (review,) = fake_github.reviews(REPO, NUMBER)
    body = review["body"]
    assert body.index("**Reported by severity:**") < body.index("### Overview\n")
    assert body.index("### Overview\n") < body.index("<!-- grok")
    assert "Changes README.md, src/app.py `@octocat`." in body  # defused like comment bodies
    assert "| `src/app.py` | edits src/app.py |" in body
    link = f"https://github.com/{REPO}/blob/{HEAD}/src/app.py#L2"
    assert f"[`src/app.py` line 2]({link}): look here" in body


def test_an_incremental_review_describes_the_new_push(fake_github: FakeGitHub) -> None:
    with FakeModel() as model:
        model.script(reply)
        fake_github.add_pr(REPO, NUMBER, head_sha=HEAD, files=V1, title="Loop fix")
        settings = make_settings(fake_github, model)
        assert run(settings).posted
        v2 = [*V1, *PUSH]
        assert V1[1]["patch"] == README
        fake_github.set_pr_head(REPO, NUMBER, HEAD2, v2)
        fake_github.add_compare(REPO, HEAD, HEAD2, files=PUSH, status="ahead")
        assert run(settings).posted
    body = fake_github.reviews(REPO, NUMBER)[-1]["body"]
    overview = body[body.index("### Overview of this push") :]
    assert "| `src/util.py` | edits src/util.py |" in overview
    assert "`src/app.py`" not in overview.split("<!--")[0]  # the push only
