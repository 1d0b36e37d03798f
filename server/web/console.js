// The supervisor console (docs/front-ends.md): live queues per skill with why each customer
// waits, agents with status, load and window (changed here), the day's figures against the
// shop's targets (the figures API, refreshed), breach and long-session alerts, listen-in.
import { clock, connect, el, lang, params, shopTime } from "./common.js";

const t = {
  en: { title: "Supervisor console", wait: "waits", set: "Set", listen: "Listen in", pending: "pending", done: "replied",
    breach: (s, a) => `45-s breach: ${s}${a ? " (" + a + ")" : ""}`, long: (s, a, m) => `long session ${s} (${a}): ${m} min`,
    reasons: { WAIT_REASON_NO_AGENT_WITH_SKILL_ONLINE: "no agent with the skill online", WAIT_REASON_ALL_AT_WINDOW: "all agents at their window",
      WAIT_REASON_DAILY_CAP_REACHED: "agents at their daily cap", WAIT_REASON_HELD_FOR_FIRST_RECEIVER: "held for its first receiver",
      WAIT_REASON_AHEAD_IN_QUEUE: "others ahead in the queue" },
    figures: { connection_rate: "connection rate", response_45s_rate: "45-second response rate", message_reply_rate: "message reply rate",
      rating_rate: "rating rate", satisfaction: "satisfaction", inquiry_conversion_rate: "inquiry conversion" },
    conn: { online: "connected", offline: "reconnecting…", "no-token": "open this page with #shop=…&token=…" } },
  zh: { title: "主管控制台", wait: "等待", set: "设置", listen: "监听", pending: "待回复", done: "已回复",
    breach: (s, a) => `45 秒超时：${s}${a ? "（" + a + "）" : ""}`, long: (s, a, m) => `超长会话 ${s}（${a}）：${m} 分钟`,
    reasons: { WAIT_REASON_NO_AGENT_WITH_SKILL_ONLINE: "该技能无客服在线", WAIT_REASON_ALL_AT_WINDOW: "客服接待已满",
      WAIT_REASON_DAILY_CAP_REACHED: "客服已达日接待上限", WAIT_REASON_HELD_FOR_FIRST_RECEIVER: "等待首次接待客服",
      WAIT_REASON_AHEAD_IN_QUEUE: "前面还有客户" },
    figures: { connection_rate: "接通率", response_45s_rate: "45 秒响应率", message_reply_rate: "留言回复率", rating_rate: "评价率",
      satisfaction: "满意度", inquiry_conversion_rate: "询单转化率" },
    conn: { online: "已连接", offline: "正在重连…", "no-token": "请用 #shop=…&token=… 打开本页" } },
}[lang];
document.getElementById("title").textContent = t.title;
document.title = `Switchboard: ${t.title}`;
const who = document.getElementById("who");
const statuses = ["AGENT_STATUS_ONLINE", "AGENT_STATUS_PAUSED", "AGENT_STATUS_OFFLINE"];
let targets = [];
let listening = "";

function queues(view) {
  const box = document.getElementById("queues");
  box.replaceChildren();
  for (const q of view.queues || []) {
    const list = el("ol", { "data-skill": q.skill });
    for (const w of q.waiting || [])
      list.appendChild(el("li", { "data-request": w.requestId },
        [el("b", { text: w.memberId }), el("span", { text: `${t.wait} ${Math.round(w.waitMs / 1000)} s: ${t.reasons[w.reason] || w.reason}${w.heldForAgentId ? " " + w.heldForAgentId : ""}` })]));
    box.appendChild(el("section", { class: "card", "aria-label": q.skill }, [el("h3", { text: `${q.skill} (${(q.waiting || []).length})` }), list]));
  }
}
function agents(view) {
  const body = document.getElementById("agents");
  body.replaceChildren();
  for (const a of view.agents || []) {
    const status = el("select", { "aria-label": `status ${a.agentId}`, onchange: (e) => conn.send({ setAgentStatus: { agentId: a.agentId, status: e.target.value } }).then(refresh) },
      statuses.map((s) => el("option", { value: s, text: s.replace("AGENT_STATUS_", "").toLowerCase(), selected: s === a.status })));
    const windowInput = el("input", { type: "number", min: "1", max: "50", value: String(a.window), "aria-label": `window ${a.agentId}` });
    const setWindow = el("form", { onsubmit: (e) => { e.preventDefault(); conn.send({ setWindow: { agentId: a.agentId, window: Number(windowInput.value) } }).then(refresh); } },
      [windowInput, el("button", { type: "submit", text: t.set })]);
    body.appendChild(el("tr", { "data-agent": a.agentId }, [el("td", { text: a.agentId }), el("td", {}, [status]),
      el("td", { text: `${a.activeSessions}/${a.window}` }), el("td", {}, [setWindow]), el("td", { text: `${a.sessionsToday}/${a.dailyCap}` })]));
  }
}
function sessions(view) {
  const body = document.getElementById("sessions");
  body.replaceChildren();
  for (const s of view.sessions || [])
    body.appendChild(el("tr", { "data-session": s.sessionId }, [el("td", { text: s.sessionId }), el("td", { text: s.memberId }), el("td", { text: s.agentId }),
      el("td", { text: s.skill }), el("td", { text: s.firstReplyPending ? t.pending : t.done }),
      el("td", {}, [el("button", { type: "button", text: t.listen, onclick: () => listen(s.sessionId) })])]));
}
function listen(sessionId) {
  if (listening) conn.send({ watchSession: { sessionId: listening, stop: true } });
  listening = sessionId;
  document.getElementById("listen").replaceChildren(el("li", { text: sessionId }));
  conn.send({ watchSession: { sessionId } });
}
function heard(m) {
  if (m.sessionId !== listening) return;
  document.getElementById("listen").appendChild(el("li", {}, [el("time", { text: shopTime(m.at) }), el("b", { text: m.senderId }), el("span", { text: m.text })]));
}
function alert(text) { document.getElementById("alerts").prepend(el("li", { text: `${shopTime(clock.now())} ${text}` })); }

async function figures() {
  const res = await fetch(`/api/v1/shops/${encodeURIComponent(params.get("shop"))}/figures`, { headers: { authorization: `Bearer ${params.get("token")}` } });
  if (!res.ok) return;
  const f = (await res.json()).figures || {};
  const body = document.getElementById("figures");
  body.replaceChildren();
  for (const [key, label] of Object.entries(t.figures)) {
    const camel = key.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
    const r = f[camel] || {};
    const target = targets.find((x) => x.name === key);
    const below = target && r.denominator > 0 && r.value < target.atLeast;
    body.appendChild(el("tr", { "data-figure": key, class: below ? "below" : target ? "met" : false }, [el("td", { text: label }),
      el("td", { "data-value": String(r.value ?? 0), text: `${(100 * (r.value || 0)).toFixed(1)}% (${r.numerator || 0}/${r.denominator || 0})` }),
      el("td", { text: target ? `≥ ${(100 * target.atLeast).toFixed(0)}%` : "" })]));
  }
}
function refresh() { return conn.send({ getShopView: {} }); }

const conn = connect("ROLE_SUPERVISOR", {
  welcome(w) { who.textContent = w.personId; refresh(); },
  shopView(v) { targets = v.targets || []; queues(v); agents(v); sessions(v); figures(); },
  agentChanged() { refresh(); },
  firstResponseBreach(b) { alert(t.breach(b.sessionId || b.requestId, b.agentId)); refresh(); },
  longSessionAlert(a) { alert(t.long(a.sessionId, a.agentId, Math.round(a.durationMs / 60000))); },
  chatMessage: heard,
  assigned: () => refresh(),
  sessionClosed: () => refresh(),
  error(e) { alert(e.message); },
}, (s) => { who.textContent = t.conn[s]; });
setInterval(() => { if (conn.state.ws && conn.state.ws.readyState === WebSocket.OPEN) refresh(); }, 2000);
window.switchboardPage = { conn, refresh, figures };
