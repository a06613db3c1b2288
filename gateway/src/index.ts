export { gatewayConfigFromEnvironment, GATEWAY_DEFAULTS, type GatewayConfig, type BreakerSettings } from './config';
export { createGateway, type Gateway } from './gateway';
export { routeFor, decideDestination, afterPrimaryFailure, type Route, type RoutingInputs, type Platform, type BreakerState } from './destination';
export { GATEWAY_ERROR_CODES, NO_ANSWER_RESPONSE_CODE, GatewayError } from './errors';
export { SCHEME_MESSAGES, type SchemeMessageKind } from './scheme-messages';
export type { RoutingSnapshot } from './routing';
