import fs from 'node:fs';
import path from 'node:path';
import { PubSub } from '@google-cloud/pubsub';
import { PUBSUB_TOPICS, pubsubSubscriptionSettings } from '@bank/shared-contracts';
import type { Component, Probe } from '../component';
import { componentHost, type InfraConfig } from '../config';
import { InfraError } from '../infra-error';
import { findExecutable, requireBinary } from '../prerequisites';

const INSTALL_HINT =
  "the Google Cloud CLI with its Pub/Sub emulator: apt-get install google-cloud-cli google-cloud-cli-pubsub-emulator (from Google's apt repository, packages.cloud.google.com), or `gcloud components install pubsub-emulator`";

/** The emulator's jar, from the installed Google Cloud CLI. */
function findEmulatorJar(): string | undefined {
  const roots = new Set<string>(['/usr/lib/google-cloud-sdk', '/usr/share/google-cloud-sdk', '/opt/google-cloud-sdk']);
  const gcloud = findExecutable('gcloud');
  if (gcloud) roots.add(path.resolve(fs.realpathSync(gcloud), '..', '..'));
  for (const root of roots) {
    const lib = path.join(root, 'platform', 'pubsub-emulator', 'lib');
    if (!fs.existsSync(lib)) continue;
    const jar = fs.readdirSync(lib).find((file) => /^cloud-pubsub-emulator-.*\.jar$/.test(file));
    if (jar) return path.join(lib, jar);
  }
  return undefined;
}

export function pubsubClient(config: InfraConfig): PubSub {
  // The client otherwise probes Google's metadata server for credentials it never uses with the
  // emulator, and warns when that (unreachable) server does not answer.
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  return new PubSub({ projectId: config.pubsubProjectId, apiEndpoint: `${componentHost(config, 'pubsub').address}:${config.pubsubPort}`, emulatorMode: true });
}

/**
 * Google's Pub/Sub emulator, run as its own JVM (not through `gcloud`, whose wrapper would sit
 * between our signals and the server). It holds messages in memory only, so every start
 * recreates the project's topics and subscriptions.
 */
export function pubsubComponent(config: InfraConfig): Component {
  const directory = path.join(config.dataDir, 'pubsub');
  const logFile = path.join(directory, 'pubsub.log');
  let java = '';
  let jar = '';
  const host = componentHost(config, 'pubsub');
  return {
    name: 'pubsub',
    description: `Google Cloud Pub/Sub emulator, project "${config.pubsubProjectId}"`,
    endpoint: `PUBSUB_EMULATOR_HOST=${host.address}:${config.pubsubPort}`,
    ports: [config.pubsubPort],
    ...(host.netns ? { netns: host.netns } : {}),
    directory,
    logFile,
    startTimeoutMs: 60_000,

    ensureInstalled() {
      java = requireBinary({ component: 'pubsub', executable: 'java', debianPackage: 'openjdk-17-jre-headless' });
      const found = findEmulatorJar();
      if (!found) throw new InfraError('INFRA_MISSING_BINARY', 'pubsub', `the Pub/Sub emulator is not installed. Install ${INSTALL_HINT}`);
      jar = found;
    },

    async prepare() {
      fs.mkdirSync(directory, { recursive: true });
    },

    launchSpec() {
      return {
        command: java,
        // The emulator holds every undelivered message on its heap: with 256 MiB, the 100,000-advice
        // backlog of `npm run bench -- advice-drain` (an outage's worth) filled it, and it spent its
        // time in full collections (old generation 99.99 % full, 460 of them) and delivered nothing.
        args: ['-Xms64m', '-Xmx1g', '-jar', jar, `--host=${host.address}`, `--port=${config.pubsubPort}`],
        cwd: directory,
        logFile,
      };
    },

    async probe(timeoutMs: number): Promise<Probe> {
      try {
        const response = await fetch(`http://${host.address}:${config.pubsubPort}/`, { signal: AbortSignal.timeout(timeoutMs) });
        const body = (await response.text()).trim();
        return response.ok && body === 'Ok' ? { healthy: true } : { healthy: false, reason: `unexpected answer ${response.status} ${body.slice(0, 80)}` };
      } catch (error) {
        return { healthy: false, reason: (error as Error).message };
      }
    },

    async provision() {
      const client = pubsubClient(config);
      try {
        for (const spec of Object.values(PUBSUB_TOPICS)) {
          const topic = client.topic(spec.topic);
          const [topicExists] = await topic.exists();
          if (!topicExists) await topic.create();
          const subscription = topic.subscription(spec.subscription);
          const [subscriptionExists] = await subscription.exists();
          if (!subscriptionExists) {
            await topic.createSubscription(spec.subscription, pubsubSubscriptionSettings(spec));
          }
        }
      } finally {
        await client.close();
      }
    },
  };
}
