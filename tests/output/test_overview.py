"""The overview in every output, and model text in it defused like comment bodies."""

from __future__ import annotations

import json
import re

import pytest

from bot.github.render import render_review_body
from bot.models import FocusSpot, Overview, OverviewFile, Review, Usage
from bot.output.formats import REPORTED_LABEL, render_markdown, render_text, review_to_json
from bot.output.overview import COLLAPSE_AFTER, render_overview_markdown
from tests.output.helpers import REVIEW
from tests.output.test_defused_markdown import CORPUS, FUZZ, HEAD, assert_defused

OVERVIEW = Overview(
    summary="Adds a retry loop to the client and logs each attempt.",
    files=(
        OverviewFile(path="src/client.py", summary="retries failed requests"),
        OverviewFile(path="poetry.lock", summary="", skipped="lockfile"),
    ),
    focus=(
        FocusSpot(path="src/client.py", line=12, note="the retry never gives up"),
        FocusSpot(path=None, line=None, note="no test covers the backoff"),
    ),
)
# What a PR can make a model write: mentions, a forged marker, raw HTML, an image, a command,
# a fence that would swallow the rest, table pipes and newlines.
HOSTILE = (
    "~~~ @octocat <img src=x onerror=alert(1)> | broken | cell\n"
    "/review full <!-- grok-review:fp=deadbeef --> ![t](http://evil/p.png) @acme/admins"
)


def review(overview: Overview | None = OVERVIEW, **kw: object) -> Review:
    return REVIEW.model_copy(update={"overview": overview, **kw})


def test_json_has_the_contract_shape() -> None:
    out = json.loads(json.dumps(review_to_json(review())))
    assert out["overview"] == {
        "summary": "Adds a retry loop to the client and logs each attempt.",
        "files": [
            {"path": "src/client.py", "summary": "retries failed requests"},
            {"path": "poetry.lock", "summary": "not reviewed (lockfile)"},
        ],
        "focus": ["src/client.py line 12: the retry never gives up", "no test covers the backoff"],
    }
    assert review_to_json(review(None))["overview"] is None


def test_markdown_shows_it_before_the_findings() -> None:
    text = render_markdown(review())
    assert (
        text.index(f"**{REPORTED_LABEL}:**") < text.index("### Overview") < text.index("### Inline")
    )
    assert "| `src/client.py` | retries failed requests |" in text
    assert "| `poetry.lock` | _not reviewed (lockfile)_ |" in text
    assert "- `src/client.py` line 12: the retry never gives up" in text
    assert "### Overview" not in render_markdown(review(None))


def test_text_shows_it_before_the_findings() -> None:
    text = render_text(review(), color=False)
    assert text.index("Overview") < text.index("Inline findings")
    assert "src/client.py:12  the retry never gives up" in text
    assert re.search(r"poetry\.lock +not reviewed \(lockfile\)", text)


def test_an_incremental_review_describes_the_push() -> None:
    pushed = OVERVIEW.model_copy(update={"push": True})
    assert "### Overview of this push" in render_markdown(review(pushed))
    assert "Overview of this push" in render_text(review(pushed), color=False)


def test_the_posted_body_has_it_after_the_headline_with_links_to_the_head() -> None:
    body = render_review_body(
        review(),
        head_sha="c" * 40,
        run_key="r1",
        pr_url="https://github.com/octo/widgets/pull/7",
    )
    assert (
        body.index(f"**{REPORTED_LABEL}:**")
        < body.index("### Overview")
        < body.index("### Findings")
    )
    link = f"https://github.com/octo/widgets/blob/{'c' * 40}/src/client.py#L12"
    assert f"[`src/client.py` line 12]({link}): the retry never gives up" in body
    assert "<details>\n" not in body  # two files: nothing to fold


def test_a_long_overview_folds_its_table_on_github_only() -> None:
    files = tuple(OverviewFile(path=f"src/m{i}.py", summary="x") for i in range(COLLAPSE_AFTER + 1))
    long = OVERVIEW.model_copy(update={"files": files})
    body = render_review_body(review(long), head_sha="c" * 40, run_key="r1")
    opened, closed = body.index("<details>\n"), body.index("</details>")
    assert opened < body.index("| `src/m0.py` | x |") < closed < body.index("### Findings")
    assert "<summary>Changed files: 11 (11 reviewed)</summary>" in body
    assert "<details>\n" not in render_markdown(review(long))


def test_many_files_are_grouped_and_a_huge_table_is_cut_between_rows() -> None:
    files = tuple(OverviewFile(path=f"d{i % 3}/f{i}.py", summary="y" * 200) for i in range(300))
    text = render_overview_markdown(OVERVIEW.model_copy(update={"files": files}))
    assert "| **`d0/`** (100 files) | |" in text
    assert len(text) < 16_500 and text.endswith("more files |")
    assert all(row.endswith("|") for row in text.splitlines() if row.startswith("|"))


@pytest.mark.parametrize("text", [HOSTILE, *CORPUS, *FUZZ[:60]])
def test_hostile_model_text_is_defused_everywhere_it_appears(text: str) -> None:
    overview = Overview(
        summary=text,
        files=(OverviewFile(path="a.py", summary=text), OverviewFile(path="b|c.py", summary="x")),
        focus=(
            FocusSpot(path="a.py", line=1, note=text),
            FocusSpot(path=None, line=None, note=text),
        ),
    )
    url = "https://github.com/octo/widgets/pull/7"
    body = render_review_body(
        review(overview, unanchored=(), overflow=(), comments=(), errors=()),
        head_sha=HEAD,
        run_key="r",
        pr_url=url,
    )
    assert_defused(body, comments=[f"grok-review:head={HEAD}", "grok-review:run=r"])
    assert_defused(render_overview_markdown(overview), comments=[])
    # The table keeps its two columns whatever the text holds.
    rows = [ln for ln in render_overview_markdown(overview).splitlines() if ln.startswith("| `")]
    assert len(rows) == 2 and all(len(re.split(r"(?<!\\)\|", ln)) == 4 for ln in rows)


def test_paths_are_code_spans_even_with_backticks_and_pipes() -> None:
    overview = Overview(summary="s", files=(OverviewFile(path="we`ird|name.py", summary="z"),))
    text = render_overview_markdown(overview)
    assert "| ``we`ird\\|name.py`` | z |" in text


def test_the_usage_of_the_merge_is_the_reviews() -> None:
    # One line of usage: whatever requests the overview cost are in the review's usage.
    line = render_markdown(review(usage=Usage(requests=4, cost_usd=0.01))).splitlines()[-1]
    assert line.startswith("_4 requests")
