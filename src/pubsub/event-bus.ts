import type { Logger } from '../logging/logger.js';
import type { RedisClient } from '../redis/redis-connections.js';
import type { Topic } from './events.js';

/** One message for `announce`: a topic and a payload of its type (build it with `message`). */
export interface TopicMessage {
  channel: string;
  payload: unknown;
}

/**
 * Yielded by `subscribeWithGaps` where the stream may have lost messages: the subscriber's
 * connection to Redis dropped, and whatever was published until it came back is gone (pub/sub
 * keeps nothing). A consumer re-reads the current state when it sees one.
 */
export const GAP: unique symbol = Symbol('event-bus-gap');
export type Gap = typeof GAP;

/**
 * The event bus's channel prefix for a deployment: its bare namespace, without the queues' hash
 * tag, so that on a cluster each channel hashes to a slot of its own and sharded pub/sub spreads
 * the channels over the shards.
 */
export function eventChannelPrefix(redisNamespace: string): string {
  return `${redisNamespace}:events:`;
}

/** Pairs a topic with its payload, checked by the compiler. */
export function message<T>(topic: Topic<T>, payload: T): TopicMessage {
  return { channel: topic.channel, payload };
}

export interface EventBusOptions {
  /** Commands and publishing. */
  publisher: RedisClient;
  /**
   * The connection `publish` uses (default `publisher`). A publish is awaited — an onboarding's
   * state is published under its pass lock, which the next pass waits for — so one without
   * auto-pipelining, which sends at once instead of after the next tick and the pipeline in
   * flight, keeps that wait short. Messages of one channel always go through one connection
   * (`announce` and `publish` are never used for the same channel), so their order holds.
   */
  awaitedPublisher?: RedisClient;
  /** The process's one subscriber connection (on a cluster: opened with sharded subscribers). */
  subscriber: RedisClient;
  /** Namespaces the channels (tests and several deployments can share one Redis). */
  prefix: string;
  /**
   * `classic` (PUBLISH/SUBSCRIBE, the single Redis) or `sharded` (SPUBLISH/SSUBSCRIBE, a
   * cluster: each channel lives on the shard of its slot). Default classic.
   */
  pubSub?: 'classic' | 'sharded';
  /** Where failed announcements are reported. */
  logger: Logger;
}

/** The commands and events of each pub/sub flavour. */
interface PubSubCommands {
  publish(client: RedisClient, channel: string, text: string): Promise<unknown>;
  subscribe(client: RedisClient, channel: string): Promise<unknown>;
  unsubscribe(client: RedisClient, channel: string): Promise<unknown>;
  /** The subscriber's event a message arrives as. */
  message: 'message' | 'smessage';
  /** Events saying some subscriptions may be gone (the connection dropped, a shard's subscriber ended). */
  lost: string[];
  /** Event after which the subscriptions can be made again. */
  back: string;
}

const CLASSIC: PubSubCommands = {
  publish: (client, channel, text) => client.publish(channel, text),
  subscribe: (client, channel) => client.subscribe(channel),
  unsubscribe: (client, channel) => client.unsubscribe(channel),
  message: 'message',
  lost: ['close'],
  back: 'ready',
};

// ioredis's cluster keeps one sharded subscriber per primary; when one ends it announces
// '-node' (and '-subscriber' once replaced), and 'subscribersReady' once every shard has a
// subscriber again (after a reconnection or a topology change).
const SHARDED: PubSubCommands = {
  publish: (client, channel, text) => client.spublish(channel, text),
  subscribe: (client, channel) => client.ssubscribe(channel),
  unsubscribe: (client, channel) => client.sunsubscribe(channel),
  message: 'smessage',
  lost: ['-node', '-subscriber'],
  back: 'subscribersReady',
};

/**
 * Progress events over Redis pub/sub, so whichever gateway instance holds a subscription
 * hears what any worker publishes. One subscriber connection per process fans messages out to
 * every local listener. `subscribe()` resolves only once Redis confirmed the subscription, so
 * a caller that reads the current state afterwards cannot miss a change in between. Topics
 * (`events.ts`) fix each channel's payload type.
 */
export class EventBus {
  private readonly listeners = new Map<string, Set<(payload: unknown) => void>>();
  /** Called once per reconnection, after every channel is subscribed again. */
  private readonly gapListeners = new Set<() => void>();
  /** The subscriber lost its connection and has not been subscribed again since. */
  private disconnected = false;
  private readonly pending = new Map<string, Promise<unknown>>();
  private readonly publisher: RedisClient;
  private readonly awaitedPublisher: RedisClient;
  private readonly subscriber: RedisClient;
  private readonly prefix: string;
  private readonly commands: PubSubCommands;
  private closed = false;

  constructor(private readonly options: EventBusOptions) {
    this.publisher = options.publisher;
    this.awaitedPublisher = options.awaitedPublisher ?? options.publisher;
    this.subscriber = options.subscriber;
    this.prefix = options.prefix;
    this.commands = options.pubSub === 'sharded' ? SHARDED : CLASSIC;
    this.subscriber.on(this.commands.message, (channel: string, text: string) => {
      const set = this.listeners.get(channel);
      if (!set || set.size === 0) return;
      let payload: unknown;
      try {
        payload = JSON.parse(text);
      } catch {
        return;
      }
      for (const listener of set) listener(payload);
    });
    // ioredis reconnects and re-subscribes by itself, but only sends the commands; subscribing
    // again here (a no-op for Redis) and awaiting it is what lets a listener re-read the current
    // state knowing that every later change will reach it.
    for (const event of this.commands.lost)
      this.subscriber.on(event, () => {
        if (!this.closed) this.disconnected = true;
      });
    this.subscriber.on(this.commands.back, () => {
      if (!this.disconnected || this.closed) return;
      this.disconnected = false;
      void this.resubscribeAfterGap();
    });
  }

  private async resubscribeAfterGap(): Promise<void> {
    const channels = [...this.listeners.keys()];
    try {
      // One channel per command: on a cluster, channels of different slots live on different shards.
      await Promise.all(channels.map((channel) => this.commands.subscribe(this.subscriber, channel)));
    } catch (error) {
      // The connection dropped again; the next 'ready' tries again.
      this.options.logger.warn({ err: (error as Error).message }, 'could not subscribe again after reconnecting to Redis');
      return;
    }
    this.options.logger.info({ channels: channels.length }, 'event subscriptions restored after a Redis reconnection; subscribers re-read the current state');
    for (const listener of this.gapListeners) listener();
  }

  /** Publishes one message; rejects when Redis does not take it. */
  async publish<T>(topic: Topic<T>, payload: T): Promise<void> {
    await this.commands.publish(this.awaitedPublisher, this.prefix + topic.channel, JSON.stringify(payload));
  }

  /**
   * Publishes messages in one round trip without waiting: news that must not hold up the work
   * it reports on (a failure is logged; subscribers re-read the current state when they
   * subscribe). Messages announced one after another go out in that order on one connection
   * (per shard on a cluster, and a channel always lives on one shard); the publisher's
   * auto-pipelining sends the ones of one tick in one write.
   */
  announce(...messages: TopicMessage[]): void {
    if (messages.length === 0) return;
    const sent = Promise.all(messages.map((m) => this.commands.publish(this.publisher, this.prefix + m.channel, JSON.stringify(m.payload))));
    sent.catch((error: unknown) => this.options.logger.warn({ channels: messages.map((m) => m.channel), err: (error as Error).message }, 'could not publish an event'));
  }

  /** Subscribes to one topic; the iterator ends when `return()` is called (the client unsubscribed). */
  subscribe<T>(topic: Topic<T>): Promise<AsyncIterableIterator<T>> {
    return this.open<T, never>(topic, false);
  }

  /**
   * Like `subscribe`, and yields `GAP` where messages may have been lost (after a reconnection,
   * once the channel is subscribed again), in order with the messages around it.
   */
  subscribeWithGaps<T>(topic: Topic<T>): Promise<AsyncIterableIterator<T | Gap>> {
    return this.open<T, Gap>(topic, true);
  }

  private async open<T, G>(topic: Topic<T>, reportGaps: boolean): Promise<AsyncIterableIterator<T | G>> {
    const full = this.prefix + topic.channel;
    const queue: (T | G)[] = [];
    let wake: (() => void) | null = null;
    let done = false;
    const listener = (payload: unknown) => {
      queue.push(payload as T);
      wake?.();
    };
    const onGap = () => {
      // One marker is enough however many reconnections happened before it was read.
      if (queue[queue.length - 1] === GAP) return;
      queue.push(GAP as G);
      wake?.();
    };
    if (reportGaps) this.gapListeners.add(onGap);
    let set = this.listeners.get(full);
    if (!set) {
      set = new Set();
      this.listeners.set(full, set);
    }
    set.add(listener);
    try {
      if (set.size === 1) {
        const subscribing = this.commands.subscribe(this.subscriber, full);
        this.pending.set(full, subscribing);
        await subscribing.finally(() => this.pending.delete(full));
      } else {
        await this.pending.get(full);
      }
    } catch (error) {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(full);
      this.gapListeners.delete(onGap);
      throw error;
    }

    const stop = async () => {
      if (done) return;
      done = true;
      wake?.();
      this.gapListeners.delete(onGap);
      const current = this.listeners.get(full);
      current?.delete(listener);
      if (current && current.size === 0) {
        this.listeners.delete(full);
        if (!this.closed) await this.commands.unsubscribe(this.subscriber, full).catch(() => undefined);
      }
    };

    const iterator: AsyncIterableIterator<T | G> = {
      [Symbol.asyncIterator]() {
        return iterator;
      },
      async next(): Promise<IteratorResult<T | G>> {
        while (queue.length === 0 && !done) await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
        if (queue.length > 0) return { value: queue.shift()!, done: false };
        return { value: undefined, done: true };
      },
      async return(): Promise<IteratorResult<T | G>> {
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
    this.gapListeners.clear();
  }
}
