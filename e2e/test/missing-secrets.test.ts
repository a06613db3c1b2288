import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { loadInfraConfig, REPOSITORY_ROOT } from '@bank/infra';
import { gatewayService } from '../src/stack/gateway-service';
import type { ServiceDefinition } from '../src/stack/service-process';
import { adviceConsumerService, primaryService, standinService, syncerService } from '../src/stack/services';

// Secrets fail closed: outside local mode (BANK_MODE=local) every service refuses to start without
// each of its secrets, exits non-zero and names the one missing, rather than running on a public
// development value. Each service is started as its test stack starts it, minus the local mode,
// with real-looking secrets for everything but the one taken away.

const key = () => randomBytes(32).toString('base64');
const token = () => randomBytes(24).toString('hex');

/** A value of the right shape for every secret any service reads (outside local mode nothing is derived). */
const SECRET_VALUES: Record<string, () => string> = {
  PRIMARY_PAN_KEY_A: key,
  PRIMARY_PAN_INDEX_KEY: key,
  STANDIN_PAN_SEAL_KEY: key,
  STANDIN_PAN_LOOKUP_KEY: key,
  GATEWAY_PAN_SEAL_KEY: key,
  // Each service identity's own credential.
  GATEWAY_TOKEN: token,
  NETWORK_TOKEN: token,
  PRIMARY_TOKEN: token,
  STANDIN_TOKEN: token,
  ADVICE_CONSUMER_TOKEN: token,
  CARD_MANUFACTURER_TOKEN: token,
  ONBOARDING_TOKEN: token,
  OPERATOR_TOKENS: () => `operator-one:${token()}`,
  GATEWAY_DATA_DIR: () => path.join(loadInfraConfig().dataDir, 'e2e', 'missing-secrets', 'gateway'),
};

const config = loadInfraConfig();
const run = 'missing-secrets';
const urls = { primary: 'http://127.0.0.1:1', standin: 'http://127.0.0.1:1' };

/** Each service, as its test stack starts it, and what it must not start without. */
const SERVICES: { definition: ServiceDefinition; secrets: string[] }[] = [
  {
    definition: primaryService(config, run),
    secrets: [
      'PRIMARY_PAN_KEY_A',
      'PRIMARY_PAN_INDEX_KEY',
      'PRIMARY_TOKEN',
      'GATEWAY_TOKEN',
      'STANDIN_TOKEN',
      'ADVICE_CONSUMER_TOKEN',
      'CARD_MANUFACTURER_TOKEN',
      'ONBOARDING_TOKEN',
      'OPERATOR_TOKENS',
    ],
  },
  {
    definition: standinService(config, run),
    secrets: ['STANDIN_PAN_SEAL_KEY', 'STANDIN_PAN_LOOKUP_KEY', 'STANDIN_TOKEN', 'PRIMARY_TOKEN', 'GATEWAY_TOKEN', 'ADVICE_CONSUMER_TOKEN', 'OPERATOR_TOKENS'],
  },
  { definition: syncerService(config, run), secrets: ['STANDIN_PAN_SEAL_KEY', 'STANDIN_PAN_LOOKUP_KEY'] },
  { definition: adviceConsumerService(config, run, urls), secrets: ['ADVICE_CONSUMER_TOKEN', 'OPERATOR_TOKENS'] },
  { definition: gatewayService(config, run, urls), secrets: ['GATEWAY_TOKEN', 'NETWORK_TOKEN', 'GATEWAY_PAN_SEAL_KEY', 'GATEWAY_DATA_DIR'] },
];

/** Runs the service until it exits (or 20 s pass: it started, which is the failure this test looks for). */
function runUntilExit(definition: ServiceDefinition, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(REPOSITORY_ROOT, definition.entry)], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const started = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('close', (code) => {
      clearTimeout(started);
      resolve({ code, stderr });
    });
  });
}

/** The service's test-stack environment outside local mode, with every one of `secrets` given but `missing`. */
function productionEnvironment(definition: ServiceDefinition, secrets: readonly string[], missing: string | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...definition.env, LOG_LEVEL: 'warn' };
  delete env.BANK_MODE;
  for (const name of Object.keys(SECRET_VALUES)) {
    delete env[name];
    delete env[`${name}_FILE`];
  }
  for (const name of secrets) if (name !== missing) env[name] = (SECRET_VALUES[name] ?? token)();
  return env;
}

describe.each(SERVICES.map((service) => [service.definition.name, service] as const))('%s outside local mode', (_name, service) => {
  test.each(service.secrets)('when %s is missing, then it exits non-zero naming it', async (missing) => {
    const { code, stderr } = await runUntilExit(service.definition, productionEnvironment(service.definition, service.secrets, missing));
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(stderr).toContain(missing);
    // Only what is missing is named: the others were given.
    for (const given of service.secrets.filter((name) => name !== missing)) expect(stderr).not.toContain(`${given} is`);
  });

  test('when none of its secrets is given, then it names every one of them at once', async () => {
    const { code, stderr } = await runUntilExit(service.definition, productionEnvironment(service.definition, [], undefined));
    expect(code).not.toBe(0);
    for (const name of service.secrets) expect(stderr).toContain(name);
  });
});
