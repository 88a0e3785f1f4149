"""The hidden markers the bot finds its own work by: the one place that writes and reads them.

A marker is an HTML comment GitHub does not render: `<!-- grok-review:KIND=VALUE -->`.
Review bodies end with a head marker (the commit reviewed) and a run marker (the run or
webhook delivery that posted it); each inline comment ends with a fingerprint marker;
config-error comments and notices carry their own; an answer (to an /ask, or to a reply in
one of the bot's threads) names the comment it answers. Model text can never produce one:
bot.output.markdown defuses every `grok-review:` it contains before anything is posted.
"""

from __future__ import annotations

import re

PREFIX = "<!-- grok-review:"
CONFIG_ERROR_MARKER = f"{PREFIX}config-error -->"
NOTICE_MARKER = f"{PREFIX}notice -->"

_KEY_CHARS = re.compile(r"[^0-9A-Za-z_.-]")
_FP_CHARS = re.compile(r"[^0-9A-Za-z]")
_HEAD = re.compile(r"<!-- grok-review:head=([0-9a-fA-F]{7,64}) -->")
_FP = re.compile(r"<!-- grok-review:fp=([0-9A-Za-z]+) -->")
_ANSWER = re.compile(r"<!-- grok-review:answer=([0-9]{1,20}) -->")
_ANY = re.compile(r"<!-- grok-review:[^>]*-->")


def is_ours(body: str) -> bool:
    """The body carries one of our markers: the bot wrote it."""
    return PREFIX in body


def head_marker(sha: str) -> str:
    """Ends every review body: the head commit this review covers."""
    return f"{PREFIX}head={_KEY_CHARS.sub('', sha)} -->"


def run_marker(key: str) -> str:
    """Ends every review body: the run (or webhook delivery) that posted it."""
    return f"{PREFIX}run={_KEY_CHARS.sub('', key)} -->"


def base_marker(sha: str) -> str:
    """Ends a config-error comment: the base commit whose config was invalid."""
    return f"{PREFIX}base={_KEY_CHARS.sub('', sha)} -->"


def fingerprint_marker(fp: str) -> str:
    """Ends each inline comment (and each finding listed in a review body)."""
    return f"{PREFIX}fp={_FP_CHARS.sub('', fp)} -->"


def reviewed_heads(body: str) -> tuple[str, ...]:
    """Head SHAs named by head markers in a review body."""
    return tuple(_HEAD.findall(body))


def has_run_marker(body: str, key: str) -> bool:
    return run_marker(key) in body


def find_fingerprints(body: str) -> tuple[str, ...]:
    """Fingerprints in the markers of a comment body (defused model text never matches)."""
    return tuple(_FP.findall(body))


def answer_marker(comment_id: int) -> str:
    """Ends every answer: the comment it answers (so it is never answered twice)."""
    return f"{PREFIX}answer={int(comment_id)} -->"


def answered_ids(body: str) -> tuple[int, ...]:
    """The comments an answer's markers say it answers."""
    return tuple(int(n) for n in _ANSWER.findall(body))


def without_markers(body: str) -> str:
    """A body of ours with its markers taken out (to quote it to the model)."""
    return _ANY.sub("", body).strip()
