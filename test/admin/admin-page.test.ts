/**
 * The admin page in a real headless Chromium (Debian's `chromium`, driven by playwright-core):
 * every view renders without a console error, the live view shows a request just made without a
 * reload, and no credential is anywhere in the DOM.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";
import { startOpenAIEmulator, type OpenAIEmulator } from "../emulators/openai.ts";
import { startTestGateway, type TestGateway } from "../helpers/gateway.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const KEY = "sk-admin-SECRET-5150";
const HEADER_SECRET = "hdr-SECRET-value-77";

const yaml = (host: string) => `
binds:
- port: 0
  listeners:
  - name: main
    routes:
    - name: chat
      policies:
        backendAuth: {key: ${KEY}}
        requestHeaderModifier: {set: {x-api-key: ${HEADER_SECRET}}}
      backends:
      - ai: {name: openai-main, hostOverride: "${host}", provider: {openAI: {model: gpt-4o-mini}}}
`;

describe("admin page in headless Chromium", () => {
  let emu: OpenAIEmulator;
  let gw: TestGateway;
  let browser: Browser;
  let admin: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (or run .ci/packages.sh)`);
    emu = startOpenAIEmulator();
    gw = await startTestGateway(yaml(emu.host), { ADMIN_ADDR: "127.0.0.1:0" });
    admin = `http://127.0.0.1:${gw.gateway.operations.adminPort}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await gw?.stop();
    await emu?.stop();
  });

  const chat = (model: string) =>
    fetch(`${gw.origin()}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model, messages: [{ role: "user", content: "hello" }] }),
    }).then((r) => r.text());

  /** a page that records console errors and uncaught exceptions */
  async function open(path: string): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(admin + path, { waitUntil: "load" });
    return { page, errors };
  }

  test("the requests view shows a request just made, then a new one live, without reload", async () => {
    await chat("gpt-4o-mini");
    const { page, errors } = await open("/ui/requests");
    const rows = page.locator("#requests tr");
    await rows.first().waitFor({ timeout: 10_000 });
    expect(await rows.first().innerText()).toContain("gpt-4o-mini");
    expect(await rows.first().innerText()).toContain("openai");
    expect(await rows.first().innerText()).toContain("200");
    await page.locator("#live", { hasText: "live" }).waitFor({ timeout: 10_000 });

    await chat("live-model-check");
    await page.locator("#requests tr", { hasText: "live-model-check" }).waitFor({ timeout: 10_000 });
    const row = await page.locator("#requests tr", { hasText: "live-model-check" }).innerText();
    expect(row).toMatch(/\d+ in \/ \d+ out/); // tokens
    expect(row).toMatch(/ms/); // latency
    expect(await rows.count()).toBe(2);
    const dom = await page.content();
    expect(dom).not.toContain("SECRET");
    expect(errors).toEqual([]);
    await page.close();
  }, 30_000);

  for (const view of ["/ui", "/ui/config", "/ui/listeners", "/ui/backends", "/ui/limits"]) {
    test(`${view} renders without console errors and without a secret in the DOM`, async () => {
      const { page, errors } = await open(view);
      await page.locator("main section").first().waitFor({ timeout: 10_000 });
      const dom = await page.content();
      expect(dom).not.toContain(KEY);
      expect(dom).not.toContain("SECRET");
      expect(errors).toEqual([]);
      if (view === "/ui/config") {
        expect(await page.locator("#effective").innerText()).toContain("openai-main");
        expect(await page.locator("#file").innerText()).toContain("[redacted]");
      }
      if (view === "/ui/backends") expect(await page.locator("main").innerText()).toContain("healthy");
      if (view === "/ui/listeners") expect(await page.locator("main").innerText()).toContain("chat");
      await page.close();
    }, 20_000);
  }

  test("each view has its own address: the nav links are plain links", async () => {
    const { page, errors } = await open("/ui");
    await page.locator("main section").first().waitFor();
    await page.click('nav a[href="/ui/backends"]');
    await page.waitForURL(`${admin}/ui/backends`);
    await page.locator("main section").first().waitFor();
    expect(await page.locator('nav a[aria-current="page"]').innerText()).toContain("Backends");
    expect(errors).toEqual([]);
    await page.close();
  }, 20_000);
});
