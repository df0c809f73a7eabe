import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { quoteIdent, sqlClient, type SqlClient } from '@revstream/persistence';
import { decodeCursor, type Page, toPage } from '../shared/pagination';
import { READ_DATA_SOURCE } from '../read-database';

export interface DeadLetterSummary {
  total: number;
  byReason: Array<{ consumer: string; reason: string; count: number }>;
}

export interface DeadLetterItem {
  consumer: string;
  topic: string;
  partition: number;
  offset: string;
  eventId: string | null;
  eventType: string | null;
  reason: string;
  detail: string;
  receivedAt: string | null;
  payload: string;
}

interface Row {
  consumer: string;
  topic: string;
  partition: number;
  offset: string;
  event_id: string | null;
  event_type: string | null;
  reason: string;
  detail: string;
  received_at: Date | null;
  payload: string;
}

/** Reads every projection schema's dead_letters table (never a rebuild in progress). */
@Injectable()
export class DeadLettersQuery {
  private readonly db: SqlClient;

  constructor(@Inject(READ_DATA_SOURCE) dataSource: DataSource) {
    this.db = sqlClient(dataSource);
  }

  private async union(columns: string): Promise<string | null> {
    const schemas = await this.db.query<{ schema: string }>(
      `SELECT table_schema AS schema FROM information_schema.tables
        WHERE table_name = 'dead_letters' AND table_schema NOT LIKE '%\\_\\_%' ORDER BY 1`,
    );
    if (schemas.length === 0) return null;
    return schemas.map((s) => `SELECT ${columns} FROM ${quoteIdent(s.schema)}.dead_letters WHERE tenant_id = $1`).join(' UNION ALL ');
  }

  async summary(tenantId: string): Promise<DeadLetterSummary> {
    const union = await this.union('consumer, reason');
    if (union === null) return { total: 0, byReason: [] };
    const rows = await this.db.query<{ consumer: string; reason: string; count: number }>(
      `SELECT consumer, reason, count(*)::int AS count FROM (${union}) d GROUP BY consumer, reason ORDER BY consumer, reason`,
      [tenantId],
    );
    return { total: rows.reduce((s, r) => s + r.count, 0), byReason: rows };
  }

  async list(tenantId: string, filter: { consumer?: string; reason?: string }, cursor: string | undefined, limit: number): Promise<Page<DeadLetterItem>> {
    const union = await this.union('consumer, topic, partition, "offset", event_id, event_type, reason, detail, received_at, payload');
    if (union === null) return { items: [], nextCursor: null };
    const after = decodeCursor(cursor, 4);
    const rows = await this.db.query<Row>(
      `SELECT * FROM (${union}) d
        WHERE ($2::text IS NULL OR consumer = $2) AND ($3::text IS NULL OR reason = $3)
          AND ($4::text IS NULL OR (consumer, topic, partition, "offset") > ($4, $5, $6::int, $7::bigint))
        ORDER BY consumer, topic, partition, "offset" LIMIT $8`,
      [tenantId, filter.consumer ?? null, filter.reason ?? null, after?.[0] ?? null, after?.[1] ?? null, after?.[2] ?? null, after?.[3] ?? null, limit + 1],
    );
    return toPage(
      rows,
      limit,
      (r) => ({
        consumer: r.consumer,
        topic: r.topic,
        partition: r.partition,
        offset: String(r.offset),
        eventId: r.event_id,
        eventType: r.event_type,
        reason: r.reason,
        detail: r.detail,
        receivedAt: r.received_at ? r.received_at.toISOString() : null,
        payload: r.payload,
      }),
      (r) => [r.consumer, r.topic, r.partition, String(r.offset)],
    );
  }
}
