// The dashboard: pages by the URL's fragment (#/, #/apps/ID, #/apps/ID/functions/NAME, #/inputs/ID,
// #/calls/ID: each linkable), polling the server's JSON every second; logs over Server-Sent Events.
"use strict";

const state = { app: null, fn: null, logSource: null, all: false, plot: null, cards: {} };
let ticks = 0;
const VIEWS = ["overview-view", "objects-view", "app-view", "function-view", "input-view", "call-view"];
const when = (ts) => (ts ? new Date(ts * 1000).toLocaleString() : "–");
const took = (s) => (s == null ? "–" : s < 1 ? `${(s * 1000).toFixed(0)} ms` : `${s.toFixed(1)} s`);
const link = (href, text, attrs = {}) => el("a", { href, ...attrs }, text);
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
    class: a.id === state.app ? "selected" : "", "data-app": a.id, onclick: () => { location.hash = `#/apps/${a.id}`; },
  }, `${a.name} `, el("span", { class: "state" }, a.version ? `v${a.version} ${a.state}` : a.state))));
  $("status").textContent = `${apps.length} app(s) · ${new Date().toLocaleTimeString()}`;
  return apps;
}

function seriesData(series, keys) {
  return [series.map((p) => p.ts), ...keys.map((k) => series.map((p) => p[k]))];
}

function chart(name, series) {
  // a function card's queue and containers over the last minutes: a small uPlot with its axes and
  // legend, kept (and its data replaced) while its app's page is shown
  const data = seriesData(series, ["queued", "containers"]);
  const kept = state.cards[name];
  if (kept) { kept.plot.setData(data); return kept.div; }
  if (!series.length) return el("div", { class: "event" }, "no activity to chart");
  const div = el("div", { class: "chart", "data-chart": name });
  const plot = new uPlot({
    width: 420, height: 150, scales: { x: { time: true } }, axes: [{}, { label: "count", size: 50 }],
    series: [{}, { label: "queued", stroke: "#d9822b" }, { label: "containers", stroke: "#2b6cd9" }],
  }, data, div);
  state.cards[name] = { div, plot };
  return div;
}

function forgetCharts() {
  for (const { plot } of Object.values(state.cards)) plot.destroy();
  state.cards = {};
}

async function refreshApp() {
  if (!state.app) return;
  const apps = await get("/api/apps?all=1");
  const app = apps.find((a) => a.id === state.app) || apps.find((a) => a.name === state.app);   // (the newest of a name)
  if (!app) return;
  if (state.cardsOf !== app.id) { forgetCharts(); state.cardsOf = app.id; }
  $("app-title").textContent = `${app.name} ${app.version ? "v" + app.version : ""} (${app.id}) — ${app.state}`;
  const parts = [];
  {
    for (const name of app.functions) {
      try {
        const f = await get(`/api/apps/${app.id}/functions/${encodeURIComponent(name)}`);
        parts.push(el("div", { class: "function", "data-function": name },
          el("h4", {}, link(`#/apps/${app.id}/functions/${encodeURIComponent(name)}`, name, { class: "function-link" }),
            ...(f.web_url ? [" ", el("a", { href: f.web_url, class: "web-url", target: "_blank" }, f.web_url)] : [])),
          el("div", {}, `${f.queued} queued · ${f.running} running · ${f.containers.length} container(s)`),
          el("div", { class: "event" }, f.settings),
          ...(f.schedule ? [el("div", { class: "event" }, `schedule ${f.schedule}`)] : []),
          ...f.pending.map((p) => el("div", { class: "pending" }, `pending: ${p}`)),
          ...(f.backoff ? [el("div", { class: "pending" }, `backoff: ${f.backoff}`)] : []),
          chart(name, f.series),
          ...f.events.slice(-5).map((e) => el("div", { class: "event" }, `${new Date(e.ts * 1000).toLocaleTimeString()} ${e.text}`))));
      } catch (e) { /* a function of a version that just stopped */ }
    }
  }
  $("functions").replaceChildren(...parts);
  if (state.loadedApp !== app.id || ++ticks % 5 === 0) {   // (each few seconds: they change slowly)
    state.loadedApp = app.id;
    await refreshDeployments(app); await refreshContainerHistory(app);
  }
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

function timeline(t) {
  // an input's life: queued, then each result (its attempt, container, status, message, traceback)
  const start = t.queued_at;
  return [el("h4", {}, "input ", link(`#/inputs/${t.input_id}`, t.input_id), ` of ${t.function} (${t.kind} `,
                link(`#/calls/${t.call_id}`, t.call_id), ")"),
    el("div", {}, `queued at ${new Date(start * 1000).toLocaleTimeString()}`),
    ...t.outputs.flatMap((o) => [
      el("div", { class: o.retried ? "retried" : "" }, `+${(o.ts - start).toFixed(3)} s  ${o.status} on ${o.container_id}`
        + ` (attempt ${o.attempt}${o.retried ? ", retried" : ""})${o.message ? " — " + o.message : ""}`),
      ...(o.traceback ? [el("pre", { class: "traceback" }, o.traceback)] : [])])];
}

async function showInput(inputId) {
  $("timeline").hidden = false;
  $("timeline").replaceChildren(...timeline(await get(`/api/inputs/${inputId}`)));
}

function show(view) {
  for (const v of VIEWS) $(v).hidden = v !== view;
}

async function route() {
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  state.fn = null;
  if (parts[0] === "apps" && parts[1]) {
    if (parts[2] === "functions" && parts[3]) {
      state.app = parts[1]; state.fn = parts[3];
      if (state.logSource) { state.logSource.close(); state.logSource = null; }
      show("function-view"); state.plot = null; $("function-chart").replaceChildren();
      await refreshFunction(); await refreshInputs();
    } else {
      if (state.app !== parts[1] || !state.logSource) {
        if (state.app !== parts[1]) for (const id of ["f-function", "f-container", "f-search"]) $(id).value = "";   // (one app's filters)
        state.app = parts[1]; followLogs();
      }
      show("app-view"); $("timeline").hidden = true; await refreshApp();
    }
  } else if (parts[0] === "inputs" && parts[1]) {
    show("input-view");
    $("input-view").replaceChildren(...timeline(await get(`/api/inputs/${parts[1]}`)));
  } else if (parts[0] === "calls" && parts[1]) {
    show("call-view"); await showCall(parts[1]);
  } else if (parts[0] === "objects") {
    state.app = null; show("objects-view"); await refreshObjects();
  } else {
    state.app = null; show("overview-view"); await refreshOverview();
  }
  refreshApps();
}

async function refreshOverview() {
  await refreshUsage();
  const o = await get("/api/overview");
  $("totals").replaceChildren(el("span", { class: "total" }, `${o.apps.ephemeral} run(s), ${o.apps.deployed} deployed`),
    el("span", { class: "total" }, `${o.queued} queued · ${o.running} running · ${o.containers} container(s)`));
  $("workers").querySelector("tbody").replaceChildren(...o.workers.map((w) => el("tr", { "data-worker": w.worker_id },
    el("td", {}, w.worker_id), el("td", {}, w.hostname),
    el("td", { class: "cpu" }, `${w.cpu_reserved.toFixed(2)} / ${w.cpu}`),
    el("td", {}, `${w.memory_reserved_mb} / ${w.memory_mb} MiB`),
    el("td", {}, w.gpus ? `${w.gpus_reserved} / ${w.gpus} ${w.gpu_type}` : "–"),
    el("td", {}, `${w.containers} / ${w.max_containers}`), el("td", {}, `${w.last_seen_s.toFixed(1)} s ago`))));
  $("failures").querySelector("tbody").replaceChildren(...(o.failures_last_hour.length ? o.failures_last_hour.map((f) =>
    el("tr", {}, el("td", {}, link(`#/apps/${encodeURIComponent(f.app)}`, f.app)),
      el("td", {}, link(`#/apps/${encodeURIComponent(f.app)}/functions/${encodeURIComponent(f.function)}`, f.function)),
      el("td", { class: "failed" }, String(f.count)))) : [el("tr", {}, el("td", { colspan: "3" }, "none"))]));
}

const num = (x, digits = 1) => x.toLocaleString(undefined, { maximumFractionDigits: digits });

async function refreshUsage() {
  const rows = await get("/api/usage");
  $("usage").querySelector("tbody").replaceChildren(...(rows.length ? rows.map((u) => el("tr", { "data-usage": `${u.app}/${u.function}` },
    el("td", {}, u.app), el("td", {}, u.function), el("td", { class: "cpu-seconds" }, num(u.cpu_seconds)),
    el("td", {}, num(u.memory_gib_seconds, 3)), el("td", {}, num(u.gpu_seconds)))) : [el("tr", {}, el("td", { colspan: "5" }, "none yet"))]));
}

async function refreshObjects() {
  const apps = await get("/api/apps");
  const web = apps.flatMap((a) => Object.entries(a.web_urls).map(([fn, url]) => [a, fn, url]));
  $("web").querySelector("tbody").replaceChildren(...(web.length ? web.map(([a, fn, url]) => el("tr", {},
    el("td", {}, link(`#/apps/${a.id}`, a.name)), el("td", {}, fn), el("td", {}, el("a", { href: url, target: "_blank" }, url))))
    : [el("tr", {}, el("td", { colspan: "3" }, "none running"))]));
  const boxes = await get("/api/sandboxes");
  $("sandboxes").querySelector("tbody").replaceChildren(...(boxes.length ? boxes.map((b) => el("tr", { "data-sandbox": b.sandbox_id },
    el("td", {}, b.sandbox_id), el("td", {}, b.name || "–"), el("td", {}, b.state), el("td", {}, when(b.created_at)),
    el("td", {}, b.container_id || "–"))) : [el("tr", {}, el("td", { colspan: "5" }, "none"))]));
  const sections = [];
  for (const [kind, title] of [["volume", "Volumes"], ["dict", "Dicts"], ["queue", "Queues"], ["secret", "Secrets (names only)"]]) {
    const rows = await get(`/api/objects/${kind}`);
    sections.push(el("h3", {}, title), el("table", { id: `objects-${kind}` },
      el("thead", {}, el("tr", {}, el("th", {}, "name"), el("th", {}, "id"), el("th", {}, "created"))),
      el("tbody", {}, ...(rows.length ? rows.map((o) => el("tr", { "data-object": o.name }, el("td", {}, o.name),
        el("td", {}, o.id), el("td", {}, when(o.created_at)))) : [el("tr", {}, el("td", { colspan: "3" }, "none"))]))));
  }
  $("named").replaceChildren(...sections);
}

async function refreshDeployments(app) {
  const versions = app.version ? await get(`/api/apps/${app.id}/history`) : [];
  $("deployments").hidden = !versions.length;
  $("history").querySelector("tbody").replaceChildren(...versions.map((v) => el("tr", { "data-version": String(v.version) },
    el("td", {}, `v${v.version}`), el("td", {}, v.live ? "live" : v.state), el("td", {}, when(v.created_at)),
    el("td", {}, v.description), el("td", {}, v.live ? "" : el("button", { class: "rollback", onclick: () => rollback(app, v.version) },
      `roll back to v${v.version}`)))));
}

async function rollback(app, version) {
  const r = await fetch(`/api/apps/${app.id}/rollback`, { method: "POST", credentials: "same-origin",
    body: new URLSearchParams({ version: String(version) }) });
  const said = r.ok ? await r.json() : null;
  $("status").textContent = said ? `${app.name} is now v${said.version} (the functions of v${said.from_version})` : await r.text();
  if (said) location.hash = `#/apps/${said.app_id}`;
}

async function refreshContainerHistory(app) {
  const rows = await get(`/api/apps/${app.id}/containers`);
  $("container-history").querySelector("tbody").replaceChildren(...rows.map((c) => el("tr", { "data-container": c.container_id },
    el("td", {}, c.container_id), el("td", {}, c.function), el("td", {}, c.state), el("td", {}, when(c.created_at)),
    el("td", { class: "phases" }, c.phases.total ? `${took(c.phases.total)} = ` + Object.entries(c.phases)
      .filter(([k]) => k !== "total").map(([k, s]) => `${k} ${took(s)}`).join(" + ") : "–"),
    el("td", {}, c.stopped_at ? `${when(c.stopped_at)}${c.exit_code != null ? ` (exit ${c.exit_code})` : ""}` : "–"))));
}

function plot(series) {
  // queued, running and containers over the chosen range: uPlot, with its axes and legend
  const data = seriesData(series, ["queued", "running", "containers"]);
  if (state.plot) { state.plot.setData(data); return; }
  state.plot = new uPlot({
    width: 720, height: 220, scales: { x: { time: true } },
    axes: [{ label: "time" }, { label: "count" }],
    series: [{}, { label: "queued", stroke: "#d9822b" }, { label: "running", stroke: "#2b9c5a" },
      { label: "containers", stroke: "#2b6cd9" }],
  }, data, $("function-chart"));
}

async function refreshFunction() {
  const since = Date.now() / 1000 - Number($("f-range").value);
  const app = encodeURIComponent(state.app), fn = encodeURIComponent(state.fn);
  const f = await get(`/api/apps/${app}/functions/${fn}?since=${since}`);
  const s = f.stats;
  $("function-title").replaceChildren(link(`#/apps/${f.app_id}`, f.app_name), ` / ${f.function_name}`,
    el("span", { class: "state" }, ` ${f.app_state}`));
  $("function-summary").replaceChildren(
    el("div", {}, `${f.queued} queued · ${f.running} running · ${f.containers.length} container(s) now`),
    el("div", {}, `${s.inputs} input(s): ${Object.entries(s.outputs_by_status).sort().map(([k, n]) => `${k} ${n}`).join(", ") || "no results"}`
      + ` · latency p50 ${took(s.latency_p50_s)}, p95 ${took(s.latency_p95_s)}`
      + ` · ${s.containers_started} container(s) started, cold start p50 ${took(s.cold_start_p50_s)}`),
    el("div", { class: "event" }, f.settings),
    ...f.pending.map((p) => el("div", { class: "pending" }, `waiting: ${p}`)));
  plot(f.series);
}

async function refreshInputs() {
  const q = new URLSearchParams({ limit: "100" });
  if ($("f-status").value) q.set("failed", "1");
  if ($("f-min-ms").value) q.set("min_ms", $("f-min-ms").value);
  const rows = await get(`/api/apps/${encodeURIComponent(state.app)}/functions/${encodeURIComponent(state.fn)}/inputs?${q}`);
  $("inputs").querySelector("tbody").replaceChildren(...rows.map((i) => el("tr", { "data-input": i.input_id, class: i.status },
    el("td", {}, link(`#/inputs/${i.input_id}`, i.input_id)), el("td", {}, link(`#/calls/${i.call_id}`, i.call_id)),
    el("td", { class: "status" }, i.status), el("td", {}, String(i.attempt || "–")),
    el("td", {}, when(i.queued_at)), el("td", {}, took(i.duration_s)), el("td", {}, i.message))));
}

async function showCall(callId) {
  const c = await get(`/api/calls/${callId}`);
  $("call-view").replaceChildren(
    el("h2", {}, `call ${callId} (${c.kind}) of `, link(`#/apps/${c.app_id}`, c.app_name), " / ",
      link(`#/apps/${c.app_id}/functions/${encodeURIComponent(c.function_name)}`, c.function_name)),
    el("div", {}, `made ${when(c.created_at)} · ${c.inputs_total} input(s): `
      + (Object.entries(c.by_status).sort().map(([k, n]) => `${k} ${n}`).join(", ") || "none finished")),
    el("table", { id: "call-inputs" }, el("thead", {}, el("tr", {}, ...["#", "input", "status", "try", "took", "error"].map((h) => el("th", {}, h)))),
      el("tbody", {}, ...c.inputs.flatMap((i) => [
        // its retried attempts first (dimmed), each with its traceback, then how it ended
        ...i.earlier.flatMap((a) => attemptRows(a, "retried", a.message + " (retried)")),
        ...attemptRows(i, i.status, i.message)]))));
}

function attemptRows(i, cls, message) {
  return [el("tr", { "data-input": i.input_id, "data-attempt": String(i.attempt), class: cls }, el("td", {}, String(i.idx)),
    el("td", {}, link(`#/inputs/${i.input_id}`, i.input_id)), el("td", { class: "status" }, i.status),
    el("td", {}, String(i.attempt || "–")), el("td", {}, took(i.duration_s)), el("td", {}, message)),
  ...(i.traceback ? [el("tr", { class: cls }, el("td", { colspan: "6" }, el("pre", { class: "traceback" }, i.traceback)))] : [])];
}

for (const id of ["f-function", "f-container", "f-search"]) $(id).addEventListener("change", followLogs);
for (const id of ["f-status", "f-min-ms"]) $(id).addEventListener("change", refreshInputs);
$("f-range").addEventListener("change", () => { state.plot = null; $("function-chart").replaceChildren(); refreshFunction(); });
$("all-apps").addEventListener("change", (e) => { state.all = e.target.checked; refreshApps(); });
window.addEventListener("hashchange", () => route().catch((e) => { $("status").textContent = String(e); }));

async function tick() {
  try {
    await refreshApps();
    if (!$("overview-view").hidden) await refreshOverview();
    if (!$("app-view").hidden) await refreshApp();
    if (!$("function-view").hidden) { await refreshFunction(); if (++ticks % 3 === 0) await refreshInputs(); }
  } catch (e) { $("status").textContent = String(e); }
}
route().catch((e) => { $("status").textContent = String(e); });
setInterval(tick, 1000);
