"""Token estimates without a tokenizer: conservative, from character classes, no network."""

from __future__ import annotations

# The Grok tokenizer is not published. Tokenizers of its kind cut text where letters,
# digits, spaces, punctuation and non-ASCII meet, then split long runs. So the estimate
# counts runs of one class (a space before a word joins it: " word" is one token) plus a
# share of every byte: a long word, a number, wide indentation or a rule of dashes is
# several tokens, and a non-ASCII byte a third of one. On the real texts in
# tests/data/tokens it is 1.08 to 1.43 times the larger of the o200k_base and cl100k_base
# counts, never under; bytes / 3 ranged from 0.51 (a hex table) to 1.63 on the same texts.
#
# Costs are whole "units" (UNIT per token) so that sums are exact and additive.
UNIT = 168
SHARES = {"a": 6, "s": 7, "p": 7, "n": 7, "d": 56, "u": 56}  # units per byte of each class
MAX_UNITS_PER_BYTE = UNIT + max(SHARES.values())  # a byte starts at most one new run
MAX_CHARS_PER_TOKEN = UNIT // min(SHARES.values())  # no character costs less than this


def _class_table() -> bytes:
    table = bytearray(256)
    for byte in range(256):
        char = chr(byte)
        if byte >= 128:
            kind = "u"  # each byte of a UTF-8 sequence
        elif char.isalpha():
            kind = "a"
        elif char.isdigit():
            kind = "d"
        elif char == "\n":
            kind = "n"
        elif char in " \t\r":
            kind = "s"
        else:
            kind = "p"
        table[byte] = ord(kind)
    return bytes(table)


_CLASSES = _class_table()


def text_cost(text: str) -> int:
    """The estimate for `text` in units. Never more than the sum of its parts' costs."""
    if not text:
        return 0
    classes = text.encode("utf-8", errors="replace").translate(_CLASSES)
    size = len(classes)
    # Runs = 1 + the places where neighbours differ: XOR of the class string with itself
    # shifted by one is zero exactly where they are the same.
    same = 0
    if size > 1:
        xor = int.from_bytes(classes[:-1], "big") ^ int.from_bytes(classes[1:], "big")
        same = xor.to_bytes(size - 1, "big").count(0)
    runs = size - same - classes.count(b"sa")
    shares = sum(share * classes.count(kind.encode()) for kind, share in SHARES.items())
    return runs * UNIT + shares


def tokens_of(units: int) -> int:
    """Units rounded up to whole tokens."""
    return -(-units // UNIT)


def estimate_tokens(text: str) -> int:
    """A conservative token count for `text`."""
    return tokens_of(text_cost(text))
