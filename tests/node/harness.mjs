// What the browser tests share (docs/front-ends.md): the npm packages install-npm.sh put in
// .local/node (playwright-core, axe-core, ws), checks that count failures, polling with a
// deadline, free loopback ports, and the real binary started on a config with its log kept.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const require = createRequire(path.join(root, ".local/node/package.json"));
export const { chromium } = require("playwright-core");
export const axePath = require.resolve("axe-core/axe.min.js");
// Node 22 has WebSocket built in (20 behind --experimental-websocket); Debian's 18 uses npm's ws.
export const WebSocket = globalThis.WebSocket || require("ws");

export const result = { failures: 0 };
export function check(ok, what) {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) result.failures++;
}
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export async function until(what, f, ms = 10000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await Promise.resolve().then(f).catch(() => false);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
export function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}
// `switchboard serve` on `config` with extra arguments; .log() is what it printed so far.
export function serve(binary, config, args = []) {
  const p = spawn(binary, ["serve", "--config", config, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  p.stdout.on("data", (d) => (log += d));
  p.stderr.on("data", (d) => (log += d));
  return { process: p, log: () => log };
}
