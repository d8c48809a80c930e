// OpenAPI docs of security-events.routes.ts. The event types are @twofa/contract's (= the
// database enum AuditEventType), so the SPA's type lists exactly what the API can send.
import { SECURITY_EVENT_TYPES, type SecurityEventType } from "@twofa/contract";
import { z } from "zod";
import { isoTime, named, type RouteDoc } from "../http/openapi";
import { pageQuery } from "./security-events.routes";

export const SecurityEventTypeSchema = named(
  "SecurityEventType",
  z.enum(SECURITY_EVENT_TYPES as [SecurityEventType, ...SecurityEventType[]]),
  "the words for each are SECURITY_EVENTS in @twofa/contract",
);

export const SecurityEvent = named(
  "SecurityEvent",
  z.object({
    id: z.string(),
    type: SecurityEventTypeSchema,
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    createdAt: isoTime(),
    detail: z.record(z.string(), z.unknown()).nullable().meta({ description: "e.g. {method}, {during}, {reason, driftSeconds}" }),
  }),
);

export const securityEventDocs: RouteDoc[] = [
  {
    method: "get",
    path: "/auth/security-events",
    tag: "security",
    summary: "The user's security activity, newest first, page by page",
    auth: "access",
    query: pageQuery,
    responses: {
      200: {
        description: "one page; nextCursor is null on the last one",
        schema: named("SecurityEventsResponse", z.object({ events: z.array(SecurityEvent), nextCursor: z.string().nullable() })),
      },
    },
    errors: [],
  },
];
