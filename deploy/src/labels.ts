import type { ServiceSpec } from './services.js';

// The labels that select a service's pods: its Deployment's selector, its Service's, its network
// policies' and its disruption budget's all come from here, so they cannot drift apart.

export function labelsOf(spec: Pick<ServiceSpec, 'name'>): Record<string, string> {
  return { 'app.kubernetes.io/name': spec.name, 'app.kubernetes.io/part-of': 'bank' };
}
