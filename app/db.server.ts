import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/prisma/client";

declare global {
  var __segmentSyncPrisma: PrismaClient | undefined;
}

function createClient(): PrismaClient {
  const connectionString = process.env.DATABASE_URL;
  if (!connectionString) {
    throw new Error(
      "DATABASE_URL is not set. Start the app through `npm run dev`, `npm start` or `npm run demo`, " +
        "which start the embedded PostgreSQL, or set DATABASE_URL to your own server.",
    );
  }
  return new PrismaClient({
    adapter: new PrismaPg({ connectionString, max: Number(process.env.DATABASE_POOL_SIZE ?? 10) }),
  });
}

// One client per process; kept on globalThis so Vite's dev reloads don't open a pool each time.
const prisma: PrismaClient = globalThis.__segmentSyncPrisma ?? createClient();
if (process.env.NODE_ENV !== "production") globalThis.__segmentSyncPrisma = prisma;

export default prisma;
