#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a running demo: installs packages, builds,
# prepares a private PostgreSQL cluster (history goes there), and serves config/demo.toml on
# 127.0.0.1:8080. psql "$(deploy/local/postgres.sh url)" opens the history.
# Extra arguments go to `switchboard serve` (e.g. --clock manual --clock-start ...).
set -euo pipefail
cd "$(dirname "$0")/../.."
deploy/local/install-deps.sh
deploy/local/build.sh
deploy/local/postgres.sh start
export SWITCHBOARD_DATABASE_URL="$(deploy/local/postgres.sh url)"
serve_args=("$@")
token() { build/switchboard token --config config/demo.toml "$@"; }
echo "demo: tokens for the walkthrough (paste these lines into the other terminals):"
echo "export ALICE=$(token --shop demo --person alice --role agent)"
echo "export BOB=$(token --shop demo --person bob --role agent)"
echo "export BOSS=$(token --shop demo --person boss --role supervisor)"
echo "export ADMIN=$(token --shop '*' --person ops --role admin)"
echo "export METRICS=$(token --shop '*' --person prometheus --role metrics)"
# A customer's token is the shop site's to mint, with the shop's own key (docs/protocol.md).
m1001=$(token --kid demo-site-1 --shop demo --person m-1001 --role customer --tier A)
echo "export M1001=$m1001"
# The browser front-ends (docs/front-ends.md): the token rides in the page's fragment, which
# never reaches a server log.
echo "demo: in a browser (docs/front-ends.md):"
echo "  agent alice:     http://127.0.0.1:8080/app/workbench.html#shop=demo&token=$(token --shop demo --person alice --role agent)"
echo "  agent bob:       http://127.0.0.1:8080/app/workbench.html#shop=demo&token=$(token --shop demo --person bob --role agent)"
echo "  supervisor boss: http://127.0.0.1:8080/app/console.html#shop=demo&token=$(token --shop demo --person boss --role supervisor)"
echo "  customer m-1001: http://127.0.0.1:8080/app/shop-demo.html#switchboard-token=$m1001"
exec build/switchboard serve --config config/demo.toml "${serve_args[@]}"
