// Switchboard's customer chat widget (docs/front-ends.md). One tag on a shop's page:
//   <script src="https://CHAT-SERVER/app/widget.js" data-shop="demo" data-token="…" data-lang="zh"></script>
// data-token: the member's token from the shop's site (leave it out where the shop takes guests;
// a page may instead carry it in its fragment as #switchboard-token=…);
// data-skill: the queue (default: the shop's); data-lang: "zh" or "en" (default: the page's).
// It speaks the JSON protocol (docs/protocol.md) to /ws/shops/{shop} on the server it was loaded
// from, draws in a shadow root (the page's styles and scripts stay apart), and renders every chat
// text with textContent, never as HTML. A dropped connection is resumed with the resume token and
// the highest message seq seen per session, so missed messages come back without duplicates.
(function () {
  "use strict";
  const script = document.currentScript;
  if (!script) return;
  const cfg = Object.assign({}, script.dataset);
  // The demo page passes a customer token in its fragment; a shop's page sets data-token.
  if (!cfg.token) cfg.token = new URLSearchParams(location.hash.slice(1)).get("switchboard-token") || "";
  const server = new URL(script.src, document.baseURI);
  const shop = cfg.shop || "";
  const lang = (cfg.lang || document.documentElement.lang || "en").toLowerCase().startsWith("zh") ? "zh" : "en";
  const text = {
    en: {
      title: "Chat with us", connecting: "Connecting…", send: "Send", placeholder: "Type a message",
      queued: (p, n) => `You are number ${p} in the queue (${n} waiting).`,
      wait: (m) => `Expected wait: about ${m} min.`,
      assigned: (a) => `${a} is here to help you.`, closed: "The chat has ended.",
      rate: "How did we do?", thanks: "Thank you for your rating.",
      unavailable: "Nobody can answer right now. Leave a message and we will reply here.",
      closedHours: (h) => (h ? `We are open ${h} today. Leave a message and we will reply here.` : "We are closed today. Leave a message and we will reply here."),
      leave: "Leave a message", left: "Message left. We will answer here.", answer: "The shop answered your message:",
      dropped: "Connection lost: reconnecting…", back: "Reconnected.", error: (m) => `Error: ${m}`,
      you: "You", agent: "Agent", system: "Notice", stars: (n) => `${n} of 5`,
    },
    zh: {
      title: "在线客服", connecting: "正在连接…", send: "发送", placeholder: "请输入消息",
      queued: (p, n) => `您排在第 ${p} 位（共 ${n} 人等待）。`,
      wait: (m) => `预计等待约 ${m} 分钟。`,
      assigned: (a) => `客服 ${a} 为您服务。`, closed: "会话已结束。",
      rate: "请为本次服务评分", thanks: "感谢您的评价。",
      unavailable: "暂时无人接待，请留言，我们会在这里回复您。",
      closedHours: (h) => (h ? `今日服务时间 ${h}，请留言，我们会在这里回复您。` : "今日不营业，请留言，我们会在这里回复您。"),
      leave: "留言", left: "留言已收到，我们会在这里回复。", answer: "店铺回复了您的留言：",
      dropped: "连接已断开，正在重连…", back: "已重新连接。", error: (m) => `出错了：${m}`,
      you: "我", agent: "客服", system: "提示", stars: (n) => `${n} 星（满分 5 星）`,
    },
  }[lang];

  const host = document.createElement("div");
  host.setAttribute("data-switchboard-widget", shop);
  document.body.appendChild(host);
  const root = host.attachShadow({ mode: "open" });
  const style = document.createElement("link");
  style.rel = "stylesheet";
  style.href = new URL("widget.css", server).href;
  root.appendChild(style);

  function el(tag, attrs, children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "text") e.textContent = v;
      else e.setAttribute(k, v);
    }
    for (const c of children || []) e.appendChild(c);
    return e;
  }

  const log = el("ol", { class: "log", "aria-live": "polite", "aria-label": text.title });
  const status = el("p", { class: "status", role: "status", text: text.connecting });
  const input = el("textarea", { rows: "2", "aria-label": text.placeholder, placeholder: text.placeholder, maxlength: "2000" });
  const send = el("button", { type: "submit", text: text.send });
  const form = el("form", { class: "compose" }, [input, send]);
  const rating = el("div", { class: "rating", hidden: "" }, [el("p", { text: text.rate })]);
  const panel = el("section", { class: "panel", "aria-label": text.title, lang: lang === "zh" ? "zh-CN" : "en" },
    [el("h2", { text: text.title }), status, log, rating, form]);
  root.appendChild(panel);

  const state = { ws: null, resume: sessionStorage.getItem(`sb-resume-${shop}`) || "", seen: {}, session: "",
    mode: "chat", entered: false, retry: 0, offset: 0, zone: "", closedSession: "" };
  try { state.seen = JSON.parse(sessionStorage.getItem(`sb-seen-${shop}`) || "{}"); } catch (_) { state.seen = {}; }

  function clock(at) {  // the shop's wall clock: by its IANA zone if it has one (DST), else its offset
    if (state.zone.includes("/"))
      return new Intl.DateTimeFormat("en-GB", { timeZone: state.zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(Date.parse(at));
    const d = new Date(Date.parse(at) + state.offset * 60000);
    return d.toISOString().slice(11, 16);
  }
  function line(kind, who, body, at) {
    const li = el("li", { class: kind });
    if (at) li.appendChild(el("time", { text: clock(at) }));
    li.appendChild(el("b", { text: who }));
    li.appendChild(el("span", { text: body }));  // text, never HTML
    log.appendChild(li);
    log.scrollTop = log.scrollHeight;
  }
  function say(frame) {
    if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify(frame));
  }
  function remember(m) {
    const seq = Number(m.seq || 0);
    if (seq <= (state.seen[m.sessionId] || 0)) return false;  // already shown: a resume's replay
    state.seen[m.sessionId] = seq;
    sessionStorage.setItem(`sb-seen-${shop}`, JSON.stringify(state.seen));
    return true;
  }
  function showRating(sessionId) {
    rating.hidden = false;
    rating.replaceChildren(el("p", { text: text.rate }));
    for (let n = 1; n <= 5; n++) {
      const b = el("button", { type: "button", class: "star", "aria-label": text.stars(n), text: "★" });
      b.addEventListener("click", () => { say({ requestId: "rate", rate: { sessionId, score: n } }); rating.replaceChildren(el("p", { text: text.thanks })); });
      rating.appendChild(b);
    }
  }
  function unavailable(u) {
    state.mode = "leave";
    send.textContent = text.leave;
    status.textContent = u.reason === "UNAVAILABLE_REASON_OUTSIDE_HOURS" ? text.closedHours(u.hoursToday) : text.unavailable;
  }
  function queued(q) {
    status.textContent = text.queued(q.position, q.queueLength);
    if (q.expectedWaitS) status.textContent += " " + text.wait(Math.max(1, Math.round(q.expectedWaitS / 60)));
  }

  const handlers = {
    welcome(w) {
      state.offset = w.utcOffsetMinutes || 0;
      state.zone = w.timeZone || "";
      state.resume = w.resumeToken;
      sessionStorage.setItem(`sb-resume-${shop}`, w.resumeToken);
      if (state.retry > 0) line("system", text.system, text.back);
      state.retry = 0;
      status.textContent = "";
      if (!w.resumed && !state.entered) say({ requestId: "enter", enter: { skill: cfg.skill || "" } });
    },
    greeting(g) { state.entered = true; line("system", text.system, g.text, g.at); },
    queued,
    unavailable,
    assigned(a) {
      state.session = a.sessionId;
      status.textContent = text.assigned(a.agentId);
      for (const m of a.history || []) handlers.chatMessage(m);
    },
    resumed(r) {
      if (r.queued) queued(r.queued);
      for (const a of r.sessions || []) handlers.assigned(a);
    },
    chatMessage(m) {
      // The customer's own lines were shown as typed; a resume's replay only moves `seen` on.
      if (!remember(m) || m.sender === "SENDER_CUSTOMER") return;
      line(m.sender === "SENDER_AGENT" ? "agent" : "system", m.senderId || text.agent, m.text, m.at);
    },
    sessionClosed(c) { status.textContent = text.closed; state.session = ""; state.closedSession = c.sessionId; showRating(c.sessionId); },
    leftMessageReplied(r) { const m = r.message || {}; line("agent", m.repliedBy || text.agent, `${text.answer} ${m.replyText}`, m.repliedAt); },
    ack(a, frame) { if (frame.requestId === "leave") line("system", text.system, text.left); },
    error(e) { line("system", text.system, text.error(e.message)); },
    shutdown(s) { state.delay = s.reconnectAfterMs || 1000; },
  };

  function connect() {
    const url = new URL(`/ws/shops/${encodeURIComponent(shop)}`, server);
    url.protocol = server.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(url.href);
    state.ws = ws;
    ws.onopen = () => {
      const hello = { role: "ROLE_CUSTOMER", shopId: shop };
      if (state.resume) { hello.resumeToken = state.resume; hello.seen = state.seen; } else if (cfg.token) hello.token = cfg.token;
      ws.send(JSON.stringify({ requestId: "hello", hello }));
    };
    ws.onmessage = (ev) => {
      let frame;
      try { frame = JSON.parse(ev.data); } catch (_) { return; }
      for (const [kind, body] of Object.entries(frame)) if (handlers[kind]) handlers[kind](body, frame);
    };
    ws.onclose = () => {
      if (state.ws !== ws) return;
      line("system", text.system, text.dropped);
      const delay = state.delay || Math.min(30000, 500 * 2 ** state.retry++);
      state.delay = 0;
      setTimeout(connect, delay);
    };
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const body = input.value.trim();
    if (!body) return;
    input.value = "";
    if (state.mode === "leave") {
      say({ requestId: "leave", leaveMessage: { text: body } });
      line("me", text.you, body);
      return;
    }
    if (state.closedSession && !state.session) {  // a new question after the close: a new chat
      state.closedSession = "";
      rating.hidden = true;
      say({ requestId: "enter", enter: { skill: cfg.skill || "" } });
    }
    say({ requestId: "t" + Date.now(), sendText: { text: body } });
    line("me", text.you, body, new Date(Date.now()).toISOString());
  });
  input.addEventListener("keydown", (ev) => { if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); form.requestSubmit(); } });
  connect();
  window.switchboardWidget = { state, root };  // for tests and the shop's own scripts
})();
