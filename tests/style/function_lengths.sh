#!/usr/bin/env bash
# Style check: every function in server/ (and loadtest/) is 70 lines or fewer, so each reads as
# one job. universal-ctags finds each definition's first and last line; the list of offenders,
# longest first, is the error.
set -euo pipefail
cd "$(dirname "$0")/../.."
lines_max=70
offenders=$(ctags -R --languages=C++ --kinds-C++=f --fields=+ne -x --_xformat="%N %F %n %e" server loadtest |
  awk -v max="$lines_max" '$4 != "" { len = $4 - $3 + 1; if (len > max) print len " lines: " $1 " (" $2 ":" $3 ")" }' | sort -rn)
if [ -n "$offenders" ]; then
  echo "functions longer than $lines_max lines:"
  echo "$offenders"
  exit 1
fi
echo "every function in server/ and loadtest/ is $lines_max lines or fewer"
