// The coordinator's dashboard, live: `node dashboard.mjs URL MINERS`.
// Loads the page once; checks it shows the node, the miners and the
// blocks /status reports; waits for a block mined after the page loaded to
// appear without a reload; screenshots it.
import { main, until, shot, say } from "./lib.mjs";

const [url, minersArg] = process.argv.slice(2);
const miners = Number(minersArg || 1);

await main("dashboard", async ({ page, loads }) => {
  await page.goto(url);
  await until(page, "the live feed", () => document.getElementById("conn").textContent === "live");
  await until(page, `${miners} miners with a rate`, (n) =>
    [...document.querySelectorAll("#miners tbody tr")]
      .filter((tr) => !tr.querySelector(".rate-now").textContent.startsWith("0 ")).length >= n, miners);
  await until(page, "a job and its coverage", () =>
    /^e\d+\/j\d+$/.test(document.getElementById("job-name").textContent));
  const first = await until(page, "a committed block", () =>
    Math.max(0, ...[...document.querySelectorAll("#blocks tbody tr[data-height]")].map((r) => +r.dataset.height)));
  say(`BLOCK ${first}`);

  // What the page shows against what /status says.
  const status = await page.evaluate(async () => (await fetch("/status")).json());
  const shown = await page.evaluate(() => ({
    id: document.getElementById("node-id").textContent,
    leader: document.getElementById("leader").textContent,
    epoch: document.getElementById("epoch").textContent,
    fingerprint: document.getElementById("fingerprint").textContent,
    miners: [...document.querySelectorAll("#miners tbody tr")].map((tr) => ({
      id: tr.dataset.id, kind: tr.children[1].textContent,
    })),
    peers: document.querySelectorAll("#peers tbody tr").length,
    rate: document.getElementById("total-rate").textContent,
  }));
  const fail = (what) => { throw new Error(`${what}: page ${JSON.stringify(shown)}`); };
  if (shown.id !== String(status.id)) fail("node id");
  if (!shown.leader.startsWith(String(status.leader))) fail("leader");
  if (shown.fingerprint !== status.key_fingerprint) fail("key fingerprint");
  if (shown.peers !== status.peers.length) fail("peers");
  for (const m of status.miners) {
    const row = shown.miners.find((r) => r.id === String(m.id));
    if (!row) fail(`miner ${m.id} missing`);
    if (row.kind !== m.kind) fail(`miner ${m.id} kind`);
  }
  if (!/H\/s$/.test(shown.rate) || shown.rate.startsWith("0 ")) fail("fleet rate");

  // A block mined from now on appears in the page as it is.
  await until(page, `a block above ${first} without a reload`, (h) =>
    [...document.querySelectorAll("#blocks tbody tr[data-height]")].some((r) => +r.dataset.height > h), first);
  if (loads() !== 1) throw new Error(`the page loaded ${loads()} times`);
  // The chart has drawn the rate: pixels in the plot area.
  const inked = await page.evaluate(() => {
    const c = document.getElementById("chart");
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i]) n++;
    return n;
  });
  if (inked < 1000) throw new Error(`the chart drew ${inked} pixels`);
  await shot(page, "dashboard");

  // Warnings, quorum and best hashes, as /status gives them, are shown
  // when present and hidden when absent.
  const extra = await page.evaluate(() => {
    const v = structuredClone(lastView);
    const hidden = ["warnings", "quorum", "best"].map((id) => document.getElementById(id).hidden);
    v.rate = [];
    v.status.warnings = [{ kind: "bad_tag", subject: "192.0.2.7:7411", text: "datagrams with a bad tag: another cluster key?",
      count: 3, time: Math.floor(Date.now() / 1000), first: 0 }];
    v.status.quorum = { met: true, coordinators: 2 };
    v.status.best = { zero_bits: 31, miner: 100 };
    render(v);
    const shown = ["warnings", "quorum", "best"].map((id) => document.getElementById(id).hidden);
    return { hidden, shown, warning: document.getElementById("warning-list").textContent,
      quorum: document.getElementById("quorum-body").textContent };
  });
  if (extra.shown.some((h) => h)) throw new Error(`panels not shown: ${JSON.stringify(extra)}`);
  if (!extra.warning.includes("another cluster key?") || !extra.warning.includes("3 times")) {
    throw new Error(`warning: ${extra.warning}`);
  }
  if (!extra.quorum.includes("met")) throw new Error(`quorum: ${extra.quorum}`);
  say(`PANELS ${JSON.stringify(extra.hidden)}`);
});
