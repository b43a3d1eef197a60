// The chain explorer: one page for every path (/, /block/H, /tx/ID,
// /account/ADDRESS), reading the public API and following /v1/events.
// Plain script, no library: the binary serves it as it is.
"use strict";

const $ = (id) => document.getElementById(id);
const BLOCKS = 10, TRADES = 20, PENDING = 30;
const route = parse(location.pathname);
let refreshing = null;

function parse(path) {
  let m;
  if ((m = path.match(/^\/block\/(\d+)$/))) return { page: "block", height: Number(m[1]) };
  if ((m = path.match(/^\/tx\/([0-9a-f]{64})$/i))) return { page: "tx", id: m[1].toLowerCase() };
  if ((m = path.match(/^\/account\/([0-9a-f]{40})$/i))) return { page: "account", address: m[1].toLowerCase() };
  return { page: "home" };
}

async function api(path) {
  const r = await fetch(path, { headers: { accept: "application/json" } });
  const body = await r.json().catch(() => ({}));
  if (r.status === 404) return null;
  if (!r.ok) throw new Error(`${path}: ${body.error || r.status}`);
  return body;
}

function showError(e) {
  const el = $("error");
  el.hidden = !e;
  el.textContent = e ? String(e.message || e) : "";
}

const n = (v) => (v === undefined || v === null ? "–" : Number(v).toLocaleString("en-US"));
const short = (h) => (h ? h.slice(0, 10) + "…" + h.slice(-6) : "–");

function when(secs) {
  return new Date(secs * 1000).toLocaleString();
}

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

function link(href, text, cls) {
  const a = el("a", text, cls);
  a.href = href;
  return a;
}

const blockLink = (h) => link(`/block/${h}`, n(h));
const txLink = (id, text) => { const a = link(`/tx/${id}`, text ?? short(id), "mono"); a.title = id; return a; };
const accountLink = (a) => (a ? Object.assign(link(`/account/${a}`, short(a), "mono"), { title: a }) : el("span", "–"));

function row(cells, attrs = {}) {
  const tr = document.createElement("tr");
  for (const c of cells) {
    const td = document.createElement("td");
    if (c instanceof Node) td.appendChild(c);
    else if (Array.isArray(c)) {
      if (c[0] instanceof Node) td.appendChild(c[0]); else td.textContent = c[0];
      td.className = c[1];
    }
    else td.textContent = c;
    tr.appendChild(td);
  }
  Object.assign(tr.dataset, attrs);
  return tr;
}

function fill(table, rows, empty = "none") {
  const body = document.querySelector(`#${table} tbody`);
  if (rows.length === 0) {
    const tr = row([[empty, "muted"]]);
    tr.firstChild.colSpan = document.querySelectorAll(`#${table} thead th`).length;
    rows = [tr];
  }
  body.replaceChildren(...rows);
}

function kv(dl, pairs) {
  const out = [];
  for (const [k, v] of pairs) {
    if (v === undefined || v === null) continue;
    const dd = el("dd");
    if (v instanceof Node) dd.appendChild(v); else dd.textContent = v;
    out.push(el("dt", k), dd);
  }
  $(dl).replaceChildren(...out);
}

// The 80-byte header, from its hex: integers little-endian, hashes shown
// byte-reversed as block hashes are.
function header(hex) {
  const bytes = hex.match(/../g);
  const le = (at) => parseInt(bytes.slice(at, at + 4).reverse().join(""), 16);
  const hash = (at) => bytes.slice(at, at + 32).reverse().join("");
  return { version: le(0), prev: hash(4), merkle: hash(36), time: le(68), bits: le(72), nonce: le(76) };
}

// What a transaction does, in words.
function what(t) {
  switch (t.kind) {
    case "reward": return `${n(t.amount)} coin minted`;
    case "transfer": return `${n(t.amount)} ${t.asset}`;
    case "deposit": return `${n(t.amount)} usd`;
    case "order": return `${t.side} ${n(t.amount)} coin at ${n(t.price)} usd` + (t.expiry ? `, until ${n(t.expiry)}` : "");
    case "cancel": return `cancel ${short(t.order)}`;
    default: return t.kind;
  }
}

// ---- home ---------------------------------------------------------------

async function home() {
  const summary = await api("/v1/summary");
  $("tip-height").textContent = n(summary.height);
  $("tip-height").href = `/block/${summary.height}`;
  $("tip-hash").textContent = short(summary.hash);
  $("tip-hash").title = summary.hash;
  $("zero-bits").textContent = summary.zero_bits;
  $("trade-count").textContent = n(summary.trades);
  $("mempool").textContent = n(summary.mempool);
  $("accounts").textContent = n(summary.accounts);
  $("minted").textContent = n(summary.minted);
  $("deposited").textContent = n(summary.deposited);
  const from = Math.max(0, summary.height - BLOCKS + 1);
  const [blocks, book, trades] = await Promise.all([
    api(`/v1/blocks?from=${from}&limit=${BLOCKS}`),
    api("/v1/book?depth=10"),
    api(`/v1/trades?from=${Math.max(0, summary.trades - TRADES)}&limit=${TRADES}`),
  ]);
  fill("blocks", blocks.reverse().map((b) => {
    const chips = el("div", null, "chips");
    for (const t of b.transactions) {
      const a = link(`/tx/${t.id}`, t.kind, `chip ${t.kind}`);
      a.title = `${what(t)} (${t.id})`;
      chips.appendChild(a);
    }
    if (!b.transactions.length) chips.appendChild(el("span", "genesis", "muted"));
    return row([[blockLink(b.height), "num"], Object.assign(el("span", short(b.hash), "mono"), { title: b.hash }),
      b.miner, chips, when(b.received_at)], { height: b.height });
  }));
  const level = (l, cls, bid) => row(bid
    ? [[n(l.orders), "num"], [n(l.amount), "num"], [n(l.price), `num ${cls}`]]
    : [[n(l.price), `num ${cls}`], [n(l.amount), "num"], [n(l.orders), "num"]], { price: l.price });
  fill("bids", book.bids.map((l) => level(l, "bid", true)), "no bids");
  fill("asks", book.asks.map((l) => level(l, "ask", false)), "no asks");
  fill("trades", trades.reverse().map((t) => row([[t.seq, "num"], [blockLink(t.height), "num"], t.taker_side,
    [n(t.price), "num"], [n(t.amount), "num"], accountLink(t.buyer), accountLink(t.seller)], { seq: t.seq })),
    "no trades yet");
}

const pending = new Map(); // id -> {kind, from, status}

function drawPending() {
  const rows = [...pending.entries()].reverse().slice(0, PENDING).map(([id, p]) =>
    row([txLink(id), p.kind, accountLink(p.from), p.status], { id }));
  fill("pending", rows, "nothing yet");
}

async function onBlockForPending(height) {
  const b = await api(`/v1/blocks/${height}`);
  if (!b) return;
  for (const t of b.transactions) if (pending.has(t.id)) pending.get(t.id).status = `in block ${height}`;
  drawPending();
}

// ---- one block ----------------------------------------------------------

async function blockPage() {
  const h = route.height;
  document.title = `Block ${h}`;
  $("block-height").textContent = n(h);
  $("block-prev").href = `/block/${Math.max(0, h - 1)}`;
  $("block-prev").hidden = h === 0;
  $("block-next").href = `/block/${h + 1}`;
  const b = await api(`/v1/blocks/${h}`);
  if (!b) {
    kv("block-fields", [["status", `not mined yet: this page shows it when it is`]]);
    fill("block-txs", []);
    return;
  }
  const hd = header(b.header);
  kv("block-fields", [
    ["hash", b.hash],
    ["previous", h > 0 ? link(`/block/${h - 1}`, hd.prev) : hd.prev],
    ["merkle root", hd.merkle],
    ["time", `${when(hd.time)} (${hd.time})`],
    ["bits", `0x${hd.bits.toString(16)}`],
    ["nonce", n(hd.nonce)],
    ["version", hd.version],
    ["miner", b.miner],
    ["committed", when(b.received_at)],
    ["header", b.header],
  ]);
  $("block-tx-count").textContent = `${b.transactions.length}`;
  fill("block-txs", b.transactions.map((t, i) => row([[i, "num"], txLink(t.id), t.kind,
    accountLink(t.from), accountLink(t.to), what(t)], { id: t.id })));
}

// ---- one transaction ----------------------------------------------------

async function txPage() {
  document.title = `Transaction ${short(route.id)}`;
  const t = await api(`/v1/transactions/${route.id}`);
  if (!t) {
    kv("tx-fields", [["id", route.id], ["status", "unknown to this chain"]]);
    $("tx-status").textContent = "unknown";
    return;
  }
  $("tx-kind").textContent = t.kind;
  const status = t.status === "in_block" ? `in block ${t.block}` : t.status;
  $("tx-status").textContent = status;
  $("tx-status").className = `badge status-${t.status}`;
  kv("tx-fields", [
    ["id", t.id],
    ["status", t.status === "in_block" ? link(`/block/${t.block}`, `in block ${t.block}, position ${t.position}`) : status],
    ["why", t.reason ? `${t.reason} (${t.code})` : undefined],
    ["what", what(t)],
    ["from", t.from ? link(`/account/${t.from}`, t.from) : undefined],
    ["to", t.to ? link(`/account/${t.to}`, t.to) : undefined],
    ["asset", t.asset],
    ["amount", t.amount !== undefined ? n(t.amount) : undefined],
    ["side", t.side],
    ["price", t.price !== undefined ? `${n(t.price)} usd per coin` : undefined],
    ["expiry", t.expiry !== undefined ? `before block ${n(t.expiry)}` : undefined],
    ["order", t.order ? link(`/tx/${t.order}`, t.order) : undefined],
    ["sequence", t.sequence],
    ["signer key", t.signer],
    ["for height", t.kind === "reward" ? t.height : undefined],
    ["encoding", t.raw],
  ]);
}

// ---- one account --------------------------------------------------------

async function accountPage() {
  const a = route.address;
  document.title = `Account ${short(a)}`;
  $("account-address").textContent = a;
  const [acct, summary] = await Promise.all([api(`/v1/accounts/${a}`), api("/v1/summary")]);
  const bal = (name, b) => row([name, [n(b.coin), "num"], [n(b.usd), "num"], [n(b.locked_coin), "num"],
    [n(b.locked_usd), "num"], [n(b.next_sequence), "num"]], { which: name });
  fill("balances", [bal(`at block ${acct.height}`, acct), bal("with the mempool", acct.pending)]);
  fill("orders", acct.open_orders.map((o) => row([txLink(o.id), [o.side, o.side === "buy" ? "bid" : "ask"],
    [n(o.price), "num"], [n(o.amount), "num"], [n(o.remaining), "num"], [blockLink(o.height), "num"],
    [o.expiry ? n(o.expiry) : "never", "num"]], { id: o.id })), "no open orders");
  const trades = await api(`/v1/trades?from=${Math.max(0, summary.trades - 200)}&limit=200`);
  fill("account-trades", trades.reverse().filter((t) => t.buyer === a || t.seller === a).slice(0, TRADES)
    .map((t) => row([[t.seq, "num"], [blockLink(t.height), "num"], t.buyer === a ? "bought" : "sold", [n(t.price), "num"],
      [n(t.amount), "num"], accountLink(t.buyer === a ? t.seller : t.buyer)], { seq: t.seq })),
    "no trades among the last 200");
}

// ---- live ---------------------------------------------------------------

const pages = { home, block: blockPage, tx: txPage, account: accountPage };

// Re-reads the page's data; requests that arrive while one runs are
// folded into one more run after it.
function refresh() {
  if (refreshing) { refreshing.again = true; return; }
  refreshing = { again: false };
  pages[route.page]().then(() => showError(null), showError).finally(() => {
    const again = refreshing.again;
    refreshing = null;
    if (again) refresh();
  });
}

function connect() {
  const conn = $("conn");
  const events = new EventSource("/v1/events");
  events.onopen = () => {
    conn.textContent = "live";
    conn.className = "badge conn-live";
    refresh(); // whatever happened while the feed was down
  };
  events.onerror = () => {
    conn.textContent = "reconnecting";
    conn.className = "badge conn-lost";
  };
  events.addEventListener("block", (e) => {
    const b = JSON.parse(e.data);
    if (route.page === "home") onBlockForPending(b.height).catch(showError);
    refresh();
  });
  events.addEventListener("trade", (e) => {
    const t = JSON.parse(e.data);
    if (route.page === "home" || (route.page === "account" && (t.buyer === route.address || t.seller === route.address))) refresh();
  });
  events.addEventListener("admitted", (e) => {
    const t = JSON.parse(e.data);
    if (route.page === "home") {
      pending.set(t.id, { kind: t.kind, from: t.from, status: "pending" });
      while (pending.size > 200) pending.delete(pending.keys().next().value);
      drawPending();
      refresh();
    } else if ((route.page === "tx" && t.id === route.id) || (route.page === "account" && t.from === route.address)) {
      refresh();
    }
  });
  events.addEventListener("dropped", (e) => {
    const t = JSON.parse(e.data);
    if (pending.has(t.id)) { pending.get(t.id).status = `dropped: ${t.code}`; drawPending(); }
    if (route.page === "tx" && t.id === route.id) refresh();
  });
  events.addEventListener("expired", () => refresh());
  events.addEventListener("lagged", () => refresh());
}

$("search").addEventListener("submit", (e) => {
  e.preventDefault();
  const q = $("query").value.trim().toLowerCase();
  if (/^\d+$/.test(q)) location.href = `/block/${q}`;
  else if (/^[0-9a-f]{64}$/.test(q)) location.href = `/tx/${q}`;
  else if (/^[0-9a-f]{40}$/.test(q)) location.href = `/account/${q}`;
  else showError(new Error("type a block height, a transaction id (64 hex) or an address (40 hex)"));
});

$({ home: "home", block: "block-page", tx: "tx-page", account: "account-page" }[route.page]).hidden = false;
if (route.page === "home") drawPending();
refresh();
connect();
