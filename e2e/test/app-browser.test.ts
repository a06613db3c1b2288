import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_VARIABLE, REPOSITORY_ROOT, requireChromium } from '@bank/infra';
import { startFasterPaymentsScheme, type FasterPaymentsSchemeSimulator } from '../src/simulator/faster-payments-scheme';
import { appOrigin, appService } from '../src/stack/app-service';
import { gatewayService } from '../src/stack/gateway-service';
import { startRunStack, type RunStack } from '../src/stack/run-stack';
import { freePort, startService, type ServiceProcess } from '../src/stack/service-process';
import { OPERATOR } from '../src/stack/services';
import { standinCli } from './support/standin-cli';
import { eventually, http } from './support/stack';

// Issue 20 in a real browser (Debian's Chromium, driven by playwright-core) against the real stack:
// a demo customer signs in and freezes a card; primary is SIGKILLed and the engineer turns on
// direct connect and redirects apps with the CLI; the app flips to stand-in's experience (balance
// with its "as of"), the customer pays a payee; primary comes back, apps are rolled back, the app
// flips back without a reload, and the payment shows once in primary's feed. The console shows
// the incident, and the lag alert while Kafka is killed. A screenshot of each step goes to
// results/app/<run>/.

interface DemoCustomer {
  readonly name: string;
  readonly customerId: string;
  readonly accountId: string;
  readonly sortCode: string;
  readonly accountNumber: string;
  readonly token: string;
  readonly cardLast4: string;
}

let scheme: FasterPaymentsSchemeSimulator;
let stack: RunStack;
let gateway: ServiceProcess;
let app: ServiceProcess;
let browser: Browser;
let shots: string;
let shot = 0;

const screenshot = async (page: Page, name: string) => {
  await page.screenshot({ path: path.join(shots, `${String(++shot).padStart(2, '0')}-${name}.png`), fullPage: true });
};

beforeAll(async () => {
  const executablePath = process.env[CHROMIUM_VARIABLE] ?? requireChromium();
  const appPort = await freePort();
  const origins = { APP_ORIGINS: appOrigin(appPort) };
  scheme = await startFasterPaymentsScheme();
  stack = await startRunStack({ name: 'app-browser', fasterPaymentsSchemeUrl: scheme.url, primaryEnv: origins, standinEnv: origins });
  gateway = await startService(gatewayService(stack.infra.config, stack.run, stack.urls));
  app = await startService(
    appService(stack.infra.config, stack.run, stack.urls, {
      gatewayUrl: gateway.url,
      adviceConsumerUrl: stack.adviceConsumer.url,
      operatorName: OPERATOR.name,
      operatorToken: OPERATOR.token,
    }),
    { port: appPort },
  );
  browser = await chromium.launch({ executablePath });
  shots = path.join(REPOSITORY_ROOT, 'results', 'app', stack.run);
  fs.mkdirSync(shots, { recursive: true });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  // Kafka is shared: whatever happened in the test, it is running again for the next one.
  if (stack && !(await stack.infra.status()).some((status) => status.name === 'kafka' && status.state === 'healthy')) await stack.infra.start('kafka');
  await app?.stop();
  await gateway?.stop();
  await stack?.stop();
  await scheme?.close();
}, 120_000);

/** Form controls a screen reader could not name: every field needs a label, every button a name. */
const unnamedControls = (page: Page) =>
  page.$$eval('input, select, textarea, button', (elements) =>
    elements
      .filter((element) => {
        if (element.tagName === 'BUTTON') return !(element.textContent ?? '').trim() && !element.getAttribute('aria-label');
        // (The tests' TypeScript has no DOM library: a field's labels, typed by hand.)
        const labels = (element as unknown as { labels?: { length: number } }).labels;
        return (labels?.length ?? 0) === 0 && !element.getAttribute('aria-label');
      })
      .map((element) => element.outerHTML.slice(0, 120)),
  );

const cli = async (...args: string[]) => {
  const run = await standinCli(stack.urls, ...args);
  if (run.code !== 0) throw new Error(`standin ${args.join(' ')} exited ${run.code}: ${run.stderr}${run.stdout}`);
  return run.stdout;
};

const primaryAvailable = async (customer: DemoCustomer) =>
  (await http<{ balance: { availableMinor: number } }>('GET', `${stack.urls.primary}/accounts/${customer.accountId}`, { token: customer.token })).body.balance
    .availableMinor;
const standinSpendable = async (customer: DemoCustomer) =>
  (await http<{ balance?: { spendableMinor: number } }>('GET', `${stack.urls.standin}/accounts/${customer.accountId}`, { token: customer.token })).body.balance
    ?.spendableMinor;
const pounds = (minor: number) => new Intl.NumberFormat('en-GB', { style: 'currency', currency: 'GBP' }).format(minor / 100);

test('a customer rides an incident in the browser: the app flips to stand-in and back, and the console follows it', async () => {
  // The demo customers `npm start` makes (local mode), as a newcomer finds them on the sign-in page.
  const demo = await eventually(
    'the demo customers',
    async () => (await http<{ customers?: DemoCustomer[] }>('GET', `${app.url}/demo-customers`, { token: null })).body.customers,
    (customers) => customers !== undefined && customers.length === 3,
    120_000,
  );
  const ada = demo!.find((customer) => customer.name === 'Ada Lovelace')!;
  const charles = demo!.find((customer) => customer.name === 'Charles Babbage')!;

  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${app.url}/`);
  // By keyboard, as someone who does not use a mouse would.
  await page.getByRole('button', { name: 'Sign in as Ada Lovelace' }).focus();
  await page.keyboard.press('Enter');
  const available = await primaryAvailable(ada);
  await page.getByTestId('available-balance').getByText(pounds(available)).waitFor();
  await page.getByText('BABBAGE COFFEE').waitFor();
  expect(await unnamedControls(page)).toEqual([]);
  await screenshot(page, 'app-normal');

  // Freeze the card: primary records it.
  await page.getByRole('button', { name: `Freeze card ending ${ada.cardLast4}` }).click();
  await page.getByTestId(`card-status-${ada.cardLast4}`).getByText('Frozen').waitFor();
  const cards = await http<{ cards: { last4: string; status: string }[] }>('GET', `${stack.urls.primary}/accounts/${ada.accountId}/cards`, {
    token: ada.token,
  });
  expect(cards.body.cards.find((card) => card.last4 === ada.cardLast4)?.status).toBe('frozen');
  await screenshot(page, 'app-card-frozen');

  // The console, open through the incident.
  const console = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
  console.on('pageerror', (error) => errors.push(`console: ${error.message}`));
  await console.goto(`${app.url}/console`);
  await console.getByTestId('no-alerts').waitFor();

  // Stand-in has what primary has (the freeze, the balance) before primary goes.
  await eventually(
    'stand-in to have the balance',
    () => standinSpendable(ada),
    (spendable) => spendable === available,
    60_000,
  );
  await eventually(
    'stand-in to have the freeze',
    async () =>
      (await http<{ cards: { last4: string; status: string }[] }>('GET', `${stack.urls.standin}/accounts/${ada.accountId}/cards`, { token: ada.token })).body
        .cards,
    (standinCards) => standinCards.some((card) => card.last4 === ada.cardLast4 && card.status === 'frozen'),
    60_000,
  );

  // Primary is SIGKILLed; the engineer sends card traffic and apps to stand-in.
  await stack.primary.kill();
  await cli('direct-connect', 'on', '--reason', 'INC-20 primary down', '--yes');
  await cli('redirect-apps', '--all', '--reason', 'INC-20 primary down', '--yes');

  // The app flips without a reload: the stand-in experience, the balance with its "as of".
  await page.getByTestId('standin-banner').waitFor({ timeout: 30_000 });
  await page.getByTestId('available-balance').getByText(pounds(available)).waitFor();
  await page.getByTestId('balance-as-of').waitFor();
  expect(await page.getByTestId('talking-to').getAttribute('data-platform')).toBe('standin');
  await page.getByText('Pots').first().waitFor();
  expect(await unnamedControls(page)).toEqual([]);
  await screenshot(page, 'app-standin');

  await console.getByTestId('alert-primary-unreachable').waitFor({ timeout: 30_000 });
  await console.getByTestId('gateway-destination').getByText('STAND-IN').waitFor({ timeout: 30_000 });
  await screenshot(console, 'console-primary-down');

  // Pay a payee (synced from primary) from the stand-in experience.
  await page.getByLabel('Pay', { exact: true }).selectOption({ label: 'A Friend (200000 12345678)' });
  await page.getByLabel('Amount (£)').fill('10.00');
  await page.getByLabel('Reference (optional)').fill('INCIDENT');
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await page.getByText('Sent £10.00 to A Friend.').waitFor({ timeout: 30_000 });
  await page
    .getByTestId('available-balance')
    .getByText(pounds(available - 10_00))
    .waitFor({ timeout: 30_000 });
  await screenshot(page, 'app-standin-paid');

  // A payment that gets no answer (stand-in paused mid-request), the page reloaded, then "Try
  // again": the same Idempotency-Key, so stand-in pays it once.
  await page.getByLabel('Pay', { exact: true }).selectOption({ label: `Charles Babbage (${charles.sortCode} ${charles.accountNumber})` });
  await page.getByLabel('Amount (£)').fill('5.00');
  await page.getByLabel('Reference (optional)').fill('RETRY');
  stack.standin.pause();
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await page.getByTestId('send-outcome').getByText('we do not know whether £5.00 to Charles Babbage was sent').waitFor({ timeout: 30_000 });
  await screenshot(page, 'app-standin-no-answer');
  stack.standin.resume();
  const retryPayments = async () =>
    (
      await http<{ transactions: { description: string }[] }>('GET', `${stack.urls.standin}/accounts/${ada.accountId}/transactions`, { token: ada.token })
    ).body.transactions.filter((transaction) => transaction.description.includes('RETRY')).length;
  // The request the app gave up on was made all the same once stand-in resumed: a new key would now pay twice.
  await eventually('stand-in to have made the payment nobody heard the answer to', retryPayments, (count) => count === 1, 30_000);
  await page.reload();
  await page.getByTestId('standin-banner').waitFor({ timeout: 30_000 });
  await page.getByRole('button', { name: 'Try again', exact: true }).click();
  await page.getByText('Sent £5.00 to Charles Babbage.').waitFor({ timeout: 30_000 });
  expect(await retryPayments()).toBe(1);
  await page
    .getByTestId('available-balance')
    .getByText(pounds(available - 15_00))
    .waitFor({ timeout: 30_000 });

  // Primary comes back and applies stand-in's advices; the engineer turns direct connect off and rolls the apps back.
  await stack.primary.restart();
  await eventually(
    "primary to apply stand-in's payment",
    () => primaryAvailable(ada),
    (value) => value === available - 15_00,
    120_000,
  );
  await eventually(
    'nothing in flight',
    async () =>
      (await http<{ advicesInFlight?: { notPublished: number; publishedNotApplied: number } }>('GET', `${stack.urls.standin}/status`, { token: null })).body,
    (status) => status.advicesInFlight !== undefined && status.advicesInFlight.notPublished + status.advicesInFlight.publishedNotApplied === 0,
    120_000,
  );
  await cli('direct-connect', 'off', '--reason', 'INC-20 primary back', '--yes');
  await cli('rollback-apps', '--step', '50', '--interval', '1s', '--reason', 'INC-20 primary back', '--yes');

  // The app flips back (no reload), and the payment is in primary's feed once.
  await page.getByTestId('standin-banner').waitFor({ state: 'detached', timeout: 30_000 });
  expect(await page.getByTestId('talking-to').getAttribute('data-platform')).toBe('primary');
  await page.getByTestId('settled-balance').waitFor();
  await page.getByText('A Friend: INCIDENT').waitFor({ timeout: 30_000 });
  expect(await page.getByText('A Friend: INCIDENT').count()).toBe(1);
  const feed = await http<{ transactions: { description: string }[] }>('GET', `${stack.urls.primary}/accounts/${ada.accountId}/transactions?limit=100`, {
    token: ada.token,
  });
  expect(feed.body.transactions.filter((transaction) => transaction.description.includes('INCIDENT'))).toHaveLength(1);
  expect(feed.body.transactions.filter((transaction) => transaction.description.includes('RETRY'))).toHaveLength(1);
  await screenshot(page, 'app-back-on-primary');

  // Kafka is killed: stand-in stops hearing primary, and the console says so.
  await console.getByTestId('no-alerts').waitFor({ timeout: 60_000 });
  await stack.infra.kill('kafka');
  await console.getByTestId('alert-sync-lag').waitFor({ timeout: 30_000 });
  expect(await console.getByTestId('sync-lag').getAttribute('data-alerting')).toBe('true');
  await screenshot(console, 'console-kafka-killed');
  await stack.infra.start('kafka');
  await console.getByTestId('alert-sync-lag').waitFor({ state: 'detached', timeout: 90_000 });

  expect(errors).toEqual([]);
}, 600_000);
