// What the workbench and the console share (docs/front-ends.md): the sign-in from the page's
// fragment (#shop=…&token=…, never sent to a server log), one WebSocket to /ws/shops/{shop}
// with resume after a drop, element building that puts chat text in as text only, the shop's
// clock, and the page's language (zh or en).
export const params = new URLSearchParams(location.hash.slice(1));
export const lang = (params.get("lang") || navigator.language || "en").toLowerCase().startsWith("zh") ? "zh" : "en";
document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";

export function el(tag, attrs, children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "text") e.textContent = v;  // text, never HTML
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== false && v !== undefined) e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children || []) if (c) e.appendChild(c);
  return e;
}

// Server time as the page estimates it: the welcome's and each pong's serverTime, moved on by
// the local clock between them (a manual clock in tests moves only when told; pings follow it).
export const clock = { offsetMs: 0, utcOffsetMinutes: 0, timeZone: "", now() { return Date.now() + this.offsetMs; } };
// In the shop's zone: by its IANA name when it has one (its offset changes with DST), else by
// the welcome's offset.
export function shopTime(at) {
  const t = typeof at === "number" ? at : Date.parse(at);
  if (clock.timeZone.includes("/"))
    return new Intl.DateTimeFormat("en-GB", { timeZone: clock.timeZone, hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" }).format(t);
  return new Date(t + clock.utcOffsetMinutes * 60000).toISOString().slice(11, 19);
}

// Connects as `role`; calls handlers[kind](body, frame) for every server message kind.
export function connect(role, handlers, onStatus) {
  const shop = params.get("shop") || "";
  const token = params.get("token") || "";
  const state = { ws: null, resume: "", seen: {}, retry: 0, delay: 0, n: 0, pending: new Map() };
  function send(body) {
    const requestId = "q" + ++state.n;
    if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify({ requestId, ...body }));
    return new Promise((resolve) => state.pending.set(requestId, resolve));
  }
  function open() {
    const url = new URL(`/ws/shops/${encodeURIComponent(shop)}`, location.href);
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(url.href);
    state.ws = ws;
    ws.onopen = () => {
      const hello = { role, shopId: shop };
      if (state.resume) { hello.resumeToken = state.resume; hello.seen = state.seen; } else hello.token = token;
      ws.send(JSON.stringify({ requestId: "hello", hello }));
    };
    ws.onmessage = (ev) => {
      const frame = JSON.parse(ev.data);
      if (frame.welcome) {
        state.resume = frame.welcome.resumeToken;
        clock.utcOffsetMinutes = frame.welcome.utcOffsetMinutes || 0;
        clock.timeZone = frame.welcome.timeZone || "";
        clock.offsetMs = Date.parse(frame.welcome.serverTime) - Date.now();
        state.retry = 0;
        onStatus("online");
      }
      if (frame.pong) clock.offsetMs = Date.parse(frame.pong.serverTime) - Date.now();
      if (frame.chatMessage) state.seen[frame.chatMessage.sessionId] = Math.max(state.seen[frame.chatMessage.sessionId] || 0, Number(frame.chatMessage.seq || 0));
      if (frame.shutdown) state.delay = frame.shutdown.reconnectAfterMs || 1000;
      for (const [kind, body] of Object.entries(frame)) if (handlers[kind]) handlers[kind](body, frame);
      const done = frame.requestId && state.pending.get(frame.requestId);
      if (done) { state.pending.delete(frame.requestId); done(frame); }
    };
    ws.onclose = () => {
      if (state.ws !== ws) return;
      onStatus("offline");
      const delay = state.delay || Math.min(30000, 500 * 2 ** state.retry++);
      state.delay = 0;
      setTimeout(open, delay);
    };
  }
  setInterval(() => { if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send('{"ping":{}}'); }, 2000);
  if (!shop || !token) { onStatus("no-token"); return { send, state }; }
  open();
  return { send, state };
}
