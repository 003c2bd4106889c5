/**
 * The live dashboard in a real browser: `pnpm start`'s entry point serves on a temporary store,
 * `mlops ab simulate` sends labelled traffic with a known effect, and Debian's Chromium (driven by
 * playwright-core) opens `/dashboard` and waits until the charts show that traffic and the
 * decision. The rendered numbers must match what was sent, and the page may request nothing
 * outside the API's origin.
 */
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { mlops, START, type Started, start } from "../platform/process.js";
import { scratchSuite } from "../platform/scratch.js";

const CHROMIUM = "/usr/bin/chromium";
const DEM2GBP = fileURLToPath(new URL("../../garch/data/dem2gbp.csv", import.meta.url));
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const SCREENSHOT = fileURLToPath(new URL("../../test-artifacts/dashboard.png", import.meta.url));

/** `mlops ab simulate --json`: what was sent, per arm. */
async function simulate(url: string): Promise<{
  completed: number;
  failed: number;
  arms: Record<string, { predictions: number; meanOutcome: number }>;
}> {
  const args = ["ab", "simulate", "--url", url, "--json"];
  // Champion right 60 % of the time, challenger 80 %: a large effect, decided in a few hundred.
  args.push("--baseline", "0.6", "--effect", "0.2", "--requests", "600", "--seed", "7");
  const { code, stdout, stderr } = await mlops(args);
  if (code !== 0) throw new Error(`simulate exited ${code}: ${stderr}`);
  return JSON.parse(stdout);
}

const suite = scratchSuite("mlops-dashboard-");
let server: Started | undefined;
let browser: Browser | undefined;
afterAll(async () => {
  await browser?.close();
});

describe("the live dashboard", () => {
  it("shows the traffic sent, the per-arm numbers and the decision, from its own origin only", async () => {
    expect(
      existsSync(CHROMIUM),
      `Chromium is not installed at ${CHROMIUM}: install Debian's package with \`apt-get update && apt-get install -y chromium\` (.ci/run does this), then rerun`,
    ).toBe(true);

    server = await start(START, suite.dir, {
      MLOPS_EXPERIMENT_ID: "dashboard",
      MLOPS_CHALLENGER_WEIGHT: "50",
      MLOPS_LOG_FLUSH_MS: "100",
    });
    suite.running.push(server);
    const sent = await simulate(server.url);
    expect(sent.completed).toBe(600);
    expect(sent.failed).toBe(0);
    const champion = sent.arms.champion!.predictions;
    const challenger = sent.arms.challenger!.predictions;
    expect(champion + challenger).toBe(600);

    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    const requested: string[] = [];
    const cacheControl = new Map<string, string>();
    page.on("request", (r) => requested.push(r.url()));
    page.on("response", (r) =>
      cacheControl.set(new URL(r.url()).pathname, r.headers()["cache-control"] ?? ""),
    );
    await page.goto(`${server.url}/dashboard`);

    const text = async (selector: string) => (await page.locator(selector).textContent())?.trim();
    const count = async (selector: string) => Number((await text(selector))?.replaceAll(",", ""));
    const attribute = async (selector: string, name: string) =>
      Number(await page.locator(selector).getAttribute(name));

    // Live updates, no reload: the page polls until the store's counts and the decision arrive.
    await expect
      .poll(
        async () => ({
          split: [await count("#split-champion"), await count("#split-challenger")],
          decided: (await page.locator("#decision-kind").count()) === 1,
          traffic: (await attribute("#rate-chart", "data-requests")) > 0,
          garch: (await attribute("#garch-chart", "data-points")) > 0,
        }),
        { timeout: 30_000, interval: 250 },
      )
      .toEqual({ split: [champion, challenger], decided: true, traffic: true, garch: true });

    // This process's counters and the store's records agree with what was sent, per arm.
    expect(await count("#total-champion")).toBe(champion);
    expect(await count("#total-challenger")).toBe(challenger);
    expect(await count("#n-champion")).toBe(champion);
    expect(await count("#n-challenger")).toBe(challenger);
    // The arms' accuracy is near what was simulated (0.6 and 0.8), and the challenger is promoted.
    expect(await count("#mean-champion")).toBeCloseTo(sent.arms.champion!.meanOutcome, 3);
    expect(await count("#mean-challenger")).toBeCloseTo(sent.arms.challenger!.meanOutcome, 3);
    expect(await text("#decision-kind")).toBe("promote");
    expect(await text("#reasons li:first-child")).toMatch(/challenger is significantly better/);
    expect(await text("#srm")).toMatch(/no mismatch/);
    expect(await attribute("#lift-chart", "data-points")).toBeGreaterThan(0);
    expect(await page.locator("#decision").getAttribute("aria-live")).toBe("polite");
    expect(await text("#model-champion h3")).toMatch(/champion: classifier v1 random forest/);
    expect(await text("#model-challenger h3")).toMatch(
      /challenger: classifier v2 gradient-boosted trees/,
    );
    expect(await page.locator("#banner").isHidden()).toBe(true);

    // The GARCH list names each model's newest READY version, and the list and the chart follow
    // a new fit (the page reads the models every 15 s).
    expect(await text("#garch-model option")).toBe("dem2gbp (v1)");
    expect(await page.locator("#garch-chart").getAttribute("aria-label")).toMatch(/^dem2gbp v1: /);
    const refit = await mlops(["garch", "fit", "--data", DEM2GBP, "--name", "dem2gbp"], suite.dir);
    expect(refit.stderr).toBe("");
    await expect
      .poll(() => text("#garch-model option"), { timeout: 40_000, interval: 500 })
      .toBe("dem2gbp (v2)");
    await expect
      .poll(() => page.locator("#garch-chart").getAttribute("aria-label"), { timeout: 10_000 })
      .toMatch(/^dem2gbp v2: /);

    // Keyboard: the first Tab reaches the page's control.
    await page.keyboard.press("Tab");
    expect(await page.locator("#pause:focus").count()).toBe(1);

    // Caching: the HTML is revalidated, the hashed assets are immutable.
    expect(cacheControl.get("/dashboard")).toBe("no-cache");
    const assets = [...cacheControl].filter(([path]) => path.startsWith("/dashboard/assets/"));
    expect(assets.map(([path]) => path.split(".").pop()).sort()).toEqual(["css", "js", "svg"]);
    for (const [, header] of assets) expect(header).toContain("immutable");

    // Nothing outside the API's origin.
    const origin = new URL(server.url).origin;
    expect(requested.length).toBeGreaterThan(5);
    expect(requested.filter((url) => new URL(url).origin !== origin)).toEqual([]);

    await mkdir(join(SCREENSHOT, ".."), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });
});
