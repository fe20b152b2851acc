// The web page in real headless Chromium (Debian's chromium through playwright-core): submit a
// job with the form, watch it reach DONE on its page and in the queue open in another tab, follow
// the download link, check the file.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eCache } from '../helpers/e2e.js';
import { fixtures, isRoot, requireHostProgram } from '../helpers/host.js';
import { startServer, stopStarted } from '../helpers/service.js';

const CHROMIUM = '/usr/bin/chromium';

describe.skipIf(!isRoot)('the web page in Chromium (e2e)', () => {
  let dir: string;
  let server: Awaited<ReturnType<typeof startServer>>;
  let browser: Browser;

  beforeAll(async () => {
    requireHostProgram(existsSync(CHROMIUM) && CHROMIUM, CHROMIUM, 'chromium');
    dir = mkdtempSync(join(tmpdir(), 'kiln-e2e-page-'));
    [server, browser] = await Promise.all([
      startServer(['--state-dir', join(dir, 'state'), '--flavours-path', fixtures, '--image-cache', e2eCache()]),
      chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] }),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await stopStarted();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('submits through the form, shows DONE with progress, and downloads the image', async () => {
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1360, height: 900 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    // The page asks for the token when the API wants one; answer as a person would.
    page.on('dialog', (dialog) => void dialog.accept('t-alice'));
    // A second tab shows the queue from before the submission: the job must appear and change there live.
    const queue = await context.newPage();
    queue.on('pageerror', (error) => problems.push(error.message));
    await queue.goto(server.url);
    await page.goto(server.url);
    await page.fill('#name', 'from-the-form');
    await page.click('#flavours .chip[data-name="fake-os"]');
    await page.click('#flavours .chip[data-name="fake-packages"]');
    await page.click('#types .chip[data-type="qcow2"]');
    await page.click('#types .chip[data-type="tar"]');
    await page.check('#skip-base');
    await expect.poll(() => page.locator('#selected .chip').allTextContents()).toEqual(['fake-os×', 'fake-packages×']);
    await page.click('#submit-button');
    await page.waitForURL(/\/jobs\/[0-9a-f-]{36}$/, { timeout: 60_000 });
    const id = page.url().split('/').at(-1)!;
    await page.locator('#status .status[data-status="DONE"]').waitFor({ timeout: 300_000 });
    await expect.poll(() => queue.locator(`#jobs tr[data-id="${id}"] .status`).textContent(), { timeout: 30_000 }).toBe('DONE');
    expect(await page.locator('#phases .phase.pending').count()).toBe(0);
    expect(await page.locator('#phases .phase').count()).toBeGreaterThan(5);
    await expect.poll(() => page.locator('#log').textContent()).toContain('kiln: job DONE');
    // What the image holds, from the build's manifest, with the SBOMs beside it.
    await page.locator('#contents-card').waitFor({ state: 'visible', timeout: 30_000 });
    expect(await page.locator('#contents-summary').textContent()).toBe('— 2 packages');
    const bashVersion = execFileSync('dpkg-query', ['-W', '-f', '${Version}', 'bash']).toString();
    expect(await page.locator('#packages tr[data-package="bash"] td').allTextContents()).toEqual(['bash', bashVersion, 'amd64', '', 'root.d/10-fake-os (fake-os)']);
    await page.fill('#package-filter', 'busy');
    expect(await page.locator('#packages tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-package')))).toEqual(['busybox-static']);
    expect(await page.locator('#contents-facts').textContent()).toContain('fake-os fake-packages');
    expect(await page.locator('#contents-facts a').allTextContents()).toEqual(['from-the-form.manifest.json', 'CycloneDX', 'SPDX 2.3']);
    expect(await page.locator('#files a[data-kind="sbom"]').allTextContents()).toEqual(['from-the-form.cdx.json', 'from-the-form.spdx.json']);
    const sbom = await page.evaluate(async (url) => (await fetch(url)).json(), await page.locator('#contents-facts a', { hasText: 'SPDX 2.3' }).getAttribute('href'));
    expect(sbom.spdxVersion).toBe('SPDX-2.3');
    expect(sbom.packages.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['bash', 'busybox-static']));
    await page.screenshot({ path: join(dir, 'job.png'), fullPage: true });
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#files a[data-kind="image"]')]);
    expect(download.suggestedFilename()).toBe('from-the-form.tar');
    const saved = join(dir, 'downloaded.tar');
    await download.saveAs(saved);
    expect(statSync(saved).size).toBeGreaterThan(1024 * 1024);
    expect(execFileSync('tar', ['-tf', saved]).toString()).toMatch(/\.\/bin\/busybox\n/);
    await page.goto(server.url);
    await expect.poll(() => page.locator('#jobs tr .status').first().textContent()).toBe('DONE');
    expect(problems).toEqual([]);
    await context.close();
  });
});
