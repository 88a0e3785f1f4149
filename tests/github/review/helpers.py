"""The PR the review tests review (octo/widgets#7, pushed twice), its findings, and running
a review of it."""

from __future__ import annotations

from typing import Any

from bot.github.api import GitHubClient
from bot.github.review import review_pull_request
from bot.settings import Settings
from tests.fakes.github import FakeGitHub
from tests.fakes.openai_server import FakeModel, finding, last_message
from tests.helpers.settings import settings_for

REPO, NUMBER = "octo/widgets", 7
BASE, HEAD, HEAD2, HEAD3 = "a" * 40, "b" * 40, "c" * 40, "d" * 40
APP_V1 = (
    "@@ -1,2 +1,4 @@\n import os\n+for i in range(len(xs) - 1):\n+    print(xs[i])\n print('done')"
)
# After a push: one more line; line 2 (the finding's line) is unchanged.
APP_V2 = (
    "@@ -1,2 +1,5 @@\n import os\n+for i in range(len(xs) - 1):\n+    print(xs[i])\n"
    "+log('x')\n print('done')"
)
APP_PUSH = (
    "@@ -2,3 +2,4 @@\n for i in range(len(xs) - 1):\n     print(xs[i])\n+log('x')\n print('done')"
)
UTIL = "@@ -0,0 +1,2 @@\n+def half(n):\n+    return n / 2"
README = "@@ -1 +1,2 @@\n # Widgets\n+Widgets are great."
V1 = [
    {"filename": "src/app.py", "status": "modified", "patch": APP_V1},
    {"filename": "README.md", "status": "modified", "patch": README},
]
V2 = [
    {"filename": "src/app.py", "status": "modified", "patch": APP_V2},
    {"filename": "README.md", "status": "modified", "patch": README},
    {"filename": "src/util.py", "status": "added", "patch": UTIL},
]
OFF_BY_ONE = finding(path="src/app.py", line=2)  # major bug quoting line 2
HALF = finding(
    path="src/util.py",
    line=2,
    severity="minor",
    title="Integer division expected",
    code="    return n / 2",
)
CONFIG = ".github/grok-review.yml"


def make_settings(fake: FakeGitHub, model: FakeModel, **kw: Any) -> Settings:
    return settings_for(fake, model, retry_max_s=0, **kw)


def script(model: FakeModel, by_path: dict[str, list[dict[str, Any]]]) -> None:
    """Each chunk gets the findings of the files it contains."""

    def reply(request: dict[str, Any]) -> list[dict[str, Any]]:
        text = last_message(request)
        return [f for path, items in by_path.items() if path in text for f in items]

    model.script(reply)


def run(settings: Settings, *, trigger: str = "auto", post: bool = True, **kw: Any):
    client = GitHubClient.from_token(settings)
    return review_pull_request(
        settings, client, repo=REPO, number=NUMBER, trigger=trigger, post=post, **kw
    )


def review_posts(fake: FakeGitHub) -> list[Any]:
    return fake.calls("POST", rf"/pulls/{NUMBER}/reviews$")
