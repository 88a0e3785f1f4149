"""Fetch the token samples and record their real tokenizer counts in counts.json.

Two steps, each rerunnable on its own (tests need neither: they read the stored files):

    python tests/data/tokens/make_counts.py fetch   # pip, npm, git: rewrite samples/
    python tests/data/tokens/make_counts.py count   # node + npm: rewrite counts.json
    python tests/data/tokens/make_counts.py table   # offline: the table from counts.json

`fetch` downloads each pinned archive with `pip download --no-deps --no-binary :all:` or
`npm pack`, checks its sha256, and copies one file (or a line range of it) byte for byte to
samples/NAME. `rendered_*` samples are bot.diff.render.render_chunk of a diff in tests/data/diffs
or of `git diff --no-index` between two releases, stored so they stay fixed when the
renderer changes. `count` needs node (20+) and npm: it installs js-tiktoken into a temp dir
(or uses `--tokenizer-dir DIR` holding node_modules/js-tiktoken), counts o200k_base and
cl100k_base tokens of every sample, writes counts.json and prints the table. The Grok
tokenizer is not published; these two encodings stand in for it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any, NamedTuple

HERE = Path(__file__).parent
SAMPLES = HERE / "samples"
COUNTS = HERE / "counts.json"
DIFFS = HERE.parent / "diffs"
sys.path.insert(0, str(HERE.parents[2]))  # run as a script from anywhere

from bot.diff.parse import decode_diff, parse_diff  # noqa: E402
from bot.diff.render import render_chunk  # noqa: E402
from bot.models import Chunk  # noqa: E402
from bot.tokens import estimate_tokens  # noqa: E402

TOKENIZER = "js-tiktoken@1.0.21"
ENCODINGS = ("o200k_base", "cl100k_base")


class Archive(NamedTuple):
    registry: str  # "pypi" (sdist) or "npm" (tarball)
    name: str
    version: str
    sha256: str
    licence: str


ARCHIVES = {
    "attrs": Archive(
        "pypi",
        "attrs",
        "26.1.0",
        "d03ceb89cb322a8fd706d4fb91940737b6642aa36998fe130a9bc96c985eff32",
        "MIT",
    ),
    "attrs-old": Archive(
        "pypi",
        "attrs",
        "25.4.0",
        "16d5969b87f0859ef33a48b35d55ac1be6e42ae49d5e853b597db70c35c57e11",
        "MIT",
    ),
    "bcrypt": Archive(
        "pypi",
        "bcrypt",
        "5.0.0",
        "f748f7c2d6fd375cc93d3fba7ef4a9e3a092421b8dbf34d8d4dc06be9492dfdd",
        "Apache-2.0",
    ),
    "markupsafe": Archive(
        "pypi",
        "markupsafe",
        "3.0.4",
        "2e9ad7dd851bf45fab9f75cbff4cb493fee9979e8d8c7c9c3ee119022518edd6",
        "BSD-3-Clause",
    ),
    "pypinyin": Archive(
        "pypi",
        "pypinyin",
        "0.55.0",
        "b5711b3a0c6f76e67408ec6b2e3c4987a3a806b7c528076e7c7b86fcf0eaa66b",
        "MIT",
    ),
    "zod": Archive(
        "npm",
        "zod",
        "4.1.12",
        "2ef9d7a7d822b059c9bd21f87caa4fdc48220d437353678984df942fb67b43fa",
        "MIT",
    ),
    "dayjs": Archive(
        "npm",
        "dayjs",
        "1.11.19",
        "635b80d4cc3c28c5aee8806aa44a9d58789370ccf8afb521de900daaace2efca",
        "MIT",
    ),
    "gitmojis": Archive(
        "npm",
        "gitmojis",
        "3.15.0",
        "7c5d87ed6e97dedf6a83d2ef346518ff91c7695b9e61f8523e43d6a40e90edf5",
        "MIT",
    ),
    "geolonia": Archive(
        "npm",
        "@geolonia/normalize-japanese-addresses",
        "3.1.3",
        "ec17e0fe16f6965fa7b9fd974f35843b85634ea3ab1960e6bf4561175b20c2f5",
        "MIT",
    ),
    "countries": Archive(
        "npm",
        "i18n-iso-countries",
        "7.14.0",
        "bb418ebfb965789fcfbcce7dee59888d901ef64b03601da78b2e224cd6f5825c",
        "MIT",
    ),
}


class Source(NamedTuple):
    # "code": real source and real diffs rendered for the model, what the claim is about;
    # "fixture": synthetic golden diffs rendered; "docs", "generated", "locale": beyond code.
    kind: str
    # A key of ARCHIVES; "diff": render tests/data/diffs/PATH; "OLD..NEW": render
    # `git diff --no-index` of PATH between two archives' top directories.
    archive: str
    path: str  # inside the archive's top directory, or the diff's file name
    lines: tuple[int, int] | None = None  # 1-based inclusive excerpt, else the whole file


# Sample file names end in .txt so no linter, formatter or test collector treats them as ours.
SOURCES = {
    "python_attrs_validators.py.txt": Source("code", "attrs", "src/attr/validators.py"),
    "typescript_zod_errors.ts.txt": Source("code", "zod", "src/v4/core/errors.ts"),
    "javascript_dayjs_index.js.txt": Source("code", "dayjs", "esm/index.js"),
    "javascript_emoji_gitmojis.mjs.txt": Source("code", "gitmojis", "dist/index.mjs"),
    "rust_bcrypt_lib.rs.txt": Source("code", "bcrypt", "src/_bcrypt/src/lib.rs"),
    "c_markupsafe_speedups.c.txt": Source("code", "markupsafe", "src/markupsafe/_speedups.c"),
    "yaml_attrs_ci.yml.txt": Source("code", "attrs", ".github/workflows/ci.yml"),
    "json_zod_package.json.txt": Source("code", "zod", "package.json"),
    "rendered_six.txt": Source("code", "diff", "six_1.15.0_1.16.0.diff"),
    "rendered_multi_hunk.txt": Source("fixture", "diff", "multi_hunk.diff"),
    "rendered_quoted_names.txt": Source("fixture", "diff", "quoted_names.diff"),
    "rendered_attrs_25.4.0_26.1.0.txt": Source("code", "attrs-old..attrs", "src"),
    "markdown_attrs_README.md.txt": Source("docs", "attrs", "README.md"),
    "zh_docs_pypinyin_README.rst.txt": Source("docs", "pypinyin", "README.rst"),
    "zh_docs_pypinyin_CHANGELOG.rst.txt": Source("docs", "pypinyin", "CHANGELOG.rst", (1, 423)),
    "ja_docs_geolonia_README.md.txt": Source("docs", "geolonia", "README.md"),
    "minified_dayjs.min.js.txt": Source("generated", "dayjs", "dayjs.min.js"),
    "lockfile_bcrypt_Cargo.lock.txt": Source("generated", "bcrypt", "src/_bcrypt/Cargo.lock"),
    "locale_fr_countries.json.txt": Source("locale", "countries", "langs/fr.json"),
    "locale_vi_countries.json.txt": Source("locale", "countries", "langs/vi.json"),
    "locale_zh_countries.json.txt": Source("locale", "countries", "langs/zh.json"),
    "locale_ko_countries.json.txt": Source("locale", "countries", "langs/ko.json"),
    # Data that real PRs add and byte counts misjudge most: generated here (see synthetic()),
    # then rendered for the model as a new file.
    "data_c_hex_table.txt": Source("data", "synthetic", "table.c"),
    "data_csv_numbers.txt": Source("data", "synthetic", "data.csv"),
    "data_json_numbers.txt": Source("data", "synthetic", "data.json"),
    "data_go_short_lines.txt": Source("data", "synthetic", "server.go"),
}


def synthetic(path: str) -> bytes:
    """A deterministic new-file diff of data-like content (seeded; no download)."""
    rnd = random.Random(path)
    if path == "table.c":
        row = lambda: ", ".join(f"0x{rnd.randrange(256):02x}" for _ in range(4))  # noqa: E731
        lines = [row() + "," for _ in range(600)]
    elif path == "data.csv":
        lines = [",".join(str(rnd.randrange(1000)) for _ in range(6)) for _ in range(600)]
    elif path == "data.json":
        lines = ["[", *(f"    {rnd.randrange(100000)}," for _ in range(600)), "    0", "]"]
    else:
        go = ["\t}", "\treturn nil", "}", "", "func (s *Server) Close() error {"]
        go += ["\tif s.ln == nil {", "\ts.mu.Lock()", "\tdefer s.mu.Unlock()"]
        lines = [rnd.choice(go) for _ in range(600)]
    body = "".join(f"+{line}\n" for line in lines)
    return f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{len(lines)} @@\n{body}".encode()


def describe(source: Source) -> str:
    """Where a sample comes from, in one line (stored in counts.json next to its counts)."""
    if source.archive == "diff":
        return f"bot.diff.render.render_chunk of tests/data/diffs/{source.path}"
    if source.archive == "synthetic":
        return f"bot.diff.render.render_chunk of make_counts.synthetic({source.path!r}) (generated)"
    if ".." in source.archive:
        old, new = (ARCHIVES[k] for k in source.archive.split(".."))
        dirs = f"{old.name}-{old.version}/{source.path} {new.name}-{new.version}/{source.path}"
        return f"bot.diff.render.render_chunk of git diff --no-index {dirs} ({new.licence})"
    a = ARCHIVES[source.archive]
    what = "sdist" if a.registry == "pypi" else "npm tarball"
    lines = f" lines {source.lines[0]}-{source.lines[1]}" if source.lines else ""
    return f"{a.name} {a.version} {what}: {source.path}{lines} ({a.licence})"


def download(archive: Archive, dest: Path) -> Path:
    """Fetch one pinned archive into `dest` and check its sha256; returns its path."""
    dest.mkdir()
    if archive.registry == "pypi":
        cmd = ["pip", "download", "-q", "--no-deps", "--no-binary", ":all:", "-d", str(dest)]
        subprocess.run([*cmd, f"{archive.name}=={archive.version}"], check=True)
    else:
        cmd = ["npm", "pack", "--silent", "--pack-destination", str(dest)]
        subprocess.run(
            [*cmd, f"{archive.name}@{archive.version}"], check=True, stdout=subprocess.DEVNULL
        )
    (path,) = [p for p in dest.iterdir() if p.name.endswith((".tar.gz", ".tgz"))]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != archive.sha256:
        raise SystemExit(f"{path.name}: sha256 {digest}, expected {archive.sha256}")
    return path


def member(tarball: Path, path: str) -> bytes:
    """The bytes of `path` under the tarball's single top directory."""
    with tarfile.open(tarball) as tar:
        for info in tar.getmembers():
            if info.isfile() and info.name.split("/", 1)[-1] == path:
                data = tar.extractfile(info)
                assert data is not None
                return data.read()
    raise SystemExit(f"{tarball.name}: no {path}")


def excerpt(data: bytes, lines: tuple[int, int] | None) -> bytes:
    if lines is None:
        return data
    first, last = lines
    return b"".join(data.splitlines(keepends=True)[first - 1 : last])


# The options tests/data/diffs/make_diffs.sh pins, so the caller's git config changes nothing.
GIT = ["git", "-c", "core.quotepath=true", "-c", "diff.noprefix=false", "-c", "color.ui=never"]
GIT += ["-c", "diff.mnemonicPrefix=false", "-c", "diff.renames=false"]


def release_diff(old: Path, new: Path, path: str, tmp: Path) -> bytes:
    """`git diff --no-index OLD/path NEW/path` of two unpacked archives (names as git shows)."""
    for tarball in (old, new):
        with tarfile.open(tarball) as tar:
            tar.extractall(tmp, filter="data")
    tops = [tarball.name.removesuffix(".tar.gz").removesuffix(".tgz") for tarball in (old, new)]
    cmd = [*GIT, "diff", "--no-index", *(f"{top}/{path}" for top in tops)]
    env = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "LC_ALL": "C"}
    done = subprocess.run(cmd, cwd=tmp, capture_output=True, env={**os.environ, **env})
    if done.returncode != 1:  # 1: the trees differ, as they must
        raise SystemExit(done.stderr.decode())
    return done.stdout


def rendered(diff: bytes) -> bytes:
    files = tuple(sorted(parse_diff(decode_diff(diff)), key=lambda f: f.path))
    chunk = Chunk(files=files, parts=("",) * len(files), estimated_tokens=0, changed_lines=0)
    return render_chunk(chunk).encode("utf-8")


def fetch() -> None:
    SAMPLES.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tarballs = {}
        keys = {k for s in SOURCES.values() for k in s.archive.split("..")} - {"diff", "synthetic"}
        for key in sorted(keys):
            tarballs[key] = download(ARCHIVES[key], Path(tmp) / key)
        for name, source in SOURCES.items():
            if source.archive == "diff":
                data = rendered((DIFFS / source.path).read_bytes())
            elif source.archive == "synthetic":
                data = rendered(synthetic(source.path))
            elif ".." in source.archive:
                old, new = (tarballs[k] for k in source.archive.split(".."))
                data = rendered(release_diff(old, new, source.path, Path(tmp) / name))
            else:
                data = excerpt(member(tarballs[source.archive], source.path), source.lines)
            (SAMPLES / name).write_bytes(data)
            print(f"{name}: {len(data)} bytes")


# Counts every text as ordinary text: `<|endoftext|>` in a sample is not a special token.
COUNT_JS = """
const fs = require("fs");
const { Tiktoken } = require("js-tiktoken/lite");
const out = {};
for (const enc of process.argv[1].split(",")) {
  const tok = new Tiktoken(require("js-tiktoken/ranks/" + enc));
  for (const path of process.argv.slice(2)) {
    const text = fs.readFileSync(path, "utf8");
    (out[path] ??= {})[enc] = tok.encode(text, [], []).length;
  }
}
console.log(JSON.stringify(out));
"""


def node_counts(paths: list[Path], tokenizer_dir: Path) -> dict[str, dict[str, int]]:
    cmd = ["node", "-e", COUNT_JS, ",".join(ENCODINGS), *map(str, paths)]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=tokenizer_dir)
    result: dict[str, dict[str, int]] = json.loads(done.stdout)
    return result


def install_tokenizer(dest: Path) -> Path:
    cmd = ["npm", "install", "--silent", "--no-save", "--no-audit", "--no-fund", "--prefix"]
    subprocess.run([*cmd, str(dest), TOKENIZER], check=True)
    return dest


def count(tokenizer_dir: Path | None) -> None:
    paths = [SAMPLES / name for name in SOURCES]
    with tempfile.TemporaryDirectory() as tmp:
        counted = node_counts(paths, tokenizer_dir or install_tokenizer(Path(tmp)))
    samples = {}
    for name, source in SOURCES.items():
        data = (SAMPLES / name).read_bytes()
        tokens = counted[str(SAMPLES / name)]
        sizes = {"bytes": len(data), "newlines": data.count(b"\n")}
        samples[name] = {"kind": source.kind, "source": describe(source), **sizes, **tokens}
    version = TOKENIZER.split("@")[1]
    record = {
        "tokenizer": f"js-tiktoken {version} (npm), ordinary text (no special tokens)",
        "encodings": list(ENCODINGS),
        "samples": samples,
    }
    COUNTS.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print_table(samples)


def print_table(samples: dict[str, dict[str, Any]]) -> None:
    """Bytes per token for each encoding, and estimate_tokens / count for each."""
    head = f"{'sample':36} {'kind':9} {'bytes':>6} {'B/tok o200k':>11} {'cl100k':>6}"
    print(f"{head} {'est/o200k':>9} {'est/cl100k':>10}")
    for name, row in samples.items():
        text = (SAMPLES / name).read_bytes().decode("utf-8")  # keeps any \r as it is
        est = estimate_tokens(text)
        o, c, size = row["o200k_base"], row["cl100k_base"], row["bytes"]
        label = name.removesuffix(".txt")[:36]
        print(
            f"{label:36} {row['kind']:9} {size:6} {size / o:11.2f} {size / c:6.2f}"
            f" {est / o:9.2f} {est / c:10.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=["fetch", "count", "table"])
    parser.add_argument("--tokenizer-dir", type=Path, help="a dir with node_modules/js-tiktoken")
    args = parser.parse_args()
    if args.step == "fetch":
        fetch()
    elif args.step == "count":
        count(args.tokenizer_dir)
    else:
        print_table(json.loads(COUNTS.read_text(encoding="utf-8"))["samples"])


if __name__ == "__main__":
    main()
