"""The model's tools on a real git repository made in the test: each tool, the caps, secrets,
and every way a call can be wrong (it gets an error result, never an exception)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.context.git import commit_snapshot, head_commit
from bot.context.index import SymbolIndex
from bot.context.tools import TOOL_NAMES, Toolbox, ToolResult, run_all, tool_specs
from bot.context.worktree import WorktreeSnapshot
from bot.diff.parse import parse_diff
from bot.tokens import estimate_tokens
from tests.helpers.git import git

AWS_KEY = "AKIA" + "Q3EGWHK7ZR2XN5TU"  # shaped like an access key id, split so no scanner trips
PRICES = '''"""Prices."""

TAX = 0.2


def price_of(item):
    """The gross price of one item."""
    return item.net * (1 + TAX)
'''
CART = '''"""The cart."""

from shop.prices import price_of


class Cart:
    def __init__(self):
        self.items = []

    def total(self):
        return sum(price_of(i) for i in self.items)  # price_of in a comment
'''
API = """from shop.cart import Cart


def quote(items):
    cart = Cart()
    cart.items = items
    return cart.total()


def label():
    return "price_of is not called here"
"""
WEB = """export function priceOf(item) {
  return item.net * 1.2;
}

export const TAX = 0.2;
"""
CONFIG = f"""aws_access_key_id = {AWS_KEY}
region = eu-west-1
"""


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small shop in Python and JavaScript, a config holding a key, a long file, a binary,
    and symbolic links that point out of the repository."""
    r = tmp_path_factory.mktemp("tools") / "repo"
    (r / "shop").mkdir(parents=True)
    (r / "web").mkdir()
    git(r, "init", "-q", "-b", "main")
    (r / "shop" / "prices.py").write_text(PRICES)
    (r / "shop" / "cart.py").write_text(CART.replace("sum(price_of(i)", "sum(i.net"))
    git(r, "add", ".")
    git(r, "commit", "-qm", "base")
    (r / "shop" / "cart.py").write_text(CART)
    (r / "shop" / "api.py").write_text(API)
    (r / "web" / "prices.js").write_text(WEB)
    (r / "deploy.cfg").write_text(CONFIG)
    (r / "long.txt").write_text("".join(f"line {n} of the long file\n" for n in range(1, 5001)))
    (r / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00binary")
    os.symlink("/etc/passwd", r / "passwd")
    os.symlink("../../outside.txt", r / "shop" / "outside.py")
    (r.parent / "outside.txt").write_text("a file outside the repository\n")
    git(r, "add", ".")
    git(r, "commit", "-qm", "head")
    return r


@pytest.fixture(params=["git", "worktree"])
def box(request: pytest.FixtureRequest, repo: Path) -> Iterator[Toolbox]:
    """The tools over the head commit's objects, and over the working tree."""
    head = head_commit(repo)
    assert head is not None
    base = git(repo, "rev-parse", "HEAD~1").strip()
    changed = parse_diff(git(repo, "diff", base, head))
    if request.param == "git":
        snapshot = commit_snapshot(repo, head, base=base)
    else:
        snapshot = WorktreeSnapshot(repo, base=base)
    try:
        yield Toolbox(snapshot, index=SymbolIndex(snapshot, changed=changed))
    finally:
        snapshot.close()


def call(box: Toolbox, name: str, *, max_tokens: int = 8000, **args: object) -> ToolResult:
    return box.run(name, json.dumps(args), max_tokens=max_tokens)


def test_specs_name_five_tools_with_object_schemas() -> None:
    specs = tool_specs()
    assert [s["name"] for s in specs] == list(TOOL_NAMES)
    assert set(TOOL_NAMES) == {
        "read_file",
        "search",
        "find_definitions",
        "find_references",
        "list_files",
    }
    for spec in specs:
        assert spec["description"] and spec["parameters"]["type"] == "object"
        text = json.dumps(spec["parameters"])
        assert "minLength" not in text and "maxLength" not in text and "anyOf" not in text


def test_read_file_shows_numbered_lines_of_a_range(box: Toolbox) -> None:
    result = call(box, "read_file", path="shop/prices.py", start_line=6, end_line=8)
    assert not result.error
    assert result.text.splitlines() == [
        "shop/prices.py lines 6-8 of 8:",
        "6: def price_of(item):",
        '7:     """The gross price of one item."""',
        "8:     return item.net * (1 + TAX)",
    ]


def test_read_file_of_a_long_file_is_cut_at_the_budget_and_says_where(box: Toolbox) -> None:
    result = call(box, "read_file", path="long.txt", max_tokens=500)
    assert estimate_tokens(result.text) <= 500
    first, *_, last = result.text.splitlines()
    assert first == "long.txt lines 1-5000 of 5,000:"
    shown = int(result.text.splitlines()[-2].split(":")[0])
    assert 10 < shown < 5000
    assert last.startswith(f"[cut: lines {shown + 1}-5000 not shown")
    assert f"start_line {shown + 1}" in last


@pytest.mark.parametrize(
    "path",
    ["../outside.txt", "/etc/passwd", "shop/../../outside.txt", "shop/../shop/cart.py"],
)
def test_paths_that_leave_or_climb_out_of_the_repository_are_errors(
    box: Toolbox, path: str
) -> None:
    result = call(box, "read_file", path=path)
    assert result.error and result.text.startswith("error: ")
    assert "root" in result.text or "no file" in result.text
    assert "outside the repository" not in result.text and "root:" not in result.text


@pytest.mark.parametrize("path", ["passwd", "shop/outside.py"])
def test_a_symbolic_link_out_of_the_repository_is_not_a_file(box: Toolbox, path: str) -> None:
    result = call(box, "read_file", path=path)
    assert result.error and "no file" in result.text
    listed = call(box, "list_files").text
    assert path not in listed.splitlines()


def test_a_binary_file_is_listed_but_cannot_be_read(box: Toolbox) -> None:
    result = call(box, "read_file", path="logo.png")
    assert result.error and "binary" in result.text


def test_secrets_are_redacted_in_reads_and_cannot_be_searched_for(box: Toolbox) -> None:
    read = call(box, "read_file", path="deploy.cfg").text
    assert AWS_KEY not in read and "[REDACTED" in read
    for pattern, regex in ((AWS_KEY, False), ("AKIA[A-Z0-9]{16}", True), ("AKIAQ3", False)):
        found = call(box, "search", pattern=pattern, regex=regex)
        assert not found.error
        assert "0 matching line(s)" in found.text and "deploy.cfg" not in found.text
    assert "deploy.cfg:2: region = eu-west-1" in call(box, "search", pattern="region").text


def test_search_literal_and_regex_with_a_path_glob(box: Toolbox) -> None:
    literal = call(box, "search", pattern="price_of(").text
    assert "shop/cart.py:11:" in literal and "shop/prices.py:6:" in literal
    assert "web/prices.js" not in literal
    regex = call(box, "search", pattern=r"(?i)priceof|price_of", regex=True, path_glob="web/")
    assert regex.text.splitlines()[1:] == ["web/prices.js:1: export function priceOf(item) {"]
    assert regex.text.startswith("search for regular expression (RE2)")


def test_search_puts_the_changed_files_first(box: Toolbox) -> None:
    lines = call(box, "search", pattern="price_of").text.splitlines()[1:]
    # shop/cart.py and shop/api.py changed: their matches come before shop/prices.py's.
    assert lines[0].startswith("shop/api.py:") or lines[0].startswith("shop/cart.py:")
    assert lines[-1].startswith("shop/prices.py:")


def test_search_results_are_capped_and_say_how_many_more(box: Toolbox) -> None:
    result = call(box, "search", pattern="of the long file", max_tokens=400)
    assert estimate_tokens(result.text) <= 400
    assert "5,000 matching line(s) in 1 file(s)" in result.text.splitlines()[0]
    assert "more matching line(s) not shown" in result.text.splitlines()[-1]


@pytest.mark.parametrize(
    ("pattern", "says"),
    [
        (r"(a)\1", "not valid RE2"),
        ("(?=price)", "not valid RE2"),
        ("x{5000}", "not valid RE2"),
        ("a*", "matches an empty line"),
    ],
)
def test_patterns_re2_refuses_are_error_results(box: Toolbox, pattern: str, says: str) -> None:
    result = call(box, "search", pattern=pattern, regex=True)
    assert result.error and says in result.text


def test_a_pattern_that_would_backtrack_forever_runs_in_linear_time(box: Toolbox) -> None:
    started = time.monotonic()
    result = call(box, "search", pattern=r"(\w+\s?)+$x", regex=True)
    assert not result.error
    assert time.monotonic() - started < 5  # a guard against a hang, not a timing


def test_find_definitions_in_python_and_javascript(box: Toolbox) -> None:
    py = call(box, "find_definitions", symbol="price_of").text.splitlines()
    assert py[0] == "definitions of price_of: 1"
    assert py[1] == "shop/prices.py lines 6-8: function"
    assert py[2] == "6: def price_of(item):"
    js = call(box, "find_definitions", symbol="priceOf").text
    assert "web/prices.js lines 1-3: function" in js
    dotted = call(box, "find_definitions", symbol="Cart.total").text.splitlines()
    assert dotted[:2] == ["definitions of total: 1", "shop/cart.py lines 10-11: function"]
    none = call(box, "find_definitions", symbol="nowhere_defined").text
    assert none.startswith("definitions of nowhere_defined: 0") and "search" in none


def test_find_references_lists_uses_in_code_only(box: Toolbox) -> None:
    text = call(box, "find_references", symbol="price_of").text
    lines = text.splitlines()
    assert lines[0].endswith(": 1")
    assert lines[1].startswith("shop/cart.py:11:         return sum(price_of(i) for i in")
    assert "shop/api.py" not in text  # only a string mentions it there
    assert "shop/prices.py" not in text  # the definition is not a use


def test_list_files_with_and_without_a_glob(box: Toolbox) -> None:
    every = call(box, "list_files").text.splitlines()
    assert every == [
        "7 file(s) in the repository:",
        "deploy.cfg",
        "logo.png",
        "long.txt",
        "shop/api.py",
        "shop/cart.py",
        "shop/prices.py",
        "web/prices.js",
    ]
    py = call(box, "list_files", glob="**/*.py").text.splitlines()
    assert py == ["3 file(s) matching '**/*.py':", "shop/api.py", "shop/cart.py", "shop/prices.py"]
    assert call(box, "list_files", glob="nothing/").text == "0 file(s) matching 'nothing/':"


@pytest.mark.parametrize(
    ("name", "arguments", "says"),
    [
        ("run_shell", '{"command": "rm -rf /"}', "there is no tool 'run_shell'"),
        ("read_file", "{not json", "not JSON"),
        ("read_file", '["shop/cart.py"]', "must be a JSON object"),
        ("read_file", '{"path": 7}', "do not fit read_file's schema: path"),
        ("read_file", '{"file": "shop/cart.py"}', "do not fit read_file's schema"),
        ("read_file", '{"path": "shop/cart.py", "start_line": 0}', "at least 1"),
        ("read_file", '{"path": "shop/cart.py", "start_line": 9, "end_line": 2}', "before"),
        ("read_file", '{"path": "shop/cart.py", "start_line": 90}', "past its end"),
        ("search", json.dumps({"pattern": "x" * 600}), "at most 500"),
        ("search", json.dumps({"pattern": "x" * 5000}), "over the limit"),
        ("find_definitions", '{"symbol": "a b"}', "not a name"),
        ("find_references", '{"symbol": "$(rm)"}', "not a name"),
    ],
)
def test_bad_calls_get_error_results(box: Toolbox, name: str, arguments: str, says: str) -> None:
    result = box.run(name, arguments, max_tokens=8000)
    assert result.error and result.text.startswith("error: ") and says in result.text


def test_run_all_answers_every_call_in_order(box: Toolbox) -> None:
    calls = [("list_files", '{"glob": "web/"}'), ("nope", "{}"), ("read_file", '{"path": "x"}')]
    results = run_all(box, calls, max_tokens=[1000, 1000, 1000])
    assert [r.error for r in results] == [False, True, True]
    assert results[0].text.splitlines()[1] == "web/prices.js"


def test_a_secret_in_a_file_name_is_redacted_in_every_result() -> None:
    from bot.context.snapshot import MemorySnapshot

    name = f"keys/{AWS_KEY}.txt"
    box = Toolbox(MemorySnapshot({name: b"needle\n", "a.py": b"x = 1\n"}, source="git"))
    results = [
        box.run("list_files", "{}", max_tokens=2_000).text,
        box.run("search", '{"pattern": "needle"}', max_tokens=2_000).text,
        box.run("read_file", json.dumps({"path": name}), max_tokens=2_000).text,
    ]
    assert all("keys/" in r and AWS_KEY not in r for r in results), results
