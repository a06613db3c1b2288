import pino from 'pino';
import { createStandinServer, type StandinServerDependencies } from '../src/app/server';
import { operatorsFromEnvironment } from '../src/configuration/operators';
import { createCardDesk } from '../src/payments/card-desk';
import { createFasterPaymentsDesk } from '../src/payments/faster-payments-desk';
import type { Database } from '../src/store/database';
import { testKeys } from './synced-state';
import { TEST_SERVICES } from './test-credentials';
import { fixedRules } from '../src/payments/standin-rules';

/** Stand-in's server on `database` as main.ts builds it (desks, keys), with what a test changes: its credentials, operators, limits, app origins, clock. */
export function testStandinServer(
  database: Database,
  options: Partial<Pick<StandinServerDependencies, 'services' | 'rateLimits' | 'appOrigins' | 'now' | 'autopilot'>> & { readonly operatorTokens?: string } = {},
) {
  const now = options.now ?? (() => new Date());
  return createStandinServer({
    database,
    logger: pino({ level: 'silent' }),
    now,
    keys: testKeys,
    services: options.services ?? TEST_SERVICES,
    operators: operatorsFromEnvironment({ OPERATOR_TOKENS: options.operatorTokens ?? 'test-operator:test-operator-token' }),
    cards: createCardDesk({ database, keys: testKeys, rules: fixedRules({ maxPerPaymentMinor: 100_000, maxPerAccountPerDayMinor: 1_000_000 }), now }),
    fasterPayments: createFasterPaymentsDesk({ database, now }),
    ...(options.rateLimits ? { rateLimits: options.rateLimits } : {}),
    ...(options.appOrigins ? { appOrigins: options.appOrigins } : {}),
    ...(options.autopilot ? { autopilot: options.autopilot } : {}),
  });
}
