#!/usr/bin/env bash
# Installs the npm packages the tests use (tests/node/package.json, versions pinned by its
# package-lock.json) into .local/node/node_modules with `npm ci`. Node itself comes from
# install-deps.sh (Debian's nodejs when the machine has none; a newer one already there is used).
# Safe to run repeatedly: nothing is done when the lock file has not changed since the last install.
set -euo pipefail
cd "$(dirname "$0")/../.."
dest=.local/node
mkdir -p "$dest"
if [ -f "$dest/package-lock.json" ] && cmp -s tests/node/package-lock.json "$dest/package-lock.json" && [ -d "$dest/node_modules" ]; then
  exit 0
fi
cp tests/node/package.json tests/node/package-lock.json "$dest/"
(cd "$dest" && npm ci --no-audit --no-fund --loglevel=error)
