"""`review-pr stats OWNER/REPO` and the dry run's muted list, against the fake GitHub."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.cli import main as cli
from bot.cli.stats import parse_repo
from bot.errors import UsageError
from tests.fakes.github import FakeGitHub
from tests.fakes.github_feedback import age_comment, make_outdated
from tests.github.feedback_helpers import vote
from tests.helpers.findings import bot_finding, post_bot_comment

REPO = "octo/widgets"
PATCH = "@@ -1,2 +1,3 @@\n import os\n+for i in range(len(xs) - 1):\n print('done')"


@pytest.fixture
def env(fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> FakeGitHub:
    for name in ("GROK_REVIEW_GITHUB_TOKEN", "GROK_REVIEW_GITHUB_API_URL", "GROK_REVIEW_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GITHUB_TOKEN", "tok-write")
    monkeypatch.setenv("GITHUB_API_URL", fake_github.url)
    monkeypatch.setenv("GROK_REVIEW_GITHUB_RETRY_BASE_S", "0")
    fake_github.add_repo(REPO)
    fake_github.add_repo("octo/stats")
    return fake_github


def known_set(fake: FakeGitHub) -> dict[str, int]:
    """Five comments of the bot on three PRs, one outside a 30-day window; their ids."""
    ids = {
        "liked": post_bot_comment(fake, REPO, 1, bot_finding(fingerprint="a" * 16, title="A")),
        "applied": post_bot_comment(
            fake,
            REPO,
            1,
            bot_finding(fingerprint="b" * 16, title="B", suggestion="for x in xs:"),
        ),
        "disliked": post_bot_comment(
            fake,
            REPO,
            2,
            bot_finding(fingerprint="c" * 16, category="style", severity="nit", title="Naming"),
        ),
        "ignored": post_bot_comment(
            fake, REPO, 2, bot_finding(fingerprint="d" * 16, suggestion="for y in ys:")
        ),
        "old": post_bot_comment(fake, REPO, 3, bot_finding(fingerprint="e" * 16)),
    }
    vote(fake, REPO, ids["liked"], "+1", "maintainer", "maintain")
    vote(fake, REPO, ids["liked"], "+1", "reader", "read")  # does not count
    vote(fake, REPO, ids["disliked"], "-1", "maintainer", None)
    vote(fake, REPO, ids["disliked"], "confused", "writer", "write")
    vote(fake, REPO, ids["disliked"], "+1", "admin", "admin")
    vote(fake, REPO, ids["old"], "-1", "maintainer", None)
    age_comment(fake, REPO, ids["old"], days=45)
    # PR 1: the suggestion was committed in a later push (it shows as outdated, and the
    # compare from the commented commit to the head adds exactly its line).
    make_outdated(fake, REPO, ids["applied"])
    fake.set_pr_head(REPO, 1, "f" * 40, [])
    patch = "@@ -1,2 +1,2 @@\n import os\n-for i in range(len(xs) - 1):\n+for x in xs:"
    fake.add_compare(REPO, "e" * 40, "f" * 40, files=[{"filename": "src/app.py", "patch": patch}])
    # PR 2: a later push changed the line of the ignored suggestion, but not to it.
    make_outdated(fake, REPO, ids["ignored"])
    fake.add_compare(REPO, "e" * 40, "e" * 40, files=[])
    return ids


def test_stats_json_on_a_known_set(env, capsys):
    known_set(env)
    code = cli.main(["stats", REPO, "--days", "30", "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert {k: out[k] for k in ("repo", "days", "reviews", "comments")} == {
        "repo": REPO,
        "days": 30,
        "reviews": 4,
        "comments": 4,
    }
    assert (out["thumbs_up"], out["thumbs_down"], out["confused"]) == (2, 1, 1)
    bucket = {"comments": 1, "thumbs_up": 1, "thumbs_down": 1, "confused": 1, "addressed": 0}
    assert out["by_category"] == {
        "bug": {"comments": 3, "thumbs_up": 1, "thumbs_down": 0, "confused": 0, "addressed": 2},
        "style": bucket,
    }
    assert out["by_severity"] == {
        "major": {"comments": 3, "thumbs_up": 1, "thumbs_down": 0, "confused": 0, "addressed": 2},
        "nit": bucket,
    }
    assert out["muted"] == ["c" * 16]
    assert (out["pull_requests"], out["addressed"]) == (2, 2)
    assert (out["suggestions"], out["suggestions_applied"]) == (2, 1)
    # The cost is what the fake saw: listing, reactions, permissions, heads and compares.
    assert out["github_requests"] == len(env.requests) > 0
    assert out["github_requests"] <= 12


def test_stats_text_on_the_same_set(env, capsys):
    known_set(env)
    assert cli.main(["stats", REPO, "--days", "30"]) == 0
    text = capsys.readouterr().out
    assert text.startswith(f"grok-review comments in {REPO}, last 30 days\n")
    assert "Reviews: 4 on 2 pull request(s); inline comments: 4" in text
    assert "Reactions of people with write access: up 2, down 1, confused 1" in text
    assert "Addressed (line changed by a later push): 2 of 4 (50%)" in text
    assert "Suggestions committed: 1 of 2 (50%)" in text
    assert "\ncategory  comments  up  down  confused  addressed\n" in text
    assert "\nstyle            1   1     1         1          0\n" in text
    assert f"Muted fingerprints:\n  {'c' * 16}" in text


def test_stats_is_a_subcommand_only_in_first_place(env, capsys, monkeypatch):
    post_bot_comment(env, "octo/stats", 3, bot_finding())
    # A repository literally named `stats` is still a repository...
    assert cli.main(["stats", "octo/stats", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["repo"] == "octo/stats"
    assert cli.main(["stats", "https://github.com/octo/stats"]) == 0
    capsys.readouterr()
    # ...and one of its pull requests is still a pull request (planned, not counted).
    assert cli.main(["octo/stats#3", "--dry-run", "--format", "json"]) == 0
    assert "chunks" in json.loads(capsys.readouterr().out)
    # `stats` elsewhere is not the subcommand; a PR reference is not a repository.
    assert cli.main(["--dry-run", "stats"]) == 2
    assert "for statistics: review-pr stats OWNER/REPO" in capsys.readouterr().err
    assert cli.main(["stats", "octo/stats#3"]) == 2
    assert "not a repository" in capsys.readouterr().err
    assert cli.main(["stats", REPO, "--days", "0"]) == 2
    with pytest.raises(SystemExit) as exc:
        cli.main(["stats"])
    assert exc.value.code == 2


def test_stats_of_a_missing_repository_is_one_line_and_exit_2(env, capsys):
    assert cli.main(["stats", "octo/nothing"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("review-pr stats: error: ") and "not found" in err
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("text", "repo"),
    [
        ("octo/widgets", "octo/widgets"),
        ("https://github.com/octo/widgets", "octo/widgets"),
        ("https://github.com/octo/widgets.git", "octo/widgets"),
        ("https://ghe.example.com/octo/widgets/", "octo/widgets"),
    ],
)
def test_parse_repo(text: str, repo: str) -> None:
    assert parse_repo(text) == repo


@pytest.mark.parametrize("text", ["octo", "octo/widgets#3", "../x", "octo/..", ""])
def test_parse_repo_refuses(text: str) -> None:
    with pytest.raises(UsageError):
        parse_repo(text)


# --- the dry run ----------------------------------------------------------------------------


def _pr_with_a_muted_kind(fake: FakeGitHub) -> str:
    earlier = post_bot_comment(fake, REPO, 1, bot_finding(fingerprint="c" * 16, title="Naming"))
    vote(fake, REPO, earlier, "-1", "maintainer", "maintain")
    files = [{"filename": "src/app.py", "status": "modified", "patch": PATCH}]
    fake.add_pr(REPO, 7, files=files)
    return "c" * 16


def test_a_pr_dry_run_lists_the_muted_kinds(env, capsys):
    fp = _pr_with_a_muted_kind(env)
    assert cli.main([f"{REPO}#7", "--dry-run", "--format", "json"]) == 0
    feedback = json.loads(capsys.readouterr().out)["feedback"]
    assert feedback == {
        "read": True,
        "days": 90,
        "muted": [{"fingerprint": fp, "path": "src/app.py", "category": "bug", "title": "Naming"}],
        "note": None,
    }
    assert cli.main([f"{REPO}#7", "--dry-run"]) == 0
    text = capsys.readouterr().out
    assert (
        f"Earlier feedback (last 90 days): 1 kind(s) of finding muted\n  {fp}  src/app.py" in text
    )


def test_a_local_dry_run_says_feedback_is_not_read(tmp_path, capsys, monkeypatch):
    diff = tmp_path / "change.diff"
    diff.write_text("--- a/x.py\n+++ b/x.py\n@@ -1 +1,2 @@\n a = 1\n+b = 2\n")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["--diff", str(diff), "--dry-run", "--format", "json"]) == 0
    feedback: dict[str, Any] = json.loads(capsys.readouterr().out)["feedback"]
    assert (feedback["read"], feedback["muted"]) == (False, [])
    assert "no GitHub access" in feedback["note"]
