import type { ClientConfig } from '@google-cloud/pubsub';

// How stand-in's advice relay reaches Pub/Sub: Google's own service in production, the emulator in
// local mode only (config.ts refuses PUBSUB_EMULATOR_HOST outside it).

/** Google Cloud Pub/Sub's global endpoint. Named outright so that no stray variable (the client also reads PUBSUB_EMULATOR_HOST and CLOUDSDK_API_ENDPOINT_OVERRIDES_PUBSUB itself) can point a production client elsewhere. */
export const GOOGLE_PUBSUB_ENDPOINT = 'pubsub.googleapis.com';

export interface PubSubSettings {
  /** PUBSUB_PROJECT_ID: the Google Cloud project holding the advice topics (required outside local mode). */
  readonly projectId: string;
  /** PUBSUB_EMULATOR_HOST: host:port of the emulator; local mode only. */
  readonly emulatorHost: string | undefined;
}

/**
 * The options the Pub/Sub client is built with. Against the real service the client authenticates
 * with Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, a workload identity, or the
 * metadata server) over TLS; the project is always the configured one, never guessed from them.
 */
export function pubsubClientOptions(settings: PubSubSettings): ClientConfig {
  if (settings.emulatorHost) return { projectId: settings.projectId, apiEndpoint: settings.emulatorHost, emulatorMode: true };
  return { projectId: settings.projectId, apiEndpoint: GOOGLE_PUBSUB_ENDPOINT, emulatorMode: false };
}
