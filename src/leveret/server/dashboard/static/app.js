// The dashboard: polls the server's JSON every second, follows logs over Server-Sent Events.
"use strict";

const state = { app: null, logSource: null, all: false };
const $ = (id) => document.getElementById(id);

async function get(path) {
  const r = await fetch(path, { credentials: "same-origin" });
  if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
  return r.json();
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v; else if (k.startsWith("on")) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

async function refreshApps() {
  const apps = await get(`/api/apps${state.all ? "?all=1" : ""}`);
  const ul = $("apps");
  ul.replaceChildren(...apps.map((a) => el("li", {
    class: a.id === state.app ? "selected" : "", "data-app": a.id, onclick: () => select(a.id),
  }, `${a.name} `, el("span", { class: "state" }, a.version ? `v${a.version} ${a.state}` : a.state))));
  $("status").textContent = `${apps.length} app(s) · ${new Date().toLocaleTimeString()}`;
  return apps;
}

function chart(series) {
  // queue depth and container count over time, as two polylines
  const w = 360, h = 80;
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("class", "chart"); svg.setAttribute("width", w); svg.setAttribute("height", h);
  if (series.length < 2) return svg;
  const t0 = series[0].ts, t1 = series[series.length - 1].ts || t0 + 1;
  const top = Math.max(1, ...series.map((p) => Math.max(p.queued, p.containers)));
  for (const [key, color] of [["queued", "#d9822b"], ["containers", "#2b6cd9"]]) {
    const pts = series.map((p) => `${((p.ts - t0) / (t1 - t0 || 1)) * (w - 4) + 2},${h - 2 - (p[key] / top) * (h - 4)}`);
    const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
    line.setAttribute("points", pts.join(" ")); line.setAttribute("fill", "none"); line.setAttribute("stroke", color);
    line.setAttribute("data-series", key);
    svg.append(line);
  }
  return svg;
}

async function refreshApp() {
  if (!state.app) return;
  const apps = await get("/api/apps?all=1");
  const app = apps.find((a) => a.id === state.app);
  if (!app) return;
  $("app-title").textContent = `${app.name} ${app.version ? "v" + app.version : ""} (${app.id}) — ${app.state}`;
  const parts = [];
  if (app.running) {
    for (const name of app.functions) {
      try {
        const f = await get(`/api/apps/${app.id}/functions/${encodeURIComponent(name)}`);
        parts.push(el("div", { class: "function", "data-function": name },
          el("h4", {}, name, ...(f.web_url ? [" ", el("a", { href: f.web_url, class: "web-url", target: "_blank" }, f.web_url)] : [])),
          el("div", {}, `${f.queued} queued · ${f.running} running · ${f.containers.length} container(s)`),
          el("div", { class: "event" }, f.settings),
          ...(f.schedule ? [el("div", { class: "event" }, `schedule ${f.schedule}`)] : []),
          ...f.pending.map((p) => el("div", { class: "pending" }, `pending: ${p}`)),
          ...(f.backoff ? [el("div", { class: "pending" }, `backoff: ${f.backoff}`)] : []),
          chart(f.series),
          ...f.events.slice(-5).map((e) => el("div", { class: "event" }, `${new Date(e.ts * 1000).toLocaleTimeString()} ${e.text}`))));
      } catch (e) { /* a function of a version that just stopped */ }
    }
  }
  $("functions").replaceChildren(...parts);
  const cts = app.running ? await get(`/api/containers?app=${app.id}`) : [];
  $("containers").querySelector("tbody").replaceChildren(...cts.map((c) => el("tr", { "data-container": c.container_id },
    el("td", {}, c.container_id), el("td", {}, c.function_name), el("td", {}, c.state), el("td", {}, String(c.running)),
    el("td", { class: "cpu" }, c.cpu_cores >= 0 ? `${(c.cpu_cores * 100).toFixed(0)} %` : "–"),
    el("td", { class: "memory" }, c.memory_bytes >= 0 ? `${(c.memory_bytes / 1048576).toFixed(1)} MiB` : "–"),
    el("td", {}, `${Math.round(c.age_s)} s`), el("td", {}, `${c.worker_id} (${c.worker_hostname})`))));
}

function followLogs() {
  if (state.logSource) state.logSource.close();
  $("logs").replaceChildren();
  if (!state.app) return;
  const q = new URLSearchParams({ app: state.app });
  for (const [id, key] of [["f-function", "function"], ["f-container", "container"], ["f-search", "search"]]) {
    if ($(id).value) q.set(key, $(id).value);
  }
  const src = new EventSource(`/api/logs/stream?${q}`);
  src.onmessage = (ev) => {
    const pre = $("logs");
    const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
    for (const ln of JSON.parse(ev.data)) {
      const who = `[${ln.function || "system"}${ln.container ? " " + ln.container : ""}] `;
      const row = el("div", { class: `line ${ln.source}`, "data-seq": String(ln.seq) }, who);
      if (ln.input) row.append(el("span", { class: "input", onclick: () => showInput(ln.input) }, ln.input), " ");
      row.append(ln.text);
      pre.append(row);
    }
    if (atBottom) pre.scrollTop = pre.scrollHeight;
  };
  src.addEventListener("done", () => src.close());
  state.logSource = src;
}

async function showInput(inputId) {
  const t = await get(`/api/inputs/${inputId}`);
  const start = t.queued_at;
  $("timeline").hidden = false;
  $("timeline").replaceChildren(el("h4", {}, `input ${t.input_id} of ${t.function} (${t.kind} ${t.call_id})`),
    el("div", {}, `queued at ${new Date(start * 1000).toLocaleTimeString()}`),
    ...t.outputs.map((o) => el("div", {}, `+${(o.ts - start).toFixed(3)} s  ${o.status} on ${o.container_id}${o.message ? " — " + o.message : ""}`)));
}

function select(appId) {
  state.app = appId;
  $("hint").hidden = true;
  $("app-view").hidden = false;
  $("timeline").hidden = true;
  refreshApps(); refreshApp(); followLogs();
}

for (const id of ["f-function", "f-container", "f-search"]) $(id).addEventListener("change", followLogs);
$("all-apps").addEventListener("change", (e) => { state.all = e.target.checked; refreshApps(); });

async function tick() {
  try { await refreshApps(); await refreshApp(); } catch (e) { $("status").textContent = String(e); }
}
tick();
setInterval(tick, 1000);
