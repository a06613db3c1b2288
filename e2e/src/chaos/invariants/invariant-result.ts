import type { InfraConfig } from '@bank/infra';
import type { Pool } from 'pg';
import type { Exchange } from '../../simulator/ground-truth';
import type { OutboundPaymentReceived } from '../../simulator/faster-payments-scheme';
import type { FrozenCard } from '../../simulator/load-generator';
import type { SimulatedCustomer } from '../../simulator/simulated-customer';
import type { PlatformUrls } from '../../stack/services';

/** One of DESIGN.md's eight invariants, checked after a scenario: passed or not, and the evidence either way. */
export interface InvariantResult {
  readonly id: 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;
  readonly name: string;
  readonly passed: boolean;
  /** One line: what was checked and what was found. */
  readonly summary: string;
  /** What was found wrong (with keys, ids and both sides' values), and what was covered. */
  readonly evidence: Record<string, unknown>;
}

/** Everything the checks read: the run's own databases and services, and the simulators' ground truth. */
export interface InvariantContext {
  readonly primaryDb: Pool;
  readonly standinDb: Pool;
  readonly urls: PlatformUrls;
  readonly adviceConsumerUrl: string;
  readonly operatorToken: string;
  readonly customers: readonly SimulatedCustomer[];
  readonly exchanges: readonly Exchange[];
  readonly schemeReceived: readonly OutboundPaymentReceived[];
  readonly frozenCards: readonly FrozenCard[];
  /** The run's service logs. */
  readonly logDirectory: string;
  readonly kafkaBrokers: readonly string[];
  /** The run's own primary.events topic (under its prefix). */
  readonly primaryEventsTopic: string;
  readonly runStartedAtMs: number;
  /** The run's Pub/Sub project, whose advice topics invariant 7 reads; absent: not scanned (said so). */
  readonly pubsub?: { readonly config: InfraConfig; readonly projectId: string };
}

/** Evidence lists are capped so a report stays readable; the count says how many there were. */
export const EVIDENCE_LIMIT = 20;

export function listed<T>(items: readonly T[]): { count: number; first: readonly T[] } {
  return { count: items.length, first: items.slice(0, EVIDENCE_LIMIT) };
}

export const keyOf = (key: { stan: string; rrn: string; terminalId: string }) => `${key.stan}/${key.rrn}/${key.terminalId}`;
