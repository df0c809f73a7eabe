import type { Kafka } from 'kafkajs';
import { TOPIC_CONFIG, Topics } from '@revstream/events';

export interface TopicProvisioning {
  partitions: number;
  replicationFactor: number;
}

/**
 * Creates every Revstream topic that is missing, with retention that can never delete an event:
 * retention.ms=-1 and LogAppendTime (see docs/events.md). Idempotent; safe to run from every app at boot.
 */
export async function ensureTopics(kafka: Kafka, topics: Topics, provisioning: TopicProvisioning): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.all.filter((t) => !existing.has(t));
    if (missing.length > 0) {
      try {
        await admin.createTopics({
          waitForLeaders: true,
          topics: missing.map((topic) => ({
            topic,
            numPartitions: provisioning.partitions,
            replicationFactor: provisioning.replicationFactor,
            configEntries: Object.entries(TOPIC_CONFIG).map(([name, value]) => ({ name, value })),
          })),
        });
      } catch (error) {
        // Another app created them at the same moment: fine, as long as they exist now.
        const now = new Set(await admin.listTopics());
        const stillMissing = missing.filter((t) => !now.has(t));
        if (stillMissing.length > 0) throw error;
      }
    }
    return missing;
  } finally {
    await admin.disconnect();
  }
}

export interface TopicRetention {
  topic: string;
  retentionMs: string;
  retentionBytes: string;
  timestampType: string;
  cleanupPolicy: string;
}

/** The retention settings a topic has now, as the broker reports them. */
export async function describeRetention(kafka: Kafka, topicNames: string[]): Promise<TopicRetention[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: topicNames.map((name) => ({ type: 2 /* TOPIC */, name })),
    });
    return resources.map((r) => {
      const get = (key: string): string => r.configEntries.find((e) => e.configName === key)?.configValue ?? '';
      return {
        topic: r.resourceName,
        retentionMs: get('retention.ms'),
        retentionBytes: get('retention.bytes'),
        timestampType: get('message.timestamp.type'),
        cleanupPolicy: get('cleanup.policy'),
      };
    });
  } finally {
    await admin.disconnect();
  }
}

/** Why a topic's retention could drop events a rebuild needs; null when it keeps everything. */
export function retentionProblem(r: TopicRetention): string | null {
  if (r.retentionMs !== '-1') return `${r.topic} has retention.ms=${r.retentionMs}: records older than that are deleted`;
  if (r.retentionBytes !== '-1') return `${r.topic} has retention.bytes=${r.retentionBytes}: old segments are deleted past that size`;
  if (r.cleanupPolicy.includes('compact')) return `${r.topic} has cleanup.policy=${r.cleanupPolicy}: compaction drops all but the last record of a key`;
  return null;
}
