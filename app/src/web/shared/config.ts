// What the app server tells the page: where the two platforms are (the browser calls them
// directly), how often to poll, and in local mode the demo helpers.

export interface PageConfig {
  readonly primaryUrl: string;
  readonly standinUrl: string;
  readonly statusPollMs: number;
  readonly local: boolean;
  readonly syncLagAppetiteMs: number;
  readonly localOperatorToken?: string;
}

export async function loadPageConfig(): Promise<PageConfig> {
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await fetch('/config.json', { signal: AbortSignal.timeout(5_000) });
      if (response.ok) return (await response.json()) as PageConfig;
    } catch {
      // The page came from this server a moment ago: try again shortly.
    }
    if (attempt >= 5) throw new Error('could not load the app settings from the server');
    await new Promise((resolve) => setTimeout(resolve, 1_000 * attempt));
  }
}
