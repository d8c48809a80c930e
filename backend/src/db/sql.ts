import { Prisma } from "@prisma/client";

/**
 * A point in time from the injected clock as a UTC `timestamp` (the columns are
 * TIMESTAMP(3) without time zone, written in UTC by Prisma), independent of the session TimeZone.
 */
export const sqlTime = (ms: number) => Prisma.sql`(${new Date(ms).toISOString()}::timestamptz AT TIME ZONE 'UTC')`;
