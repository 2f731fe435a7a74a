#!/usr/bin/env bash
# Fails if any of our C++ sources is not clang-format clean (Google-based .clang-format).
set -euo pipefail
cd "$1"
files=$(git ls-files '*.h' '*.cc' '*.c' 2>/dev/null || find . -name '*.h' -o -name '*.cc')
[ -n "$files" ] || { echo "no files"; exit 1; }
bad=0
for f in $files; do
  if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
    echo "not clang-format clean: $f"; bad=1
  fi
done
[ $bad = 0 ] && echo "format_check: $(echo "$files" | wc -w) files clean"
exit $bad
