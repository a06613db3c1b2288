// The data-centre gateway as a process. Environment (defaults in brackets): HOST [127.0.0.1], PORT [8500],
// PRIMARY_URL [http://127.0.0.1:8100], STANDIN_URL [http://127.0.0.1:8200],
// GATEWAY_TOKEN [required; a public one in BANK_MODE=local], STANDIN_TOKEN [stand-in's, which
// GET /primary-view admits; required; a public one in BANK_MODE=local], GATEWAY_CONFIG_POLL_MS [1000],
// GATEWAY_AUTO_FAILOVER [off], GATEWAY_CARD_DEADLINE_MS [1500], GATEWAY_FPS_DEADLINE_MS [5000],
// GATEWAY_BREAKER_RESET_MS [5000], GATEWAY_DATA_DIR [.data/gateway in BANK_MODE=local; required
// otherwise], GATEWAY_PAN_SEAL_KEY [required; a public one in BANK_MODE=local],
// GATEWAY_REVERSAL_* (see config.ts), LOG_LEVEL [info]. Its only state on disk: the timeout
// reversals it owes (GATEWAY_DATA_DIR/gateway.sqlite), resumed at start.
import { describeEnvironment, listenHostFromEnvironment } from '@bank/shared-contracts';
import { readGatewayEnvironment } from './config';
import { createGateway } from './gateway';
import { createLogger } from './logger';

/** A stop waits for messages in flight, which each end within their deadline; past this, exit anyway. */
const SHUTDOWN_DEADLINE_MS = 10_000;

async function main(): Promise<void> {
  const environment = readGatewayEnvironment(process.env);
  const config = environment.values;
  const logger = createLogger({ level: config.logLevel });
  const startLine = describeEnvironment(environment);
  logger[startLine.level](startLine.fields, startLine.message);
  const gateway = createGateway(config, logger);
  await gateway.ready;
  const host = listenHostFromEnvironment(process.env);
  await gateway.server.listen({ port: config.port, host });
  logger.info(
    {
      host,
      port: config.port,
      primaryUrl: config.primaryUrl,
      standinUrl: config.standinUrl,
      autoFailover: config.autoFailover ? 'on' : 'off',
      cardDeadlineMs: config.cardDeadlineMs,
      fpsDeadlineMs: config.fpsDeadlineMs,
      configPollMs: config.configPollMs,
      breakerResetMs: config.breaker.resetTimeoutMs,
      dataDir: config.dataDir,
      timeoutReversalsOwed: gateway.reversals.pending(),
      destination: gateway.routing.route().destination,
      reason: gateway.routing.route().reason,
    },
    `gateway listening; automatic failover is ${config.autoFailover ? "ON: traffic goes to stand-in while primary's circuit breaker is open" : 'OFF (set GATEWAY_AUTO_FAILOVER=on to enable it): only direct connect sends traffic to stand-in'}`,
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: answering messages in flight');
    setTimeout(() => {
      logger.error('graceful stop took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    try {
      await gateway.stop();
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'stopping failed');
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(`gateway failed to start: ${(error as Error).message}`);
  process.exit(1);
});
