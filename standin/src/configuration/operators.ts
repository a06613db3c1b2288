import { sameSecret } from '../app/credentials';

// Incident engineers' tokens for the configuration API. A customer's app token is never one of
// these: configuration moves every customer's payments, so only named operators may change it.

export interface Operators {
  /** The operator a bearer token belongs to, or undefined. */
  identify(token: string | undefined): string | undefined;
}

/** The operator name stand-in's autopilot makes its changes as (autopilot/autopilot-store.ts). */
export const RESERVED_OPERATOR_NAME = 'autopilot';

/** `OPERATOR_TOKENS` is `name:token,name:token`; stand-in's configuration supplies it (see config.ts). */
export function operatorsFromEnvironment(env: NodeJS.ProcessEnv): Operators {
  const raw = env.OPERATOR_TOKENS;
  if (!raw) throw new Error('OPERATOR_TOKENS is not set: name:token pairs, comma-separated');
  const operators = raw.split(',').map((pair) => {
    const at = pair.indexOf(':');
    const name = pair.slice(0, at).trim();
    const token = pair.slice(at + 1).trim();
    if (at <= 0 || !token)
      throw new Error(`OPERATOR_TOKENS has "${name || pair.slice(0, 20)}…" without a name and token: expected name:token pairs, comma-separated`);
    // The autopilot's changes are audited under its name: no person may act as it.
    if (name === RESERVED_OPERATOR_NAME)
      throw new Error(
        `OPERATOR_TOKENS names an operator "${RESERVED_OPERATOR_NAME}": that name is the autopilot's, reserved so the audit tells it from people`,
      );
    return { name, token };
  });
  return {
    identify(token) {
      if (!token) return undefined;
      // Compare with every operator so the time taken says nothing about which one nearly matched.
      // One name may hold two tokens during a rotation (name:old,name:new).
      let found: string | undefined;
      for (const operator of operators) if (sameSecret(token, operator.token)) found ??= operator.name;
      return found;
    },
  };
}
