// The agent workbench (docs/front-ends.md): status, every concurrent chat with its own 45-second
// countdown, the 30-s warning and the breach, the 3-minute check-back reminder, quick replies,
// transfer to an agent or a skill, close, and the inbox of left messages with reply.
import { clock, connect, el, lang, shopTime } from "./common.js";

const t = {
  en: { title: "Agent workbench", online: "Online", paused: "Paused", offline: "Offline", send: "Send", close: "Close",
    transfer: "Transfer", to: "to agent or skill", left: (s) => `${s} s left to reply`, replied: "replied", warning: "30-s warning",
    breach: "45-s breach", checkBack: (s) => `check back: the customer has waited ${s} s`, closed: "closed",
    transferred: (to) => `transferred to ${to}`, reply: "Reply", replyTo: "Reply to the left message", message: "Message",
    earlier: "Earlier sessions", quick: ["Hello! How can I help?", "One moment please, I am checking.", "Thank you, anything else?"],
    conn: { online: "connected", offline: "reconnecting…", "no-token": "open this page with #shop=…&token=…" } },
  zh: { title: "客服工作台", online: "在线", paused: "暂停", offline: "离线", send: "发送", close: "结束", transfer: "转接",
    to: "转给客服或技能组", left: (s) => `还剩 ${s} 秒回复`, replied: "已回复", warning: "30 秒预警", breach: "45 秒超时",
    checkBack: (s) => `请回访：客户已等待 ${s} 秒`, closed: "已结束", transferred: (to) => `已转接给 ${to}`, reply: "回复",
    replyTo: "回复留言", message: "消息", earlier: "历史会话", quick: ["您好，请问有什么可以帮您？", "请稍等，我查一下。", "感谢您的咨询，还有其他问题吗？"],
    conn: { online: "已连接", offline: "正在重连…", "no-token": "请用 #shop=…&token=… 打开本页" } },
}[lang];
document.getElementById("title").textContent = t.title;
document.title = `Switchboard: ${t.title}`;
const chats = new Map();  // session id -> card
const who = document.getElementById("who");
let me = "";

const statusBox = document.getElementById("status");
for (const [s, label] of [["AGENT_STATUS_ONLINE", t.online], ["AGENT_STATUS_PAUSED", t.paused], ["AGENT_STATUS_OFFLINE", t.offline]])
  statusBox.appendChild(el("button", { type: "button", "data-status": s, "aria-pressed": "false", text: label,
    onclick: () => conn.send({ setAgentStatus: { status: s } }).then((f) => { if (f.ack) showStatus(s); }) }));
function showStatus(s) { for (const b of statusBox.children) b.setAttribute("aria-pressed", String(b.dataset.status === s)); }

function card(a) {
  const log = el("ol", { class: "transcript", "aria-live": "polite" });
  const timer = el("p", { class: "timer", role: "timer" });
  const flags = el("p", { class: "flags", role: "status" });
  const input = el("textarea", { rows: "2", "aria-label": `${t.message} (${a.memberId})` });
  const target = el("input", { type: "text", "aria-label": `${t.to} (${a.memberId})`, placeholder: t.to });
  const c = { a, log, timer, flags, input, replied: false, thresholdMs: 45000, start: Date.parse(a.clockStartedAt), open: true };
  const send = (text) => {
    if (!text) return;
    conn.send({ sendText: { sessionId: a.sessionId, text } }).then((f) => { if (f.ack) { line(c, me, text); c.replied = true; } });
  };
  const quick = el("div", { class: "quick" }, t.quick.map((q) => el("button", { type: "button", text: q, onclick: () => send(q) })));
  const form = el("form", { class: "compose", onsubmit: (e) => { e.preventDefault(); send(input.value.trim()); input.value = ""; } },
    [input, el("button", { type: "submit", text: t.send })]);
  const transfer = el("form", { class: "transfer", onsubmit: (e) => {
    e.preventDefault();
    const to = target.value.trim();
    if (!to) return;
    conn.send({ transfer: { sessionId: a.sessionId, [to.startsWith("@") ? "toSkill" : "toAgentId"]: to.replace(/^@/, "") } });
  } }, [target, el("button", { type: "submit", text: t.transfer })]);
  const close = el("button", { type: "button", class: "close", text: t.close, onclick: () => conn.send({ closeSession: { sessionId: a.sessionId } }) });
  c.node = el("article", { class: "chat", "data-session": a.sessionId, "aria-label": a.memberId },
    [el("h3", { text: `${a.memberId} · ${a.skill} · ${(a.tier || "").replace("TIER_", "")}` }), timer, flags, log, quick, form, transfer, close]);
  for (const m of a.history || []) line(c, m.senderId, m.text, m.at);
  const earlier = (a.earlierSessions || []).map((e) => `${e.sessionId} · ${e.agentId} · ${e.skill} · ${shopTime(e.startedAt)}`);
  if (earlier.length) c.node.insertBefore(el("p", { class: "earlier", text: `${t.earlier}: ${earlier.join("; ")}` }), log);
  document.getElementById("chats").prepend(c.node);
  chats.set(a.sessionId, c);
  return c;
}
function line(c, who, text, at) {
  c.log.appendChild(el("li", {}, [el("time", { text: shopTime(at || clock.now()) }), el("b", { text: who }), el("span", { text })]));
}
function flag(c, cls, text) { c.flags.appendChild(el("span", { class: cls, text })); c.node.classList.add(cls); }
// A chat that is no longer this agent's (closed, transferred away) keeps its transcript only.
function retire(c) { c.open = false; c.timer.textContent = ""; for (const n of c.node.querySelectorAll("form, .quick, .close")) n.remove(); }
function tick() {
  for (const c of chats.values()) {
    if (!c.open) continue;
    const left = Math.ceil((c.thresholdMs - (clock.now() - c.start)) / 1000);
    // Past a breach the flag says it; the countdown stops rather than guess.
    c.timer.textContent = c.replied ? t.replied : c.node.classList.contains("breach") ? "" : t.left(Math.max(0, left));
  }
}
setInterval(tick, 250);

function inbox(list) {
  const box = document.getElementById("inbox");
  box.replaceChildren();
  for (const m of list) {
    const input = el("input", { type: "text", "aria-label": `${t.replyTo} ${m.memberId}` });
    box.appendChild(el("li", { "data-message": m.messageId }, [
      el("p", {}, [el("b", { text: m.memberId }), el("span", { text: ` ${m.text}` })]),
      m.replied ? el("p", { class: "replied", text: `${t.replied}: ${m.replyText}` })
        : el("form", { onsubmit: (e) => { e.preventDefault(); conn.send({ replyLeftMessage: { messageId: m.messageId, text: input.value } }).then(refreshInbox); } },
          [input, el("button", { type: "submit", text: t.reply })]),
    ]));
  }
}
function refreshInbox() { conn.send({ listLeftMessages: { includeReplied: true } }); }

const conn = connect("ROLE_AGENT", {
  welcome(w) { me = w.personId; refreshInbox(); },
  assigned(a) { const old = chats.get(a.sessionId); if (old) old.node.remove(); card(a); },
  resumed(r) { for (const a of r.sessions || []) { const old = chats.get(a.sessionId); if (old) old.node.remove(); card(a); } },
  chatMessage(m) { const c = chats.get(m.sessionId); if (c) line(c, m.senderId, m.text, m.at); },
  firstResponseWarning(w) { const c = chats.get(w.sessionId); if (c) { c.thresholdMs = w.thresholdMs || c.thresholdMs; flag(c, "warning", t.warning); } },
  firstResponseBreach(b) { const c = chats.get(b.sessionId); if (c) flag(c, "breach", t.breach); },
  checkBackReminder(r) {
    const c = chats.get(r.sessionId);
    if (!c) return;
    // One reminder per chat, kept current: the customer's wait so far.
    const old = c.flags.querySelector(".check-back");
    if (old) old.textContent = t.checkBack(Math.round(r.customerWaitingMs / 1000));
    else flag(c, "check-back", t.checkBack(Math.round(r.customerWaitingMs / 1000)));
  },
  transferred(x) {
    const c = chats.get(x.sessionId);
    if (c && x.fromAgentId === me) { retire(c); flag(c, "transferred", t.transferred(x.toAgentId || x.toSkill)); }
  },
  sessionClosed(s) { const c = chats.get(s.sessionId); if (c) { retire(c); flag(c, "closed", t.closed); } },
  leftMessages(l) { inbox(l.messages || []); },
  leftMessageReplied() { refreshInbox(); },
  agentChanged(a) { if (a.agent && a.agent.agentId === me) showStatus(a.agent.status); },
  error(e) { who.textContent = e.message; },
}, (s) => { who.textContent = `${me} · ${t.conn[s]}`; });
window.switchboardPage = { conn, chats };
