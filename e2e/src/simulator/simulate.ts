import path from 'node:path';
import { infraEndpoints, loadInfraConfig } from '@bank/infra';
import { openCustomers, waitUntilKnownToStandin } from './customer-onboarding';
import { createGroundTruth, type Exchange } from './ground-truth';
import { startLoad } from './load-generator';
import { createPaymentNetwork, DEFAULT_DEADLINE_MS } from './payment-network';
import { freshSeed, mulberry32 } from './prng';
import { createSchemeMessages } from './scheme-messages';
import { CREDENTIALS } from '../stack/credentials';

// `npm run simulate [-- --rate 20 --customers 50 --seed N]`: the load generator the chaos suite uses,
// against the stack `npm start` runs (card messages through the gateway, Faster Payments credits
// and app transfers to the platform each customer's app is told to use), until Ctrl-C, with a
// one-line summary every few seconds. So a newcomer can watch `standin status`, the sync lag and
// the advices move while they route customers and kill things.

const SUMMARY_EVERY_MS = 5_000;
/** A stop waits for the answers in flight (each has the network's deadline); past this, exit anyway. */
const STOP_DEADLINE_MS = 15_000;
const USAGE = 'usage: npm run simulate -- [--rate <messages per second, default 20>] [--customers <count, default 50>] [--seed <number>]';

interface SimulateOptions {
  readonly rate: number;
  readonly customers: number;
  readonly seed: number;
}

export function parseSimulateArguments(args: readonly string[]): SimulateOptions {
  const values = new Map<string, string>();
  for (let index = 0; index < args.length; index++) {
    // `node infra/bootstrap.cjs simulate -- --rate 5` passes the `--` npm would have taken.
    if (args[index] === '--') continue;
    const [flag, inline] = (args[index] ?? '').split('=', 2);
    if (flag !== '--rate' && flag !== '--customers' && flag !== '--seed') throw new Error(`unknown argument ${args[index]}\n${USAGE}`);
    const value = inline ?? args[++index];
    if (value === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
    values.set(flag, value);
  }
  const positive = (flag: string, fallback: number, max: number) => {
    const raw = values.get(flag);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1 || value > max) throw new Error(`${flag} ${raw}: expected a whole number from 1 to ${max}\n${USAGE}`);
    return value;
  };
  return { rate: positive('--rate', 20, 1_000), customers: positive('--customers', 50, 5_000), seed: positive('--seed', freshSeed(), 2 ** 31) };
}

/** One line: what was sent in the last interval and what it heard, by kind and by deciding platform. */
export function summaryLine(window: readonly Exchange[], totalSent: number, windowMs: number): string {
  const count = (predicate: (exchange: Exchange) => boolean) => window.filter(predicate).length;
  const cards = (exchange: Exchange) => exchange.kind === 'purchase' || exchange.kind === 'atm-withdrawal';
  const latencies = window
    .filter(cards)
    .map((exchange) => exchange.elapsedMs)
    .sort((a, b) => a - b);
  const p99 = latencies.length === 0 ? '-' : `${Math.round(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))] ?? 0)} ms`;
  const failed = count(
    (exchange) => exchange.timing !== 'on-time' || exchange.verdict === 'gateway-no-answer' || exchange.verdict === 'error' || exchange.verdict === 'no-answer',
  );
  return [
    `${new Date().toISOString().slice(11, 19)} ${(window.length / (windowMs / 1000)).toFixed(1)} msg/s (${totalSent} in all)`,
    `cards approved ${count((e) => cards(e) && e.verdict === 'approved')} declined ${count((e) => cards(e) && e.verdict === 'declined')} p99 ${p99}`,
    `fps credits ${count((e) => e.kind === 'fps-credit')}`,
    `transfers ${count((e) => e.kind === 'app-transfer')}`,
    `reversals ${count((e) => e.kind === 'reversal')} clearings ${count((e) => e.kind === 'clearing')}`,
    `decided by primary ${count((e) => e.decidedBy === 'primary')} stand-in ${count((e) => e.decidedBy === 'standin')}`,
    `failed or late ${failed}`,
  ].join(' | ');
}

async function main(): Promise<void> {
  const options = parseSimulateArguments(process.argv.slice(2));
  const config = loadInfraConfig();
  // The running stack's addresses, as `npm start` chose them (the same variables, the same defaults).
  const url = (variable: string, fallback: number) => `http://127.0.0.1:${process.env[variable] ?? fallback}`;
  const urls = { primary: url('PRIMARY_PORT', 8100), standin: url('STANDIN_PORT', 8200) };
  const gatewayUrl = url('GATEWAY_PORT', 8500);
  for (const [name, base] of [
    ['primary', urls.primary],
    ['stand-in', urls.standin],
    ['gateway', gatewayUrl],
  ] as const) {
    const healthy = await fetch(`${base}/health`, { signal: AbortSignal.timeout(3_000) }).then(
      (response) => response.ok,
      () => false,
    );
    if (!healthy) throw new Error(`${name} does not answer at ${base}/health: start the bank first (npm start), in another terminal`);
  }
  const prng = mulberry32(options.seed);
  console.log(`opening ${options.customers} customers in primary (seed ${options.seed}) ...`);
  const customers = await openCustomers({
    primaryUrl: urls.primary,
    // npm start's stack runs in local mode: the development credentials (or the variables, when set).
    credentials: {
      onboarding: process.env.ONBOARDING_TOKEN ?? CREDENTIALS.onboarding,
      cardManufacturer: process.env.CARD_MANUFACTURER_TOKEN ?? CREDENTIALS['card-manufacturer'],
      gateway: process.env.GATEWAY_TOKEN ?? CREDENTIALS.gateway,
    },
    count: options.customers,
    fundedMinor: 100_000,
  });
  const known = await waitUntilKnownToStandin(infraEndpoints(config).postgres.standin, customers, 120_000);
  console.log(
    `stand-in knows them (after ${(known.waitedMs / 1000).toFixed(1)} s); sending ${options.rate} messages/s through the gateway at ${gatewayUrl}; Ctrl-C stops`,
  );
  const truth = createGroundTruth(path.join(config.dataDir, 'simulate', new Date().toISOString().replace(/[:.]/g, '-')));
  console.log(`every exchange is written to ${path.relative(process.cwd(), truth.file)}`);
  const network = createPaymentNetwork({ gatewayUrl, networkToken: process.env.NETWORK_TOKEN ?? CREDENTIALS.network, truth, deadlineMs: DEFAULT_DEADLINE_MS });
  const load = startLoad({ prng, ratePerSecond: options.rate, customers, network, messages: createSchemeMessages(prng), truth, urls });

  let reported = 0;
  let last = Date.now();
  const summary = setInterval(() => {
    const all = truth.all();
    const now = Date.now();
    console.log(summaryLine(all.slice(reported), all.length, now - last));
    reported = all.length;
    last = now;
  }, SUMMARY_EVERY_MS);

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    clearInterval(summary);
    console.log('\nstopping: waiting for the answers in flight ...');
    setTimeout(() => process.exit(1), STOP_DEADLINE_MS).unref();
    void load
      .stop()
      .then(() => truth.close())
      .then(() => {
        console.log(`sent ${truth.all().length} messages; every exchange is in ${truth.file}`);
        process.exit(0);
      });
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, stop);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(`simulate: ${(error as Error).message}`);
    process.exit(1);
  });
}
