#!/usr/bin/env bash
# Regenerate the golden diffs in this directory from REAL `git diff` output.
#
# Usage: tests/data/diffs/make_diffs.sh [SIX_TARBALL_DIR]
#
# Every case builds a throwaway repository under a temp dir and writes NAME.diff here.
# Identity, dates and config are pinned so a rerun gives byte-identical files (blob ids
# depend only on content; the submodule's commit ids depend on the pinned identity/dates).
# The release diff needs the sdists of six 1.15.0 and 1.16.0; pass a directory holding
# them, or the script fetches them with `pip download` (one version per call).
# After regenerating, rebuild the expected JSON (make_expected.py) and review it by hand.
set -euo pipefail

OUT="$(cd "$(dirname "$0")" && pwd)"
SIX_DIR="${1:-}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null HOME="$WORK"
export GIT_AUTHOR_NAME=golden GIT_AUTHOR_EMAIL=golden@example.invalid
export GIT_COMMITTER_NAME=golden GIT_COMMITTER_EMAIL=golden@example.invalid
export GIT_AUTHOR_DATE="2024-01-01T00:00:00Z" GIT_COMMITTER_DATE="2024-01-01T00:00:00Z"
export LC_ALL=C TZ=UTC

# Options that keep output independent of the caller's git config.
G=(git -c core.quotepath=true -c diff.noprefix=false -c diff.mnemonicPrefix=false
   -c diff.renames=false -c color.ui=never -c core.autocrlf=false -c init.defaultBranch=main)

new_repo() {  # new_repo NAME: fresh repository in $WORK/NAME, cwd there
  rm -rf "${WORK:?}/$1"
  mkdir "$WORK/$1"
  cd "$WORK/$1"
  "${G[@]}" init -q
}

commit() { "${G[@]}" add -A && "${G[@]}" commit -q -m "${1:-change}"; }

emit() {  # emit NAME [git diff options...]: diff of HEAD~1..HEAD into NAME.diff
  local name="$1"
  shift
  "${G[@]}" diff "$@" HEAD~1 HEAD >"$OUT/$name.diff"
}

lines() { seq -f "line %g" "$1" "$2"; }

# --- renames and copies ---------------------------------------------------------------
new_repo rename_pure
lines 1 20 >old_name.txt && commit
"${G[@]}" mv old_name.txt new_name.txt && commit
emit rename_pure -M

new_repo rename_edit
lines 1 20 >src.py && commit
"${G[@]}" mv src.py moved.py && sed -i 's/^line 10$/line ten/' moved.py && commit
emit rename_edit -M

new_repo copy
lines 1 20 >original.txt && commit
cp original.txt duplicate.txt && sed -i 's/^line 20$/line twenty/' duplicate.txt && commit
emit copy -C --find-copies-harder

# --- binary ---------------------------------------------------------------------------
new_repo binary
printf 'PNG\0\1\2\3header' >image.bin && commit
printf 'PNG\0\1\2\3\4changed' >image.bin && printf 'new\0binary' >added.bin && commit
emit binary
emit binary_patch --binary

# --- modes ----------------------------------------------------------------------------
new_repo mode_only
printf '#!/bin/sh\necho hi\n' >run.sh && commit
chmod +x run.sh && commit
emit mode_only

new_repo mode_edit
printf '#!/bin/sh\necho hi\n' >run.sh && commit
chmod +x run.sh && printf '#!/bin/sh\necho hello\n' >run.sh && commit
emit mode_edit

new_repo symlink
printf 'target\n' >target.txt && commit
ln -s target.txt link && commit
emit symlink

# --- whole files ----------------------------------------------------------------------
new_repo new_file
printf 'keep\n' >keep.txt && commit
printf 'def hello():\n    return "hi"\n' >hello.py && commit
emit new_file

new_repo deleted_file
printf 'alpha\nbeta\ngamma\n' >gone.txt && printf 'keep\n' >keep.txt && commit
rm gone.txt && commit
emit deleted_file

new_repo empty_new_file
printf 'keep\n' >keep.txt && commit
: >empty.txt && commit
emit empty_new_file

# --- line endings and encodings -------------------------------------------------------
new_repo no_newline
printf 'one\ntwo\nthree' >both.txt && printf 'a\nb' >gains.txt && printf 'x\ny\n' >loses.txt
commit
printf 'one\ntwo\nTHREE' >both.txt && printf 'a\nb\n' >gains.txt && printf 'x\nY' >loses.txt
commit
emit no_newline

new_repo crlf
printf 'first\r\nsecond\r\n\r\nfourth\r\n' >dos.txt && commit
printf 'first\r\nSECOND\r\n\r\nfourth\r\nfifth\r\n' >dos.txt && commit
emit crlf

new_repo latin1
printf 'caf\xe9\nna\xefve\nplain\n' >latin1.txt && commit
printf 'caf\xe9 cr\xe8me\nna\xefve\nplain\n' >latin1.txt && commit
emit latin1

# --- submodule ------------------------------------------------------------------------
new_repo sublib
printf 'v1\n' >lib.txt && commit v1
printf 'v2\n' >lib.txt && commit v2
new_repo submodule
printf 'keep\n' >keep.txt && commit
"${G[@]}" -c protocol.file.allow=always submodule add -q "$WORK/sublib" vendor/sublib
"${G[@]}" -C vendor/sublib checkout -q HEAD~1
# the recorded URL would be the temp dir; a relative URL keeps the golden file stable
"${G[@]}" config -f .gitmodules submodule.vendor/sublib.url ../sublib
commit "add submodule"
emit submodule_add
"${G[@]}" -C vendor/sublib checkout -q main
commit "move submodule"
emit submodule_update

# --- names git quotes -----------------------------------------------------------------
new_repo quoted_names
U="caf$(printf '\xc3\xa9') $(printf '\xc3\xbc')nicode.txt"  # "café ünicode.txt"
CHECK="$(printf '\xe2\x9c\x93')"                              # "✓"
lines 1 10 >'with space.txt' && printf 'two\n' >"$U" && lines 1 10 >"$U.orig"
printf 'three\n' >'quote"and\backslash.txt' && mkdir 'plan b' && printf 'four\n' >'plan b/notes.md'
printf 'five\n' >'mode me.sh' && commit
printf 'two!\n' >"$U" && printf 'three!\n' >'quote"and\backslash.txt'
printf 'four!\n' >'plan b/notes.md' && chmod +x 'mode me.sh'
"${G[@]}" mv 'with space.txt' "renamed $CHECK.txt" && sed -i 's/^line 5$/line five/' "renamed $CHECK.txt"
mkdir moved && "${G[@]}" mv "$U.orig" "moved/$CHECK $U"
commit
emit quoted_names -M

# --- several hunks with function context ----------------------------------------------
new_repo multi_hunk
printf '*.py diff=python\n' >.gitattributes
{
  for f in alpha beta gamma; do
    printf 'def %s(x):\n' "$f"
    seq -f "    x = x + %g" 1 12
    printf '    return x\n\n\n'
  done
} >funcs.py
commit
sed -i -e 's/^    x = x + 6$/    x = x * 6/' -e 's/^    x = x + 11$/    x += 11\n    x -= 1/' \
  -e '/^    x = x + 3$/d' funcs.py
commit
emit multi_hunk

# --- two releases of a real project -----------------------------------------------------
if [[ -z "$SIX_DIR" ]]; then
  SIX_DIR="$WORK/sdists"
  pip download -q --no-deps --no-binary :all: six==1.15.0 -d "$SIX_DIR"
  pip download -q --no-deps --no-binary :all: six==1.16.0 -d "$SIX_DIR"
fi
mkdir "$WORK/six"
tar -xzf "$SIX_DIR/six-1.15.0.tar.gz" -C "$WORK/six"
tar -xzf "$SIX_DIR/six-1.16.0.tar.gz" -C "$WORK/six"
cd "$WORK/six"
# --no-index exits 1 when the trees differ
"${G[@]}" diff --no-index six-1.15.0 six-1.16.0 >"$OUT/six_1.15.0_1.16.0.diff" || [[ $? -eq 1 ]]

ls -l "$OUT"/*.diff
