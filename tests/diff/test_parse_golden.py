"""Diff parsing checked against golden files from real git, and unidiff as an oracle."""

from __future__ import annotations

import difflib
import json
import random
from pathlib import Path
from typing import Any

import pytest
from unidiff import PatchSet

from bot.diff.parse import build_line_map, decode_diff, parse_diff
from bot.models import FileDiff
from tests import DATA

DIFFS = DATA / "diffs"
GOLDEN = sorted(DIFFS.glob("*.diff"))


def golden(data: bytes) -> list[dict[str, Any]]:
    """Same shape as tests/data/diffs/make_expected.py writes."""
    out = []
    for file in parse_diff(decode_diff(data)):
        line_map = build_line_map(file).model_dump(mode="json")
        line_map["added"] = sorted(line_map["added"])
        # shown_* are set by redaction, not by the parser
        dumped = file.model_dump(mode="json", exclude={"shown_path", "shown_old_path"})
        out.append({"file": dumped, "line_map": line_map})
    return out


def by_path(text: str) -> dict[str, FileDiff]:
    return {f.path: f for f in parse_diff(text)}


def test_golden_files_exist() -> None:
    names = {p.stem for p in GOLDEN}
    assert len(names) >= 19
    assert all((DIFFS / f"{n}.expected.json").is_file() for n in names)


@pytest.mark.parametrize("diff", GOLDEN, ids=lambda p: p.stem)
def test_golden(diff: Path) -> None:
    expected = json.loads(diff.with_name(f"{diff.stem}.expected.json").read_text("utf-8"))
    assert golden(diff.read_bytes()) == expected


def golden_files(name: str) -> dict[str, FileDiff]:
    return by_path(decode_diff((DIFFS / f"{name}.diff").read_bytes()))


def test_renames_and_copies_keep_both_paths() -> None:
    (pure,) = golden_files("rename_pure").values()
    assert (pure.status, pure.old_path, pure.path, pure.hunks) == (
        "renamed",
        "old_name.txt",
        "new_name.txt",
        (),
    )
    (copy,) = golden_files("copy").values()
    assert (copy.status, copy.old_path, copy.path) == ("copied", "original.txt", "duplicate.txt")


def test_quoted_names_decode_to_real_utf8() -> None:
    files = golden_files("quoted_names")
    assert set(files) == {
        "café ünicode.txt",
        "mode me.sh",
        "moved/✓ café ünicode.txt",
        "plan b/notes.md",
        'quote"and\\backslash.txt',
        "renamed ✓.txt",
    }
    assert files["renamed ✓.txt"].old_path == "with space.txt"
    assert files["moved/✓ café ünicode.txt"].old_path == "café ünicode.txt.orig"
    assert (files["mode me.sh"].old_mode, files["mode me.sh"].new_mode) == ("100644", "100755")


def test_binary_submodule_and_modes() -> None:
    for name in ("binary", "binary_patch"):
        files = golden_files(name)
        assert all(f.binary and not f.hunks for f in files.values())
        assert files["added.bin"].status == "added"
    assert golden_files("submodule_update")["vendor/sublib"].submodule
    assert not golden_files("submodule_add")[".gitmodules"].submodule
    (deleted,) = golden_files("deleted_file").values()
    assert (deleted.status, deleted.path, deleted.old_path) == ("deleted", "gone.txt", None)
    (empty,) = golden_files("empty_new_file").values()
    assert (empty.status, empty.hunks, empty.new_mode) == ("added", (), "100644")


def unidiff_lines(text: str) -> list[list[tuple[str, int | None, int | None, str]]]:
    kinds = {"+": "added", "-": "removed", " ": "context"}
    patch = PatchSet([line + "\n" for line in text.split("\n")[:-1]])
    return [
        [
            (kinds[ln.line_type], ln.source_line_no, ln.target_line_no, ln.value.rstrip("\n"))
            for ln in hunk
            if ln.line_type in kinds
        ]
        for pf in patch
        for hunk in pf
    ]


def our_lines(text: str) -> list[list[tuple[str, int | None, int | None, str]]]:
    return [
        [(ln.kind, ln.old_no, ln.new_no, ln.text) for ln in hunk.lines]
        for f in parse_diff(text)
        for hunk in f.hunks
    ]


# parse_diff reads git's headers itself and gives each file's hunks to unidiff; the lines
# must be what unidiff reads from the whole diff at once. (Whole, unidiff raises on
# quoted_names: a valid git header whose path contains " b/", which it splits greedily.)
@pytest.mark.parametrize("diff", [p for p in GOLDEN if p.stem != "quoted_names"], ids=str)
def test_hunks_match_unidiff_on_golden(diff: Path) -> None:
    text = decode_diff(diff.read_bytes()).replace("\r", "")  # unidiff keeps CRs in values
    assert our_lines(text) == unidiff_lines(text)


def random_file(rng: random.Random, n: int) -> list[str]:
    # Form feeds, U+2028 and lone CRs are legal inside a line and must not split it.
    words = [
        "x = 1",
        "",
        "    return y",
        "--- not a header",
        "+++ nor this",
        "@@ text",
        "\f",
        "a\u2028b",
        "x\ry",
    ]
    return [rng.choice(words) + f" {rng.randrange(5)}\n" for _ in range(n)]


def mutate(rng: random.Random, lines: list[str]) -> list[str]:
    out = list(lines)
    for _ in range(rng.randrange(1, 8)):
        at = rng.randrange(len(out) + 1)
        if rng.random() < 0.5 and at < len(out):
            del out[at : at + rng.randrange(1, 4)]
        else:
            out[at:at] = [f"new line {rng.random():.3f}\n"] * rng.randrange(1, 3)
    return out


@pytest.mark.parametrize("seed", range(40))
def test_random_difflib_diffs_rebuild_the_new_file(seed: int) -> None:
    rng = random.Random(seed)
    old = random_file(rng, rng.randrange(1, 60))
    new = mutate(rng, old)
    text = "".join(difflib.unified_diff(old, new, "a/f.txt", "b/f.txt", n=rng.randrange(4)))
    if not text:
        return
    assert our_lines(text) == unidiff_lines(text)
    (file,) = parse_diff(text)
    assert rebuild(old, file) == [ln.rstrip("\n") for ln in new]


def rebuild(old: list[str], file: FileDiff) -> list[str]:
    """Apply `file`'s hunks to `old`, checking every removed/context line on the way."""
    src = [ln.rstrip("\n") for ln in old]
    out: list[str] = []
    pos = 0
    for hunk in file.hunks:
        first = hunk.old_start - 1 if hunk.old_len else hunk.old_start
        out += src[pos:first]
        pos = first
        for ln in hunk.lines:
            if ln.kind != "added":
                assert src[pos] == ln.text and ln.old_no == pos + 1
                pos += 1
            if ln.kind != "removed":
                out.append(ln.text)
                assert ln.new_no == len(out)
    return out + src[pos:]
