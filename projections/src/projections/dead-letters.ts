// Dead letters: messages that failed their schema, with the reason and the raw bytes, kept once per source offset.
import type { Kysely } from 'kysely';
import { describeFailure, type DecodeFailure } from '@qts/schemas';
import type { DeadLetterTable, ReadDb } from '../db.ts';

export const deadLetterMigrations = {
  '001_dead_letters': {
    async up(db: Kysely<unknown>) {
      await db.schema.createTable('dead_letters')
        .addColumn('topic', 'text', (c) => c.notNull())
        .addColumn('partition', 'integer', (c) => c.notNull())
        .addColumn('offset', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('failure', 'jsonb', (c) => c.notNull())
        .addColumn('raw_text', 'text')
        .addColumn('raw_base64', 'text', (c) => c.notNull())
        .addColumn('received_at', 'bigint', (c) => c.notNull())
        // The source offset is the checkpoint: a redelivered dead letter lands on the same key.
        .addPrimaryKeyConstraint('dead_letters_pk', ['topic', 'partition', 'offset'])
        .execute();
      await db.schema.createIndex('dead_letters_by_time').on('dead_letters').columns(['received_at']).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('dead_letters').ifExists().execute();
    },
  },
};

export interface DeadLetterInput {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly value: Buffer | null;
  readonly failure: DecodeFailure;
  readonly receivedAt: number;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Bytes as text when they are valid UTF-8 (most bad payloads are), always also as base64. */
export function rawColumns(value: Buffer | null): { raw_text: string | null; raw_base64: string } {
  const bytes = value ?? Buffer.alloc(0);
  let text: string | null;
  try { text = strictUtf8.decode(bytes); } catch { text = null; }
  // Postgres text cannot hold NUL; such payloads stay readable through the base64 column.
  if (text !== null && text.includes('\u0000')) text = null;
  return { raw_text: text, raw_base64: bytes.toString('base64') };
}

export function deadLetterRow(d: DeadLetterInput): DeadLetterTable {
  return {
    topic: d.topic, partition: d.partition, offset: d.offset, reason: describeFailure(d.failure), failure: JSON.stringify(d.failure),
    ...rawColumns(d.value), received_at: d.receivedAt,
  };
}

export async function recordDeadLetters(db: ReadDb, items: readonly DeadLetterInput[]): Promise<void> {
  if (items.length === 0) return;
  await db.insertInto('dead_letters').values(items.map(deadLetterRow))
    .onConflict((oc) => oc.columns(['topic', 'partition', 'offset']).doNothing()).execute();
}
