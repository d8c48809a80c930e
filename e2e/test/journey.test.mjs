// The whole 2FA journey through the UI, in Debian's Chromium, against the app started the way
// `npm start` starts it (built backend serving the built SPA on one origin).
//
// Codes are computed from the manual key shown on the page with the test's own RFC 6238
// implementation (lib/totp.mjs). Time cannot be injected into a separate server process, so:
//   - replay protection (RFC 6238 §5.2) refuses any code whose 30-s step is not newer than the
//     last accepted one. After a step s was used, the next login uses step s+1: the server
//     accepts it ahead of time (window 1 = ±1 step), so no wait is needed while the clock is
//     still in s; only when s+1 was itself used ahead of time does the test wait for the clock
//     to reach s+1 (at most 30 s) — see CodeSource.next();
//   - the "expired 2FA step" case runs on a second server started with
//     LOGIN_CHALLENGE_TTL_SECONDS=3 on the same database.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { after, before, describe } from "node:test";
import { createDatabase, ensureBuilt, startServer } from "../lib/app.mjs";
import { cleanOutput, decodeQr, launchChromium, shot } from "../lib/browser.mjs";
import { journeySteps } from "../lib/steps.mjs";
import { CodeSource } from "../lib/totp.mjs";

const EMAIL = `e2e-${crypto.randomBytes(4).toString("hex")}@example.com`;
const PASSWORD = "correct horse battery staple e2e";
const SHORT_TTL_SECONDS = 3;
const T = { nav: 20_000, ui: 15_000 };

const pathOf = (page) => new URL(page.url()).pathname;
const expectPath = (page, path) => page.waitForURL((u) => u.pathname === path, { timeout: T.nav });

async function fillLogin(page, baseUrl) {
  if (pathOf(page) !== "/login") await page.goto(`${baseUrl}/login`);
  await page.getByLabel("Email", { exact: true }).fill(EMAIL);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Log in", exact: true }).click();
}

async function logOut(page) {
  await page.getByRole("button", { name: "Log out", exact: true }).click();
  await expectPath(page, "/login");
}

async function alertText(page, pattern) {
  const alert = page.getByRole("alert").filter({ hasText: pattern });
  await alert.first().waitFor({ state: "visible", timeout: T.ui });
  return (await alert.first().textContent()).trim();
}

/** Moves the focus with Tab only until `selector` is focused (keyboard-only journey). */
async function tabTo(page, selector, max = 20) {
  for (let i = 0; i < max; i++) {
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
    await page.keyboard.press("Tab");
  }
  throw new Error(`${selector} never received the focus after ${max} Tab presses`);
}

describe("browser journey: register → 2FA on → logins (code, backup code, remembered device) → expiry → keyboard login → sessions → disable", () => {
  let db;
  let app;
  let shortTtlApp;
  let browser;
  let a; // the main user's browser (context A)
  let b; // a second browser holding an older session of the same user
  let codes; // CodeSource for the user's secret
  let backupCodes = [];
  const pageProblems = []; // CSP violations and uncaught errors seen in any page

  const watch = (page, label) => {
    page.on("pageerror", (err) => pageProblems.push(`${label}: uncaught ${err.message}`));
    page.on("console", (m) => {
      if (m.type() === "error" && /Content.Security.Policy/i.test(m.text())) pageProblems.push(`${label} ${page.url()}: ${m.text()}`);
    });
  };

  // Later steps depend on earlier ones: after a failure they are reported as skipped (lib/steps.mjs).
  const journey = journeySteps(async () => {
    for (const [label, page] of [["A", a?.page], ["B", b?.page]]) {
      if (page && !page.isClosed()) await shot(page, `FAILED-${label}`).catch(() => {});
    }
  });
  const step = journey.step;

  before(async () => {
    browser = await launchChromium(); // first: without Chromium, fail at once with the install command
    cleanOutput();
    ensureBuilt((m) => console.log(`# ${m}`));
    db = await createDatabase((m) => console.log(`# ${m}`));
    app = await startServer({ name: "main", databaseUrl: db.url });
    // Same database (migrated by the first server), same secrets; only the challenge lifetime differs.
    shortTtlApp = await startServer({ name: "short-ttl", databaseUrl: db.url, env: { LOGIN_CHALLENGE_TTL_SECONDS: String(SHORT_TTL_SECONDS) } });
    const newWindow = async (baseURL) => {
      const context = await browser.newContext({ baseURL, viewport: { width: 1100, height: 900 } });
      const page = await context.newPage();
      watch(page, baseURL);
      return { context, page };
    };
    a = await newWindow(app.url);
    b = await newWindow(app.url);
  });

  after(async () => {
    await browser?.close().catch(() => {});
    const stops = await Promise.all([app?.stop(), shortTtlApp?.stop()]);
    await db?.close();
    if (journey.failed) for (const s of [app, shortTtlApp]) if (s) console.log(`# server log ${s.name}: ${s.logPath}\n${s.tail()}`);
    for (const result of stops) if (result) assert.equal(result.code, 0, `a server did not exit cleanly on SIGTERM: ${JSON.stringify(result)}`);
  });

  step("a logged-out page load has no failed request and no error in the console", async () => {
    const context = await browser.newContext({ baseURL: app.url });
    const page = await context.newPage();
    const problems = [];
    page.on("console", (m) => m.type() === "error" && problems.push(`console error: ${m.text()}`));
    page.on("pageerror", (err) => problems.push(`uncaught: ${err.message}`));
    page.on("requestfailed", (r) => problems.push(`failed: ${r.method()} ${r.url()} (${r.failure()?.errorText})`));
    page.on("response", (r) => r.status() >= 400 && problems.push(`${r.status()}: ${r.request().method()} ${new URL(r.url()).pathname}`));
    await page.goto("/");
    await expectPath(page, "/login");
    await page.getByLabel("Email", { exact: true }).waitFor();
    await page.waitForLoadState("networkidle");
    await context.close();
    assert.deepEqual(problems, [], "the start-up asks GET /auth/session, which answers 200 {user: null}");
  });

  step("register: a new account lands on the dashboard with 2FA off", async () => {
    const { page } = a;
    await page.goto("/register");
    await page.getByLabel("Email", { exact: true }).waitFor();
    await shot(page, "register");
    await page.getByLabel("Email", { exact: true }).fill(EMAIL);
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Create account", exact: true }).click();
    await expectPath(page, "/dashboard");
    assert.equal((await page.getByTestId("user-email").textContent()).trim(), EMAIL);
    assert.equal((await page.getByTestId("twofa-status").textContent()).trim(), "Off");
    await shot(page, "dashboard-2fa-off");
  });

  step("a second browser logs in with the password only (2FA still off)", async () => {
    const { page } = b;
    await page.goto("/login");
    await page.getByLabel("Email", { exact: true }).waitFor();
    await shot(page, "login", { docs: "login" });
    await fillLogin(page, app.url);
    await expectPath(page, "/dashboard");
    assert.equal((await page.getByTestId("user-email").textContent()).trim(), EMAIL);
  });

  step("enable 2FA: the QR code encodes the otpauth URL and the manual key; a code turns 2FA on and shows 10 backup codes", async () => {
    const { page } = a;
    await page.getByRole("link", { name: "Profile", exact: true }).click();
    await expectPath(page, "/profile");
    await page.getByTestId("twofa-status").waitFor();
    assert.equal((await page.getByTestId("twofa-status").textContent()).trim(), "Off");
    await shot(page, "profile-2fa-off");

    const setupResponse = page.waitForResponse((r) => r.url().endsWith("/auth/2fa/setup") && r.request().method() === "POST");
    await page.getByRole("button", { name: "Enable two-factor authentication" }).click();
    const setup = await (await setupResponse).json();
    assert.match(setup.otpauthUrl ?? "", /^otpauth:\/\/totp\//, `setup answered ${JSON.stringify(Object.keys(setup))}`);

    // The QR: wait for the generated image, then decode a screenshot of it.
    const qr = page.getByTestId("qr");
    await qr.locator("img[src^='data:image'], canvas").first().waitFor({ state: "visible", timeout: T.ui });
    const manualKey = (await page.getByTestId("manual-key").textContent()).replace(/\s+/g, "");
    await shot(page, "profile-2fa-setup-qr", { docs: "profile-setup-qr" });
    const decoded = await decodeQr(qr);
    assert.equal(decoded, setup.otpauthUrl, "the QR code encodes exactly the otpauth URL the API returned");

    const url = new URL(decoded);
    assert.equal(url.protocol, "otpauth:");
    assert.equal(url.host, "totp");
    assert.equal(decodeURIComponent(url.pathname.slice(1)), `TwoFA:${EMAIL}`);
    assert.equal(url.searchParams.get("secret"), manualKey, "the QR's secret equals the manual key on the page");
    assert.equal(url.searchParams.get("issuer"), "TwoFA");
    assert.equal(url.searchParams.get("algorithm"), "SHA1");
    assert.equal(url.searchParams.get("digits"), "6");
    assert.equal(url.searchParams.get("period"), "30");
    assert.match(manualKey, /^[A-Z2-7]{32}$/, "20 random bytes, base32");

    codes = new CodeSource(manualKey);
    const { code, step: used } = await codes.next();
    await page.getByLabel("Authentication code", { exact: true }).fill(code);
    await page.getByRole("button", { name: "Verify and enable" }).click();
    const list = page.getByTestId("backup-codes");
    await list.waitFor({ state: "visible", timeout: T.ui });
    codes.used(used);
    backupCodes = (await list.locator("li").allTextContents()).map((c) => c.trim());
    assert.equal(backupCodes.length, 10);
    for (const c of backupCodes) assert.match(c, /^[a-z0-9]{4}-[a-z0-9]{4}$/i);
    assert.equal(new Set(backupCodes).size, 10);
    assert.equal((await page.getByTestId("twofa-status").textContent()).trim(), "On");
    await shot(page, "profile-backup-codes", { docs: "profile-backup-codes" });

    await page.getByRole("button", { name: "I saved them" }).click();
    await list.waitFor({ state: "detached", timeout: T.ui });
    await page.getByRole("button", { name: "Disable", exact: true }).waitFor();
    await shot(page, "profile-2fa-on");
  });

  step("the second browser's session died when 2FA was enabled: its next API call sends it to /login", async () => {
    const { page } = b;
    await page.getByRole("link", { name: "Profile", exact: true }).click(); // loads /auth/2fa/status → 401 → refresh refused
    await expectPath(page, "/login");
    assert.match(await alertText(page, /session expired/i), /log in again/i);
    await shot(page, "login-session-expired");
  });

  step("log out, log in → /two-factor; a wrong code shows an error; the right code → dashboard", async () => {
    const { page } = a;
    await logOut(page);
    await fillLogin(page, app.url);
    await expectPath(page, "/two-factor");
    const codeInput = page.getByLabel("Authentication code", { exact: true });
    await codeInput.waitFor();
    await shot(page, "two-factor");

    await codeInput.fill(codes.wrong());
    await page.getByRole("button", { name: "Verify", exact: true }).click();
    assert.match(await alertText(page, /didn.t work/i), /that code didn.t work/i);
    assert.equal(pathOf(page), "/two-factor");
    await shot(page, "two-factor-wrong-code", { docs: "two-factor-wrong-code" });

    const { code, step: used } = await codes.next();
    await codeInput.fill(code);
    await page.getByRole("button", { name: "Verify", exact: true }).click();
    await expectPath(page, "/dashboard");
    codes.used(used);
    assert.equal((await page.getByTestId("user-email").textContent()).trim(), EMAIL);
    assert.equal((await page.getByTestId("twofa-status").textContent()).trim(), "On");
    await shot(page, "dashboard-2fa-on", { docs: "dashboard" });
  });

  step("log in with a backup code; the same backup code is refused the second time", async () => {
    const { page } = a;
    const [backupCode] = backupCodes;
    for (const attempt of ["first", "second"]) {
      await logOut(page).catch(async () => page.goto("/login"));
      await fillLogin(page, app.url);
      await expectPath(page, "/two-factor");
      await page.getByRole("button", { name: "Use a backup code instead" }).click();
      await page.getByLabel("Backup code", { exact: true }).fill(backupCode);
      if (attempt === "first") await shot(page, "two-factor-backup-code");
      await page.getByRole("button", { name: "Verify", exact: true }).click();
      if (attempt === "first") {
        await expectPath(page, "/dashboard");
        assert.equal((await page.getByTestId("user-email").textContent()).trim(), EMAIL);
      } else {
        assert.match(await alertText(page, /already used/i), /that backup code was already used/i);
        assert.equal(pathOf(page), "/two-factor");
        await shot(page, "two-factor-backup-code-reused");
        await page.getByRole("button", { name: "Back to login" }).click();
        await expectPath(page, "/login");
      }
    }
  });

  step("“Remember this device” (with a backup code): the next login from that browser skips the code step", async () => {
    const context = await browser.newContext({ baseURL: app.url, viewport: { width: 1100, height: 900 } });
    try {
      const page = await context.newPage();
      watch(page, "remember-device");
      await page.goto("/login");
      await fillLogin(page, app.url);
      await expectPath(page, "/two-factor");
      await page.getByRole("button", { name: "Use a backup code instead" }).click();
      await page.getByLabel("Backup code", { exact: true }).fill(backupCodes[1]);
      await page.getByLabel("Remember this device for 30 days").check();
      await page.getByRole("button", { name: "Verify", exact: true }).click();
      await expectPath(page, "/dashboard");
      await logOut(page);
      await fillLogin(page, app.url);
      await expectPath(page, "/dashboard");
      assert.equal((await page.getByTestId("twofa-status").textContent()).trim(), "On");
    } finally {
      await context.close();
    }
    // Browser A never ticked the box: its logins still ask for the code (checked in the next steps).
  });

  step(`an expired 2FA step (server with a ${SHORT_TTL_SECONDS}-s challenge) sends the user back to /login with a message`, async () => {
    const context = await browser.newContext({ baseURL: shortTtlApp.url, viewport: { width: 1100, height: 900 } });
    try {
      const page = await context.newPage();
      watch(page, shortTtlApp.url);
      await page.goto("/login");
      await fillLogin(page, shortTtlApp.url);
      await expectPath(page, "/two-factor");
      await page.waitForTimeout((SHORT_TTL_SECONDS + 1.5) * 1000);
      // A fresh, right code: the server refuses the dead challenge before looking at the code,
      // so the step is not consumed and the keyboard-only login below can use it.
      const { code } = await codes.next();
      await page.getByLabel("Authentication code", { exact: true }).fill(code);
      await page.getByRole("button", { name: "Verify", exact: true }).click();
      await expectPath(page, "/login");
      assert.match(await alertText(page, /expired/i), /login attempt expired/i);
      await shot(page, "login-2fa-step-expired");
    } finally {
      await context.close();
    }
  });

  step("keyboard only: login → code → dashboard", async () => {
    const { page } = a;
    await page.goto("/login"); // a fresh load: the focus starts at the top of the document
    await page.getByLabel("Email", { exact: true }).waitFor();
    await tabTo(page, "#login-email, input[type=email]");
    await page.keyboard.type(EMAIL);
    await page.keyboard.press("Tab");
    assert.ok(await page.evaluate(() => document.activeElement?.matches("input[type=password]")), "Tab from Email goes to Password");
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press("Enter");
    await expectPath(page, "/two-factor");
    await page.getByLabel("Authentication code", { exact: true }).waitFor();
    await tabTo(page, "input[autocomplete='one-time-code']"); // the page focuses it itself; Tab only if not
    const { code, step: used } = await codes.next();
    await page.keyboard.type(code);
    await page.keyboard.press("Enter");
    await expectPath(page, "/dashboard");
    codes.used(used);
    assert.equal((await page.getByTestId("user-email").textContent()).trim(), EMAIL);
  });

  step("sessions: the profile lists both browsers; “Sign out” on the other one ends it at once; a remembered device can be forgotten", async () => {
    // Browser B logs in again (its session died when 2FA was turned on).
    await b.page.goto("/login");
    await fillLogin(b.page, app.url);
    await expectPath(b.page, "/two-factor");
    const { code, step: used } = await codes.next();
    await b.page.getByLabel("Authentication code", { exact: true }).fill(code);
    await b.page.getByRole("button", { name: "Verify", exact: true }).click();
    await expectPath(b.page, "/dashboard");
    codes.used(used);

    const { page } = a;
    await page.getByRole("link", { name: "Profile", exact: true }).click();
    await expectPath(page, "/profile");
    const card = page.getByTestId("sessions-card");
    const rows = card.getByTestId("session");
    await rows.nth(1).waitFor({ timeout: T.ui });
    const current = rows.filter({ has: page.getByTestId("current-session") });
    assert.equal(await current.count(), 1, "exactly one session is marked as this device");
    assert.match(await current.textContent(), / on Linux/);
    await shot(page, "profile-sessions", { docs: "profile-sessions" });
    const others = rows.filter({ hasNot: page.getByTestId("current-session") });
    const before = await rows.count();
    await others.first().getByRole("button", { name: /^Sign out/ }).click();
    await page.waitForFunction((n) => document.querySelectorAll("[data-testid=session]").length === n - 1, before, { timeout: T.ui });

    // B's very next API call is refused: it lands on /login
    await b.page.getByRole("link", { name: "Profile", exact: true }).click();
    await expectPath(b.page, "/login");

    // The device remembered earlier (another browser context) is listed and can be forgotten.
    const devices = page.getByTestId("trusted-devices-card");
    await devices.getByTestId("trusted-device").first().waitFor({ timeout: T.ui });
    const deviceCount = await devices.getByTestId("trusted-device").count();
    await devices.getByTestId("trusted-device").first().getByRole("button", { name: /Forget/ }).click();
    await page.waitForFunction((n) => document.querySelectorAll("[data-testid=trusted-device]").length === n - 1, deviceCount, { timeout: T.ui });
  });

  step("disable 2FA with the password and a code; the next login goes straight to the dashboard", async () => {
    const { page } = a;
    await page.getByRole("link", { name: "Profile", exact: true }).click();
    await expectPath(page, "/profile");
    await page.getByRole("button", { name: "Disable", exact: true }).click();
    const dialog = page.getByTestId("disable-dialog");
    await dialog.getByLabel("Password", { exact: true }).fill(PASSWORD);
    const { code, step: used } = await codes.next();
    await dialog.getByLabel("Authentication code", { exact: true }).fill(code);
    await shot(page, "profile-disable-dialog");
    await dialog.getByRole("button", { name: "Turn off two-factor authentication" }).click();
    codes.used(used);
    await page.getByTestId("twofa-status").filter({ hasText: "Off" }).waitFor({ timeout: T.ui });
    await page.getByRole("button", { name: "Enable two-factor authentication" }).waitFor();

    await logOut(page);
    await fillLogin(page, app.url);
    await expectPath(page, "/dashboard");
    assert.equal((await page.getByTestId("twofa-status").textContent()).trim(), "Off");
  });

  step("no page hit a Content-Security-Policy violation or an uncaught error, and the stylesheet applied", async () => {
    const { page } = a;
    // Angular's critical-CSS inlining loads styles with <link media="print" onload=...>; the API's
    // CSP (script-src-attr 'none') blocks that handler and the app stays unstyled.
    const media = await page.evaluate(() => [...document.querySelectorAll('link[rel="stylesheet"]')].map((l) => l.media || "all"));
    assert.deepEqual(media.filter((m) => m === "print"), [], `stylesheets left at media=print: ${JSON.stringify(media)}`);
    assert.deepEqual(pageProblems, []);
  });
});
