"""File names in diff headers: git's `diff --git` names, C-style quoting, a/ b/ prefixes."""

from __future__ import annotations

from bot.errors import DiffError

# Source/destination prefixes git may write: default, diff.mnemonicPrefix, --no-index.
_PREFIX_PAIRS = (("a/", "b/"), ("c/", "w/"), ("c/", "i/"), ("i/", "w/"), ("o/", "w/"), ("1/", "2/"))
_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}
_OCTAL = frozenset("01234567")
DEV_NULL = "/dev/null"


def git_header_names(rest: str) -> tuple[str | None, str | None]:
    """The two names after `diff --git `, unquoted, prefixes kept."""
    if rest.startswith('"'):
        old, tail = unquote(rest)
        tail = tail.removeprefix(" ")
        return old, unquote(tail)[0] if tail.startswith('"') else tail
    if rest.endswith('"') and ' "' in rest:
        # An unquoted name never contains '"', so the first ' "' separates the names.
        old, _, tail = rest.partition(' "')
        return old, unquote('"' + tail)[0]
    # Unquoted names may contain spaces (even " b/"); for an unrenamed file git writes
    # "a/X b/X", so the one split with equal halves after the prefixes is right. Renames
    # and copies are resolved from their own header lines.
    half = len(rest) // 2
    if len(rest) % 2 and rest[half] == " " and rest[2:half] == rest[half + 3 :]:
        return rest[:half], rest[half + 1 :]
    old, _, new = rest.partition(" ")
    return old, new or None


def header_name(value: str) -> str:
    """The name on a ---/+++ line (after the marker): quoted, or up to a tab (timestamps)."""
    value = value.rstrip("\r\n")
    if value.startswith('"'):
        return unquote(value)[0]
    return value.split("\t", 1)[0]


def prefix_pair(old: str | None, new: str | None) -> tuple[str, str]:
    """The a/ b/-style prefixes both names carry, or no prefixes (`--no-prefix`, `diff -u`)."""
    if old in (None, DEV_NULL) and new in (None, DEV_NULL):
        return "", ""
    for src, dst in _PREFIX_PAIRS:
        old_ok = old is None or old == DEV_NULL or old.startswith(src)
        new_ok = new is None or new == DEV_NULL or new.startswith(dst)
        if old_ok and new_ok:
            return src, dst
    return "", ""


def strip_prefix(name: str | None, prefix: str) -> str | None:
    """`name` without its prefix; None for /dev/null (the side that does not exist)."""
    if name is None or name == DEV_NULL:
        return None
    return name.removeprefix(prefix)


def unquote_name(value: str) -> str:
    """A name from a header line, decoded if git quoted it."""
    return unquote(value)[0] if value.startswith('"') else value


def unquote(value: str) -> tuple[str, str]:
    """Decode git's C-style quoted name (octal bytes are UTF-8); return it and the rest."""
    out = bytearray()
    i = 1
    while i < len(value):
        char = value[i]
        if char == '"':
            return out.decode("utf-8", errors="replace"), value[i + 1 :]
        if char != "\\":
            out += char.encode("utf-8")
            i += 1
        elif value[i + 1 : i + 2] in _ESCAPES:
            out.append(_ESCAPES[value[i + 1]])
            i += 2
        elif len(value) >= i + 4 and set(value[i + 1 : i + 4]) <= _OCTAL:
            out.append(int(value[i + 1 : i + 4], 8) & 0xFF)
            i += 4
        else:
            raise DiffError(f"bad escape in quoted file name: {value[:80]!r}")
    raise DiffError(f"unterminated quoted file name: {value[:80]!r}")
