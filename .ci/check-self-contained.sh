#!/usr/bin/env bash
# Fails if a tracked file refers to a filesystem path outside the repository: a clone of this
# repository alone has to build and test. Two rules:
#
# 1. Machine-specific absolute paths (/work/, /home/<user>/, /Users/, /root/, /mnt/, file:///,
#    C:\Users\) and paths into a sibling `shared/` folder (`../shared/`, `../../shared/`, ...)
#    anywhere, whatever directory they are read from. Only a path that starts a word counts, so
#    a URL such as https://host/home/x is fine.
# 2. Relative paths with a `..` component that leave the repository. A path is resolved against
#    the file's own directory (include_str!, scripts, Markdown links) and against its crate's
#    directory (where Cargo runs tests and CARGO_MANIFEST_DIR points). It is fine if one of those
#    resolutions names a tracked file or directory; otherwise it fails if one of them lands
#    outside the repository. Paths that stay inside without naming anything (ARM id shorthands
#    such as `../privateEndpoints/{pe}` in prose) are fine.
#
# Provenance notes next to third-party test data (testdata/**/SOURCES.md, NOTICE, LICENSE) are
# exempt from rule 2 only: they describe the upstream repository's own layout in prose (its
# `$ref`s to `../../../../../common-types/...`), which says nothing about this checkout. Rule 1
# still applies to them, and URLs never match either rule.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd -P)
self=.ci/check-self-contained.sh

abs='(^|[^A-Za-z0-9._~/-])(/work/|/home/[A-Za-z0-9._-]+/|/Users/|/root/|/mnt/|(\.\./)+shared/)|file:///|[A-Za-z]:\\Users\\'
# A `..` that is part of a longer run of dots (`/subscriptions/.../x`) is not a component.
rel='(?<![A-Za-z0-9_.-])(?:[A-Za-z0-9_.-]+/|/)*\.\.(?![A-Za-z0-9_.-])(?:/[A-Za-z0-9_.{}$*<>@-]*)*'

# The patterns themselves, so that a grep without -P (or a broken edit) cannot pass silently.
selftest() {
  local want=$1 mode=$2 pattern=$3 text=$4 got
  got=$(printf '%s\n' "$text" | grep -o "$mode" -- "$pattern" | head -n 1) || true
  if [[ $got != "$want" ]]; then
    echo "check-self-contained: pattern self-test failed on '$text' (got '$got', want '$want')" >&2
    exit 2
  fi
}
selftest '../../shared/x' -P "$rel" 'join("../../shared/x")'
selftest '/..' -P "$rel" 'cd "$(dirname "$0")/.."'
selftest 'a/../b' -P "$rel" 'see a/../b here'
selftest '' -P "$rel" 'GET /subscriptions/.../resourceGroups and so on...'
selftest ' /work/' -E "$abs" 'read /work/shared'
selftest '"../shared/' -E "$abs" 'read "../shared/x"'
selftest '' -E "$abs" 'https://example.com/home/user/x, $HOME/work/x, crates/shared/x'

declare -A tracked=()
while IFS= read -r -d '' f; do
  tracked[$f]=1
  d=$f
  while [[ $d == */* ]]; do
    d=${d%/*}
    tracked[$d]=1
  done
done < <(git ls-files -z)

failures=0
fail() {
  printf '%s: %s\n' "$1" "$2" >&2
  failures=$((failures + 1))
}

# Tracked files, minus this script (its patterns and self-test would match themselves). grep
# exits 1 when nothing matches, which is the good case.
scan() {
  local status=0
  git ls-files -z | grep -zv -x -F "$self" | xargs -0 -r grep -nI "$@" -- || status=$?
  if ((status != 0 && status != 123)); then
    echo "check-self-contained: grep failed ($status)" >&2
    exit 2
  fi
}

# Rule 1.
while IFS= read -r hit; do
  rest=${hit#*:}
  fail "${hit%%:*}:${rest%%:*}" "path outside the repository: ${rest#*:}"
done < <(scan -E "$abs")

# The directory of the nearest Cargo.toml at or above directory `$1`, below the root (prints
# nothing when there is none; for the root the file's own directory already covers it).
crate_dir() {
  local d=$1
  while [[ $d != . ]]; do
    if [[ -n ${tracked[$d/Cargo.toml]:-} ]]; then
      printf '%s' "$d"
      return
    fi
    [[ $d == */* ]] || return 0
    d=${d%/*}
  done
}

# Where relative path `$2` lands from directory `$1` (both relative to the root), relative to the
# root: "." for the root itself, "../..." when it leaves.
resolve() {
  realpath -ms --relative-to="$root" "$root/$1/$2"
}

# Rule 2. The tail from the first glob or placeholder on (`**`, `{x}`, `$VAR`, `<dir>`) is cut
# before resolving.
while IFS= read -r hit; do
  file=${hit%%:*}
  rest=${hit#*:}
  line=${rest%%:*}
  token=${rest#*:}
  case $file in
    testdata/*/SOURCES.md | testdata/*/NOTICE | testdata/*/LICENSE) continue ;;
  esac
  [[ $token == */* ]] || continue
  path=${token%%[*{\$<]*}
  path=${path%/}
  [[ -n $path ]] || continue
  dir=$(dirname "$file")
  bases=("$dir")
  cdir=$(crate_dir "$dir")
  [[ -n $cdir && $cdir != "$dir" ]] && bases+=("$cdir")
  ok=0
  escapes=0
  for base in "${bases[@]}"; do
    r=$(resolve "$base" "$path")
    if [[ $r == .. || $r == ../* ]]; then
      escapes=1
    elif [[ $r == . || -n ${tracked[$r]:-} ]]; then
      ok=1
    fi
  done
  if ((escapes && !ok)); then
    fail "$file:$line" "path leaves the repository: $token"
  fi
done < <(scan -oP "$rel")

if ((failures)); then
  echo "$failures reference(s) to paths outside the repository; keep what the build and tests need inside it (e.g. under testdata/)" >&2
  exit 1
fi
echo "no tracked file refers to a path outside the repository"
