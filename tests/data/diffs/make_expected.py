"""Write NAME.expected.json next to every NAME.diff here from the current parser.

Run `python tests/data/diffs/make_expected.py [NAME ...]` (no names: every diff).
The output freezes whatever the parser does today, so review every changed file BY HAND
(statuses, paths, line numbers, binary/mode/submodule flags) before committing it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parents[2]))  # run as a script from anywhere

from bot.diff.parse import build_line_map, decode_diff, parse_diff  # noqa: E402


def golden(data: bytes) -> list[dict[str, Any]]:
    """The JSON form the golden test compares: one entry per file, with its line map."""
    out = []
    for file in parse_diff(decode_diff(data)):
        line_map = build_line_map(file).model_dump(mode="json")
        line_map["added"] = sorted(line_map["added"])  # a frozenset has no stable order
        # shown_* are set by redaction, not by the parser
        dumped = file.model_dump(mode="json", exclude={"shown_path", "shown_old_path"})
        out.append({"file": dumped, "line_map": line_map})
    return out


def main(names: list[str]) -> None:
    for diff in sorted(HERE.glob("*.diff")):
        if names and diff.stem not in names:
            continue
        expected = diff.with_name(f"{diff.stem}.expected.json")
        text = json.dumps(golden(diff.read_bytes()), indent=1, ensure_ascii=False)
        expected.write_text(text + "\n", encoding="utf-8")
        print(expected.name)


if __name__ == "__main__":
    main(sys.argv[1:])
