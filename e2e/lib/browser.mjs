// Debian's Chromium driven by playwright-core (`npx playwright install` cannot download
// browsers on these machines). Without Chromium the journey FAILS with the install command.
import fs from "node:fs";
import path from "node:path";
import jsQR from "jsqr";
import { chromium } from "playwright-core";
import pngjs from "pngjs";
import { OUTPUT_DIR, REPO_ROOT } from "./app.mjs";

const DOCS_SCREENSHOTS = path.join(REPO_ROOT, "docs/screenshots");

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-quic",
  "--disable-sync",
];

export async function launchChromium() {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium was not found at ${CHROMIUM_PATH}. The browser tests need it: install it with ` +
        "`apt-get update && apt-get install -y chromium` (Debian/Ubuntu), or point CHROMIUM_PATH at a Chromium binary.",
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_FLAGS });
}

/** Removes the screenshots of an earlier run (the server logs are overwritten anyway). */
export function cleanOutput() {
  fs.mkdirSync(OUTPUT_DIR, { recursive: true });
  for (const f of fs.readdirSync(OUTPUT_DIR)) if (f.endsWith(".png")) fs.rmSync(path.join(OUTPUT_DIR, f));
}

let shotCounter = 0;
/**
 * Full-page screenshot into e2e/output/NN-name.png (git-ignored). With E2E_UPDATE_DOCS=1 the
 * ones given a `docs` name are also copied to docs/screenshots/<docs>.png (committed, README).
 */
export async function shot(page, name, { docs } = {}) {
  fs.mkdirSync(OUTPUT_DIR, { recursive: true });
  const file = path.join(OUTPUT_DIR, `${String(++shotCounter).padStart(2, "0")}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true, animations: "disabled" });
  if (docs && process.env.E2E_UPDATE_DOCS === "1") {
    fs.mkdirSync(DOCS_SCREENSHOTS, { recursive: true });
    fs.copyFileSync(file, path.join(DOCS_SCREENSHOTS, `${docs}.png`));
  }
  return file;
}

/** Decodes the QR code shown in `locator` from a screenshot of it (jsQR on the PNG pixels). */
export async function decodeQr(locator) {
  const png = pngjs.PNG.sync.read(await locator.screenshot({ animations: "disabled" }));
  const result = jsQR(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length), png.width, png.height);
  if (!result) throw new Error(`no QR code could be decoded from the ${png.width}x${png.height} screenshot`);
  return result.data;
}
