"""The fake GitHub's request and reply records, shared by its server and endpoints."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    json: Any
    status: int = 0


@dataclass
class Reply:
    status: int
    body: Any = None  # dict or list -> JSON, str -> text, bytes -> as they are
    headers: dict[str, str] | None = None
    delay_s: float = 0.0  # wait this long before answering (a slow or hung server)
