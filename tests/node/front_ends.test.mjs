// A scripted day in the browser on the manual clock (docs/front-ends.md): four customers in the
// widget on a shop's page, two agents in the workbench, a supervisor in the console, all in
// Debian's chromium through playwright-core. 45 seconds take no real time: the test moves the
// server's clock. Checked: a left message answered from the inbox; a queue whose positions the
// customers see move; the supervisor raising a window; the 30-s warning and the breach in the
// workbench (and the breach alert in the console); replies typed in the workbench; a close and
// a rating; a transfer to another agent; a dropped customer connection resumed; hostile chat
// text shown as text in every page; no serious or critical axe-core violation on any page; the
// console's figures equal the figures API's at the end; screenshots of the three pages.
// Usage: node tests/node/front_ends.test.mjs SWITCHBOARD [SCREENSHOT_DIR]
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";

import { WebSocket, axePath, check, chromium, freePort, result, serve, sleep, until } from "./harness.mjs";

const [binary, shots] = process.argv.slice(2);
if (!binary) throw new Error("usage: front_ends.test.mjs SWITCHBOARD [SCREENSHOT_DIR]");

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sb-front-ends-"));
const sbPort = await freePort(), pagePort = await freePort();
const base = `http://127.0.0.1:${sbPort}`, site = `http://127.0.0.1:${pagePort}`;
const config = path.join(dir, "c.toml");
fs.writeFileSync(config, `
[server]
listen = "127.0.0.1:${sbPort}"
threads = 1
manual_clock_allowed = true
demo_sign_in = true
[[auth.keys]]
kid = "ops"
secret = "front-ends-test-operator-key-0123456789ab"
[[shops]]
id = "d1"
time_zone = "+08:00"
guests = true
allowed_origins = ["${site}"]
greeting = "Welcome to d1!"
[shops.hours]
every_day = ["00:00-24:00"]
[[shops.skills]]
name = "phones"
[[shops.agents]]
id = "alice"
skills = ["phones"]
window = 1
[[shops.agents]]
id = "bob"
skills = ["phones"]
window = 1
`);
const token = (shop, person, role) => execFileSync(binary, ["token", "--config", config, "--shop", shop, "--person", person, "--role", role]).toString().trim();
const admin = token("*", "ops", "admin"), sue = token("d1", "sue", "supervisor");
const server = serve(binary, config, ["--clock", "manual", "--clock-start", "2026-08-18T10:00:00+08:00"]);
const shopSite = http.createServer((req, res) => {
  res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
  res.end(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Shop d1</title></head><body><main><h1>Shop d1</h1></main>
<script src="${base}/app/widget.js" data-shop="d1" data-lang="en"></script></body></html>`);
}).listen(pagePort, "127.0.0.1");

async function advance(ms) {
  const r = await fetch(`${base}/api/v1/admin/clock`, { method: "POST", headers: { authorization: `Bearer ${admin}` }, body: JSON.stringify({ advanceMs: ms }) });
  if (!r.ok) throw new Error(`clock: ${r.status} ${await r.text()}`);
}
async function axe(page, name) {
  await page.addScriptTag({ path: axePath }).catch(async () => {
    // Pages under /app/ allow only their own scripts (CSP): evaluate axe's source instead.
    await page.evaluate(fs.readFileSync(axePath, "utf8"));
  });
  const r = await page.evaluate(async () => await window.axe.run(document, { resultTypes: ["violations"] }));
  const bad = r.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  for (const v of bad) console.log(`  axe ${name} ${v.impact}: ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join("; ")})`);
  check(bad.length === 0, `axe-core on the ${name}: no serious or critical violation`);
}
const text = (loc) => loc.innerText();

let browser;
const pageLog = [];
try {
  await until("the server", async () => (await fetch(`${base}/healthz`)).ok);
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
  const open = async (url, w = 1100, h = 800) => {
    const ctx = await browser.newContext({ viewport: { width: w, height: h }, bypassCSP: false });
    const p = await ctx.newPage();
    p.on("console", (m) => { if (m.type() === "error") pageLog.push(`${url.slice(0, 60)}: ${m.text()}`); });
    p.on("pageerror", (e) => pageLog.push(`${url.slice(0, 60)}: ${e.message}`));
    await p.goto(url);
    return p;
  };
  const widget = (p) => p.locator("[data-switchboard-widget]");
  const say = async (p, words) => { await widget(p).locator("textarea").fill(words); await widget(p).locator("button[type=submit]").click(); };

  // Before anyone is online: c0 leaves a message.
  const c0 = await open(`${site}/`, 900, 700);
  await until("c0's greeting", async () => (await text(widget(c0).locator(".log"))).includes("Welcome to d1!"));
  await say(c0, "hello?");
  await until("leave offer", async () => (await text(widget(c0).locator(".status"))).includes("Leave a message"));
  await say(c0, "Call me about the X200 please.");
  await until("left", async () => (await text(widget(c0).locator(".log"))).includes("Message left"));

  const alice = await open(`${base}/app/workbench.html#shop=d1&token=${token("d1", "alice", "agent")}&lang=en`);
  // bob signs in through the demo's sign-in page.
  const bob = await open(`${base}/app/sign-in.html`);
  await bob.locator("#shop").fill("d1");
  await bob.locator("#person").fill("bob");
  await bob.locator("button[type=submit]").click();
  await until("bob's workbench", async () => bob.url().includes("/app/workbench.html#"));
  check(true, "the demo's sign-in page opens the workbench with a minted token");
  const refused = await fetch(`${base}/api/v1/demo/sign-in?shop=d1&person=x&role=admin`, { method: "POST" });
  const badPerson = await fetch(`${base}/api/v1/demo/sign-in?shop=d1&person=a%20b&role=agent`, { method: "POST" });
  const noShop = await fetch(`${base}/api/v1/demo/sign-in?shop=nope&person=x&role=agent`, { method: "POST" });
  check(refused.status === 400 && badPerson.status === 400 && (await badPerson.json()).message.includes("person must be 1 to 64") &&
    noShop.status === 404, "the demo sign-in mints agent and supervisor tokens only, for plain names of shops here");
  const boss = await open(`${base}/app/console.html#shop=d1&token=${sue}&lang=en`, 1300, 900);
  await until("alice's inbox", async () => (await text(alice.locator("#inbox"))).includes("Call me about the X200 please."));
  await alice.locator("#inbox input").fill("Called you: in stock.");
  await alice.locator("#inbox button").click();
  await until("c0 sees the answer", async () => (await text(widget(c0).locator(".log"))).includes("Called you: in stock."));
  check(true, "a left message is answered from the workbench's inbox and the answer shows in the widget");

  // alice online (window 1): c1 is hers; c2 and c3 queue and see their places.
  await alice.getByRole("button", { name: "Online" }).click();
  await until("alice online", async () => (await alice.getByRole("button", { name: "Online" }).getAttribute("aria-pressed")) === "true");
  const [c1, c2, c3] = [await open(`${site}/`, 900, 700), await open(`${site}/`, 900, 700), await open(`${site}/`, 900, 700)];
  for (const c of [c1, c2, c3]) await until("greeting", async () => (await text(widget(c).locator(".log"))).includes("Welcome to d1!"));
  await say(c1, "Is the X200 in stock?");
  await until("c1 assigned", async () => (await text(widget(c1).locator(".status"))).includes("alice is here"));
  await say(c2, "Do you ship to Hangzhou?");
  await until("c2 queued", async () => /number 1 in the queue/.test(await text(widget(c2).locator(".status"))));
  await say(c3, '<script>window.pwned=1</script><img src=x onerror="window.pwned=2">');
  await until("c3 queued", async () => /number 2 in the queue/.test(await text(widget(c3).locator(".status"))));
  await until("the console's queue", async () => (await text(boss.locator("#queues"))).includes("all agents at their window"));
  check(true, "the console shows each waiting customer and why it waits");
  await bob.getByRole("button", { name: "Online" }).click();
  await until("c2 assigned to bob", async () => (await text(widget(c2).locator(".status"))).includes("bob is here"));
  await until("c3 moves up", async () => /number 1 in the queue/.test(await text(widget(c3).locator(".status"))));
  check(true, "a queued customer's position moves from 2 to 1");
  check(/Expected wait: about \d+ min/.test(await text(widget(c3).locator(".status"))), "once the queue has served twice, the widget shows an expected wait");
  // The supervisor raises bob's window: c3 is his too.
  await until("bob in the console", async () => (await boss.locator("tr[data-agent=bob] input").count()) === 1);
  await boss.locator("tr[data-agent=bob] input").fill("2");
  await boss.locator("tr[data-agent=bob] button").click();
  await until("c3 assigned", async () => (await text(widget(c3).locator(".status"))).includes("bob is here"));
  check(true, "the supervisor raises a window in the console and the queue moves");
  await until("c3's card", async () => (await bob.locator("article.chat").count()) === 2);
  const bobText = await text(bob.locator("#chats"));
  check(bobText.includes("<script>window.pwned=1</script>") && (await bob.locator("#chats img").count()) === 0 && (await bob.evaluate(() => window.pwned)) === undefined,
    "hostile text shows as text in the workbench");

  // The 45-second clock, on the server's manual clock.
  await until("alice's countdown", async () => /s left to reply/.test(await text(alice.locator("article.chat .timer"))));
  await advance(31000);
  await until("the 30-s warning", async () => (await text(alice.locator("article.chat .flags"))).includes("30-s warning"));
  check(true, "the 30-s warning shows on the workbench's chat");
  await advance(15000);
  await until("the breach", async () => (await text(alice.locator("article.chat .flags"))).includes("45-s breach"));
  await until("the console's alert", async () => (await text(boss.locator("#alerts"))).includes("45-s breach"));
  check(true, "the breach shows on the workbench's chat and as an alert in the console");
  await alice.locator("article.chat textarea").fill("Yes, 3 left.");
  await alice.locator("article.chat .compose button").click();
  await until("c1 hears alice", async () => (await text(widget(c1).locator(".log"))).includes("Yes, 3 left."));
  await alice.locator("article.chat .quick button").first().click();
  await until("a quick reply", async () => (await text(widget(c1).locator(".log"))).includes("How can I help?"));
  check(true, "typed and quick replies from the workbench reach the widget");

  // The supervisor listens in on c2's session; bob writes to c2 while c2's connection is down.
  const c2Session = await c2.evaluate(() => window.switchboardWidget.state.session);
  await boss.locator(`tr[data-session="${c2Session}"] button`).click();
  await c2.evaluate(() => window.switchboardWidget.state.ws.close());
  const card2 = bob.locator(`article.chat[data-session="${c2Session}"]`);
  await card2.locator("textarea").fill("We ship to Hangzhou tomorrow.");
  await card2.locator(".compose button").click();
  await until("c2 reconnected and caught up", async () => {
    const log = await text(widget(c2).locator(".log"));
    return log.includes("Reconnected.") && log.includes("We ship to Hangzhou tomorrow.");
  });
  check((await text(widget(c2).locator(".log"))).split("We ship to Hangzhou tomorrow.").length === 2, "a dropped customer is resumed with the missed message, once");
  await until("listen-in", async () => (await text(boss.locator("#listen"))).includes("We ship to Hangzhou tomorrow."));
  check(true, "the console listens in on a session");

  // Close and rate; then a transfer from bob to alice.
  await alice.locator(`article.chat .close`).first().click();
  await until("c1's rating prompt", async () => widget(c1).locator(".rating").isVisible());
  await widget(c1).locator(".star").nth(4).click();
  await until("thanks", async () => (await text(widget(c1).locator(".rating"))).includes("Thank you"));
  check(true, "a close from the workbench brings the rating, and the rating is thanked");
  const c3Session = await c3.evaluate(() => window.switchboardWidget.state.session);
  const card3 = bob.locator(`article.chat[data-session="${c3Session}"]`);
  await card3.locator(".transfer input").fill("alice");
  await card3.locator(".transfer button").click();
  await until("c3 with alice", async () => (await text(widget(c3).locator(".status"))).includes("alice is here"));
  await until("c3 on alice's workbench", async () => (await alice.locator(`article.chat[data-session="${c3Session}"]`).count()) === 1);
  check((await text(card3.locator(".flags"))).includes("transferred to alice"), "a transfer from bob's workbench lands on alice's");

  // c1 comes back: held for alice (its first receiver, now full), then bob takes it and sees
  // the earlier session on the card.
  const c1First = await c1.evaluate(() => window.switchboardWidget.state.closedSession);
  await say(c1, "One more question: the warranty?");
  await advance(21000);
  await until("c1's second chat with bob", async () => (await text(widget(c1).locator(".status"))).includes("bob is here"));
  await until("the earlier session on bob's card", async () => (await text(bob.locator("#chats"))).includes(`${c1First} · alice`));
  check(true, "the workbench shows the customer's earlier session with its first receiver");

  // The console listens in on c3's session, whose first line is hostile: text there too.
  await boss.evaluate(() => window.switchboardPage.refresh());
  await until("c3's row", async () => (await boss.locator(`tr[data-session="${c3Session}"] button`).count()) === 1);
  await boss.locator(`tr[data-session="${c3Session}"] button`).click();
  await until("c3's transcript in the console", async () => (await text(boss.locator("#listen"))).includes("<script>window.pwned=1</script>"));
  check((await boss.locator("#listen img").count()) === 0 && (await boss.evaluate(() => window.pwned)) === undefined, "hostile text shows as text in the console");
  // Three minutes with c3's line unanswered on alice's leg: the check-back reminder.
  await advance(180000);
  await until("the check-back reminder", async () => (await text(alice.locator(`article.chat[data-session="${c3Session}"] .flags`))).includes("check back"));
  await advance(180000);  // a second reminder updates the first rather than adding one
  await until("the second reminder", async () => (await text(alice.locator(`article.chat[data-session="${c3Session}"] .flags`))).includes("360 s"));
  check((await alice.locator(`article.chat[data-session="${c3Session}"] .flags .check-back`).count()) === 1, "the 3-minute check-back reminder shows on the workbench's chat, kept current");
  // Twenty minutes on: the long-session alert in the console.
  await advance(20 * 60000);
  await until("the long-session alert", async () => (await text(boss.locator("#alerts"))).includes("long session"));
  check(true, "the console shows the long-session alert");

  if (shots) {
    fs.mkdirSync(shots, { recursive: true });
    await alice.screenshot({ path: path.join(shots, "workbench.png") });
    await boss.screenshot({ path: path.join(shots, "console.png") });
    await c2.screenshot({ path: path.join(shots, "widget.png") });
  }
  const signIn = await open(`${base}/app/sign-in.html`);
  for (const [p, name] of [[alice, "workbench"], [boss, "console"], [c2, "widget"], [signIn, "sign-in page"]]) await axe(p, name);

  // The console's figures equal the figures API's.
  await boss.evaluate(() => window.switchboardPage.refresh());
  const api = await (await fetch(`${base}/api/v1/shops/d1/figures`, { headers: { authorization: `Bearer ${sue}` } })).json();
  await sleep(500);
  await boss.evaluate(() => window.switchboardPage.figures());
  await until("the console's figures", async () => {
    for (const key of ["connection_rate", "response_45s_rate", "message_reply_rate", "rating_rate", "satisfaction", "inquiry_conversion_rate"]) {
      const camel = key.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
      const r = api.figures[camel];
      const shown = await text(boss.locator(`tr[data-figure=${key}] td:nth-child(2)`));
      if (!shown.includes(`(${r.numerator}/${r.denominator})`)) return false;
    }
    return true;
  });
  check(api.figures.messageReplyRate.numerator === 1 && api.figures.firstResponseBreaches >= 1, "the figures API counts the answered message and the breach");
  check(true, "the console's figures equal the figures API's");
} catch (e) {
  console.log(`FAIL ${e.message}`);
  console.log(server.log().split("\n").slice(-20).join("\n"));
  console.log(pageLog.slice(-20).join("\n"));
  result.failures++;
} finally {
  if (browser) await browser.close();
  server.process.kill("SIGTERM");
  shopSite.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
console.log(result.failures === 0 ? "front-ends: all checks passed" : `front-ends: ${result.failures} check(s) failed`);
process.exit(result.failures === 0 ? 0 : 1);
