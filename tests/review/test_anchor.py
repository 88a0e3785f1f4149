"""Anchoring findings to lines GitHub accepts: every rule on small hand-made diffs."""

from __future__ import annotations

import random
import time
from typing import Any

import pytest

from bot.diff.parse import build_line_map, parse_file_patch
from bot.models import FileDiff, Finding
from bot.review.anchor import (
    anchor_findings,
    line_matches,
    normalize_path,
    quote_lines,
    restore_paths,
)

# Hunk 0: new lines 1-8 (4 and 5 added), old lines 1-7 (4 removed).
# Hunk 1: new lines 21-27 (24 added), old lines 20-26.
PATCH = "\n".join(
    [
        "@@ -1,7 +1,8 @@",
        " import os",
        " ",
        " def load(path):",
        "-    f = open(path)",
        '+    f = open(path, "rb")',
        "+    data = f.read()",
        "     return f",
        " ",
        " ",
        "@@ -20,6 +21,7 @@ def save(path, data):",
        " def save(path, data):",
        '     with open(path, "w") as f:',
        "         f.write(data)",
        "+    os.chmod(path, 0o777)",
        " ",
        " ",
        " def other():",
        "",
    ]
)
FILE = parse_file_patch("pkg/io.py", PATCH)
OTHER = parse_file_patch(
    "pkg/new_name.py",
    "@@ -1,2 +1,3 @@\n a = 1\n+b = 2\n c = 3\n",
    status="renamed",
    old_path="pkg/old_name.py",
)
FILES = (FILE, OTHER)


def finding(**kw: Any) -> Finding:
    base: dict[str, Any] = {
        "path": "pkg/io.py",
        "line": 4,
        "severity": "major",
        "category": "bug",
        "title": "t",
        "body": "b",
        "confidence": 0.9,
    }
    return Finding(**{**base, **kw})


def anchor_one(f: Finding, files: tuple[FileDiff, ...] = FILES, **kw: Any) -> Finding | None:
    anchored, unanchored = anchor_findings([f], files, **kw)
    assert len(anchored) + len(unanchored) == 1
    return anchored[0] if anchored else None


def test_fixture_is_what_the_comments_say() -> None:
    lm = build_line_map(FILE)
    assert sorted(lm.right) == [1, 2, 3, 4, 5, 6, 7, 8, 21, 22, 23, 24, 25, 26, 27]
    assert sorted(lm.left) == [1, 2, 3, 4, 5, 6, 7, 20, 21, 22, 23, 24, 25]
    assert lm.added == {4, 5, 24}


def test_valid_line_with_matching_code_is_kept() -> None:
    f = finding(line=5, code="    data = f.read()")
    assert anchor_one(f) == f


@pytest.mark.parametrize("given", ["./pkg/io.py", "a/pkg/io.py", "b/pkg/io.py", "/pkg/io.py"])
def test_path_prefixes_are_normalised(given: str) -> None:
    placed = anchor_one(finding(path=given, line=5, code="data = f.read()"))
    assert placed is not None and placed.path == "pkg/io.py"


def test_exact_path_wins_over_stripping_a_prefix() -> None:
    real = parse_file_patch("a/x.py", "@@ -1 +1 @@\n-old\n+new\n")
    placed = anchor_one(finding(path="a/x.py", line=1, code="new"), (real,))
    assert placed is not None and placed.path == "a/x.py"
    assert normalize_path("./b/x.py") == "x.py"


def test_unknown_path_is_unanchored_unchanged() -> None:
    f = finding(path="nope.py", line=4, code='f = open(path, "rb")')
    anchored, unanchored = anchor_findings([f], FILES)
    assert anchored == () and unanchored == (f,)


def test_old_path_of_a_rename_resolves_to_the_new_path() -> None:
    placed = anchor_one(finding(path="pkg/old_name.py", line=2, code="b = 2"))
    assert placed is not None and placed.path == "pkg/new_name.py"


def test_left_side_uses_old_line_numbers() -> None:
    placed = anchor_one(finding(line=4, side="LEFT", code="f = open(path)"))
    assert placed is not None and (placed.line, placed.side) == (4, "LEFT")
    # Old line 10 is between the hunks: not commentable on the LEFT side.
    assert anchor_one(finding(line=10, side="LEFT", code="")) is None
    # New line 8 exists on the RIGHT but the old file has no line 8 in the diff.
    assert anchor_one(finding(line=8, side="LEFT", code="")) is None


def test_off_by_a_few_lines_snaps_to_the_quoted_code() -> None:
    placed = anchor_one(finding(line=7, code="data = f.read()"))
    assert placed is not None and placed.line == 5
    # Line 18 is between the hunks; the quoted line 21 is 3 away: snapped.
    placed = anchor_one(finding(line=18, code="def save(path, data):"))
    assert placed is not None and placed.line == 21
    # From 17 it is 4 away: too far to be sure.
    assert anchor_one(finding(line=17, code="def save(path, data):")) is None


def test_snap_respects_max_snap() -> None:
    f = finding(line=9, code="return f")  # the quoted line is 6, three away
    assert anchor_one(f, max_snap=2) is None
    placed = anchor_one(f, max_snap=3)
    assert placed is not None and placed.line == 6


def test_valid_line_but_quote_names_a_nearby_line_moves_there() -> None:
    placed = anchor_one(finding(line=3, code='    f = open(path, "rb")'))
    assert placed is not None and placed.line == 4


def test_empty_code_on_a_valid_line_is_kept() -> None:
    placed = anchor_one(finding(line=22, code=""))
    assert placed is not None and placed.line == 22


def test_quote_matching_nothing_nearby_is_unanchored_with_the_given_line() -> None:
    f = finding(line=22, code="totally_different_code()")
    anchored, unanchored = anchor_findings([f], FILES)
    assert anchored == () and unanchored[0].line == 22


def test_invalid_line_without_code_is_unanchored() -> None:
    assert anchor_one(finding(line=15, code="")) is None
    assert anchor_one(finding(line=0, code="")) is None


def test_match_ignores_whitespace_and_trailing_ellipsis() -> None:
    assert line_matches('    f = open(path, "rb")', 'f=open(path,"rb")') == 2
    placed = anchor_one(finding(line=6, code='f = open(path, "rb"...'))
    assert placed is not None and placed.line == 4
    assert line_matches("x = 1", "x") == 0  # a short fragment proves nothing


def test_redacted_placeholder_matches_the_real_secret() -> None:
    secret = parse_file_patch(
        "cfg.py", '@@ -0,0 +1 @@\n+KEY = "AKIAABCDEFGHIJKLMNOP"\n', status="added"
    )
    placed = anchor_one(finding(path="cfg.py", line=1, code='KEY = "[REDACTED:aws]"'), (secret,))
    assert placed is not None and placed.line == 1
    assert line_matches('KEY = "other"', 'KEY="[REDACTED:aws]"x') == 0


def test_multi_line_range_in_one_hunk_is_kept() -> None:
    code = '    f = open(path, "rb")\n    data = f.read()'
    placed = anchor_one(finding(start_line=4, line=5, code=code))
    assert placed is not None and (placed.start_line, placed.line) == (4, 5)


def test_start_equal_to_line_is_dropped() -> None:
    placed = anchor_one(finding(start_line=5, line=5, code="data = f.read()"))
    assert placed is not None and placed.start_line is None and placed.line == 5


def test_reversed_range_is_swapped() -> None:
    code = '    f = open(path, "rb")\n    data = f.read()'
    placed = anchor_one(finding(start_line=5, line=4, code=code))
    assert placed is not None and (placed.start_line, placed.line) == (4, 5)


def test_range_across_hunks_keeps_only_line_and_drops_suggestion() -> None:
    f = finding(start_line=5, line=24, code="os.chmod(path, 0o777)", suggestion="    pass")
    placed = anchor_one(f)
    assert placed is not None
    assert (placed.start_line, placed.line, placed.suggestion) == (None, 24, None)


def test_range_snaps_as_a_whole() -> None:
    code = '    f = open(path, "rb")\n    data = f.read()'
    placed = anchor_one(finding(start_line=6, line=7, code=code))
    assert placed is not None and (placed.start_line, placed.line) == (4, 5)


def test_range_with_start_off_the_diff_keeps_only_line() -> None:
    placed = anchor_one(finding(start_line=19, line=21, code="def save(path, data):"))
    assert placed is not None and (placed.start_line, placed.line) == (None, 21)


def test_suggestion_kept_on_right_added_line() -> None:
    f = finding(line=24, code="os.chmod(path, 0o777)", suggestion="    os.chmod(path, 0o600)")
    placed = anchor_one(f)
    assert placed is not None and placed.suggestion == "    os.chmod(path, 0o600)"


def test_suggestion_over_context_lines_of_one_hunk_is_kept() -> None:
    code = '    with open(path, "w") as f:\n        f.write(data)'
    f = finding(start_line=22, line=23, code=code, suggestion="    pass\n")
    placed = anchor_one(f)
    assert placed is not None and placed.suggestion == "    pass\n"


def test_suggestion_dropped_on_left_side() -> None:
    placed = anchor_one(finding(line=4, side="LEFT", code="f = open(path)", suggestion="x"))
    assert placed is not None and placed.suggestion is None


def test_suggestion_equal_to_current_code_is_dropped() -> None:
    f = finding(line=5, code="data = f.read()", suggestion="    data = f.read()\n")
    placed = anchor_one(f)
    assert placed is not None and placed.suggestion is None
    g = finding(line=5, code="data = f.read()", suggestion="    data = f.read(1024)\n")
    placed = anchor_one(g)
    assert placed is not None and placed.suggestion == "    data = f.read(1024)\n"


def test_order_is_preserved_and_nothing_lost() -> None:
    fs = [finding(line=n, code="") for n in (1, 15, 21, 30, 5)]
    anchored, unanchored = anchor_findings(fs, FILES)
    assert [f.line for f in anchored] == [1, 21, 5]
    assert [f.line for f in unanchored] == [15, 30]


def _github_accepts(f: Finding, files: tuple[FileDiff, ...]) -> bool:
    """GitHub's rules, written independently of bot.review.anchor."""
    (file,) = [x for x in files if x.path == f.path]
    lm = build_line_map(file)
    side = lm.right if f.side == "RIGHT" else lm.left
    if f.line not in side:
        return False
    if f.start_line is not None and not (
        f.start_line < f.line and side.get(f.start_line) == side[f.line]
    ):
        return False
    if f.suggestion is not None:
        first = f.start_line or f.line
        if f.side != "RIGHT" or any(
            lm.right.get(n) != lm.right[f.line] for n in range(first, f.line + 1)
        ):
            return False
    return True


def test_every_anchored_finding_is_one_github_accepts() -> None:
    rng = random.Random(1234)
    texts = ["", "return f", "data = f.read()", "def save(path, data):", "f.write(data)", "zzz"]
    fs = []
    for _ in range(2000):
        line = rng.randint(-1, 30)
        start = rng.choice([None, line - rng.randint(-2, 6)])
        fs.append(
            finding(
                line=line,
                start_line=start,
                side=rng.choice(["RIGHT", "LEFT"]),
                code=rng.choice(texts),
                suggestion=rng.choice([None, "x = 1"]),
            )
        )
    anchored, unanchored = anchor_findings(fs, FILES)
    assert len(anchored) + len(unanchored) == len(fs)
    assert anchored and unanchored  # the sample exercises both outcomes
    assert all(_github_accepts(f, FILES) for f in anchored)


@pytest.mark.parametrize(
    ("line", "quote", "expected"),
    [
        ("abXcdYef", "ab[REDACTED:k]cd[REDACTED:k]ef", 2),
        ("abcdef", "ab[REDACTED:k]cd[REDACTED:k]ef", 0),  # a placeholder stands for 1+ chars
        ("xyz", "[REDACTED:k]", 2),
        ("xy", "[REDACTED:k][REDACTED:k]", 2),
        ("x", "[REDACTED:k][REDACTED:k]", 0),
        ("aXbXbYc", "a[REDACTED:k]b[REDACTED:k]c", 2),
        ("aXbc", "a[REDACTED:k]bc[REDACTED:k]", 0),
    ],
)
def test_placeholders_stand_for_any_non_empty_text(line: str, quote: str, expected: int) -> None:
    assert line_matches(line, quote) == expected


def test_many_placeholders_against_a_long_line_stay_fast() -> None:
    # Model text meets PR text here; joining the pieces with `.+?` in a regex used to
    # backtrack for minutes on this.
    started = time.monotonic()
    assert line_matches("a" * 100_000, "[REDACTED:x]a" * 40 + "b") == 0
    assert line_matches("a" * 100_000 + "b", "[REDACTED:x]a" * 40 + "b") == 2
    assert quote_lines("x" + "." * 100_000 + "y...") == ["x" + "." * 100_000 + "y"]
    assert time.monotonic() - started < 5


def test_a_finding_on_the_name_the_model_was_shown_anchors_to_the_real_file() -> None:
    real = "leak/" + "ghp_" + "A" * 36 + "/app.py"
    file = parse_file_patch(real, "@@ -1,1 +1,2 @@\n a = 1\n+b = 2\n").model_copy(
        update={"shown_path": "leak/[REDACTED:github-token]/app.py"}
    )
    cited = finding(path="leak/[REDACTED:github-token]/app.py", line=2, code="b = 2")
    (restored,) = restore_paths([cited], [file])
    assert restored.path == real
    # On GitHub the anchoring files are the PR's own (no shown names): the path still fits.
    placed = anchor_one(restored, (file.model_copy(update={"shown_path": None}),))
    assert placed is not None and (placed.path, placed.line) == (real, 2)
    untouched = finding(path="pkg/io.py")
    assert restore_paths([untouched], [file]) == [untouched]


def test_a_name_with_a_newline_is_found_by_its_escaped_form() -> None:
    file = parse_file_patch("odd\nname.py", "@@ -1,1 +1,2 @@\n a = 1\n+b = 2\n")
    placed = anchor_one(finding(path='"odd\\nname.py"', line=2, code="b = 2"), (file,))
    assert placed is not None and placed.path == "odd\nname.py"
