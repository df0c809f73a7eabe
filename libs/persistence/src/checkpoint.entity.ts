import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The last offset a consumer applied on a partition; lives in each projection schema. */
@Entity({ name: 'checkpoints' })
export class CheckpointEntity {
  @PrimaryColumn('text') consumer!: string;
  @PrimaryColumn('text') topic!: string;
  @PrimaryColumn('integer') partition!: number;
  @Column('bigint', { name: 'offset' }) offset!: string;
}

/** An event accepted but not processable, kept with its reason (also on the dead-letter topic). */
@Entity({ name: 'dead_letters' })
export class DeadLetterEntity {
  @PrimaryColumn('text') consumer!: string;
  @PrimaryColumn('text') topic!: string;
  @PrimaryColumn('integer') partition!: number;
  @PrimaryColumn('bigint', { name: 'offset' }) offset!: string;
  @Column('text', { name: 'tenant_id', nullable: true }) tenantId!: string | null;
  @Column('text', { name: 'event_id', nullable: true }) eventId!: string | null;
  @Column('text', { name: 'event_type', nullable: true }) eventType!: string | null;
  @Column('text') reason!: string;
  @Column('text') detail!: string;
  @Column('text') payload!: string;
  @Column('timestamptz', { name: 'received_at', nullable: true }) receivedAt!: Date | null;
}
