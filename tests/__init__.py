"""The test suite; `tests` is a package so test modules import helpers by full name."""

from pathlib import Path

TESTS = Path(__file__).resolve().parent
DATA = TESTS / "data"
ROOT = TESTS.parent
