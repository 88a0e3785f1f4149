"""Which files of a large repository are fetched: the change, then its neighbours."""

from __future__ import annotations

import pytest

from bot.context.near import files_near_change

SIZES = {
    "src/pkg/app.py": 100,
    "src/pkg/util.py": 100,
    "src/pkg/README.md": 100,
    "src/pkg/sub/deep.py": 100,
    "src/other/x.py": 100,
    "src/top.py": 100,
    "tests/test_app.py": 100,
    "docs/index.md": 100,
    "src/pkg/logo.png": 100,
    "src/pkg/poetry.lock": 100,
    "vendor/lib.py": 100,
    "src/pkg/huge.py": 2_000_000,
}


def test_changed_files_first_then_nearest_directories_same_language_first():
    chosen = files_near_change(SIZES, ["src/pkg/app.py"], max_files=100, max_bytes=10**9)
    assert chosen == [
        "src/pkg/app.py",
        "src/pkg/util.py",  # same directory, same extension
        "src/pkg/README.md",  # same directory
        "src/pkg/sub/deep.py",  # one step down
        "src/top.py",  # one step up
        "src/other/x.py",  # two steps
        "tests/test_app.py",  # three steps
        "docs/index.md",
    ]  # never: binaries, lockfiles, vendored files, files over the per-file cap


def test_file_count_and_byte_total_bound_the_choice():
    near = files_near_change(SIZES, ["src/pkg/app.py"], max_files=3, max_bytes=10**9)
    assert near == ["src/pkg/app.py", "src/pkg/util.py", "src/pkg/README.md"]
    small = files_near_change(SIZES, ["src/pkg/app.py"], max_files=100, max_bytes=250)
    assert small == ["src/pkg/app.py", "src/pkg/util.py"]


def test_no_changed_files_still_chooses_within_bounds():
    assert len(files_near_change(SIZES, [], max_files=2, max_bytes=10**9)) == 2


@pytest.mark.parametrize(
    "path",
    [
        "dist/index.js",
        "static/app.min.js",
        "proto/user_pb2.py",
        "web/node_modules/left-pad/index.js",
        "third_party/zlib/zlib.h",
        "deps/custom.lock",
        "web/yarn.lock",
    ],
)
def test_what_the_review_sets_aside_by_its_name_is_never_fetched(path: str) -> None:
    # The default filters' path rules: generated, vendored, lockfiles.
    chosen = files_near_change({path: 10, "src/a.py": 10}, ["src/a.py"], max_files=9, max_bytes=99)
    assert chosen == ["src/a.py"]
