"""Gitignore-style globs on repository paths, matched in linear time (pathspec on RE2)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from pathspec import PathSpec

# Paths come from the pull request, so a match must never backtrack: Python's `re` takes
# minutes on `*-*-*-*.js` against a 2,000-character name. pathspec's "re2" backend runs every
# pattern of a list at once as one RE2 set (google-re2), which is linear in the path. The
# backend is named, not left to pathspec's "best", so a missing google-re2 fails loudly
# instead of falling back to the backtracking engine.
#
# Semantics are git's (gitignore): `*` and `?` stay within a segment, `**/` spans
# directories, a pattern with a slash is anchored at the root, a trailing `/` names a
# directory (and everything under it), `!pattern` re-includes what an earlier pattern
# matched, `\` escapes. Matching is case-sensitive. A pattern RE2 cannot compile (a reversed
# range such as `[z-a]`) is matched literally, as the text it is.

_BACKEND = "re2"
_SPECIAL = re.compile(r"([*?\[\]\\!#])")


def path_matches(path: str, patterns: Sequence[str]) -> bool:
    """True when the gitignore-style `patterns` select the repository path."""
    if not patterns:
        return False
    return bool(compile_globs(tuple(patterns)).match_file(path))


@lru_cache(maxsize=256)
def compile_globs(patterns: tuple[str, ...]) -> PathSpec[Any]:
    """One matcher for a list of globs, compiled once per list (configs repeat them)."""
    try:
        return PathSpec.from_lines("gitignore", patterns, backend=_BACKEND)
    except Exception:
        return PathSpec.from_lines("gitignore", map(_compilable, patterns), backend=_BACKEND)


def _compilable(pattern: str) -> str:
    try:
        PathSpec.from_lines("gitignore", [pattern], backend=_BACKEND)
    except Exception:
        return _SPECIAL.sub(r"\\\1", pattern)
    return pattern
