// The admin page: one view per address (/ui/<view>), rendered from the admin JSON API.
// Everything shown is set with textContent: model names and paths come from clients.
"use strict";

const VIEWS = { "": overview, requests, listeners, backends, limits, config };
const main = document.getElementById("main");

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) if (c !== undefined && c !== null) node.append(c instanceof Node ? c : String(c));
  return node;
}

function table(headers, rows, id) {
  const head = el("tr", null, ...headers.map((h) => el("th", null, h)));
  const body = el("tbody", id ? { id } : null, ...rows);
  return el("table", null, el("thead", null, head), body);
}

function row(cells) {
  return el("tr", null, ...cells.map((c) => el("td", null, c === undefined || c === null ? "" : c)));
}

async function getJson(path) {
  const res = await fetch(path, { headers: { accept: "application/json" } });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return res.json();
}

function section(title, ...children) {
  return el("section", null, el("h2", null, title), ...children);
}

const fmt = {
  ms: (v) => (v === undefined ? "" : `${v} ms`),
  usd: (v) => (v === undefined ? "" : `$${v < 0.01 ? v.toPrecision(3) : v.toFixed(4)}`),
  tokens: (i, o) => (i === undefined && o === undefined ? "" : `${i ?? "?"} in / ${o ?? "?"} out`),
};

async function overview() {
  const rt = await getJson("/api/runtime");
  const s = rt.settings;
  const catalog = s.modelCatalog;
  return [
    section(
      "This gateway",
      table(["", ""], [
        row(["version", `${rt.build.version} (${rt.build.git_revision}, built ${rt.build.build_date})`]),
        row(["admin", s.adminAddr]),
        row(["stats (Prometheus)", s.statsAddr === "off" ? "off" : `${s.statsAddr} /metrics`]),
        row(["readiness", s.readinessAddr === "off" ? "off" : `${s.readinessAddr} /healthz/ready`]),
        row(["traces", s.tracing ? `${s.tracing.protocol} ${s.tracing.endpoint}` : "off"]),
        row(["model prices", catalog.kind === "bundled" ? `bundled catalog (${catalog.date}), ${catalog.models} models` : catalog.kind === "config" ? `config.modelCatalog, ${catalog.models} models` : "off"]),
      ]),
    ),
  ];
}

function requestRow(r) {
  const tr = row([
    new Date(r.time).toLocaleTimeString(),
    `${r.method} ${r.path}`,
    r.requestModel ?? "",
    r.provider ?? "",
    r.status ?? "",
    fmt.tokens(r.inputTokens, r.outputTokens),
    fmt.usd(r.cost),
    fmt.ms(r.durationMs),
    fmt.ms(r.ttftMs),
  ]);
  tr.dataset.id = String(r.id);
  if (r.status >= 400) tr.className = "error";
  if (r.error) tr.title = r.error;
  return tr;
}

async function requests() {
  const status = el("p", { class: "muted", id: "live" }, "connecting…");
  const t = table(["time", "request", "model", "provider", "status", "tokens", "cost", "latency", "first token"], [], "requests");
  const body = t.querySelector("tbody");
  const seen = new Set();
  const add = (r) => {
    if (seen.has(r.id)) return;
    seen.add(r.id);
    body.prepend(requestRow(r));
    while (body.children.length > 200) body.lastChild.remove();
  };
  for (const r of await getJson("/api/requests")) add(r);
  const events = new EventSource("/api/requests/stream");
  events.addEventListener("open", () => (status.textContent = "live: new requests appear as they finish"));
  events.addEventListener("request", (e) => add(JSON.parse(e.data)));
  events.addEventListener("error", () => (status.textContent = "reconnecting…"));
  return [section("Recent requests", status, t)];
}

async function listeners() {
  const binds = await getJson("/api/listeners");
  const rows = [];
  for (const b of binds)
    for (const l of b.listeners)
      for (const r of l.routes)
        rows.push(row([`${b.protocol}://:${b.port}`, l.name, l.hostname, r.key, r.policies.join(", "), r.backends.map((x) => `${x.name} (${x.kind}, weight ${x.weight})`).join(", ")]));
  return [section("Listeners and routes", table(["bind", "listener", "hostname", "route", "policies", "backends"], rows))];
}

async function backends() {
  const state = await getJson("/api/state");
  const health = new Map(state.health.map((h) => [`${h.backend}\u0000${h.provider}`, h]));
  const rows = [];
  for (const b of state.backends)
    for (const t of b.targets) {
      const h = health.get(`${b.name}\u0000${t.name}`);
      rows.push(row([b.name, b.kind, t.name, t.provider ?? "(http)", t.model ?? "", t.group ?? "", t.upstream, h ? healthText(h) : ""]));
    }
  const models = state.backends.flatMap((b) => (b.models ?? []).map((m) => row([m.name, m.visibility, m.target])));
  return [
    section("Backends and providers", table(["backend", "kind", "target", "provider", "model", "group", "upstream", "health"], rows)),
    models.length ? section("llm: models", table(["model", "visibility", "provider"], models)) : null,
  ];
}

/** "healthy", or "evicted for 12s (3 failures in a row, last 503)", with the score when it dropped */
function healthText(h) {
  const failures = h.consecutiveFailures ? `${h.consecutiveFailures} failure${h.consecutiveFailures === 1 ? "" : "s"} in a row` : "";
  const last = h.lastFailure ? `last ${h.lastFailure.status ?? "no answer"} ${Math.round(h.lastFailure.agoMs / 1000)}s ago` : "";
  const detail = [failures, last, h.score < 1 ? `score ${h.score}` : ""].filter(Boolean).join(", ");
  const head = h.evicted ? `evicted for ${Math.ceil(h.evictedForMs / 1000)}s` : "healthy";
  return detail ? `${head} (${detail})` : head;
}

async function limits() {
  const state = await getJson("/api/state");
  if (state.limits.length === 0) return [section("Rate limits and budgets", el("p", { class: "muted" }, "No key has used a rate limit or budget yet (or every bucket is full again)."))];
  const rows = state.limits.map((l) => row([l.policy, l.kind, l.key === "" ? "(whole policy)" : l.key, l.kind === "budget" ? `$${l.used}` : l.used, l.kind === "budget" ? `$${l.limit}` : l.limit, l.resetsAt ? new Date(l.resetsAt).toLocaleTimeString() : "never"]));
  return [section("Rate limits and budgets", table(["policy", "kind", "key", "used", "limit", "resets"], rows))];
}

async function config() {
  const [effective, file] = await Promise.all([getJson("/config_dump"), getJson("/api/config")]);
  return [
    section("Effective config", el("p", { class: "muted" }, "What is running (/config_dump); credentials are redacted."), el("pre", { id: "effective" }, JSON.stringify(effective, null, 2))),
    section("Config file", el("p", { class: "muted" }, "The file as written (/api/config): environment variables unexpanded, literal credentials redacted."), el("pre", { id: "file" }, JSON.stringify(file, null, 2))),
  ];
}

async function start() {
  const view = location.pathname.replace(/^\/ui\/?/, "").replace(/\/$/, "");
  for (const a of document.querySelectorAll("nav a")) if ((a.dataset.view === "overview" ? "" : a.dataset.view) === view) a.setAttribute("aria-current", "page");
  getJson("/api/runtime").then((rt) => (document.getElementById("build").textContent = rt.build.version), () => {});
  const render = VIEWS[view];
  try {
    main.replaceChildren(...(render ? await render() : [el("p", null, "No such view.")]).filter(Boolean));
  } catch (err) {
    main.replaceChildren(el("p", { class: "error" }, `Could not load this view: ${err.message}`));
  }
}

start();
