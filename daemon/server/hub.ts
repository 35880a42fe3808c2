import type { WebSocket } from 'ws';
import type { EventType, ServerMessage } from '../../protocol';

export interface HubOptions {
  /** Events kept per subscriber while its socket is congested; beyond this they are dropped and counted. */
  maxQueuedEvents: number;
  /** Bytes buffered in the socket above which a subscriber counts as slow. */
  highWaterBytes: number;
}

interface Subscriber {
  ws: WebSocket;
  events: Set<EventType>;
  models: Set<string> | null;
  queue: Map<EventType, unknown[]>;
  queued: number;
  dropped: number;
}

/** What an event concerns, for model filters. */
export interface EventScope {
  modelId?: string;
  modelName?: string;
}

/**
 * Fans events out to WebSocket subscribers. A subscriber whose socket is congested gets its
 * events queued per type (bounded) and later delivered coalesced, several payloads per frame;
 * past the bound, events are dropped and the count is reported in a `dropped` message, so a
 * slow client never grows the daemon's memory without limit.
 */
export class Hub {
  private subs = new Set<Subscriber>();
  private timer: NodeJS.Timeout;
  publishedEvents = 0;
  /** Events dropped for slow subscribers since start (each subscriber is told its own count). */
  droppedEvents = 0;

  constructor(private readonly options: HubOptions = { maxQueuedEvents: 2000, highWaterBytes: 1 << 20 }) {
    this.timer = setInterval(() => this.drainAll(), 50);
    this.timer.unref();
  }

  add(ws: WebSocket): Subscriber {
    const sub: Subscriber = { ws, events: new Set(), models: null, queue: new Map(), queued: 0, dropped: 0 };
    this.subs.add(sub);
    ws.on('close', () => this.subs.delete(sub));
    return sub;
  }

  subscribe(sub: Subscriber, events: EventType[], models?: string[]): void {
    for (const e of events) sub.events.add(e);
    sub.models = models && models.length > 0 ? new Set(models) : null;
  }

  unsubscribe(sub: Subscriber, events?: EventType[]): void {
    if (!events) sub.events.clear();
    else for (const e of events) sub.events.delete(e);
  }

  get subscriberCount(): number {
    return this.subs.size;
  }

  /** For health: how many subscribers, events held for congested ones now, and dropped so far. */
  stats(): { subscribers: number; queued_events: number; dropped_events: number } {
    let queued = 0;
    for (const sub of this.subs) queued += sub.queued;
    return { subscribers: this.subs.size, queued_events: queued, dropped_events: this.droppedEvents };
  }

  /** Publishes payloads of one event type (a batch of predictions is one call). */
  publish(event: EventType, payloads: unknown[], scope: EventScope = {}): void {
    if (payloads.length === 0) return;
    this.publishedEvents += payloads.length;
    for (const sub of this.subs) {
      if (!sub.events.has(event)) continue;
      if (sub.models && !(scope.modelId && sub.models.has(scope.modelId)) && !(scope.modelName && sub.models.has(scope.modelName))) continue;
      if (sub.queued === 0 && sub.ws.bufferedAmount < this.options.highWaterBytes) {
        send(sub.ws, { type: 'event', event, data: payloads });
        continue;
      }
      let q = sub.queue.get(event);
      if (!q) sub.queue.set(event, (q = []));
      for (const p of payloads) {
        if (sub.queued >= this.options.maxQueuedEvents) {
          sub.dropped++;
          this.droppedEvents++;
          continue;
        }
        q.push(p);
        sub.queued++;
      }
    }
  }

  private drainAll(): void {
    for (const sub of this.subs) {
      if (sub.ws.readyState !== sub.ws.OPEN) continue;
      if (sub.ws.bufferedAmount >= this.options.highWaterBytes) continue;
      if (sub.dropped > 0) {
        send(sub.ws, { type: 'dropped', count: sub.dropped });
        sub.dropped = 0;
      }
      for (const [event, q] of sub.queue) {
        if (q.length > 0) send(sub.ws, { type: 'event', event, data: q });
      }
      sub.queue.clear();
      sub.queued = 0;
    }
  }

  close(): void {
    clearInterval(this.timer);
    for (const sub of this.subs) sub.ws.close(1001, 'daemon stopping');
    this.subs.clear();
  }
}

export function send(ws: WebSocket, msg: ServerMessage): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
}
