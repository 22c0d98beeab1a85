// Per-Pool model catalog in the Codex backend shape, cached with a weak ETag so Codex can send
// If-None-Match and compare X-Models-Etag.
import type { CoreContext } from "../context.ts";
import { type UpstreamJson, weakEtag } from "../support/upstream-call.ts";

export interface Catalog {
  body: string;
  etag: string;
  fetchedAt: number;
}

const VERSION = /^\d{1,4}\.\d{1,4}\.\d{1,4}$/;

export class ModelCatalog {
  readonly #cache = new Map<string, Catalog>();
  readonly #inflight = new Map<string, Promise<Catalog>>();

  constructor(
    private readonly ctx: Pick<CoreContext, "clock" | "config">,
    private readonly upstream: Pick<UpstreamJson, "fromPool">,
  ) {}

  /** The etag last served for a Pool, for X-Models-Etag on responses. */
  etag(pool: string): string | undefined {
    return this.#cache.get(`${pool}|${this.ctx.config.clientVersion}`)?.etag;
  }

  async get(pool: string, clientVersion?: string): Promise<Catalog> {
    const version =
      clientVersion && VERSION.test(clientVersion) ? clientVersion : this.ctx.config.clientVersion;
    const key = `${pool}|${version}`;
    const hit = this.#cache.get(key);
    if (hit && this.ctx.clock.now() - hit.fetchedAt < this.ctx.config.modelsCacheSeconds * 1000) return hit;
    const running = this.#inflight.get(key);
    if (running) return running;
    const task = this.#fetch(pool, version)
      .then((catalog) => {
        this.#cache.set(key, catalog);
        return catalog;
      })
      .finally(() => this.#inflight.delete(key));
    this.#inflight.set(key, task);
    return task;
  }

  async #fetch(pool: string, version: string): Promise<Catalog> {
    const { body } = await this.upstream.fromPool(pool, `/codex/models?client_version=${version}`, {
      usable: (answer) =>
        Array.isArray(answer) || Array.isArray((answer as { models?: unknown } | null)?.models),
    });
    const models = Array.isArray((body as { models?: unknown } | null)?.models)
      ? (body as { models: { slug?: string }[] }).models
      : Array.isArray(body)
        ? (body as { slug?: string }[])
        : [];
    models.sort((a, b) => String(a.slug).localeCompare(String(b.slug)));
    const text = JSON.stringify({ models });
    return { body: text, etag: weakEtag(text), fetchedAt: this.ctx.clock.now() };
  }
}
