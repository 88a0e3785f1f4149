"""The feedback rules on plain data: what mutes a comment, what the prompt names, the figures."""

from __future__ import annotations

from typing import Any

from bot.models import MutedKind
from bot.review.feedback import (
    BotComment,
    Votes,
    build_stats,
    can_write,
    contains_lines,
    for_prompt,
    is_muted,
    muted_kinds,
)


def comment(cid: int, **kw: Any) -> BotComment:
    base: dict[str, Any] = {
        "id": cid,
        "fingerprint": f"fp{cid}",
        "path": "src/app.py",
        "created_at": f"2026-11-{cid:02d}T10:00:00Z",
        "severity": "major",
        "category": "bug",
        "title": f"Problem {cid}",
    }
    return BotComment(**{**base, **kw})


def kind(fp: str, *, path: str = "a.py", title: str = "Loop bound", when: str = "") -> MutedKind:
    return MutedKind(fingerprint=fp, path=path, category="bug", title=title, created_at=when)


def test_writers_who_react_down_or_confused_more_than_up_mute_a_comment() -> None:
    assert is_muted(comment(1, writers=Votes(down=1)))
    assert is_muted(comment(1, writers=Votes(confused=1)))
    assert is_muted(comment(1, writers=Votes(up=1, down=1, confused=1)))
    assert not is_muted(comment(1, writers=Votes(up=1, down=1)))  # a tie keeps it
    assert not is_muted(comment(1, writers=Votes()))
    # Everyone's counts never mute: only writers' votes were read (None = not looked up).
    assert not is_muted(comment(1, everyone=Votes(down=9), writers=None))


def test_only_admin_maintain_and_write_can_write() -> None:
    assert [
        p for p in ("admin", "maintain", "write", "triage", "read", "none", None) if can_write(p)
    ] == [
        "admin",
        "maintain",
        "write",
    ]


def test_muted_kinds_are_newest_first_and_one_per_fingerprint() -> None:
    comments = [
        comment(1, writers=Votes(down=1)),
        comment(3, writers=Votes(down=1), fingerprint="fp1"),  # the same finding posted again
        comment(2, writers=Votes(up=2, down=1)),  # not muted
        comment(4, writers=Votes(down=1), title="Newest"),
    ]
    kinds = muted_kinds(comments)
    assert [(k.fingerprint, k.title) for k in kinds] == [("fp4", "Newest"), ("fp1", "Problem 3")]
    assert kinds[0].created_at == "2026-11-04T10:00:00Z"


def test_the_prompt_names_the_newest_kinds_once_each_up_to_the_limit() -> None:
    kinds = [
        kind("a", title="Off-by-one in the loop!", when="2026-11-01"),
        kind("b", title="off by one in the loop", when="2026-11-03"),  # same kind, newer
        kind("c", title="Unused import", when="2026-11-02"),
        kind("d", path="b.py", title="Unused import", when="2026-11-04"),  # another file
    ]
    named = for_prompt(kinds, limit=2)
    assert [k.fingerprint for k in named] == ["d", "b"]
    assert [k.fingerprint for k in for_prompt(kinds)] == ["d", "b", "c"]
    # The order never depends on the input order: the prefix stays byte-identical.
    assert for_prompt(list(reversed(kinds))) == for_prompt(kinds)


def test_contains_lines_finds_a_suggestion_among_added_lines() -> None:
    added = ["def f(xs):", "    for i in range(len(xs)):  ", "        print(xs[i])", "x = 1"]
    assert contains_lines(added, ["    for i in range(len(xs)):", "        print(xs[i])"])
    assert not contains_lines(added, ["        print(xs[i])", "    for i in range(len(xs)):"])
    assert not contains_lines(added, ["x = 2"])
    assert not contains_lines(added, [""])  # a deletion cannot be told apart


def test_stats_on_a_known_set() -> None:
    comments = [
        comment(
            1,
            review_id=10,
            pull_number=1,
            writers=Votes(up=2),
            suggestion="x = 1",
            outdated=True,
        ),
        comment(2, review_id=10, pull_number=1, category="security", severity="critical"),
        comment(
            3,
            review_id=11,
            pull_number=2,
            writers=Votes(down=1, confused=1),
            everyone=Votes(down=3, confused=1),
            suggestion="y = 2",
        ),
        comment(4, review_id=12, pull_number=2, everyone=Votes(up=1), outdated=True),
        comment(5, review_id=12, pull_number=2, category=None, severity=None),
    ]
    stats = build_stats(comments, repo="octo/widgets", days=30, applied={1, 2}, github_requests=7)
    data = stats.model_dump(mode="json")
    assert {k: data[k] for k in ("repo", "days", "reviews", "comments")} == {
        "repo": "octo/widgets",
        "days": 30,
        "reviews": 3,
        "comments": 5,
    }
    assert (data["thumbs_up"], data["thumbs_down"], data["confused"]) == (2, 1, 1)
    assert data["by_category"] == {
        "bug": {"comments": 3, "thumbs_up": 2, "thumbs_down": 1, "confused": 1, "addressed": 2},
        "security": {
            "comments": 1,
            "thumbs_up": 0,
            "thumbs_down": 0,
            "confused": 0,
            "addressed": 0,
        },
        "unknown": {"comments": 1, "thumbs_up": 0, "thumbs_down": 0, "confused": 0, "addressed": 0},
    }
    assert list(data["by_severity"]) == ["critical", "major", "unknown"]
    assert data["by_severity"]["major"]["comments"] == 3
    assert data["muted"] == ["fp3"]
    assert (data["pull_requests"], data["addressed"]) == (2, 2)
    # Comment 2 has no suggestion: only suggestions count as applied.
    assert (data["suggestions"], data["suggestions_applied"]) == (2, 1)
    assert data["reactions_unread"] == 1  # comment 4: a 👍 whose author was not looked up
    assert data["github_requests"] == 7
    unchecked = build_stats(comments, repo="octo/widgets", days=30)
    assert unchecked.suggestions_applied is None
