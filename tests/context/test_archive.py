"""Reading a repository archive: GitHub's layout, hostile members refused, every cap."""

from __future__ import annotations

import gzip
import io
import tarfile

import pytest

from bot.context.archive import ArchiveLimits, member_path, read_archive
from bot.errors import SnapshotError
from tests.fakes.github_git import HOSTILE_REFUSED, build_archive, hostile_archive

ROOT = "octo-widgets-abc1234"


def read(data: bytes, **limits: int):
    kept: dict[str, bytes] = {}
    report = read_archive(io.BytesIO(data), kept.__setitem__, limits=ArchiveLimits(**limits))
    return kept, report


def tar_of(members: list[tuple[str, bytes]], *, gz: bool = True) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz" if gz else "w") as tar:
        tar.addfile(_dir(ROOT))
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _dir(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    return info


def test_github_layout_is_read_with_the_top_directory_stripped():
    tree = {
        "src/app.py": ("100644", b"def f():\n    return 1\n"),
        "bin/run": ("100755", b"#!/bin/sh\n"),
        "docs/link.md": ("120000", b"../README.md"),
        "README.md": ("100644", b"# Widgets\n"),
    }
    kept, report = read(build_archive("octo/widgets", "abc1234" + "0" * 33, tree))
    assert kept == {
        "README.md": b"# Widgets\n",
        "bin/run": b"#!/bin/sh\n",
        "src/app.py": b"def f():\n    return 1\n",
    }
    assert report.refused == [(f"{ROOT}/docs/link.md", "link")]
    assert report.cut is None and report.kept == 3


def test_each_hostile_member_is_refused_and_the_rest_is_readable():
    good = {"ok.py": b"x = 1\n", "pkg/mod.py": b"def g():\n    pass\n"}
    data = hostile_archive(ROOT, good=good, oversized=1_000_001)
    kept, report = read(data)
    assert kept == {**good, "z_last.py": b"after = 'the hostile members'\n"}
    refused = {name.removeprefix(f"{ROOT}/"): why for name, why in report.refused}
    assert set(refused) == HOSTILE_REFUSED
    assert refused["link-out"] == refused["link-in"] == refused["hard"] == "link"
    assert refused["hard-out"] == "link"
    assert refused["dev-zero"] == refused["fifo"] == "not a regular file"
    assert refused["../evil.py"] == refused["a/../../evil2.py"] == "unsafe path"
    assert refused["/etc/evil3.py"] == refused["elsewhere/evil4.py"] == "outside the archive root"
    assert report.listed == ["big.txt"]  # exists, over the 1 MB per-file cap: never kept


@pytest.mark.parametrize(
    "name",
    [f"{ROOT}/a/./b.py", f"{ROOT}//b.py", f"{ROOT}/a\\..\\b.py", f"{ROOT}/."],
)
def test_names_that_are_not_plain_repository_paths_are_refused(name):
    info = tarfile.TarInfo(name)
    assert member_path(info, root=ROOT)[0] is None


def test_total_cap_stops_reading_and_says_so():
    files = [(f"{ROOT}/f{i}.py", b"x" * 600) for i in range(5)]
    kept, report = read(tar_of(files), max_total=1500)
    assert sorted(kept) == ["f0.py", "f1.py"]
    assert report.cut and "passes" in report.cut


def test_inflating_stream_is_cut_without_inflating_it_all():
    # 200 MB of zeros compresses to about 200 KB; the stream cap stops reading at 1 MB.
    bomb = io.BytesIO()
    with gzip.GzipFile(fileobj=bomb, mode="wb") as gz, tarfile.open(fileobj=gz, mode="w|") as tar:
        tar.addfile(_dir(ROOT))
        tar.addfile(_info(f"{ROOT}/small.py", 10), io.BytesIO(b"y = 2    \n"))
        tar.addfile(_info(f"{ROOT}/zeros.bin", 200 << 20), _Zeros(200 << 20))
    kept, report = read(bomb.getvalue(), max_stream=1 << 20)
    assert kept == {"small.py": b"y = 2    \n"}
    assert report.cut and "inflates" in report.cut


def test_plain_tar_is_read_too():
    kept, _ = read(tar_of([(f"{ROOT}/a.py", b"a\n")], gz=False))
    assert kept == {"a.py": b"a\n"}


def test_damaged_archive_is_an_error():
    data = tar_of([(f"{ROOT}/a.py", b"a" * 5000)])
    with pytest.raises(SnapshotError, match=r"damaged|truncated"):
        read(data[: len(data) // 2])


def test_archive_whose_first_member_leaves_the_root_is_refused_whole():
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        tar.addfile(_info("../escape.py", 1), io.BytesIO(b"x"))
    with pytest.raises(SnapshotError, match="top directory"):
        read(out.getvalue())


def _info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    return info


class _Zeros(io.RawIOBase):
    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.left)
        buffer[:n] = b"\0" * n
        self.left -= n
        return n
