"""Local sources: a diff file, standard input, or a range of the current git checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from bot.diff.globs import path_matches
from bot.diff.parse import decode_diff, parse_diff
from bot.errors import UsageError
from bot.models import PullRequest

# Flags that make `git diff` output the same whatever the user's git config says.
_DIFF_FLAGS = (
    "diff",
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--find-renames",
    "--src-prefix=a/",
    "--dst-prefix=b/",
)


# Untracked files with these names hold credentials by convention (dotenv files, private keys
# and keystores, package-registry and netrc logins, Terraform state and variables). Nobody
# committed them, so `--working-tree` leaves them out of the diff it sends to the model, and
# says so; a tracked file of any name is reviewed like the rest.
CREDENTIAL_FILES = (
    ".env",
    ".env.*",
    "!.env.example",
    "!.env.sample",
    "!.env.template",
    "!.env.dist",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "*.jks",
    "*.keystore",
    "*.kdbx",
    "id_rsa",
    "id_dsa",
    "id_ecdsa",
    "id_ed25519",
    ".npmrc",
    ".pypirc",
    ".netrc",
    "_netrc",
    ".git-credentials",
    ".htpasswd",
    ".pgpass",
    "credentials.json",
    "client_secret*.json",
    "*.tfstate",
    "*.tfstate.backup",
    "*.tfvars",
)


def read_diff_file(name: str) -> str:
    """The text of a diff file, or of standard input for '-'."""
    if name == "-":
        return decode_diff(sys.stdin.buffer.read())
    try:
        return decode_diff(Path(name).read_bytes())
    except FileNotFoundError:
        raise UsageError(f"--diff {name}: no such file") from None
    except OSError as exc:
        raise UsageError(f"--diff {name}: cannot read: {exc.strerror}") from None


def git(
    *args: str, cwd: Path, env: Mapping[str, str] | None = None, stdin: str | None = None
) -> str:
    """Run git and return its stdout; a failure is a UsageError with git's own message."""
    try:
        # git from PATH is what the user runs themselves; argv is fixed, no shell.
        proc = subprocess.run(  # noqa: S603
            ["git", *args],  # noqa: S607
            cwd=cwd,
            capture_output=True,
            check=False,
            env={**os.environ, **env} if env else None,
            input=stdin.encode("utf-8", "surrogateescape") if stdin is not None else None,
        )
    except FileNotFoundError:
        raise UsageError("git is not installed; use --diff FILE instead") from None
    if proc.returncode != 0:
        msg = decode_diff(proc.stderr).strip().splitlines()
        raise UsageError(f"git {args[0]}: {msg[-1] if msg else 'failed'}")
    return decode_diff(proc.stdout)


def find_checkout(cwd: Path) -> Path:
    """The top of the git checkout containing cwd."""
    try:
        return Path(git("rev-parse", "--show-toplevel", cwd=cwd).strip())
    except UsageError:
        raise UsageError(
            "not inside a git checkout: run review-pr in a repository, "
            "or pass --diff FILE (or '-' for standard input)"
        ) from None


def default_base(top: Path) -> str:
    """The default branch to compare with: origin's HEAD, else main, else master."""
    try:
        ref = git("symbolic-ref", "--quiet", "refs/remotes/origin/HEAD", cwd=top).strip()
        return ref.removeprefix("refs/remotes/")
    except UsageError:
        pass
    for name in ("origin/main", "main", "origin/master", "master"):
        try:
            git("rev-parse", "--verify", "--quiet", f"{name}^{{commit}}", cwd=top)
            return name
        except UsageError:
            continue
    raise UsageError("cannot find the default branch (main/master): pass --base REF")


NO_COMMIT = (
    "this repository has no commit yet: review what is staged with --staged (or everything "
    "with --working-tree), or commit first"
)


def local_pull_request(
    top: Path, *, base: str | None, staged: bool, working_tree: bool
) -> PullRequest:
    """The chosen local changes as a PullRequest (title and body from the commits)."""
    head = _head_commit(top)
    if head is None and not (staged or working_tree):
        raise UsageError(NO_COMMIT)
    # Before the first commit, staged and uncommitted changes are compared with the empty tree.
    against = head or empty_tree(top)
    if staged:
        text = git(*_DIFF_FLAGS, "--cached", against, cwd=top)
        return _pr(text, title="Staged changes", base_sha=head, head_sha=None)
    if working_tree:
        untracked, secret = untracked_files(top)
        if secret:
            print(left_out_note(secret), file=sys.stderr)
        text = working_tree_diff(top, against=against, untracked=untracked)
        return _pr(text, title="Uncommitted changes", base_sha=head, head_sha=None)
    assert head is not None
    ref = base or default_base(top)
    merge_base = git("merge-base", "HEAD", ref, cwd=top).strip()
    text = git(*_DIFF_FLAGS, merge_base, "HEAD", cwd=top)
    branch = git("rev-parse", "--abbrev-ref", "HEAD", cwd=top).strip()
    subjects = git("log", "--format=%s", f"{merge_base}..HEAD", cwd=top).strip().splitlines()
    title = subjects[0] if len(subjects) == 1 else f"{branch} against {ref}"
    body = "\n".join(f"- {s}" for s in subjects) if len(subjects) > 1 else ""
    return _pr(text, title=title, body=body, base_sha=merge_base, head_sha=head, head_ref=branch)


def _head_commit(top: Path) -> str | None:
    """HEAD's commit, or None on a branch with no commit yet (a fresh `git init`)."""
    try:
        return git("rev-parse", "--verify", "--quiet", "HEAD^{commit}", cwd=top).strip()
    except UsageError:
        git("symbolic-ref", "--quiet", "HEAD", cwd=top)  # HEAD names a branch: it is unborn
        return None


def empty_tree(top: Path) -> str:
    """The id of the empty tree in this repository's hash (4b825dc6… with SHA-1)."""
    return git("hash-object", "-t", "tree", "--stdin", cwd=top, stdin="").strip()


def untracked_files(top: Path) -> tuple[list[str], list[str]]:
    """The untracked, not ignored files: (those to review, those left out as credentials)."""
    listed = git("ls-files", "--others", "--exclude-standard", "-z", cwd=top).split("\0")
    # A path ending in "/" is a nested repository, not a file: leave it out.
    files = [p for p in listed if p and not p.endswith("/")]
    secret = [p for p in files if path_matches(p, CREDENTIAL_FILES)]
    return [p for p in files if not path_matches(p, CREDENTIAL_FILES)], secret


def left_out_note(paths: list[str]) -> str:
    shown = ", ".join(paths[:5]) + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")
    files = "file" if len(paths) == 1 else "files"
    return (
        f"review-pr: left out {len(paths)} untracked {files} named like credentials ({shown}); "
        "track one (git add -N PATH) to have it reviewed"
    )


def working_tree_diff(top: Path, *, against: str, untracked: list[str]) -> str:
    """Every uncommitted change against `against`, the `untracked` files included as added
    files: they are marked intent-to-add in a throwaway copy of the index, so the user's own
    index is never touched."""
    if not untracked:
        return git(*_DIFF_FLAGS, against, cwd=top)
    index = top / git("rev-parse", "--git-path", "index", cwd=top).strip()  # may be absolute
    with tempfile.TemporaryDirectory(prefix="review-pr-") as tmp:
        copy = Path(tmp) / "index"
        if index.is_file():
            shutil.copyfile(index, copy)
        env = {"GIT_INDEX_FILE": str(copy), "GIT_LITERAL_PATHSPECS": "1"}
        git(
            "add",
            "--intent-to-add",
            "--pathspec-from-file=-",
            "--pathspec-file-nul",
            cwd=top,
            env=env,
            stdin="\0".join(untracked),
        )
        return git(*_DIFF_FLAGS, against, cwd=top, env=env)


def diff_pull_request(text: str) -> PullRequest:
    """A bare diff (file or stdin) as a PullRequest with no metadata."""
    return _pr(text, title="", base_sha=None, head_sha=None)


def _pr(
    text: str,
    *,
    title: str,
    base_sha: str | None,
    head_sha: str | None,
    body: str = "",
    head_ref: str | None = None,
) -> PullRequest:
    return PullRequest(
        title=title,
        body=body,
        base_sha=base_sha,
        head_sha=head_sha,
        head_ref=head_ref,
        files=parse_diff(text),
    )
