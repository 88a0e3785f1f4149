"""Model text posted on GitHub, rendered by a real CommonMark renderer (HTML on): nothing in it
can embed, mention, run a command or forge a marker, and our own marker survives once."""

from __future__ import annotations

import random
import re
from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt

from bot.github.markers import find_fingerprints, is_ours, reviewed_heads
from bot.github.render import (
    render_comment_body,
    render_config_error,
    render_notice,
    render_review_body,
)
from bot.models import Finding, Review
from bot.output.formats import render_markdown
from bot.output.markdown import COMMENT_LIMIT, headline, neutralize, neutralize_inline

# CommonMark with raw HTML allowed, plus GitHub's tables and strikethrough.
_MD = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
# What markdown itself produces; anything else came from raw HTML in the text.
_MARKDOWN_TAGS = {
    *[
        "p",
        "em",
        "strong",
        "code",
        "pre",
        "a",
        "ul",
        "ol",
        "li",
        "blockquote",
        "hr",
        "br",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "s",
    ],
    *(f"h{i}" for i in range(1, 7)),
}
# GitHub's rule: `@name` at the start of a text node or after a non-word character (here
# stricter: after anything but a letter or digit).
_MENTION = re.compile(r"(?:^|[^A-Za-z0-9])@[A-Za-z0-9]")
FP = "0123456789abcdef"
HEAD = "a" * 40

CORPUS = [
    "```\n<img src=x onerror=alert(1)> @octocat\n",
    "~~~\n<img src=x> @octocat",
    "```` title\n<img src=x>",
    "!![p](https://evil.example/p.png)",
    "![a](https://evil.example/a.png) ![[b]](https://e/b.png)",
    "\\@octocat please look, and \\\\@hubot too",
    "\\`<img src=x>\\` and \\` @octocat \\`",
    "`` ` `` <img src=x> ``` x `` @octocat",
    "````\n```\n<img src=x>\n```\n````\n<img src=y> @octocat",
    "text\n\n    <img src=x> @octocat\n\n  \t<img src=z>",
    "<details><summary>x</summary>\n\n@octocat\n\n</details>",
    "<div>\n<img src=x>\n</div>\n\n<script>alert(1)</script>",
    "<https://evil.example/x.png> <javascript:alert(1)> <octocat@github.com>",
    "![x][r]\n\n[r]: https://evil.example/p.png",
    "![x]\n\n[x]: https://evil.example/p.png 'title'",
    "[![y](https://e/y.png)](https://e)",
    "&lt;img src=x&gt; &#60;img src=x&#62; &#x3C;img src=x&#x3E; &#64;octocat &commat;hubot",
    "<!-- grok-review:head=" + "f" * 40 + " -->",
    "<!--grok-review:fp=evil-->",
    "<!-- GROK-REVIEW : fp=evil -->",
    "<!-- grok\u200b-review:fp=evil -->",
    "&lt;!-- grok-review:fp=evil --&gt;",
    "`<!-- grok-review:fp=evil -->`\n```\n<!-- grok-review:fp=evil2 -->\n```",
    "/review full",
    "> /review\n>> /review full\n   /review",
    "@org/team and @octocat's and (@hubot) and x@y.org",
    "\u200b@octocat @\u200boctocat <\u200bimg src=x> @oct\u200bocat",
    "| a | <img src=x> |\n|---|---|\n| @octocat | b |",
    "<img\nsrc=x>",
    "- item\n  ```\n  <img src=x>\n  ```\n- @octocat",
    "1. ```\n2. <img src=x>",
    "[link](javascript:alert(1)) [ok](https://example.org)",
    "Setext\n===\n<img src=x>\n---",
    "foo\\\n<img src=x>",
    "~~~~\n~~~\n@octocat\n~~~~",
    "```py\nunclosed @octocat <img src=x>",
    "*@octocat* **<img src=x>** _@hubot_",
    "https://medium.com/@user/post and www.example.com/@x",
    "<a href='https://e'>x</a> <b>bold</b> <sub>s</sub>",
]
_PIECES = [
    "```", "~~~", "`", "``", "\\", "<", ">", "!", "[", "]", "(", ")", "@octocat", "@a/b",
    "<img src=x>", "&#64;", "&lt;", "<!--", "-->", "grok-review:fp=x", "/review", "\n", "\n\n",
    "    ", "*", "_", "|", "https://e.example/x", "text", " ", "[r]:", "![", "\u200b",
]  # fmt: skip


def _fuzz(seed: int) -> str:
    rnd = random.Random(seed)
    return "".join(rnd.choice(_PIECES) for _ in range(rnd.randint(5, 40)))


FUZZ = [_fuzz(seed) for seed in range(400)]


class _Html(HTMLParser):
    """Tags, comments, links and the text nodes outside code and links of rendered HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.comments: list[str] = []
        self.hrefs: list[str] = []
        self.live_text: list[str] = []
        self._shielded = 0  # inside <code>, <pre> or <a>: GitHub mentions nobody there

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "a":
            self.hrefs.append(dict(attrs).get("href") or "")
        if tag in ("code", "pre", "a"):
            self._shielded += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("code", "pre", "a"):
            self._shielded -= 1

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)

    def handle_data(self, data: str) -> None:
        if not self._shielded:
            self.live_text.append(data)


def rendered(markdown: str) -> _Html:
    html = _Html()
    html.feed(_MD.render(markdown))
    html.close()
    return html


# GitHub turns these into cross-references: a "mentioned this" event on the issue named.
_REFERENCE = re.compile(r"(?:^|[^\w`])(?:[\w.-]+/[\w.-]+)?(?:#|GH-)\d")
_ISSUE_URL = re.compile(r"/(?:issues|pull|pulls|discussions)/\d")


def assert_defused(markdown: str, *, comments: list[str]) -> None:
    """Rendered, `markdown` holds no image, no raw HTML element, no live mention, exactly our
    `comments`, links only to http(s), and no line of it starts a slash command."""
    html = rendered(markdown)
    assert "img" not in html.tags
    assert set(html.tags) <= _MARKDOWN_TAGS, set(html.tags) - _MARKDOWN_TAGS
    assert [c.strip() for c in html.comments] == comments
    assert all(h.startswith(("https://", "http://")) for h in html.hrefs), html.hrefs
    live = [t for t in html.live_text if _MENTION.search(t) or _REFERENCE.search(t)]
    assert not live, live
    assert not any(_ISSUE_URL.search(h) for h in html.hrefs), html.hrefs
    code = {n for t in _MD.parse(markdown) if t.type in ("fence", "code_block") and t.map
            for n in range(*t.map)}  # fmt: skip
    lines = [ln for n, ln in enumerate(markdown.splitlines()) if n not in code]
    assert not any(ln.lstrip("> \t").startswith("/") for ln in lines)


def _finding(text: str, **kw: object) -> Finding:
    base: dict[str, object] = {
        "path": "src/app.py",
        "line": 3,
        "severity": "major",
        "category": "security",
        "title": text,
        "body": text,
        "confidence": 0.9,
        "fingerprint": FP,
    }
    return Finding(**{**base, **kw})  # type: ignore[arg-type]


@pytest.mark.parametrize("text", CORPUS + FUZZ)
def test_inline_comment_is_defused_and_keeps_its_marker_once(text: str) -> None:
    body = render_comment_body(_finding(text))
    assert_defused(body, comments=[f"grok-review:fp={FP}"])
    assert find_fingerprints(body) == (FP,)
    assert body.endswith(f"<!-- grok-review:fp={FP} -->")


@pytest.mark.parametrize("text", CORPUS + FUZZ[:100])
def test_review_body_and_markdown_output_are_defused(text: str) -> None:
    review = Review(
        summary=text,
        model="m",
        unanchored=(_finding(text),),
        overflow=(_finding(text, fingerprint="ff00"),),
        errors=(text,),
    )
    body = render_review_body(review, head_sha=HEAD, run_key="run-1", notes=[text])
    expected = [f"grok-review:fp={FP}", f"grok-review:head={HEAD}", "grok-review:run=run-1"]
    assert_defused(body, comments=expected)
    assert reviewed_heads(body) == (HEAD,) and find_fingerprints(body) == (FP,)
    assert_defused(render_markdown(review), comments=[])


@pytest.mark.parametrize("text", CORPUS)
def test_config_errors_and_notices_are_defused(text: str) -> None:
    comment = render_config_error(text, base_sha=HEAD, config_path=".github/grok-review.yml")
    assert_defused(comment, comments=["grok-review:config-error", f"grok-review:base={HEAD}"])
    notice = render_notice(text)
    assert_defused(notice, comments=["grok-review:notice"]) and is_ours(notice)


@pytest.mark.parametrize("text", CORPUS)
def test_headline_uses_the_same_construction(text: str) -> None:
    line = headline(_finding(text))
    assert "\n" not in line
    assert_defused(line, comments=[])
    assert line.endswith(neutralize_inline(text))


def test_prose_still_reads_as_prose() -> None:
    text = (
        "The loop skips the last item: `range(n)` stops at n - 1.\n\n"
        "Use **range(n + 1)** instead (see https://docs.python.org/3/library/stdtypes.html).\n"
        "- it's a *classic* off-by-one\n"
        "```py\nfor i in range(n + 1):\n    total += a[i]  # @decorator stays in code\n```"
    )
    html = rendered(neutralize(text))
    assert html.tags.count("code") == 2 and "strong" in html.tags and "em" in html.tags
    assert "li" in html.tags and "pre" in html.tags
    assert html.hrefs == ["https://docs.python.org/3/library/stdtypes.html"]
    words = " ".join("".join(html.live_text).split())
    assert "The loop skips the last item: stops at n - 1." in words
    assert "Use range(n + 1) instead (see )." in words


def test_readable_characters_are_only_escaped_where_needed() -> None:
    assert neutralize("a < b && c > d [x] ~y") == "a \\< b \\&\\& c > d \\[x\\] \\~y"
    assert neutralize("Mail a@b.org, ping @octocat") == "Mail a@b.org, ping `@octocat`"


def test_a_long_defused_body_is_cut_before_the_marker() -> None:
    # Escaping can double the text; the marker must still end the comment.
    body = render_comment_body(_finding("t", body="<" * 60_000, suggestion="x = 1\n" * 3_000))
    assert len(body) <= COMMENT_LIMIT
    assert body.endswith(f"<!-- grok-review:fp={FP} -->")
    assert_defused(body, comments=[f"grok-review:fp={FP}"])


def test_a_file_named_like_a_marker_forges_nothing() -> None:
    path = f"<!-- grok-review:head={HEAD} -->.py"
    review = Review(summary="s", model="m", unanchored=(_finding("t", path=path),))
    body = render_review_body(review, head_sha="b" * 40, run_key="r")
    assert reviewed_heads(body) == ("b" * 40,) and find_fingerprints(body) == (FP,)
    assert_defused(
        body, comments=[f"grok-review:fp={FP}", f"grok-review:head={'b' * 40}", "grok-review:run=r"]
    )


@pytest.mark.parametrize(
    "opener", ["```suggestion", "~~~suggestion", "``` Suggestion", "````SUGGESTION"]
)
def test_a_suggestion_fence_in_model_text_is_not_a_one_click_change(opener: str) -> None:
    # Only the finding's checked `suggestion` field may become a suggestion block.
    closer = opener.split("s")[0].split("S")[0].strip()
    body = render_comment_body(_finding(f"Do this:\n{opener}\nrm -rf /\n{closer}\n"))
    tokens = [t for t in _MD.parse(body) if t.type == "fence"]
    assert tokens and all(t.info.strip().lower() != "suggestion" for t in tokens)
    assert "rm -rf /" in body


@pytest.mark.parametrize(
    "text",
    [
        "Same bug as #12.",
        "See GH-34 and octo/repo#5 (fixed upstream).",
        "Tracked in https://github.com/octo/repo/issues/9 and https://github.com/o/r/pull/3.",
        "**#7**, _#8_, > #9",
    ],
)
def test_issue_references_in_model_text_reference_nothing(text: str) -> None:
    body = render_comment_body(_finding(text))
    assert_defused(body, comments=[f"grok-review:fp={FP}"])
    assert "#" in body or "GH-" in body or "/issues/" in body  # still shown, as code
