// Passkeys and security keys as a second factor, in the browser (issue 13), with Chromium's
// virtual authenticator (lib/webauthn.mjs). The page is on http://localhost:<port>: WebAuthn
// needs a domain (an IP literal is refused), and the server's default WEBAUTHN_RP_ID is
// "localhost" with http://localhost:<PORT> among its origins.
//
// The journey: add a passkey from the profile (first factor → backup codes), log in with it
// alone at the code step, sign in with it and no password at all (issue 20), a failed user
// verification says so clearly, add the authenticator app
// too (password + the passkey: DESIGN §6 rule 7) and log in with either, then remove the passkey
// (password + a code), and add one again: with 2FA on that asks for the password AND a code.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { after, before, describe } from "node:test";
import { createDatabase, ensureBuilt, startServer } from "../lib/app.mjs";
import { launchChromium, shot } from "../lib/browser.mjs";
import { CodeSource } from "../lib/totp.mjs";
import { journeySteps } from "../lib/steps.mjs";
import { addVirtualAuthenticator } from "../lib/webauthn.mjs";

const tag = crypto.randomBytes(4).toString("hex");
const EMAIL = `passkey-${tag}@example.com`;
const PASSWORD = "correct horse battery staple e2e";
const PASSKEY_NAME = "Work laptop";
const T = { nav: 20_000, ui: 15_000 };

const pathOf = (page) => new URL(page.url()).pathname;
const expectPath = (page, p) => page.waitForURL((u) => u.pathname === p, { timeout: T.nav });

describe("browser: a passkey as the second factor (virtual authenticator)", () => {
  let db;
  let app;
  let browser;
  let page;
  let authenticator; // the browser's built-in passkey provider
  let authApp; // the user's authenticator app, once TOTP is on too
  const pageProblems = [];

  const journey = journeySteps(async () => {
    if (page && !page.isClosed()) await shot(page, "passkeys-FAILED");
  });
  const step = journey.step;

  async function logIn() {
    if (pathOf(page) !== "/login") await page.goto("/login");
    await page.getByLabel("Email", { exact: true }).fill(EMAIL);
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Log in", exact: true }).click();
    await expectPath(page, "/two-factor");
  }

  async function logOut() {
    await page.getByRole("button", { name: "Log out", exact: true }).click();
    await expectPath(page, "/login");
  }

  const passkeyButton = () => page.getByRole("button", { name: "Use a passkey or security key" });

  before(async () => {
    browser = await launchChromium();
    ensureBuilt((m) => console.log(`# ${m}`));
    db = await createDatabase((m) => console.log(`# ${m}`));
    app = await startServer({ name: "passkeys", databaseUrl: db.url });
    const context = await browser.newContext({ baseURL: `http://localhost:${app.port}`, viewport: { width: 1100, height: 900 } });
    // Chromium's virtual authenticator answers a conditional (autofill) request by itself, as if the
    // user had picked the suggestion at once: the steps that sign in with the password keep it off,
    // the autofill step turns it on (localStorage "e2e-autofill").
    await context.addInitScript(() => {
      const credential = window.PublicKeyCredential;
      const available = credential?.isConditionalMediationAvailable;
      if (!available) return;
      credential.isConditionalMediationAvailable = () =>
        localStorage.getItem("e2e-autofill") === "on" ? available.call(credential) : Promise.resolve(false);
    });
    page = await context.newPage();
    page.on("pageerror", (err) => pageProblems.push(`uncaught ${err.message}`));
    authenticator = await addVirtualAuthenticator(page);
  });

  after(async () => {
    await browser?.close().catch(() => {});
    const stopped = await app?.stop();
    await db?.close();
    if (journey.failed && app) console.log(`# server log: ${app.logPath}\n${app.tail()}`);
    if (stopped) assert.equal(stopped.code, 0, `the server did not exit cleanly: ${JSON.stringify(stopped)}`);
  });

  step("a new user adds a passkey from the profile: 2FA is on and backup codes are shown once", async () => {
    await page.goto("/register");
    await page.getByLabel("Email", { exact: true }).fill(EMAIL);
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Create account", exact: true }).click();
    await expectPath(page, "/dashboard");
    await page.goto("/profile");
    const card = page.getByTestId("passkeys-card");
    await card.getByLabel("Name", { exact: true }).fill(PASSKEY_NAME);
    await card.getByRole("button", { name: "Add a passkey or security key" }).click();
    await page.getByTestId("backup-codes").waitFor({ state: "visible", timeout: T.ui });
    await shot(page, "passkey-added", { docs: "passkey-added" });
    await page.getByRole("button", { name: "I saved them" }).click();
    await card.getByTestId("passkey-name").filter({ hasText: PASSKEY_NAME }).waitFor({ state: "visible", timeout: T.ui });
    const credentials = await authenticator.credentials();
    assert.equal(credentials.length, 1, "the authenticator holds one credential");
    assert.equal(credentials[0].rpId, "localhost");
  });

  step("log in with the passkey alone at the code step", async () => {
    await logOut();
    await logIn();
    await passkeyButton().waitFor({ state: "visible", timeout: T.ui });
    await shot(page, "code-step-with-passkey", { docs: "two-factor-passkey" });
    await passkeyButton().click();
    await expectPath(page, "/dashboard");
    const session = await page.evaluate(() => fetch("/auth/sessions", { credentials: "include" }).then((r) => r.json()));
    const current = session.sessions.find((s) => s.current);
    assert.equal(current.authMethod, "passkey");
  });

  step("sign in with a passkey: no password typed, straight to the dashboard (issue 20)", async () => {
    await logOut();
    if (pathOf(page) !== "/login") await page.goto("/login");
    await page.getByRole("button", { name: "Sign in with a passkey" }).waitFor({ state: "visible", timeout: T.ui });
    await shot(page, "login-with-passkey-button", { docs: "login-passkey" });
    await page.getByRole("button", { name: "Sign in with a passkey" }).click();
    await expectPath(page, "/dashboard");
    const session = await page.evaluate(() => fetch("/auth/sessions", { credentials: "include" }).then((r) => r.json()));
    assert.equal(session.sessions.find((s) => s.current).authMethod, "passkey");
    await shot(page, "passkey-sign-in-dashboard");
  });

  step("passkey autofill: on the login page the browser offers the passkey in the email field, and picking it signs in", async () => {
    await logOut();
    await page.evaluate(() => localStorage.setItem("e2e-autofill", "on"));
    await page.reload();
    assert.equal(await page.getByLabel("Email", { exact: true }).getAttribute("autocomplete"), "username webauthn");
    // the virtual authenticator picks the suggestion itself: no click, no password
    await expectPath(page, "/dashboard");
    await page.evaluate(() => localStorage.removeItem("e2e-autofill"));
  });

  step("a passkey that does not verify the user cannot sign in without the password, and says so", async () => {
    await logOut();
    await authenticator.setUserVerified(false);
    await page.getByRole("button", { name: "Sign in with a passkey" }).click();
    await page.getByRole("alert").filter({ hasText: /did not confirm it.s you/ }).waitFor({ state: "visible", timeout: T.ui });
    assert.equal(pathOf(page), "/login");
    await shot(page, "login-passkey-refused");
    await authenticator.setUserVerified(true);
    await logIn();
    await passkeyButton().click();
    await expectPath(page, "/dashboard");
  });

  step("a failed user verification shows a clear message and lets the user try again", async () => {
    await logOut();
    await logIn();
    await authenticator.setUserVerified(false);
    await passkeyButton().click();
    // (this account has no authenticator app yet: a backup code is its way out)
    await page.getByText("Your passkey or security key did not confirm it's you. Try again or use a backup code.").waitFor({ state: "visible", timeout: T.ui });
    assert.equal(pathOf(page), "/two-factor");
    await shot(page, "passkey-user-verification-failed", { docs: "two-factor-passkey-refused" });
    await authenticator.setUserVerified(true);
    await passkeyButton().click();
    await expectPath(page, "/dashboard");
  });

  step("the user adds the authenticator app too (no new backup codes) and can log in with either", async () => {
    await page.goto("/profile");
    const start = page.getByRole("button", { name: "Set up an authenticator app" });
    const key = page.getByTestId("manual-key");
    await start.first().waitFor({ state: "visible", timeout: T.ui });
    await start.first().click();
    // 2FA is on (the passkey): adding the app asks for the password AND a second factor first
    const proof = page.getByTestId("add-totp-dialog");
    await proof.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await proof.getByRole("button", { name: "Use a passkey" }).click();
    await key.waitFor({ state: "visible", timeout: T.ui });
    authApp = new CodeSource((await key.textContent()).replace(/\s+/g, ""));
    await page.getByLabel("Authentication code", { exact: true }).fill(await authApp.take());
    await page.getByRole("button", { name: "Verify and enable" }).click();
    await page.getByTestId("manual-key").waitFor({ state: "hidden", timeout: T.ui });
    assert.equal(await page.getByTestId("backup-codes").isVisible(), false, "the first factor's backup codes stay valid: none are shown again");

    await logOut();
    await logIn();
    await page.getByLabel("Authentication code", { exact: true }).fill(await authApp.take());
    await page.getByRole("button", { name: "Verify", exact: true }).click();
    await expectPath(page, "/dashboard");

    await logOut();
    await logIn();
    await passkeyButton().click();
    await expectPath(page, "/dashboard");
  });

  step("new backup codes with the passkey as the proof (no code typed)", async () => {
    await page.goto("/profile");
    await page.getByRole("button", { name: "Regenerate backup codes" }).click();
    const dialog = page.getByTestId("regenerate-dialog");
    await dialog.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await dialog.getByRole("button", { name: "Use a passkey" }).click();
    const codes = page.getByTestId("backup-codes");
    await codes.waitFor({ state: "visible", timeout: T.ui });
    assert.equal(await codes.locator("li").count(), 10, "ten new backup codes");
    await page.getByRole("button", { name: "I saved them" }).click();
  });

  step("remove the passkey with the password and a code: the code step no longer offers it", async () => {
    await page.goto("/profile");
    const card = page.getByTestId("passkeys-card");
    await card.getByRole("button", { name: `Remove ${PASSKEY_NAME}` }).click();
    const dialog = page.getByTestId("passkey-remove-dialog");
    await dialog.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await dialog.getByLabel("Authentication code", { exact: true }).fill(await authApp.take());
    await dialog.getByRole("button", { name: "Remove passkey" }).click();
    await card.getByTestId("passkey-name").filter({ hasText: PASSKEY_NAME }).waitFor({ state: "detached", timeout: T.ui });

    await logOut();
    await logIn();
    await page.getByLabel("Authentication code", { exact: true }).waitFor({ state: "visible", timeout: T.ui });
    assert.equal(await passkeyButton().count(), 0, "no passkey button once the user has none");
    await page.getByLabel("Authentication code", { exact: true }).fill(await authApp.take());
    await page.getByRole("button", { name: "Verify", exact: true }).click();
    await expectPath(page, "/dashboard");
  });

  step("with the authenticator app on, adding a passkey asks for the password and a code; without them it cannot be added", async () => {
    await page.goto("/profile");
    const card = page.getByTestId("passkeys-card");
    // (a resident key for the same account replaces the browser's earlier one: compare ids, not counts)
    const ids = async () => (await authenticator.credentials()).map((c) => c.credentialId).sort().join(" ");
    const held = await ids();
    await card.getByLabel("Name", { exact: true }).fill("Second laptop");
    await card.getByRole("button", { name: "Add a passkey or security key" }).click();
    const dialog = page.getByTestId("add-passkey-dialog");
    await dialog.getByLabel("Password", { exact: true }).waitFor({ state: "visible", timeout: T.ui });
    // without the proof: nothing is asked of the browser, nothing is added
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "hidden", timeout: T.ui });
    assert.equal(await ids(), held, "no credential was created without the proof");

    // the password and a wrong code: refused, still nothing
    await card.getByRole("button", { name: "Add a passkey or security key" }).click();
    await dialog.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await dialog.getByLabel("Authentication code", { exact: true }).fill(authApp.wrong());
    await dialog.getByRole("button", { name: "Continue" }).click();
    await dialog.getByRole("alert").filter({ hasText: /didn.t work/ }).waitFor({ state: "visible", timeout: T.ui });
    assert.equal(await ids(), held, "a wrong code adds nothing");

    // the password and the right code: the browser creates the key and the profile lists it
    await dialog.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await dialog.getByLabel("Authentication code", { exact: true }).fill(await authApp.take());
    await dialog.getByRole("button", { name: "Continue" }).click();
    await card.getByTestId("passkey-name").filter({ hasText: "Second laptop" }).waitFor({ state: "visible", timeout: T.ui });
    assert.notEqual(await ids(), held, "the browser created a new credential");
    assert.deepEqual(pageProblems, []);
  });
});
