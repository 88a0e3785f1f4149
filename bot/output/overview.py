"""The overview in each output: JSON, markdown (also the posted review body) and terminal text.

Its texts come from the model, so markdown gets them through `neutralize_inline` (a cell
or a list item); its paths come from the pull request and go in code spans.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from bot.models import FocusSpot, Overview, OverviewFile
from bot.output.markdown import code_span, neutralize_inline

COLLAPSE_AFTER = 10  # a posted overview with more files folds its table (<details>)
GROUP_AFTER = 25  # more files than this are grouped by top directory
MAX_ROWS = 300  # the table's rows at most; the rest are counted
TABLE_CHARS = 15_000  # and at most this long (a review body holds 65,536 characters)


def overview_to_json(overview: Overview) -> dict[str, Any]:
    """`{"summary", "files": [{"path", "summary"}], "focus": [str]}`; a skipped file's
    summary says it was not reviewed and why."""
    return {
        "summary": overview.summary,
        "files": [{"path": f.path, "summary": file_summary(f)} for f in overview.files],
        "focus": [focus_text(s) for s in overview.focus],
    }


def file_summary(f: OverviewFile) -> str:
    return f"not reviewed ({f.skipped})" if f.skipped else f.summary


def focus_text(spot: FocusSpot) -> str:
    """'src/a.py line 12: note', 'src/a.py: note' or the note alone."""
    where = f"{spot.path} line {spot.line}" if spot.path and spot.line else spot.path
    return f"{where}: {spot.note}" if where else spot.note


def render_overview_markdown(
    overview: Overview,
    *,
    collapsible: bool = False,
    blob_url: str | None = None,
    table_chars: int = TABLE_CHARS,
) -> str:
    """The overview section: summary, where to look hardest, the files table. `collapsible`
    (GitHub) folds a long table into <details>; `blob_url` links focus spots to the head;
    the table stops at `table_chars` characters (whole rows, the rest counted)."""
    title = "Overview of this push" if overview.push else "Overview"
    out = [f"### {title}"]
    if overview.summary:
        out.append(neutralize_inline(overview.summary))
    if overview.focus:
        spots = [f"- {_focus_markdown(s, blob_url)}" for s in overview.focus]
        out.append("**Where to look hardest:**\n" + "\n".join(spots))
    if overview.files:
        table = _table(overview.files, max_chars=table_chars)
        if collapsible and len(overview.files) > COLLAPSE_AFTER:
            reviewed = sum(1 for f in overview.files if f.skipped is None)
            label = f"Changed files: {len(overview.files):,} ({reviewed:,} reviewed)"
            table = f"<details>\n<summary>{label}</summary>\n\n{table}\n\n</details>"
        out.append(table)
    return "\n\n".join(out)


def _focus_markdown(spot: FocusSpot, blob_url: str | None) -> str:
    note = neutralize_inline(spot.note)
    if spot.path is None:
        return note
    where = code_span(spot.path) + (f" line {spot.line}" if spot.line else "")
    if blob_url:
        anchor = f"#L{spot.line}" if spot.line else ""
        where = f"[{where}]({blob_url}/{quote(spot.path)}{anchor})"
    return f"{where}: {note}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _table(files: Sequence[OverviewFile], *, max_chars: int) -> str:
    rows = ["| File | Change |", "| --- | --- |"]
    used = sum(len(r) + 1 for r in rows) + 40  # and room for the "more files" row
    shown = list(files[:MAX_ROWS])
    grouped = len(files) > GROUP_AFTER
    if grouped:
        shown.sort(key=lambda f: _top(f.path))  # stable: the PR's order within a group
    group, listed = None, 0
    for f in shown:
        new = []
        if grouped and _top(f.path) != group:
            count = sum(1 for g in shown if _top(g.path) == _top(f.path))
            name = code_span(_top(f.path)) if _top(f.path) else "top level"
            new.append(f"| **{_cell(name)}** ({count:,} files) | |")
        change = f"_{file_summary(f)}_" if f.skipped else neutralize_inline(f.summary)
        new.append(f"| {_cell(code_span(f.path))} | {_cell(change)} |")
        if used + sum(len(r) + 1 for r in new) > max_chars:
            break
        group, listed = _top(f.path), listed + 1
        rows += new
        used += sum(len(r) + 1 for r in new)
    if listed < len(files):
        rows.append(f"| … | {len(files) - listed:,} more files |")
    return "\n".join(rows)


def _top(path: str) -> str:
    """The top directory of a path ("" for a file at the top level)."""
    return path.split("/", 1)[0] + "/" if "/" in path else ""


def overview_text_lines(overview: Overview) -> list[tuple[str, str]]:
    """The overview for a terminal: (line, rich style) pairs; the caller strips control
    characters. Paths first so terminals make them clickable."""
    title = "Overview of this push" if overview.push else "Overview"
    out = [(title, "bold underline")]
    if overview.summary:
        out.append(("  " + overview.summary, ""))
    if overview.focus:
        out.append(("  Where to look hardest:", "bold"))
        out += [("    " + _focus_line(s), "") for s in overview.focus]
    if overview.files:
        out.append(("  Files:", "bold"))
        width = min(max(len(f.path) for f in overview.files), 60)
        for f in overview.files[:MAX_ROWS]:
            style = "dim" if f.skipped else ""
            out.append((f"    {f.path.ljust(width)}  {file_summary(f)}".rstrip(), style))
        if len(overview.files) > MAX_ROWS:
            out.append((f"    … {len(overview.files) - MAX_ROWS:,} more files", "dim"))
    return out


def _focus_line(spot: FocusSpot) -> str:
    if spot.path is None:
        return spot.note
    where = f"{spot.path}:{spot.line}" if spot.line else spot.path
    return f"{where}  {spot.note}"
