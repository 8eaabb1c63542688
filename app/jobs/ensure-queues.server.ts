// Each area declares its queues (name and retry policy) once; the first use in a process creates
// the missing ones. Several processes may race to create a queue: the loser's error is expected.
import type { PgBoss } from "pg-boss";
import { getBoss } from "./queue.server";

export type QueueSpec = [name: string, options: Parameters<PgBoss["createQueue"]>[1]];

/** Returns a getter of the process's queue client that has created `specs` first. */
export function queuesOf(specs: QueueSpec[]): () => Promise<PgBoss> {
  const ensured = new WeakSet<PgBoss>();
  return async () => {
    const boss = await getBoss();
    if (ensured.has(boss)) return boss;
    for (const [name, options] of specs) {
      try {
        await boss.createQueue(name, options);
      } catch (error) {
        if (!/already exists|duplicate/i.test((error as Error).message)) throw error;
      }
    }
    ensured.add(boss);
    return boss;
  };
}
