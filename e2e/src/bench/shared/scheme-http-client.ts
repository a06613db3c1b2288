import http from 'node:http';
import { bearerOf } from '../../stack/credentials';

// Node's own http module with a keep-alive agent: the cheapest client available without new
// dependencies, so that on a shared 2-core machine the load generator takes as little CPU from
// primary and PostgreSQL as it can.

/**
 * `decidedBy` is the platform that answered ('primary' or 'standin'), when the answer says. A
 * non-200 answer may still carry a response code: the gateway's 504 says `91` to the network.
 */
export type PostOutcome =
  | { readonly ok: true; readonly responseCode: string; readonly decidedBy?: string }
  | { readonly ok: false; readonly kind: string; readonly responseCode?: string };

export interface SchemeHttpClient {
  postAuthorisation(body: string): Promise<PostOutcome>;
  close(): void;
}

export function schemeHttpClient(options: {
  baseUrl: string;
  maxSockets: number;
  requestTimeoutMs: number;
  presentAs: 'gateway' | 'network';
}): SchemeHttpClient {
  const url = new URL('/scheme/card/authorisations', options.baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.maxSockets, maxFreeSockets: options.maxSockets });
  return {
    postAuthorisation(body) {
      return new Promise((resolve) => {
        const request = http.request(
          {
            agent,
            host: url.hostname,
            port: url.port,
            path: url.pathname,
            method: 'POST',
            // The bench stands where the gateway does (the platforms' scheme routes are the gateway's),
            // or where the payment network does when it calls the gateway.
            headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...bearerOf(options.presentAs) },
          },
          (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('error', () => resolve({ ok: false, kind: 'response-aborted' }));
            response.on('end', () => {
              let answer: { responseCode?: unknown; decidedBy?: unknown } | undefined;
              try {
                answer = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof answer;
              } catch {
                answer = undefined;
              }
              const responseCode = typeof answer?.responseCode === 'string' ? answer.responseCode : undefined;
              if (response.statusCode !== 200) return resolve({ ok: false, kind: `http-${response.statusCode}`, ...(responseCode ? { responseCode } : {}) });
              if (!answer) return resolve({ ok: false, kind: 'invalid-json' });
              if (!responseCode) return resolve({ ok: false, kind: 'no-response-code' });
              resolve({ ok: true, responseCode, ...(typeof answer.decidedBy === 'string' ? { decidedBy: answer.decidedBy } : {}) });
            });
          },
        );
        request.setTimeout(options.requestTimeoutMs, () => request.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
        // Only the error code is kept: a request body (with its PAN) never reaches the output.
        request.on('error', (error: NodeJS.ErrnoException) =>
          resolve({ ok: false, kind: error.code === 'TIMEOUT' ? 'timeout' : `connection-${error.code ?? 'error'}` }),
        );
        request.end(body);
      });
    },
    close: () => agent.destroy(),
  };
}
