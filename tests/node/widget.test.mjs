// The customer widget in a real browser (docs/front-ends.md): Debian's chromium driven by
// playwright-core (pinned in tests/node/package.json). A shop's page on another origin loads the
// widget with one script tag; an agent on the protocol answers it. Checked: the handshake's
// per-shop origin check, the greeting, the queue position, messages both ways, chat text shown as
// text (a <script>/<img onerror> line runs nothing), a dropped connection resumed with the missed
// message once, the rating after the close, a message left when nobody is online and its answer,
// no serious or critical axe-core violation, the static files' headers.
// Usage: node tests/node/widget.test.mjs SWITCHBOARD [SCREENSHOT.png]
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";

import { WebSocket, axePath, check, chromium, freePort, result, serve, sleep, until } from "./harness.mjs";

const [binary, screenshot] = process.argv.slice(2);
if (!binary) throw new Error("usage: widget.test.mjs SWITCHBOARD [SCREENSHOT.png]");

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sb-widget-"));
const sbPort = await freePort(), pagePort = await freePort();
const pageOrigin = `http://127.0.0.1:${pagePort}`;
fs.writeFileSync(path.join(dir, "c.toml"), `
[server]
listen = "127.0.0.1:${sbPort}"
threads = 1
[[auth.keys]]
kid = "ops"
secret = "widget-test-operator-key-0123456789abcdef"
[[shops]]
id = "w1"
time_zone = "+08:00"
guests = true
allowed_origins = ["${pageOrigin}"]
greeting = "Welcome to w1!"
[shops.hours]
every_day = ["00:00-24:00"]
[[shops.skills]]
name = "s"
[[shops.agents]]
id = "alice"
skills = ["s"]
window = 1
`);
const token = (person, role) =>
  execFileSync(binary, ["token", "--config", path.join(dir, "c.toml"), "--shop", "w1", "--person", person, "--role", role]).toString().trim();
const server = serve(binary, path.join(dir, "c.toml"));
const page_html = (lang) => `<!DOCTYPE html><html lang="${lang}"><head><meta charset="utf-8"><title>A shop</title></head>
<body><main><h1>A shop</h1><p>Phones and more.</p></main>
<script src="http://127.0.0.1:${sbPort}/app/widget.js" data-shop="w1" data-skill="s" data-lang="${lang}"></script></body></html>`;
const site = http.createServer((req, res) => {
  res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
  res.end(page_html(req.url.includes("zh") ? "zh" : "en"));
}).listen(pagePort, "127.0.0.1");

// An agent speaking the protocol (Node's WebSocket), collecting what it is told.
function client(hello) {
  const ws = new WebSocket(`ws://127.0.0.1:${sbPort}/ws/shops/w1`);
  const got = [];
  ws.onmessage = (e) => got.push(JSON.parse(e.data));
  const opened = new Promise((r) => (ws.onopen = r));
  return {
    got, ws,
    async start() { await opened; ws.send(JSON.stringify({ requestId: "h", hello })); await until("welcome", () => got.find((m) => m.welcome)); },
    send(m) { ws.send(JSON.stringify(m)); },
    wait(what, f) { return until(what, () => got.find(f)); },
  };
}

function upgrade(origin) {
  return new Promise((resolve) => {
    const req = http.request({ host: "127.0.0.1", port: sbPort, path: "/ws/shops/w1", headers: {
      Connection: "Upgrade", Upgrade: "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", Origin: origin } });
    req.on("upgrade", (res, sock) => { sock.destroy(); resolve(101); });
    req.on("response", (res) => { res.resume(); resolve(res.statusCode); });
    req.end();
  });
}
const get = (p) => fetch(`http://127.0.0.1:${sbPort}${p}`);

let browser;
try {
  await until("the server", async () => { try { return (await get("/healthz")).ok; } catch { return false; } });

  // The static files and the origin check at the handshake.
  const js = await get("/app/widget.js");
  check(js.ok && js.headers.get("content-type").startsWith("text/javascript"), "GET /app/widget.js is JavaScript");
  const page = await get("/app/shop-demo.html");
  check((page.headers.get("content-security-policy") || "").includes("script-src 'self'"), "pages under /app/ carry a strict Content-Security-Policy");
  check((await get("/app/../c.toml")).status === 404 && (await get("/app/%2e%2e/x.html")).status === 404, "no path leaves the web directory");
  check((await fetch(`http://127.0.0.1:${sbPort}/api/v1/demo/sign-in?shop=w1&person=alice&role=agent`, { method: "POST" })).status === 404,
    "without server.demo_sign_in there is no sign-in endpoint");
  check((await upgrade(pageOrigin)) === 101, "the shop's own site may open a WebSocket to /ws/shops/w1");
  check((await upgrade("http://evil.example")) === 403, "another origin is refused at the handshake (403)");

  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
  const ctx = await browser.newContext({ viewport: { width: 900, height: 700 } });

  // Nobody online yet: the customer leaves a message, and the answer shows when it comes.
  const shopper = await ctx.newPage();
  await shopper.goto(`${pageOrigin}/`);
  const w = shopper.locator("[data-switchboard-widget]");
  await until("the greeting", async () => (await w.locator(".log").innerText()).includes("Welcome to w1!"));
  check(true, "the greeting is shown");
  await w.locator("textarea").fill("Anyone there?");
  await w.locator("button[type=submit]").click();
  await until("the leave-a-message offer", async () => (await w.locator(".status").innerText()).includes("Leave a message"));
  check(true, "with nobody online the widget offers to leave a message");
  await w.locator("textarea").fill("Please call me back about the X200.");
  await w.locator("button[type=submit]").click();
  await until("the left message's ack", async () => (await w.locator(".log").innerText()).includes("Message left"));
  const alice = client({ role: "ROLE_AGENT", shopId: "w1", token: token("alice", "agent") });
  await alice.start();
  alice.send({ requestId: "l", listLeftMessages: {} });
  const list = await alice.wait("the inbox", (m) => m.leftMessages);
  const left = (list.leftMessages.messages || [])[0];
  check(left && left.text === "Please call me back about the X200.", "the agent's inbox has the left message");
  alice.send({ requestId: "rl", replyLeftMessage: { messageId: left.messageId, text: "Called you: it is in stock." } });
  await until("the answer", async () => (await w.locator(".log").innerText()).includes("Called you: it is in stock."));
  check(true, "the answer to the left message is shown in the widget");

  // A queue: alice (window 1) busy with another customer, so the shopper sees its position.
  alice.send({ requestId: "on", setAgentStatus: { status: "AGENT_STATUS_ONLINE" } });
  await alice.wait("online", (m) => m.requestId === "on");
  const other = client({ role: "ROLE_CUSTOMER", shopId: "w1" });
  await other.start();
  other.send({ requestId: "e", enter: { skill: "s" } });
  other.send({ requestId: "t", sendText: { text: "first!" } });
  await alice.wait("the first assignment", (m) => m.assigned);
  await shopper.reload();
  await until("the greeting again", async () => (await w.locator(".log").innerText()).includes("Welcome to w1!"));
  await w.locator("textarea").fill("Is the X200 in stock?");
  await w.locator("button[type=submit]").click();
  await until("the queue position", async () => /number 1 in the queue/.test(await w.locator(".status").innerText()));
  check(true, "a queued customer sees its position");
  const firstSession = alice.got.find((m) => m.assigned).assigned.sessionId;
  alice.send({ requestId: "c1", closeSession: { sessionId: firstSession } });
  const mine = await alice.wait("the shopper's assignment", (m) => m.assigned && m.assigned.sessionId !== firstSession);
  const session = mine.assigned.sessionId;
  await until("assigned", async () => (await w.locator(".status").innerText()).includes("alice is here to help you"));
  check(true, "the position gives way to the agent's name");

  // Text, never HTML.
  const hostile = '<script>window.pwned=1</script><img src=x onerror="window.pwned=2">';
  alice.send({ requestId: "a1", sendText: { sessionId: session, text: hostile } });
  await until("the hostile line", async () => (await w.locator(".log").innerText()).includes("<script>window.pwned=1</script>"));
  check((await w.locator(".log img").count()) === 0 && (await shopper.evaluate(() => window.pwned)) === undefined, "a <script>/<img onerror> line is shown as text and runs nothing");
  await until("the customer's line at the agent", () => alice.got.find((m) => m.chatMessage && m.chatMessage.text === "Is the X200 in stock?") || alice.got.find((m) => m.assigned && (m.assigned.history || []).some((h) => h.text === "Is the X200 in stock?")));
  check(true, "the customer's message reaches the agent");

  // A dropped connection: resumed, the message sent meanwhile shown once, nothing twice.
  await shopper.evaluate(() => window.switchboardWidget.state.ws.close());
  await sleep(100);
  alice.send({ requestId: "a2", sendText: { sessionId: session, text: "Yes, 3 left." } });
  await until("the missed message", async () => (await w.locator(".log").innerText()).includes("Yes, 3 left."));
  await until("reconnected", async () => (await w.locator(".log").innerText()).includes("Reconnected."));
  const log = await w.locator(".log").innerText();
  check(log.split("Yes, 3 left.").length === 2 && log.split("window.pwned=1").length === 2, "after the resume the missed message shows once and none twice");

  if (screenshot) await shopper.screenshot({ path: screenshot });

  // The close, then the rating.
  alice.send({ requestId: "c2", closeSession: { sessionId: session } });
  await until("the rating prompt", async () => (await w.locator(".rating").isVisible()));
  await w.locator(".star").nth(4).click();
  await until("the thanks", async () => (await w.locator(".rating").innerText()).includes("Thank you"));
  check(true, "the rating prompt follows the close, and rating 5 is thanked");

  // Accessibility: no serious or critical violation (axe-core in the same browser).
  await shopper.addScriptTag({ path: axePath });
  const result = await shopper.evaluate(async () => await window.axe.run(document, { resultTypes: ["violations"] }));
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  for (const v of bad) console.log(`  axe ${v.impact}: ${v.id}: ${v.help}`);
  check(bad.length === 0, `axe-core: no serious or critical violation (${result.violations.length} minor)`);

  // Chinese text where the page is Chinese.
  const zh = await ctx.newPage();
  await zh.goto(`${pageOrigin}/zh`);
  await until("the Chinese widget", async () => (await zh.locator("[data-switchboard-widget] h2").innerText()) === "在线客服");
  check(true, "the widget speaks Chinese on a Chinese page");
} catch (e) {
  console.log(`FAIL ${e.message}`);
  console.log(server.log().split("\n").slice(-20).join("\n"));
  result.failures++;
} finally {
  if (browser) await browser.close();
  server.process.kill("SIGTERM");
  site.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
console.log(result.failures === 0 ? "widget: all checks passed" : `widget: ${result.failures} check(s) failed`);
process.exit(result.failures === 0 ? 0 : 1);
