// The chain explorer, live: `node explorer.mjs URL`, driven by the Rust
// test on stdin.
//   says READY TIP       once the home page shows the chain;
//   reads EXPECT HEIGHT SEQ TX ACCOUNT: the block HEIGHT (holding TX) and
//     trade SEQ, made after READY, must appear without a reload; then the
//     block, transaction and account pages are each checked;
//   says ACCOUNT         once the account page shows ACCOUNT;
//   reads USD N: the account's usd at the tip must become N without a
//     reload.
// A screenshot of each page goes to $SCREENSHOT_DIR.
import { main, until, shot, say, commands } from "./lib.mjs";

const [url] = process.argv.slice(2);
const next = commands();
const rows = (table, attr) => `#${table} tbody tr[data-${attr}]`;

await main("explorer", async ({ page, loads }) => {
  await page.goto(`${url}/`);
  await until(page, "the live feed", () => document.getElementById("conn").textContent === "live");
  const tip = await until(page, "the recent blocks", (sel) =>
    document.querySelector(sel)?.dataset.height, rows("blocks", "height"));
  say(`READY ${tip}`);

  const [cmd, height, seq, tx, account] = (await next()).split(" ");
  if (cmd !== "EXPECT") throw new Error(`unexpected command ${cmd}`);
  await until(page, `block ${height} in the recent blocks`, (h) =>
    !!document.querySelector(`#blocks tbody tr[data-height="${h}"]`), height);
  await until(page, `trade ${seq} in the recent trades`, (s) =>
    !!document.querySelector(`#trades tbody tr[data-seq="${s}"]`), seq);
  await until(page, `the tip at ${height}`, (h) =>
    document.getElementById("tip-height").textContent.replace(/,/g, "") === h, height);
  const chips = await page.evaluate((h) =>
    [...document.querySelectorAll(`#blocks tbody tr[data-height="${h}"] a.chip`)].map((a) => a.getAttribute("href")), height);
  if (!chips.includes(`/tx/${tx}`)) throw new Error(`block ${height} lists ${chips}, not ${tx}`);
  const book = await page.evaluate(() => document.querySelectorAll("#bids tbody tr[data-price]").length);
  if (book < 1) throw new Error("the book shows no bid");
  if (loads() !== 1) throw new Error(`the home page loaded ${loads()} times`);
  await shot(page, "explorer");

  await page.goto(`${url}/block/${height}`);
  await until(page, `transaction ${tx} in block ${height}`, (id) =>
    !!document.querySelector(`#block-txs tbody tr[data-id="${id}"]`), tx);
  const fields = await page.evaluate(() => document.getElementById("block-fields").textContent);
  if (!fields.includes("merkle root") || !fields.includes("nonce")) throw new Error(`block fields: ${fields}`);
  await shot(page, "explorer-block");

  await page.goto(`${url}/tx/${tx}`);
  await until(page, `transaction ${tx} in block ${height}`, (h) =>
    document.getElementById("tx-status").textContent === `in block ${h}`, height);
  await shot(page, "explorer-tx");

  await page.goto(`${url}/account/${account}`);
  const start = loads();
  await until(page, "the account's balances and trades", (s) =>
    document.querySelectorAll("#balances tbody tr[data-which]").length === 2 &&
    !!document.querySelector(`#account-trades tbody tr[data-seq="${s}"]`), seq);
  say("ACCOUNT");
  const [usdCmd, usd] = (await next()).split(" ");
  if (usdCmd !== "USD") throw new Error(`unexpected command ${usdCmd}`);
  await until(page, `usd ${usd} at the tip`, (u) =>
    document.querySelector("#balances tbody tr").children[2].textContent.replace(/,/g, "") === u, usd);
  if (loads() !== start) throw new Error("the account page reloaded");
  await shot(page, "explorer-account");
});
