// Drives GraphiQL in headless Chromium: runs the first (preloaded) tab and prints the result pane.
// Usage: node graphiql.mjs http://127.0.0.1:PORT/graphql screenshot.png
// The browser is offline but for 127.0.0.1 (no DNS for any other host: the CDN cannot
// answer), and every request for another host is reported in "offsite".
import { peer } from './peers.mjs';
const { chromium } = await peer('playwright-core');

const [url, screenshot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync',
         '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const problems = [];
  const offsite = [];
  page.on('pageerror', (error) => problems.push(String(error)));
  page.on('request', (request) => {
    const { protocol, hostname } = new URL(request.url());
    if (protocol.startsWith('http') && hostname !== '127.0.0.1') offsite.push(request.url());
  });
  await page.goto(url, { waitUntil: 'networkidle' });
  await page.waitForSelector('.graphiql-execute-button', { timeout: 30000 });
  const tabs = await page.locator('.graphiql-tab').allInnerTexts();
  const headers = await page.evaluate(() => localStorage.getItem('graphiql:headers'));
  await page.click('.graphiql-execute-button');
  await page.waitForFunction(
    () => (document.querySelector('.result-window')?.innerText ?? '').includes('"data"'),
    null, { timeout: 30000 },
  );
  const result = await page.evaluate(() => document.querySelector('.result-window .CodeMirror')?.CodeMirror?.getValue()
    ?? document.querySelector('.result-window').innerText.replace(/\u00a0/g, ' '));
  const headersText = await page.evaluate(() => {
    const editors = [...document.querySelectorAll('.graphiql-editor-tool .CodeMirror')];
    return editors.map((e) => e.CodeMirror?.getValue() ?? '').join('\n');
  });
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(JSON.stringify({ tabs, result, headersText, storedHeaders: headers, problems, offsite }));
} finally {
  await browser.close();
}
