// The coordinator's dashboard: renders each `view` event of /events.
// Plain script, no library: the binary serves it as it is.
"use strict";

const HOUR_MS = 3600 * 1000;
const $ = (id) => document.getElementById(id);
let samples = []; // {at_ms, hashrate}, oldest first, the last hour
let lastView = null;
let shownBlocks = new Set();

function rate(h) {
  if (h === null || h === undefined) return "–";
  const units = ["H/s", "kH/s", "MH/s", "GH/s", "TH/s"];
  let i = 0;
  let v = Number(h);
  while (v >= 1000 && i < units.length - 1) { v /= 1000; i++; }
  return (i === 0 ? v.toFixed(0) : v.toFixed(v < 10 ? 2 : 1)) + " " + units[i];
}

function age(ms) {
  if (ms === null || ms === undefined) return "never";
  const s = ms / 1000;
  if (s < 1) return "just now";
  if (s < 90) return s.toFixed(0) + " s ago";
  if (s < 5400) return (s / 60).toFixed(0) + " min ago";
  return (s / 3600).toFixed(1) + " h ago";
}

function duration(secs) {
  const s = Math.floor(secs);
  const d = Math.floor(s / 86400), h = Math.floor(s / 3600) % 24, m = Math.floor(s / 60) % 60;
  if (d) return `${d} d ${h} h`;
  if (h) return `${h} h ${m} min`;
  if (m) return `${m} min ${s % 60} s`;
  return `${s} s`;
}

function clock(ms) {
  return new Date(ms).toLocaleTimeString();
}

function text(id, value) {
  const el = $(id);
  if (el.textContent !== String(value)) el.textContent = value;
}

function cell(tr, value, cls) {
  const td = document.createElement("td");
  td.textContent = value;
  if (cls) td.className = cls;
  tr.appendChild(td);
  return td;
}

// Rebuilds a table body, one row per item.
function rows(table, list, build) {
  const body = document.querySelector(`#${table} tbody`);
  const fresh = document.createDocumentFragment();
  for (const item of list) fresh.appendChild(build(item));
  body.replaceChildren(fresh);
}

// Anything the status carries that this page does not know in detail
// (warnings, quorum, best so far) is shown as text or as key and value.
function describe(v) {
  if (v === null || v === undefined) return "–";
  if (typeof v === "object") {
    if (Array.isArray(v)) return v.map(describe).join(", ");
    return Object.entries(v).map(([k, x]) => `${k}: ${describe(x)}`).join(", ");
  }
  return String(v);
}

function keyValues(section, body, value) {
  const present = value !== null && value !== undefined;
  $(section).hidden = !present;
  if (!present) return;
  const dl = $(body);
  const entries = typeof value === "object" && !Array.isArray(value)
    ? Object.entries(value) : [["value", value]];
  const out = document.createDocumentFragment();
  for (const [k, v] of entries) {
    const dt = document.createElement("dt");
    dt.textContent = k.replace(/_/g, " ");
    const dd = document.createElement("dd");
    dd.textContent = describe(v);
    out.append(dt, dd);
  }
  dl.replaceChildren(out);
}

// A warning of `/status`: `{kind, subject, text, count, time, first}`
// (times in Unix seconds), or anything else, shown as text.
function warningText(w) {
  if (typeof w !== "object" || w === null) return String(w);
  const main = w.text ?? w.message ?? describe(w);
  const extra = [];
  if (w.kind) extra.push(String(w.kind).replace(/_/g, " "));
  if (w.subject) extra.push(w.subject);
  if (w.count > 1) extra.push(`${w.count} times`);
  if (typeof w.time === "number") extra.push(`last at ${clock(w.time * 1000)}`);
  return extra.length ? `${main} (${extra.join(", ")})` : main;
}

function render(view) {
  lastView = view;
  const s = view.status;
  document.title = `Coordinator ${s.id}` + (s.leading ? " (leader)" : "");
  text("node-id", s.id);
  const role = $("role");
  role.textContent = s.leading ? "leader" : "follower";
  role.className = "badge" + (s.leading ? " leader" : "");
  text("leader", s.leader === null ? "none" : (s.leader === s.id ? `${s.leader} (this node)` : s.leader));
  text("epoch", s.epoch);
  text("work", s.work);
  text("total-rate", rate(s.total_hashrate));
  const chain = $("chain");
  chain.textContent = s.chain_up === null ? "unknown" : (s.chain_up ? "up" : "down");
  chain.className = s.chain_up === null ? "" : (s.chain_up ? "up" : "down");
  text("chain-source", s.chain_error ? `${s.chain_source}: ${s.chain_error}` : s.chain_source);
  text("block-count", s.stats.blocks);
  text("uptime", duration(s.uptime_secs));
  text("version", "version " + s.version);
  text("fingerprint", s.key_fingerprint);

  // Warnings (a list, when the node reports any).
  const warnings = Array.isArray(s.warnings) ? s.warnings : [];
  $("warnings").hidden = warnings.length === 0;
  const wl = document.createDocumentFragment();
  for (const w of warnings) {
    const li = document.createElement("li");
    li.textContent = warningText(w);
    wl.appendChild(li);
  }
  $("warning-list").replaceChildren(wl);
  // Quorum, the vote in progress and the best hashes, when the node has them.
  const quorum = s.quorum && s.vote ? Object.assign({}, s.quorum, { vote: s.vote }) : s.quorum;
  keyValues("quorum", "quorum-body", quorum);
  keyValues("best", "best-body", s.best_so_far ?? s.best);

  // The job and its coverage.
  const j = s.job;
  if (j) {
    const c = j.coverage;
    text("job-name", j.job);
    text("job-line", `height ${j.height}, ${j.zero_bits} zero bits, ${j.leases} leases out, ` +
      `started ${age(j.age_secs * 1000)}`);
    const pct = (n) => (c.total ? (100 * n / c.total) : 0).toFixed(3) + "%";
    $("cov-scanned").style.width = pct(c.scanned);
    $("cov-leased").style.width = pct(c.leased);
    text("cov-scanned-n", c.scanned.toLocaleString());
    text("cov-leased-n", c.leased.toLocaleString());
    text("cov-free-n", c.free.toLocaleString());
    text("cov-total-n", c.total.toLocaleString());
  } else {
    text("job-name", "");
    text("job-line", s.leading ? "no job yet" : "this node follows; the leader holds the job");
    $("cov-scanned").style.width = "0";
    $("cov-leased").style.width = "0";
  }

  // Miners.
  text("miner-count", view.miners_total > s.miners.length
    ? `${s.miners.length} of ${view.miners_total} shown` : `${view.miners_total}`);
  rows("miners", s.miners, (m) => {
    const tr = document.createElement("tr");
    tr.dataset.id = m.id;
    if (m.banned) tr.className = "banned";
    cell(tr, m.id, "num");
    cell(tr, m.kind === "board" ? `board (${m.model})` : m.kind);
    cell(tr, m.addr, "mono");
    cell(tr, m.banned ? "banned" : m.state);
    cell(tr, rate(m.hashrate), "num rate-now");
    cell(tr, rate(m.hashrate_avg), "num rate-avg");
    cell(tr, m.leases, "num");
    cell(tr, m.ranges_done, "num");
    cell(tr, m.solutions, "num");
    cell(tr, m.failed_claims, "num");
    cell(tr, age(m.last_heard_ms), "num");
    return tr;
  });

  // Peers.
  rows("peers", s.peers, (p) => {
    const tr = document.createElement("tr");
    cell(tr, p.id, "num");
    cell(tr, p.addr, "mono");
    cell(tr, p.up ? "up" : "down", p.up ? "up" : "down");
    cell(tr, age(p.last_heard_ms), "num");
    return tr;
  });

  // Blocks.
  const seen = new Set();
  rows("blocks", view.blocks, (b) => {
    const tr = document.createElement("tr");
    tr.dataset.height = b.height;
    if (shownBlocks.size && !shownBlocks.has(b.hash)) tr.className = "fresh";
    seen.add(b.hash);
    cell(tr, b.height, "num");
    const h = cell(tr, b.hash.slice(0, 20) + "…", "mono");
    h.title = b.hash;
    cell(tr, b.miner, "num");
    cell(tr, clock(b.at_ms));
    return tr;
  });
  if (view.blocks.length === 0) {
    const body = document.querySelector("#blocks tbody");
    const tr = document.createElement("tr");
    const td = cell(tr, "none yet", "muted");
    td.colSpan = 4;
    body.appendChild(tr);
  }
  shownBlocks = seen.size ? seen : shownBlocks;

  // The chart: the samples, then the rate now.
  // A reconnected feed sends every sample again: keep each once.
  const newest = samples.length ? samples[samples.length - 1].at_ms : 0;
  samples.push(...view.rate.filter((p) => p.at_ms > newest));
  const cutoff = view.now_ms - HOUR_MS;
  samples = samples.filter((p) => p.at_ms >= cutoff);
  draw(samples.concat([{ at_ms: view.now_ms, hashrate: s.total_hashrate }]), view.now_ms);
}

function draw(points, now) {
  const canvas = $("chart");
  const ratio = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || canvas.width, h = canvas.clientHeight || canvas.height;
  if (canvas.width !== Math.round(w * ratio)) {
    canvas.width = Math.round(w * ratio);
    canvas.height = Math.round(h * ratio);
  }
  const g = canvas.getContext("2d");
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, w, h);
  const style = getComputedStyle(document.documentElement);
  const muted = style.getPropertyValue("--muted").trim();
  const line = style.getPropertyValue("--line").trim();
  const accent = style.getPropertyValue("--accent").trim();
  const left = 70, right = 10, top = 10, bottom = 24;
  const pw = w - left - right, ph = h - top - bottom;
  const max = Math.max(1, ...points.map((p) => p.hashrate)) * 1.1;
  const x = (t) => left + pw * (1 - (now - t) / HOUR_MS);
  const y = (v) => top + ph * (1 - v / max);
  g.font = "11px system-ui, sans-serif";
  g.fillStyle = muted;
  g.strokeStyle = line;
  g.lineWidth = 1;
  for (let i = 0; i <= 4; i++) {
    const v = max * i / 4, yy = Math.round(y(v)) + 0.5;
    g.beginPath(); g.moveTo(left, yy); g.lineTo(w - right, yy); g.stroke();
    g.textAlign = "right"; g.textBaseline = "middle";
    g.fillText(rate(v), left - 6, yy);
  }
  g.textAlign = "center"; g.textBaseline = "top";
  for (let m = 60; m >= 0; m -= 10) {
    const xx = x(now - m * 60000);
    g.fillText(m ? `-${m} min` : "now", xx, h - bottom + 6);
  }
  if (points.length < 2) return;
  g.beginPath();
  points.forEach((p, i) => (i ? g.lineTo(x(p.at_ms), y(p.hashrate)) : g.moveTo(x(p.at_ms), y(p.hashrate))));
  g.strokeStyle = accent;
  g.lineWidth = 2;
  g.stroke();
  g.lineTo(x(points[points.length - 1].at_ms), y(0));
  g.lineTo(x(points[0].at_ms), y(0));
  g.closePath();
  g.globalAlpha = 0.12;
  g.fillStyle = accent;
  g.fill();
  g.globalAlpha = 1;
}

function connect() {
  const conn = $("conn");
  const events = new EventSource("/events");
  events.addEventListener("view", (e) => {
    conn.textContent = "live";
    conn.className = "badge conn-live";
    render(JSON.parse(e.data));
  });
  events.onerror = () => {
    conn.textContent = "reconnecting";
    conn.className = "badge conn-lost";
  };
}

window.addEventListener("resize", () => { if (lastView) render(Object.assign({}, lastView, { rate: [] })); });
connect();
