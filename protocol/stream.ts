import { z } from 'zod';

/** Event types a WebSocket client may subscribe to. */
export const EventType = z.enum(['prediction', 'model', 'finding', 'run_progress', 'label']);
export type EventType = z.infer<typeof EventType>;

// ── client → daemon ──────────────────────────────────────────────────────────
export const HelloMessage = z.object({
  type: z.literal('hello'),
  protocol: z.number().int().positive(),
  client: z.string().max(100).optional(),
});
export const SubscribeMessage = z.object({
  type: z.literal('subscribe'),
  events: z.array(EventType).min(1),
  /** Model names or ids; empty or absent = all models. */
  models: z.array(z.string()).optional(),
});
export const UnsubscribeMessage = z.object({ type: z.literal('unsubscribe'), events: z.array(EventType).optional() });
export const PingMessage = z.object({ type: z.literal('ping'), id: z.number().optional() });
/** A typed request answered with a `response` carrying the same `id` (queries for the editor). */
export const QueryMessage = z.object({
  type: z.literal('query'),
  id: z.number().int(),
  method: z.string().min(1).max(100),
  params: z.unknown().optional(),
});
export const ClientMessage = z.discriminatedUnion('type', [HelloMessage, SubscribeMessage, UnsubscribeMessage, PingMessage, QueryMessage]);
export type ClientMessage = z.infer<typeof ClientMessage>;

// ── daemon → client ──────────────────────────────────────────────────────────
export const PredictionEvent = z.object({
  id: z.string(),
  time: z.string(),
  model_id: z.string(),
  model: z.string(),
  version: z.string(),
  score: z.number().nullable(),
  label: z.union([z.string(), z.number()]).nullable(),
  execution_provider: z.string(),
  latency_ms: z.number(),
  source: z.string(),
});
export type PredictionEvent = z.infer<typeof PredictionEvent>;

export const EventMessage = z.object({
  type: z.literal('event'),
  event: EventType,
  /** Coalesced events: several payloads in one frame when a subscriber falls behind. */
  data: z.array(z.unknown()),
});
export const WelcomeMessage = z.object({
  type: z.literal('welcome'),
  protocol: z.number(),
  version: z.string(),
  trace: z.string(),
});
export const DroppedMessage = z.object({
  type: z.literal('dropped'),
  /** Events dropped for this subscriber since the last notice (slow consumer). */
  count: z.number(),
});
export const ResponseMessage = z.object({ type: z.literal('response'), id: z.number(), result: z.unknown().optional(), error: z.unknown().optional() });
export const PongMessage = z.object({ type: z.literal('pong'), id: z.number().optional() });
export const StreamErrorMessage = z.object({
  type: z.literal('error'),
  error: z.object({ code: z.string(), message: z.string(), path: z.array(z.union([z.string(), z.number()])).optional() }),
});
export const ServerMessage = z.discriminatedUnion('type', [EventMessage, WelcomeMessage, DroppedMessage, ResponseMessage, PongMessage, StreamErrorMessage]);
export type ServerMessage = z.infer<typeof ServerMessage>;
