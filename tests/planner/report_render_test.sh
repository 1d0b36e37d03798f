#!/usr/bin/env bash
# The planner's HTML report renders in headless Chromium (Debian's `chromium`): a generated
# shop's plan, loaded from a file with the network cut off, draws its charts; the screenshot is
# kept (docs/planning.md shows one). Usage: report_render_test.sh SWITCHBOARD [SCREENSHOT_OUT]
set -euo pipefail
bin=$1
keep=${2:-}
dir=$(mktemp -d /tmp/sb-report-render-XXXXXX)
trap 'rm -rf "$dir"' EXIT

"$bin" generate-history --out-dir "$dir" --shops 2 --sessions 3000 --seed 3 >/dev/null
rc=0
"$bin" plan "$dir/plan-input.toml" --out-dir "$dir/out" --seeds 2 >"$dir/plan.txt" || rc=$?
if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then cat "$dir/plan.txt"; echo "FAIL: plan exited $rc"; exit 1; fi

browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then echo "FAIL: chromium is not installed (deploy/local/install-deps.sh installs it)"; exit 1; fi
flags=(--headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run --user-data-dir="$dir/profile"
       --proxy-server=127.0.0.1:9 --host-resolver-rules="MAP * ~NOTFOUND" --window-size=1280,1600)
# The DOM after rendering: the charts are there as SVG with their points.
timeout 60 "$browser" "${flags[@]}" --dump-dom "file://$dir/out/report.html" >"$dir/dom.html" 2>"$dir/chromium.log" || {
  cat "$dir/chromium.log"; echo "FAIL: chromium could not load the report"; exit 1; }
svgs=$(grep -o "<svg" "$dir/dom.html" | wc -l)
lines=$(grep -o "<polyline points=\"[0-9]" "$dir/dom.html" | wc -l)
grep -q "Capacity plan for the 11-11 peak" "$dir/dom.html" || { echo "FAIL: the report's title is missing"; exit 1; }
[ "$svgs" -ge 18 ] || { echo "FAIL: $svgs charts rendered, expected 3 per shop-day (18)"; exit 1; }
[ "$lines" -ge 18 ] || { echo "FAIL: only $lines chart lines have points"; exit 1; }
timeout 60 "$browser" "${flags[@]}" --screenshot="$dir/report.png" "file://$dir/out/report.html" >/dev/null 2>>"$dir/chromium.log" || {
  cat "$dir/chromium.log"; echo "FAIL: no screenshot"; exit 1; }
size=$(stat -c %s "$dir/report.png")
[ "$size" -gt 30000 ] || { echo "FAIL: the screenshot is $size bytes: a blank page?"; exit 1; }
if [ -n "$keep" ]; then cp "$dir/report.png" "$keep"; fi
echo "report rendered: $svgs charts, $lines lines, screenshot $size bytes"
