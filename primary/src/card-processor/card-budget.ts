/**
 * How long primary may take over a card message, from receipt to answer, whatever its database
 * does (PRIMARY_CARD_BUDGET_MS): below the gateway's wait for primary (its 1,500 ms card deadline
 * less the 150 ms it keeps for its own answer), so the network hears primary's answer rather than
 * the gateway's 504, and the gateway's breaker sees primary answering. It also covers a message
 * proxied to stand-in (STANDIN_PROXY_TIMEOUT_MS, 1,000 ms, is inside it).
 */
export const DEFAULT_CARD_BUDGET_MS = 1_100;

/**
 * Connections of the card authorisation path's own pool. Each authorisation is one round trip
 * holding a connection for its few hundred microseconds; more connections than PostgreSQL has cores
 * to run them mostly add context switches and lock queues (measured with `npm run bench --
 * primary-auth`, see the README).
 */
export const DEFAULT_CARD_POOL_SIZE = 8;
