import { startFasterPaymentsScheme } from './faster-payments-scheme';

// The Faster Payments scheme as a process of its own, for `npm start`: the endpoint both
// platforms submit outbound payments to (FASTER_PAYMENTS_SCHEME_URL), so a payment made in the
// running stack is answered (accepted, or rejected for a creditor named "Closed Account") instead
// of staying `submitted` and retried for ever. Environment: PORT (default 8600).

/** A stop closes open connections at once; past this, exit anyway. */
const SHUTDOWN_DEADLINE_MS = 5_000;

async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 8600);
  const scheme = await startFasterPaymentsScheme({ port });
  console.log(`${new Date().toISOString()} Faster Payments scheme listening at ${scheme.url} (POST ${scheme.url}/payments)`);
  const summary = setInterval(() => {
    const received = scheme.received();
    if (received.length > 0) {
      const rejected = received.filter((payment) => payment.answer.status === 'rejected').length;
      console.log(`${new Date().toISOString()} ${received.length} outbound payments received (${rejected} rejected)`);
    }
  }, 60_000);
  summary.unref();
  const stop = () => {
    setTimeout(() => process.exit(1), SHUTDOWN_DEADLINE_MS).unref();
    clearInterval(summary);
    void scheme.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error(`Faster Payments scheme failed to start: ${(error as Error).message}`);
  process.exit(1);
});
