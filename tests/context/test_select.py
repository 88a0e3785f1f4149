"""Context selection on small in-memory repositories: each kind of piece, ranking, no line
twice, the budget, secrets, and files that cannot be parsed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

import pytest

from bot.context.candidates import Candidate, shown_lines
from bot.context.index import Redacted, SymbolIndex, Twins
from bot.context.select import fit_candidates, select_context
from bot.context.snapshot import MemorySnapshot
from bot.models import ContextPiece, FileDiff
from bot.tokens import estimate_tokens
from tests.context.shop import BASE, HEAD, PRICES, make_diff, snapshot


def measure(piece: ContextPiece) -> int:
    return estimate_tokens(f"{piece.path} {piece.start} {'; '.join(piece.reasons)}\n{piece.text}\n")


def select(
    head: Mapping[str, str] = HEAD,
    base: Mapping[str, str] = BASE,
    *,
    budget: int = 10_000,
    files: Sequence[FileDiff] | None = None,
) -> tuple[ContextPiece, ...]:
    changed = make_diff(base, head)
    index = SymbolIndex(snapshot(head, base), changed=changed)
    chunk = changed if files is None else files
    return select_context(chunk, index, budget_tokens=budget, measure=measure)


def reasons(pieces: Sequence[ContextPiece]) -> dict[str, ContextPiece]:
    return {r: p for p in pieces for r in p.reasons}


def test_definition_of_a_name_the_change_calls_comes_from_another_file() -> None:
    found = reasons(select())
    piece = found["definition of price_of"]
    assert (piece.path, piece.start, piece.end, piece.base) == ("shop/prices.py", 6, 8, False)
    assert piece.text == PRICES.splitlines()[5] + "\n" + "\n".join(PRICES.splitlines()[6:8])


def test_callers_of_a_function_whose_signature_changed() -> None:
    found = reasons(select())
    assert found["caller of checkout in buy"].path == "shop/api.py"
    assert "receipt = checkout(cart)" in found["caller of checkout in buy"].text
    assert "return checkout(Cart())" in found["caller of checkout in preview"].text


def test_a_changed_function_is_followed_to_its_calls_not_every_mention() -> None:
    hooks = (
        "from shop.checkout import checkout\n\nHOOKS = [checkout]\n\n\n"
        "def run(cart):\n    return checkout(cart)\n"
    )
    pieces = select({**HEAD, "shop/hooks.py": hooks}, {**BASE, "shop/hooks.py": hooks})
    hooked = [p for p in pieces if p.path == "shop/hooks.py"]
    assert [p.reasons for p in hooked] == [("caller of checkout in run",)]
    assert "HOOKS" not in hooked[0].text


def test_enclosing_function_of_a_hunk_without_the_lines_the_diff_shows() -> None:
    steps = "".join(f"        result += {i}\n" for i in range(70))
    tail = "\n\ndef other():\n" + "".join(f"    x{i} = {i}\n" for i in range(150))
    # total() grows past what is shown whole, and the file past a short file.
    base = {
        **BASE,
        "shop/cart.py": BASE["shop/cart.py"].replace(
            "        return result\n", steps + "        return result\n"
        )
        + tail,
    }
    head = {
        **HEAD,
        "shop/cart.py": HEAD["shop/cart.py"].replace(
            "        return result\n", steps + "        return result\n"
        )
        + tail,
    }
    pieces = select(head, base)
    enclosing = [
        p for p in pieces if p.path == "shop/cart.py" and "enclosing function total" in p.reasons
    ]
    assert enclosing, pieces
    diff = make_diff(base, head)
    shown = shown_lines(f for f in diff if f.path == "shop/cart.py")[("shop/cart.py", False)]
    lines = {n for p in enclosing for n in range(p.start, p.end + 1)}
    assert not lines & shown
    assert max(lines) > max(shown)  # the rest of total() after the hunk
    outer = reasons(pieces)["enclosing class Cart"]
    assert outer.start == 6 and "class Cart:" in outer.text


def test_enclosing_function_of_a_pure_removal() -> None:
    steps = "".join(f"    step{i} = {i}\n" for i in range(30))
    base = {"m.py": f"def work():\n{steps}    return step0\n\n\n" + "X = 1\n" * 200}
    head = {"m.py": base["m.py"].replace("    step15 = 15\n", "")}
    pieces = select(head, base)
    around = [p for p in pieces if "enclosing function work" in p.reasons]
    assert [(p.base, p.start) for p in around] == [(False, 1), (False, 20)]  # the diff: 14-19
    assert "def work():" in around[0].text and "return step0" in around[1].text


def test_old_scope_of_removed_code_is_shown_when_the_head_no_longer_has_it() -> None:
    piece = reasons(select())["enclosing function legacy before the change"]
    assert piece.base and piece.path == "shop/checkout.py"
    assert "fourth = cart.items[3]" in piece.text
    assert (
        piece.text.splitlines()
        == BASE["shop/checkout.py"].splitlines()[piece.start - 1 : piece.end]
    )


def test_a_short_changed_file_is_shown_whole_without_its_diff_lines() -> None:
    piece = reasons(select())["rest of the changed file"]
    assert piece.path == "shop/cart.py" and piece.start == 1
    assert "from shop.prices import price_of" in piece.text
    assert "price_of(item)" not in piece.text  # the changed line is the diff's


def test_a_short_config_file_is_shown_whole_too() -> None:
    base = {**BASE, "setup.cfg": "".join(f"key{i} = {i}\n" for i in range(20))}
    head = {**base, "setup.cfg": base["setup.cfg"].replace("key10 = 10", "key10 = 11")}
    pieces = select(head, base, files=make_diff(base, head)[-1:])
    assert {p.reasons for p in pieces} == {("rest of the changed file",)}
    text = "\n".join(p.text for p in pieces)
    assert "key1 = 1" in text and "key19 = 19" in text and "key10" not in text


def test_no_line_is_shown_twice_or_repeats_the_diff() -> None:
    pieces = select()
    diff = make_diff(BASE, HEAD)
    shown = shown_lines(diff)
    seen = Counter((p.path, p.base, n) for p in pieces for n in range(p.start, p.end + 1))
    assert max(seen.values()) == 1
    assert not any(n in shown.get((path, base), set()) for path, base, n in seen)


def test_pieces_that_touch_are_merged_with_both_reasons() -> None:
    candidates = [
        Candidate("a.py", False, 1, 3, "definition of f", 10.0),
        Candidate("a.py", False, 4, 6, "caller of g", 5.0),
    ]
    lines = [f"line {n}" for n in range(1, 7)]
    pieces = fit_candidates(
        candidates, shown={}, lines=lambda p, b: lines, budget_tokens=1_000, measure=measure
    )
    assert [(p.start, p.end, p.reasons) for p in pieces] == [
        (1, 6, ("definition of f", "caller of g"))
    ]


def test_higher_scores_go_first_and_what_does_not_fit_is_passed_over() -> None:
    lines = [f"statement_{n} = compute({n})" for n in range(1, 201)]
    candidates = [
        Candidate("a.py", False, 1, 150, "big, important", 100.0),
        Candidate("a.py", False, 151, 155, "small", 50.0),
        Candidate("a.py", False, 160, 200, "medium", 40.0),
    ]
    one = measure(
        ContextPiece(
            path="a.py", start=151, end=155, reasons=("small",), text="\n".join(lines[150:155])
        )
    )
    pieces = fit_candidates(
        candidates, shown={}, lines=lambda p, b: lines, budget_tokens=one + 5, measure=measure
    )
    assert [p.reasons for p in pieces] == [("small",)]


def test_a_definition_unique_in_the_repository_ranks_above_an_ambiguous_one() -> None:
    common = "def fmt(value):\n    return str(value)\n"
    base = {
        "pkg/one.py": common,
        "pkg/two.py": common,
        "pkg/unique.py": "def parse(text):\n    return text.split()\n",
        "pkg/main.py": "def run(x):\n    return x\n",
    }
    head = {**base, "pkg/main.py": "def run(x):\n    return fmt(parse(x))\n"}
    everything = select(head, base, budget=10_000)
    assert {"definition of fmt", "definition of parse"} <= set(reasons(everything))
    ranked = {p.path: p for p in everything}
    tight = select(head, base, budget=measure(ranked["pkg/unique.py"]) + 1)
    assert [p.path for p in tight] == ["pkg/unique.py"]


@pytest.mark.parametrize("budget", [0, 1, 50, 120, 300, 700, 1_500, 4_000, 100_000])
def test_pieces_always_fit_the_budget(budget: int) -> None:
    pieces = select(budget=budget)
    assert sum(measure(p) for p in pieces) <= budget


def test_secrets_in_context_are_redacted_like_the_diffs() -> None:
    token = "ghp_" + "a1B2c3D4e5" * 4
    prices = PRICES.replace('"""The gross price of one item."""', f'API_TOKEN = "{token}"')
    pieces = select({**HEAD, "shop/prices.py": prices}, {**BASE, "shop/prices.py": prices})
    text = "\n".join(p.text for p in pieces)
    assert token not in text and "[REDACTED" in text


def test_a_key_block_cut_by_a_pieces_edge_is_still_redacted() -> None:
    body = ["MIIEowIBAAKCAQEA" + "x" * 48 + str(n) for n in range(6)]
    key = "\n".join(["-----BEGIN RSA PRIVATE KEY-----", *body, "-----END RSA PRIVATE KEY-----"])
    text = f'def f():\n    return 1\n\nKEY = """\n{key}\n"""\n'
    lines = Redacted("conf/keys.py", text)
    middle = lines[6:8]  # two lines from inside the block, without its BEGIN line
    assert len(middle) == 2 and not any("MIIEowIBAAKCAQEA" in line for line in middle)
    assert lines[0] == "def f():"


def test_unreadable_and_unknown_files_are_skipped_and_the_rest_goes_on() -> None:
    broken = "def oops(:\n    )))\n" * 3
    base = {**BASE, "docs/guide.md": "# Guide\n" * 100, "shop/broken.py": broken}
    head = {
        **HEAD,
        "docs/guide.md": "# Guide!\n" + "# Guide\n" * 99,
        "shop/broken.py": broken + "oops(\n",
        "logo.png": "",
    }
    snap = MemorySnapshot(
        {**{p: t.encode() for p, t in head.items()}, "logo.png": b"\x89PNG\x00\x01"},
        source="git",
        base={p: t.encode() for p, t in base.items()},
    )
    changed = make_diff(base, head)
    index = SymbolIndex(snap, changed=changed)
    found = reasons(select_context(changed, index, budget_tokens=10_000, measure=measure))
    assert "definition of price_of" in found and "caller of checkout in buy" in found


def test_lookups_parse_only_files_that_may_define_the_name() -> None:
    files = {f"pkg/mod{i}.py": f"def f{i}():\n    return {i}\n" for i in range(50)}
    files["pkg/target.py"] = "def wanted():\n    return 1\n"
    snap = MemorySnapshot({p: t.encode() for p, t in files.items()})
    index = SymbolIndex(snap)
    found, count = index.definitions("wanted", "python")
    assert [d.path for d in found] == ["pkg/target.py"] and count == 1
    assert set(index._head) == {"pkg/target.py"}  # one file parsed, not fifty-one


class Counting(MemorySnapshot):
    def __init__(self, files: Mapping[str, str]) -> None:
        super().__init__({p: t.encode() for p, t in files.items()})
        self.reads: list[str] = []

    def read(self, path: str) -> str | None:
        self.reads.append(path)
        return super().read(path)


def test_only_the_language_asked_about_is_read() -> None:
    snap = Counting(
        {"app.py": "def wanted():\n    pass\n", "web/a.js": "function f() {}\n", "doc.md": "x"}
    )
    index = SymbolIndex(snap)
    assert [d.path for d in index.definitions("wanted", "python")[0]] == ["app.py"]
    assert sorted(set(snap.reads)) == ["app.py"]  # no JavaScript, no Markdown


def test_names_defined_in_many_files_are_not_parsed_at_all() -> None:
    files = {f"pkg/mod{i}.py": "def get():\n    return 1\n" for i in range(20)}
    index = SymbolIndex(MemorySnapshot({p: t.encode() for p, t in files.items()}))
    assert index.definitions("get", "python") == ([], 20)
    assert not index._head


def test_definitions_cross_javascript_and_typescript() -> None:
    files = {
        "web/util.js": "export function slugify(text) {\n  return text.toLowerCase();\n}\n",
        "web/page.ts": "import { slugify } from './util';\nexport const x = 1;\n",
    }
    index = SymbolIndex(MemorySnapshot({p: t.encode() for p, t in files.items()}))
    found, _ = index.definitions("slugify", "typescript")
    assert [(d.path, d.kind) for d in found] == [("web/util.js", "function")]


@pytest.mark.parametrize(
    ("base", "line", "twin"),
    [
        (True, 1, ("b.py", False, 1)),  # above the hunk
        (True, 3, None),  # inside the hunk (a context line: the diff shows it)
        (True, 5, None),  # the removed line
        (True, 9, ("b.py", False, 11)),  # after a hunk that adds two lines net
        (True, 12, ("b.py", False, 14)),
        (False, 11, ("a.py", True, 9)),
        (False, 6, None),  # an added line
    ],
)
def test_twins_follow_the_offsets_of_earlier_hunks(
    base: bool, line: int, twin: tuple[str, bool, int] | None
) -> None:
    old = "".join(f"line {n}\n" for n in range(1, 13))
    new = old.replace("line 5\n", "new 5a\nnew 5b\nnew 5c\n")
    (diff,) = make_diff({"x.py": old}, {"x.py": new})
    assert [(h.old_start, h.old_len, h.new_start, h.new_len) for h in diff.hunks] == [(2, 7, 2, 9)]
    renamed = diff.model_copy(update={"old_path": "a.py", "path": "b.py", "status": "renamed"})
    assert Twins([renamed])("a.py" if base else "b.py", base, line) == twin


def test_an_insertion_hunk_shifts_only_the_lines_after_it() -> None:
    (diff,) = make_diff({"x.py": "a\nb\n"}, {"x.py": "a\nb\nc\n"})
    insertion = diff.model_copy(
        update={
            "hunks": (
                diff.hunks[0].model_copy(
                    update={"old_start": 5, "old_len": 0, "new_start": 6, "new_len": 2}
                ),
            )
        }
    )
    twins = Twins([insertion])
    assert twins("x.py", True, 5) == ("x.py", False, 5)
    assert twins("x.py", True, 6) == ("x.py", False, 8)
    assert twins("x.py", False, 7) is None


def test_files_the_pr_leaves_alone_are_their_own_twins() -> None:
    assert Twins([])("untouched.py", True, 7) == ("untouched.py", False, 7)


def test_files_using_a_name_come_nearest_the_change_first_up_to_the_cap() -> None:
    from bot.context.index import MAX_USING_FILES, Nearness

    near = Nearness(["a/b/c/changed.py"])
    assert [near(p) for p in ("a/b/c/changed.py", "a/b/c/x.py", "a/b/y.py", "a/z.py", "q.py")] == [
        4,
        3,
        2,
        1,
        0,
    ]
    paths = ["q.py", "a/z.py", "a/b/y.py", "a/b/c/x.py"] + [f"far{i}.py" for i in range(30)]
    files = {p: "total = 1\nuse(total)\n" for p in paths}
    changed = make_diff({"a/b/c/changed.py": "x = 1\n"}, {"a/b/c/changed.py": "x = 2\n"})
    index = SymbolIndex(snapshot(files, files), changed=changed)
    found = index.files_using("total", "python")
    assert len(found) == MAX_USING_FILES
    assert found[:4] == ["a/b/c/x.py", "a/b/y.py", "a/z.py", "far0.py"]
    assert "q.py" not in found  # as far as the far files, and after them by path: cut
