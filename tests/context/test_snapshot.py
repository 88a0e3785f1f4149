"""The snapshot interface: paths that could leave the repository are refused, binaries and
oversized files read as None."""

from __future__ import annotations

import pytest

from bot.context.snapshot import (
    MAX_FILE_BYTES,
    MemorySnapshot,
    close_snapshot,
    failure_note,
    safe_path,
)
from bot.errors import SnapshotError


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("src/a.py", "src/a.py"),
        ("src/./a.py", "src/a.py"),
        ("src/x/../a.py", "src/a.py"),
        ("../etc/passwd", None),
        ("src/../../x", None),
        ("/etc/passwd", None),
        ("a\\..\\b", None),
        ("a\x00b", None),
        ("", None),
        (".", None),
    ],
)
def test_safe_path(path: str, expected: str | None) -> None:
    assert safe_path(path) == expected


def test_memory_snapshot_reads_text_and_refuses_the_rest() -> None:
    snap = MemorySnapshot(
        {
            "a.py": b"print('hi')\n",
            "bin.dat": b"\x00\x01\x02",
            "big.txt": b"x" * (MAX_FILE_BYTES + 1),
            "../out.py": b"never listed",
        },
        base={"a.py": b"print('old')\n"},
    )
    assert snap.paths() == ["a.py", "big.txt", "bin.dat"]
    assert snap.read("a.py") == "print('hi')\n"
    assert snap.read("./a.py") == "print('hi')\n"
    assert snap.read("bin.dat") is None and snap.read("big.txt") is None
    assert snap.read("../out.py") is None and snap.read("missing.py") is None
    assert snap.read_base("a.py") == "print('old')\n" and snap.read_base("bin.dat") is None


def test_listed_files_exist_but_read_as_none_and_close_is_safe_on_any_snapshot() -> None:
    snap = MemorySnapshot({"a.py": b"x\n"}, listed=["huge.bin", "../out", "a.py"])
    assert snap.paths() == ["a.py", "huge.bin"]
    assert snap.read("huge.bin") is None and snap.read("a.py") == "x\n"
    closed: list[bool] = []

    class Closing(MemorySnapshot):
        def close(self) -> None:
            closed.append(True)

    close_snapshot(None)
    close_snapshot(snap)  # nothing to release
    close_snapshot(Closing({}))
    assert closed == [True]


def test_failure_note_is_one_short_line() -> None:
    assert failure_note(SnapshotError("the archive download failed (500)")) == (
        "none: the archive download failed (500)"
    )
    assert failure_note(OSError("disk\n  on fire")) == "none: OSError: disk on fire"
    long = failure_note(ValueError("x" * 1000))
    assert len(long) == 300 and long.endswith("…") and "\n" not in long
