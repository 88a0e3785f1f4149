"""The repository snapshot for a local review: the reviewed commit's git objects, the index
(`--staged`), the working tree (`--working-tree`, or a diff file it matches), or none."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.context.git import commit_snapshot, index_snapshot
from bot.context.patch import PatchedBase, diff_mismatch
from bot.context.snapshot import Snapshot, close_snapshot, failure_note
from bot.context.worktree import WorktreeSnapshot
from bot.models import PullRequest

# A branch review reads the head commit's objects, not the disk: uncommitted edits are not
# part of what is reviewed, and line numbers must match the diff. `--staged` reads the
# index's blobs for the same reason (the disk may hold unstaged edits on top). A diff file
# says nothing about where it came from, so the working tree is used only when it holds the
# diff's new side exactly (every context and added line in place, deleted files gone); the
# base is then rebuilt from the diff.

NO_REPOSITORY = "no repository: reviewing a diff file"


def local_snapshot(
    args: argparse.Namespace, pr: PullRequest, top: Path | None
) -> tuple[Snapshot | None, str | None]:
    """(snapshot, context note) for the local source `args` chose. Never raises."""
    try:
        return _snapshot(args, pr, top)
    except Exception as exc:  # a snapshot must never stop a review (BotError or a bug)
        return None, failure_note(exc)


def _snapshot(
    args: argparse.Namespace, pr: PullRequest, top: Path | None
) -> tuple[Snapshot | None, str | None]:
    if top is None:
        return None, NO_REPOSITORY
    if args.diff:
        worktree = WorktreeSnapshot(top, base=None)
        mismatch = diff_mismatch(worktree, pr.files)
        if mismatch is not None:
            close_snapshot(worktree)
            return None, f"the diff does not match the working tree ({mismatch}): diff only"
        return PatchedBase(worktree, pr.files), None
    if args.staged:
        return index_snapshot(top, base=pr.base_sha), None
    if args.working_tree:
        return WorktreeSnapshot(top, base=pr.base_sha), None
    if pr.head_sha is None:
        return None, "none: the head commit is not known"
    return commit_snapshot(top, pr.head_sha, base=pr.base_sha), None
