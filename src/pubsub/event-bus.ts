import type { Redis } from 'ioredis';

/**
 * Progress events over Redis pub/sub, so whichever gateway instance holds a subscription
 * hears what any worker publishes. One subscriber connection per process fans messages out to
 * every local listener. `subscribe()` resolves only once Redis confirmed the subscription, so
 * a caller that reads the current state afterwards cannot miss a change in between.
 */
export class EventBus {
  private readonly listeners = new Map<string, Set<(payload: unknown) => void>>();
  private readonly pending = new Map<string, Promise<unknown>>();
  private closed = false;

  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    /** Namespaces the channels (tests and several deployments can share one Redis). */
    private readonly prefix: string,
  ) {
    this.subscriber.on('message', (channel: string, message: string) => {
      const set = this.listeners.get(channel);
      if (!set || set.size === 0) return;
      let payload: unknown;
      try {
        payload = JSON.parse(message);
      } catch {
        return;
      }
      for (const listener of set) listener(payload);
    });
  }

  async publish(channel: string, payload: unknown): Promise<void> {
    await this.publisher.publish(this.prefix + channel, JSON.stringify(payload));
  }

  /** Several messages in one round trip (e.g. an operation finished and its resource changed). */
  async publishAll(messages: { channel: string; payload: unknown }[]): Promise<void> {
    const pipeline = this.publisher.pipeline();
    for (const m of messages) pipeline.publish(this.prefix + m.channel, JSON.stringify(m.payload));
    await pipeline.exec();
  }

  /** Subscribes to one channel; the iterator ends when `return()` is called (the client unsubscribed). */
  async subscribe<T>(channel: string): Promise<AsyncIterableIterator<T>> {
    const full = this.prefix + channel;
    const queue: T[] = [];
    let wake: (() => void) | null = null;
    let done = false;
    const listener = (payload: unknown) => {
      queue.push(payload as T);
      wake?.();
    };
    let set = this.listeners.get(full);
    if (!set) {
      set = new Set();
      this.listeners.set(full, set);
    }
    set.add(listener);
    if (set.size === 1) {
      const subscribing = this.subscriber.subscribe(full);
      this.pending.set(full, subscribing);
      await subscribing.finally(() => this.pending.delete(full));
    } else {
      await this.pending.get(full);
    }

    const stop = async () => {
      if (done) return;
      done = true;
      wake?.();
      const current = this.listeners.get(full);
      current?.delete(listener);
      if (current && current.size === 0) {
        this.listeners.delete(full);
        if (!this.closed) await this.subscriber.unsubscribe(full).catch(() => undefined);
      }
    };

    const iterator: AsyncIterableIterator<T> = {
      [Symbol.asyncIterator]() {
        return iterator;
      },
      async next(): Promise<IteratorResult<T>> {
        while (queue.length === 0 && !done) await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
        if (queue.length > 0) return { value: queue.shift()!, done: false };
        return { value: undefined, done: true };
      },
      async return(): Promise<IteratorResult<T>> {
        await stop();
        return { value: undefined, done: true };
      },
    };
    return iterator;
  }

  /** Number of channels this process listens to (for health and tests). */
  channelCount(): number {
    return this.listeners.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
  }
}

/** Channel names, in one place so publishers and subscribers agree. */
export const channels = {
  operation: (id: string) => `operation:${id}`,
  resource: (type: string, id: string) => `resource:${type}:${id}`,
  flowRuns: (dataflowId: string) => `flow-runs:${dataflowId}`,
  onboarding: (id: string) => `onboarding:${id}`,
  /** An API key was revoked: every gateway forgets it and closes its sockets. */
  credentialsRevoked: () => 'credentials-revoked',
};

/** What `credentials-revoked` carries. */
export interface CredentialsRevokedMessage {
  apiKeyId: string;
  name: string;
}

/** What `resource:*` channels carry. */
export interface ResourceChangeMessage {
  resourceType: string;
  resourceId: string;
  state: string;
  etag: string | null;
  platformId: string | null;
  action: string;
  operationId: string | null;
  at: string;
}
