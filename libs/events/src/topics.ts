/**
 * The topics are the contract between producers (the gateway, internal services) and the consumer
 * apps. Documented in docs/events.md. Names are `<prefix>.<name>`; the prefix defaults to
 * `revstream` and exists so several environments (or test runs) can share one cluster.
 */
export type RawSource = 'revlint' | 'pulsora' | 'revnu' | 'valued' | 'revenium';
export const RAW_SOURCES: readonly RawSource[] = ['revlint', 'pulsora', 'revnu', 'valued', 'revenium'];

export type TopicName =
  | `raw.${RawSource}`
  | 'catalog'
  | 'clock'
  | 'dead-letter';

export interface TopicSpec {
  readonly name: TopicName;
  readonly description: string;
}

export const TOPIC_SPECS: readonly TopicSpec[] = [
  { name: 'raw.revlint', description: 'Revenue Linter product events, one record per event of a batch' },
  { name: 'raw.pulsora', description: 'Pulsora revenue events, and pageview/event/identify product activity' },
  { name: 'raw.revnu', description: 'Revnu usage reports' },
  { name: 'raw.valued', description: 'Valued revenue snapshots: customers, subscriptions, items, plans, prices, invoices' },
  { name: 'raw.revenium', description: 'Revenium metering events' },
  { name: 'catalog', description: 'Tenant catalog changes made by operators (Revnu products)' },
  { name: 'clock', description: 'Clock ticks: time as part of the log, for projections that react to time passing' },
  { name: 'dead-letter', description: 'Events a consumer accepted but could not parse or apply, with the reason' },
];

/**
 * Every topic keeps its records forever, and time-based retention can never delete a backdated
 * event: retention.ms=-1, and the record timestamp is the broker's append time, not the event's.
 */
export const TOPIC_CONFIG: Readonly<Record<string, string>> = {
  'retention.ms': '-1',
  'retention.bytes': '-1',
  'message.timestamp.type': 'LogAppendTime',
  'cleanup.policy': 'delete',
};

export class Topics {
  constructor(readonly prefix: string) {}

  name(topic: TopicName): string {
    return `${this.prefix}.${topic}`;
  }

  raw(source: RawSource): string {
    return this.name(`raw.${source}`);
  }

  get allRaw(): string[] {
    return RAW_SOURCES.map((s) => this.raw(s));
  }

  get all(): string[] {
    return TOPIC_SPECS.map((s) => this.name(s.name));
  }
}
