export * from './component';
export * from './config';
export * from './infra';
export * from './infra-error';
export { pubsubClient } from './components/pubsub';
export type { ComponentStatus } from './lifecycle';
export { ensureDevelopmentKeys, type DevelopmentKeyFiles } from './development-keys';
export { ensureKafkaTopics, deleteKafkaTopics } from './kafka-topics';
export {
  haproxyConfiguration,
  startLoadBalancer,
  requireHaproxy,
  LOAD_BALANCER_DEFAULTS,
  type LoadBalancerOptions,
  type RunningLoadBalancer,
} from './load-balancer';
export * from './hosts/hosts-topology';
export { assertHostsAvailable, createHostNetwork, hostNetworkExists, removeHostNetwork, processesInNamespaces } from './hosts/host-network';
export { cutLink, restoreLink, restoreAllLinks, cutLinks, isCut, type Link } from './hosts/partition';
export { inNamespace } from './hosts/in-namespace';
export { CHROMIUM_VARIABLE, requireChromium } from './browser';
