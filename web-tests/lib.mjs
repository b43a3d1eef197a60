// What the page scripts share: headless Chromium with a fresh profile,
// waiting for a condition in the page, screenshots, and the line protocol
// with the Rust test that started the services (it writes commands on
// stdin; the script answers on stdout, one line each).
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const SHOTS = process.env.SCREENSHOT_DIR || "screenshots";

// Chromium, headless, with a profile of its own that is removed at exit.
export async function launch() {
  const profile = mkdtempSync(join(tmpdir(), "web-tests-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
    viewport: { width: 1280, height: 900 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const problems = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
  // Any request off this machine would be an asset fetched from the internet.
  page.on("request", (r) => {
    const host = new URL(r.url()).hostname;
    if (!["127.0.0.1", "localhost"].includes(host)) problems.push(`fetched ${r.url()}`);
  });
  let loads = 0;
  page.on("load", () => { loads += 1; });
  return {
    page,
    problems,
    loads: () => loads,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

// Waits until `fn(arg)` is truthy in the page; fails naming `what`.
export async function until(page, what, fn, arg, timeout = 60000) {
  try {
    const handle = await page.waitForFunction(fn, arg, { timeout, polling: 100 });
    return await handle.jsonValue();
  } catch (e) {
    throw new Error(`timed out waiting for ${what}: ${e.message.split("\n")[0]}`);
  }
}

export async function shot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  const path = join(SHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  say(`SCREENSHOT ${path}`);
}

export function say(line) {
  process.stdout.write(line + "\n");
}

// Lines from stdin, one at a time.
export function commands() {
  const rl = createInterface({ input: process.stdin });
  const it = rl[Symbol.asyncIterator]();
  return async () => {
    const { value, done } = await it.next();
    if (done) throw new Error("the test closed stdin");
    return value;
  };
}

// Runs `body(browser)`, screenshots the page as `name-failed` on failure,
// and exits 0 or 1 with a last line `OK` or `FAILED: why`.
export async function main(name, body) {
  const browser = await launch();
  try {
    await body(browser);
    if (browser.problems.length) throw new Error(browser.problems.join("; "));
    say("OK");
    await browser.close();
    process.exit(0);
  } catch (e) {
    try { await shot(browser.page, `${name}-failed`); } catch { /* the page may be gone */ }
    say(`FAILED: ${e.message}`);
    await browser.close().catch(() => {});
    process.exit(1);
  }
}
