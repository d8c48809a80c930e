// Recovery journeys in the browser (issue 14): "Forgot your password?" → the emailed link → a new
// password (the second factor is still asked at the next login), and an administrator resetting
// a user's 2FA from the admin page (the user is emailed, signed out everywhere, and sets 2FA up
// again at the next sign-in), with the enforcement banner on the way.
//
// The server is the built app (`npm start`'s way) with the development mailer: every message is
// an .eml file in a folder of this run (MAIL_DIR), read back by lib/mail.mjs.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe } from "node:test";
import pg from "pg";
import { createDatabase, ensureBuilt, OUTPUT_DIR, startServer } from "../lib/app.mjs";
import { launchChromium, shot } from "../lib/browser.mjs";
import { waitForMail } from "../lib/mail.mjs";
import { journeySteps } from "../lib/steps.mjs";
import { CodeSource } from "../lib/totp.mjs";

const tag = crypto.randomBytes(4).toString("hex");
const USER = `recover-${tag}@example.com`;
const ADMIN = `admin-${tag}@example.com`;
const PASSWORD = "correct horse battery staple e2e";
const NEW_PASSWORD = "violet tractor sings at midnight e2e";
const REASON = "Lost phone and backup codes; identity checked by a video call";
const MAIL_DIR = path.join(OUTPUT_DIR, `mail-${process.pid}`);
const T = { nav: 20_000, ui: 15_000 };

const pathOf = (page) => new URL(page.url()).pathname;
const expectPath = (page, p) => page.waitForURL((u) => u.pathname === p, { timeout: T.nav });

describe("browser: password reset by email, and an admin's 2FA reset", () => {
  let db;
  let app;
  let browser;
  let user; // the user's browser
  let admin; // the admin's browser
  let userAuth; // the user's authenticator app
  let adminAuth; // the admin's authenticator app
  let enrolmentLink; // the link emailed after the admin reset
  const pageProblems = [];

  const journey = journeySteps(async () => {
    for (const [label, w] of [["user", user], ["admin", admin]]) if (w?.page && !w.page.isClosed()) await shot(w.page, `recovery-FAILED-${label}`).catch(() => {});
  });
  const step = journey.step;

  async function newWindow() {
    const context = await browser.newContext({ baseURL: app.url, viewport: { width: 1100, height: 900 } });
    const page = await context.newPage();
    page.on("pageerror", (err) => pageProblems.push(`uncaught ${err.message}`));
    return { context, page };
  }

  async function logIn(page, email, password) {
    if (pathOf(page) !== "/login") await page.goto("/login");
    await page.getByLabel("Email", { exact: true }).fill(email);
    await page.getByLabel("Password", { exact: true }).fill(password);
    await page.getByRole("button", { name: "Log in", exact: true }).click();
  }

  /** Profile → enable 2FA: returns the authenticator holding the manual key. */
  /** `password`: the setup asks for it first (after an admin reset, with the emailed link: rule 20). */
  async function enableTwoFactor(page, password) {
    if (pathOf(page) !== "/profile") await page.goto("/profile");
    const start = page.getByRole("button", { name: "Enable two-factor authentication" });
    const key = page.getByTestId("manual-key");
    const confirm = page.locator("#reauth-password");
    // the banner's link (/profile?setup=start) may already have started the setup
    await start.or(key).or(confirm).first().waitFor({ state: "visible", timeout: T.ui });
    // The button can be on screen but busy starting the setup the link asked for, then replaced by
    // the QR: a click that finds it gone is fine, the key shows up either way.
    if (!(await key.isVisible()) && !(await confirm.isVisible())) await start.click({ timeout: 3000 }).catch(() => undefined);
    if (password) {
      await confirm.fill(password, { timeout: T.ui });
      await page.getByRole("button", { name: "Continue", exact: true }).click();
    }
    await key.waitFor({ state: "visible", timeout: T.ui });
    const authenticator = new CodeSource((await key.textContent()).replace(/\s+/g, ""));
    await page.getByLabel("Authentication code", { exact: true }).fill(await authenticator.take());
    await page.getByRole("button", { name: "Verify and enable" }).click();
    await page.getByTestId("backup-codes").waitFor({ state: "visible", timeout: T.ui });
    await page.getByRole("button", { name: "I saved them" }).click();
    await page.getByRole("button", { name: "Disable", exact: true }).waitFor({ timeout: T.ui });
    return authenticator;
  }

  async function codeStep(page, authenticator) {
    await expectPath(page, "/two-factor");
    await page.getByLabel("Authentication code", { exact: true }).fill(await authenticator.take());
    await page.getByRole("button", { name: "Verify", exact: true }).click();
    await expectPath(page, "/dashboard");
  }

  before(async () => {
    browser = await launchChromium();
    ensureBuilt((m) => console.log(`# ${m}`));
    fs.rmSync(MAIL_DIR, { recursive: true, force: true });
    db = await createDatabase((m) => console.log(`# ${m}`));
    app = await startServer({ name: "recovery", databaseUrl: db.url, env: { MAIL_DIR, MAIL_POLL_INTERVAL_MS: "200" } });
    user = await newWindow();
    admin = await newWindow();
  });

  after(async () => {
    await browser?.close().catch(() => {});
    const stopped = await app?.stop();
    await db?.close();
    if (journey.failed && app) console.log(`# server log: ${app.logPath}\n${app.tail()}`);
    if (!journey.failed) fs.rmSync(MAIL_DIR, { recursive: true, force: true });
    if (stopped) assert.equal(stopped.code, 0, `the server did not exit cleanly: ${JSON.stringify(stopped)}`);
  });

  step("a user registers and turns 2FA on (emailed)", async () => {
    const { page } = user;
    await page.goto("/register");
    await page.getByLabel("Email", { exact: true }).fill(USER);
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Create account", exact: true }).click();
    await expectPath(page, "/dashboard");
    userAuth = await enableTwoFactor(page);
    const mail = await waitForMail(MAIL_DIR, { to: USER, subject: "Two-factor authentication was turned on" });
    // in development APP_URL follows PORT: the link reaches the port this server listens on
    assert.ok(mail.text.includes(`Review your security activity: http://localhost:${app.port}/profile#security-activity`), mail.text);
  });

  step("'Forgot your password?' on the login page → the same answer → an email with a single-use link", async () => {
    const { page } = user;
    await page.getByRole("button", { name: "Log out", exact: true }).click();
    await expectPath(page, "/login");
    await page.getByRole("link", { name: "Forgot your password?" }).click();
    await expectPath(page, "/forgot-password");
    await page.getByLabel("Email", { exact: true }).fill(USER);
    await page.getByRole("button", { name: "Send reset link" }).click();
    const sent = page.getByTestId("forgot-sent");
    await sent.waitFor({ timeout: T.ui });
    assert.match(await sent.textContent(), /If an account exists for this email/);
    await shot(page, "recovery-forgot-password-sent");
  });

  let resetLink;
  step("the reset link sets a new password; every session ends; the next login still asks for the code", async () => {
    const mail = await waitForMail(MAIL_DIR, { to: USER, subject: "Reset your password" });
    const match = /(http:\/\/[^\s]+\/reset-password#token=[A-Za-z0-9_-]{43})/.exec(mail.text);
    assert.ok(match, `no link in:\n${mail.text}`);
    resetLink = new URL(match[1]);
    const { page } = user;
    await page.goto(`/reset-password${resetLink.hash}`);
    await page.getByTestId("reset-email").waitFor({ timeout: T.ui });
    assert.equal((await page.getByTestId("reset-email").textContent()).trim(), USER);
    assert.equal(new URL(page.url()).hash, "", "the token leaves the address bar");
    await page.getByLabel("New password", { exact: true }).fill(NEW_PASSWORD);
    await shot(page, "recovery-reset-password-form");
    await page.getByRole("button", { name: "Set new password" }).click();
    await expectPath(page, "/login");
    await page.getByRole("alert").filter({ hasText: /password was reset/i }).waitFor({ timeout: T.ui });

    await logIn(page, USER, PASSWORD);
    await page.getByRole("alert").filter({ hasText: /Incorrect email or password/ }).waitFor({ timeout: T.ui });
    await logIn(page, USER, NEW_PASSWORD);
    await codeStep(page, userAuth); // 2FA survived the reset
    await waitForMail(MAIL_DIR, { to: USER, subject: "Your password was reset" });
  });

  step("the same link again says it was already used, and offers a new one", async () => {
    const other = await newWindow();
    await other.page.goto(`/reset-password${resetLink.hash}`);
    const error = other.page.getByTestId("reset-link-error");
    await error.waitFor({ timeout: T.ui });
    assert.match(await error.textContent(), /already used/);
    assert.equal(await other.page.getByLabel("New password", { exact: true }).count(), 0);
    await other.context.close();
  });

  step("an admin (promoted in the database) is told the grace period, turns 2FA on, and opens Users", async () => {
    const { page } = admin;
    await page.goto("/register");
    await page.getByLabel("Email", { exact: true }).fill(ADMIN);
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Create account", exact: true }).click();
    await expectPath(page, "/dashboard");
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query(`UPDATE "User" SET "role" = 'ADMIN' WHERE "email" = $1`, [ADMIN]);
    } finally {
      await client.end();
    }
    await page.goto("/dashboard"); // /auth/me now says ADMIN, and the deadline
    const banner = page.getByTestId("twofa-banner");
    await banner.waitFor({ timeout: T.ui });
    assert.match(await page.getByTestId("twofa-time-left").textContent(), /^(1 day 23 hours|2 days)$/);
    await shot(page, "recovery-admin-grace-banner");
    await banner.getByRole("link", { name: "Set it up now" }).click();
    await expectPath(page, "/profile");
    adminAuth = await enableTwoFactor(page);
    assert.equal(await page.getByTestId("twofa-banner").count(), 0);
    await page.getByRole("link", { name: "Users", exact: true }).click();
    await expectPath(page, "/admin");
  });

  step("the admin finds the user and resets their 2FA with a reason", async () => {
    const { page } = admin;
    await page.getByLabel("Search by email").fill(USER);
    await page.getByRole("button", { name: "Search", exact: true }).click();
    const row = page.locator(`[data-testid="admin-user"][data-email="${USER}"]`);
    await row.waitFor({ timeout: T.ui });
    assert.equal((await row.getByTestId("admin-user-twofa").textContent()).trim(), "On");
    await row.getByRole("button", { name: `Reset two-factor authentication of ${USER}` }).click();
    await page.getByLabel("Reason", { exact: true }).fill(REASON);
    await shot(page, "recovery-admin-reset-2fa");
    await page.getByRole("button", { name: "Reset two-factor authentication", exact: true }).click();
    // the admin's own password AND code confirm it (DESIGN §6 rule 7)
    const proof = page.getByTestId("admin-reset-dialog");
    await proof.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await proof.getByLabel("Authentication code", { exact: true }).fill(await adminAuth.take());
    await proof.getByRole("button", { name: "Confirm and reset" }).click();
    await page.getByTestId("admin-notice").waitFor({ timeout: T.ui });
    assert.equal((await row.getByTestId("admin-user-twofa").textContent()).trim(), "Off (setup required)");
    const mail = await waitForMail(MAIL_DIR, { to: USER, subject: "An administrator reset your two-factor authentication" });
    assert.ok(mail.text.includes(`Reason given: ${REASON}`), mail.text);
    const link = /http:\/\/\S+\/enrol#token=\S+/.exec(mail.text);
    assert.ok(link, mail.text);
    enrolmentLink = new URL(link[0]);
  });

  step("the user was signed out; at the next sign-in only the 2FA setup is open, and they set it up again", async () => {
    const { page } = user;
    await page.getByRole("link", { name: "Profile", exact: true }).click();
    await expectPath(page, "/login");
    await logIn(page, USER, NEW_PASSWORD);
    await expectPath(page, "/dashboard"); // 2FA is off: no code step
    const banner = page.getByTestId("twofa-banner");
    await banner.waitFor({ timeout: T.ui });
    assert.match(await banner.textContent(), /Set up two-factor authentication to continue\.\s*An administrator reset it/);
    await shot(page, "recovery-user-setup-required-banner");
    await banner.getByRole("link", { name: "Set it up now" }).click();
    await expectPath(page, "/profile");
    // the password alone does not open the setup: the emailed link does (DESIGN §6 rule 20)
    await page.getByTestId("enrolment-link-notice").waitFor({ timeout: T.ui });
    await page.goto(`/enrol${enrolmentLink.hash}`);
    await expectPath(page, "/profile");
    assert.equal(new URL(page.url()).hash, "", "the token leaves the address bar");
    userAuth = await enableTwoFactor(page, NEW_PASSWORD);
    assert.equal(await page.getByTestId("twofa-banner").count(), 0);
    assert.deepEqual(pageProblems, []);
  });
});
