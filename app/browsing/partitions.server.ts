// Day partitions of pixel_events (PARTITION BY RANGE (day), see the browsing_pixel migration).
import type pg from "pg";

type Queryable = Pick<pg.Pool | pg.PoolClient, "query">;

const known = new Set<string>();

export const partitionName = (day: string) => `pixel_events_${day.replaceAll("-", "")}`;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

export const utcDay = (d: Date) => d.toISOString().slice(0, 10);

function nextDay(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return utcDay(d);
}

/** Creates the day tables a batch needs (once per process per day; concurrent creators are fine). */
export async function ensurePartitions(db: Queryable, days: Iterable<string>) {
  for (const day of days) {
    if (known.has(day)) continue;
    if (!DAY.test(day)) throw new Error(`Not a day: ${day}`);
    try {
      await db.query(
        `create table if not exists ${partitionName(day)} partition of pixel_events for values from ('${day}') to ('${nextDay(day)}')`,
      );
    } catch (error) {
      // Another process created it at the same moment (catalog unique violation / already exists).
      if (!["23505", "42P07"].includes((error as { code?: string }).code ?? "")) throw error;
    }
    known.add(day);
  }
}

/** The day tables that exist, oldest first. */
export async function listPartitions(db: Queryable): Promise<{ name: string; day: string }[]> {
  const { rows } = await db.query<{ name: string }>(
    `select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = 'pixel_events'::regclass order by c.relname`,
  );
  return rows
    .map((r) => ({ name: r.name, m: /^pixel_events_(\d{4})(\d{2})(\d{2})$/.exec(r.name) }))
    .filter((r) => r.m)
    .map((r) => ({ name: r.name, day: `${r.m![1]}-${r.m![2]}-${r.m![3]}` }));
}

/** Drops a day table (retention); forgets it so a late event for that day recreates it. */
export async function dropPartition(db: Queryable, day: string) {
  if (!DAY.test(day)) throw new Error(`Not a day: ${day}`);
  await db.query(`drop table if exists ${partitionName(day)}`);
  known.delete(day);
}

/** Tests truncate or recreate databases: start over. */
export function forgetPartitions() {
  known.clear();
}
