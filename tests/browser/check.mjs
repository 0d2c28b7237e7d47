// Renders the period report's HTML pages in headless Chromium (Debian's,
// at /usr/bin/chromium or $CHROMIUM), takes a screenshot of each, and
// checks that the seed's figures are in the text as the browser rendered
// it, each language with its own number format.
//
//   node check.mjs DATA_DIR   (where `probity demo seed-scenario` wrote
//                              report.vi.html and report.en.html)
import { chromium } from "playwright-core";
import { statSync } from "node:fs";
import { join, resolve } from "node:path";

const dir = resolve(process.argv[2] ?? ".");
const expected = {
  vi: ["317 lớp", "32.560/32.986", "98,71 %", "5.873 quần chúng", "30/06/2016", "31/03/2021"],
  en: ["317 classes", "32,560/32,986", "98.71 %", "5,873 non-members", "30 June 2016", "31 March 2021"],
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
let failed = 0;
try {
  for (const [lang, figures] of Object.entries(expected)) {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await page.goto("file://" + join(dir, `report.${lang}.html`));
    const text = await page.evaluate(() => document.body.innerText);
    const shot = join(dir, `report.${lang}.png`);
    await page.screenshot({ path: shot, fullPage: true });
    const size = statSync(shot).size;
    const missing = figures.filter((f) => !text.includes(f));
    const htmlLang = await page.evaluate(() => document.documentElement.lang);
    if (missing.length > 0 || htmlLang !== lang || size < 10_000) {
      failed++;
      console.error(`report.${lang}.html: missing ${JSON.stringify(missing)}, lang ${htmlLang}, screenshot ${size} bytes`);
    } else {
      console.log(`report.${lang}.html: ${figures.length} figures in the rendered text; screenshot ${shot} (${size} bytes)`);
    }
    await page.close();
  }
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
