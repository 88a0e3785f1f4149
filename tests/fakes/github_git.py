"""The fake GitHub's git data: commit trees (`GET /git/trees/{sha}?recursive=1`), blobs
(`GET /git/blobs/{sha}`) and archives (`GET /tarball/{ref}`: a 302 to a codeload-like URL on
the same server that serves the tar.gz without a token, as codeload does).

An archive is built from the commit's files the way `git archive` lays one out (a pax global
header with the commit id, one top directory `owner-repo-sha7/`), unless a test set raw bytes
for it, such as a hostile archive (`hostile_archive`).
"""

from __future__ import annotations

import base64
import hashlib
import io
import secrets
import tarfile
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .github_http import RecordedRequest, Reply
from .github_state import DOCS, ApiError, not_found

if TYPE_CHECKING:
    from .github import FakeGitHub

TREE_LIMIT = 100_000  # entries in a recursive tree before GitHub sets `truncated`


def blob_sha(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass
class GitStore:
    """Files per commit, blobs by SHA, raw archives set by tests, issued download tokens."""

    trees: dict[tuple[str, str], dict[str, tuple[str, bytes]]] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)
    archives: dict[tuple[str, str], bytes] = field(default_factory=dict)
    tree_limit: int = TREE_LIMIT
    download_tokens: set[str] = field(default_factory=set)

    def add_commit(self, repo: str, sha: str, files: dict[str, Any]) -> None:
        """`files`: path -> bytes/str (mode 100644) or (mode, bytes) for links, executables."""
        tree: dict[str, tuple[str, bytes]] = {}
        for path, value in files.items():
            mode, data = value if isinstance(value, tuple) else ("100644", value)
            data = data.encode() if isinstance(data, str) else data
            tree[path] = (mode, data)
            self.blobs[blob_sha(data)] = data
        self.trees[(repo, sha)] = tree


def get_tree(fake: FakeGitHub, request: RecordedRequest, repo: str, sha: str) -> Reply:
    fake.state.repo(repo)
    store = fake.git
    tree = store.trees.get((repo, sha))
    if tree is None:
        raise not_found()
    entries: list[dict[str, Any]] = []
    dirs: set[str] = set()
    for path in sorted(tree):
        parts = path.split("/")
        for i in range(1, len(parts)):
            d = "/".join(parts[:i])
            if d not in dirs:
                dirs.add(d)
                entries.append(_entry(fake, repo, d, "040000", "tree", hashlib.sha1(d.encode())))
        mode, data = tree[path]
        kind = "commit" if mode == "160000" else "blob"
        entry = _entry(fake, repo, path, mode, kind, None, data)
        entries.append(entry)
    if "recursive" not in request.query:
        entries = [e for e in entries if "/" not in e["path"]]
    truncated = len(entries) > store.tree_limit
    url = f"{fake.url}/repos/{repo}/git/trees/{sha}"
    body = {"sha": sha, "url": url, "tree": entries[: store.tree_limit], "truncated": truncated}
    return Reply(200, body)


def _entry(
    fake: FakeGitHub,
    repo: str,
    path: str,
    mode: str,
    kind: str,
    digest: Any = None,
    data: bytes | None = None,
) -> dict[str, Any]:
    sha = digest.hexdigest() if digest is not None else blob_sha(data or b"")
    entry: dict[str, Any] = {"path": path, "mode": mode, "type": kind, "sha": sha}
    if kind == "blob":
        entry["size"] = len(data or b"")
        entry["url"] = f"{fake.url}/repos/{repo}/git/blobs/{sha}"
    elif kind == "tree":
        entry["url"] = f"{fake.url}/repos/{repo}/git/trees/{sha}"
    return entry


def get_blob(fake: FakeGitHub, request: RecordedRequest, repo: str, sha: str) -> Reply:
    fake.state.repo(repo)
    data = fake.git.blobs.get(sha)
    if data is None:
        raise not_found()
    encoded = base64.b64encode(data).decode()
    content = "".join(encoded[i : i + 60] + "\n" for i in range(0, len(encoded), 60))
    body = {
        "sha": sha,
        "node_id": f"B_{sha[:12]}",
        "size": len(data),
        "url": f"{fake.url}/repos/{repo}/git/blobs/{sha}",
        "content": content,
        "encoding": "base64",
    }
    return Reply(200, body)


def get_tarball(fake: FakeGitHub, request: RecordedRequest, repo: str, ref: str) -> Reply:
    fake.state.repo(repo)
    if (repo, ref) not in fake.git.trees and (repo, ref) not in fake.git.archives:
        raise ApiError(404, {"message": "Not Found", "documentation_url": DOCS})
    token = secrets.token_hex(8)
    fake.git.download_tokens.add(token)
    location = f"{fake.url}/codeload/{repo}/legacy.tar.gz/{ref}?token={token}"
    return Reply(302, "", {"Location": location})


def codeload(fake: FakeGitHub, request: RecordedRequest, repo: str, ref: str) -> Reply:
    """The download itself: the short-lived token in the URL is the only credential."""
    if request.query.get("token") not in fake.git.download_tokens:
        raise not_found()
    data = fake.git.archives.get((repo, ref))
    if data is None:
        data = build_archive(repo, ref, fake.git.trees[(repo, ref)])
    name = f"{repo.replace('/', '-')}-{ref[:7]}.tar.gz"
    headers = {
        "Content-Type": "application/x-gzip",
        "Content-Disposition": f"attachment; filename={name}",
    }
    return Reply(200, data, headers)


def build_archive(repo: str, sha: str, tree: dict[str, tuple[str, bytes]]) -> bytes:
    """A tar.gz laid out like GitHub's: pax global header, `owner-repo-sha7/` on top."""
    root = f"{repo.replace('/', '-')}-{sha[:7]}"
    out = io.BytesIO()
    with tarfile.open(
        fileobj=out, mode="w:gz", format=tarfile.PAX_FORMAT, pax_headers={"comment": sha}
    ) as tar:
        dirs = {root}
        tar.addfile(_info(root, tarfile.DIRTYPE))
        for path in sorted(tree):
            mode, data = tree[path]
            parts = path.split("/")
            for i in range(1, len(parts)):
                d = f"{root}/{'/'.join(parts[:i])}"
                if d not in dirs:
                    dirs.add(d)
                    tar.addfile(_info(d, tarfile.DIRTYPE))
            if mode == "120000":
                tar.addfile(_info(f"{root}/{path}", tarfile.SYMTYPE, link=data.decode()))
            elif mode != "160000":
                info = _info(f"{root}/{path}", tarfile.REGTYPE, size=len(data))
                info.mode = 0o755 if mode == "100755" else 0o644
                tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _info(name: str, kind: bytes, *, size: int = 0, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.size, info.linkname, info.mtime = kind, size, link, 1_700_000_000
    info.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644
    return info


def hostile_archive(root: str, *, good: dict[str, bytes], oversized: int) -> bytes:
    """A tar.gz with the `good` files under `root/` and every kind of member a reader must
    refuse: path traversal, an absolute path, symbolic links out of and inside the root, a
    hard link, a character device, a FIFO, a name outside the root, and a file of
    `oversized` bytes (listed, never kept)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        tar.addfile(_info(root, tarfile.DIRTYPE))
        for path, data in good.items():
            tar.addfile(_info(f"{root}/{path}", tarfile.REGTYPE, size=len(data)), io.BytesIO(data))
        evil = b"print('pwned')\n"
        for name in (f"{root}/../evil.py", f"{root}/a/../../evil2.py", "/etc/evil3.py"):
            tar.addfile(_info(name, tarfile.REGTYPE, size=len(evil)), io.BytesIO(evil))
        tar.addfile(_info("elsewhere/evil4.py", tarfile.REGTYPE, size=len(evil)), io.BytesIO(evil))
        tar.addfile(_info(f"{root}/link-out", tarfile.SYMTYPE, link="../../../../etc/passwd"))
        tar.addfile(_info(f"{root}/link-in", tarfile.SYMTYPE, link=next(iter(good))))
        tar.addfile(_info(f"{root}/hard", tarfile.LNKTYPE, link=f"{root}/{next(iter(good))}"))
        tar.addfile(_info(f"{root}/hard-out", tarfile.LNKTYPE, link="/etc/passwd"))
        tar.addfile(_info(f"{root}/dev-zero", tarfile.CHRTYPE))
        tar.addfile(_info(f"{root}/fifo", tarfile.FIFOTYPE))
        big = b"x" * oversized
        tar.addfile(_info(f"{root}/big.txt", tarfile.REGTYPE, size=len(big)), io.BytesIO(big))
        last = b"after = 'the hostile members'\n"
        tar.addfile(_info(f"{root}/z_last.py", tarfile.REGTYPE, size=len(last)), io.BytesIO(last))
    return out.getvalue()


HOSTILE_REFUSED = {
    "../evil.py",
    "a/../../evil2.py",
    "/etc/evil3.py",
    "elsewhere/evil4.py",
    "link-out",
    "link-in",
    "hard",
    "hard-out",
    "dev-zero",
    "fifo",
}
