"""The App's snapshot cache: kept by repository and head, read lazily, pruned to its cap."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.context.cache import SnapshotCache, ZipSnapshot

REPO = "octo/widgets"
SHA1, SHA2, SHA3 = "a" * 40, "b" * 40, "c" * 40


def put(cache: SnapshotCache, sha: str, files: dict[str, bytes], **kw) -> Path:
    writer = cache.writer(REPO, sha)
    assert writer is not None
    for path, data in files.items():
        writer.add(path, data)
    return writer.commit(**kw)


def test_round_trip_with_listed_files_and_note(tmp_path: Path):
    cache = SnapshotCache(tmp_path, max_bytes=10 << 20)
    assert cache.get(REPO, SHA1) is None
    put(cache, SHA1, {"src/a.py": b"A = 1\n", "bin.dat": b"\0\1"}, listed=["huge.txt"], note="cut")
    snap = cache.get(REPO, SHA1)
    assert isinstance(snap, ZipSnapshot)
    try:
        assert snap.paths() == ["bin.dat", "huge.txt", "src/a.py"]
        assert snap.read("src/a.py") == "A = 1\n" and snap.read("./src/a.py") == "A = 1\n"
        assert snap.read("huge.txt") is None and snap.read("bin.dat") is None
        assert snap.read("../a.py") is None and snap.read_base("src/a.py") is None
        assert snap.note == "cut" and snap.source == "github"
    finally:
        snap.close()
    assert cache.get("octo/other", SHA1) is None  # repositories never share


def test_least_recently_used_go_first_when_over_the_cap(tmp_path: Path):
    cache = SnapshotCache(tmp_path, max_bytes=10 << 20)
    blob = os.urandom(200_000)  # incompressible: each zip is about 200 KB
    paths = [put(cache, sha, {"f.bin": blob}) for sha in (SHA1, SHA2, SHA3)]
    for age, path in zip((300, 200, 100), paths, strict=True):
        os.utime(path, (path.stat().st_atime - age,) * 2)
    cache.get(REPO, SHA1).close()  # used now: newest
    cache.max_bytes = 450_000
    assert cache.prune() > 0
    assert [p.exists() for p in paths] == [True, False, True]


def test_damaged_file_is_dropped(tmp_path: Path):
    cache = SnapshotCache(tmp_path, max_bytes=1 << 20)
    path = cache.path_for(REPO, SHA1)
    assert path is not None
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a zip")
    assert cache.get(REPO, SHA1) is None and not path.exists()


def test_discarded_writer_leaves_nothing(tmp_path: Path):
    cache = SnapshotCache(tmp_path, max_bytes=1 << 20)
    writer = cache.writer(REPO, SHA1)
    assert writer is not None
    writer.add("a.py", b"x")
    writer.discard()
    assert list(tmp_path.rglob("*")) == [tmp_path / "octo", tmp_path / "octo" / "widgets"]


@pytest.mark.parametrize(
    ("repo", "sha"),
    [("octo/../x", SHA1), ("../x", SHA1), ("octo/w", "../../etc"), ("octo/w", "abc"), ("x", SHA1)],
)
def test_only_plain_names_get_a_place(tmp_path: Path, repo: str, sha: str):
    assert SnapshotCache(tmp_path, max_bytes=1 << 20).path_for(repo, sha) is None


def test_cap_of_zero_keeps_nothing(tmp_path: Path):
    assert SnapshotCache(tmp_path, max_bytes=0).writer(REPO, SHA1) is None


def test_prune_drops_temporaries_a_killed_worker_left_an_hour_ago(tmp_path: Path):
    cache = SnapshotCache(tmp_path, max_bytes=1 << 20)
    where = tmp_path / "octo" / "widgets"
    where.mkdir(parents=True)
    stale, fresh = where / f".{SHA1}.zip.dead.tmp", where / f".{SHA2}.zip.busy.tmp"
    for path in (stale, fresh):
        path.write_bytes(b"half a zip")
    os.utime(stale, (stale.stat().st_atime - 3700,) * 2)
    cache.prune()
    assert not stale.exists() and fresh.exists()  # another worker may be writing it now


def test_a_cached_zip_with_unsafe_names_lists_and_reads_only_the_safe_ones(tmp_path: Path):
    import zipfile

    path = tmp_path / "x.zip"
    with zipfile.ZipFile(path, "w") as z:
        for name in ("ok.py", "../out.py", "/abs.py", "a/./b.py", "dir/"):
            z.writestr(name, b"X = 1\n")
    snap = ZipSnapshot(path)
    try:
        assert snap.paths() == ["ok.py"]
        assert snap.read("ok.py") == "X = 1\n" and snap.read("../out.py") is None
        assert snap.note is None
    finally:
        snap.close()
