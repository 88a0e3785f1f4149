"""bot.linear: RE2 matches reported at str positions, whatever the text holds."""

from __future__ import annotations

from bot.linear import LinearPattern

WORD = LinearPattern(r"(?:^|[^\w])(?P<w>t\w*)")


def test_positions_are_str_positions_in_non_ascii_text() -> None:
    text = "é token ü tik 😀 tak"
    found = [(m.span("w"), m.text_of("w")) for m in WORD.finditer(text)]
    assert found == [((2, 7), "token"), ((10, 13), "tik"), ((16, 19), "tak")]
    assert [text[s:e] for (s, e), _ in found] == ["token", "tik", "tak"]


def test_groups_that_took_no_part() -> None:
    either = LinearPattern(r"(?P<a>a+)|(?P<b>b+)")
    (m,) = either.finditer("bbb")
    assert m.span("a") == (-1, -1) and m.group("a") is None and m.text_of("a") == ""
    assert m.first_of(("a", "b")) == "b" and (m.start, m.end) == (0, 3)
    assert either.search("xyz") is None


def test_lone_surrogates_do_not_break_matching() -> None:
    text = "\ud800 token \udfff tak"
    assert [m.text_of("w") for m in WORD.finditer(text)] == ["token", "tak"]
    assert [m.span("w") for m in WORD.finditer(text)] == [(2, 7), (10, 13)]


def test_empty_matches_advance() -> None:
    assert len(list(LinearPattern(r"x*").finditer("aéb"))) == 4


def test_lines_with_match_finds_each_line_once() -> None:
    lines = ["no", "a token token token", "ünïcode", "tok", "", "x tak"]
    assert WORD.lines_with_match(lines) == {1, 3, 5}
    assert WORD.lines_with_match([]) == set()
