// Verifies the secret header CloudFront adds to every origin request (the function URLs use auth
// NONE: origin access control would make clients sign bodies with x-amz-content-sha256, which Codex
// and the OpenAI SDKs do not). The value lives in Secrets Manager, never in the environment; the
// current and the previous version are both accepted, so a rotation never locks CloudFront out (the
// previous one is read only when a header does not match the current one: during a rotation).
import { createHash, timingSafeEqual } from "node:crypto";
import { GetSecretValueCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { Clock } from "../../core/ports.ts";

export const ORIGIN_HEADER = "x-origin-verify";

export interface OriginSecretOptions {
  secretId: string;
  /** How long fetched values are trusted before a re-read; default 5 minutes (the rotation wait in docs/deploy-aws.md). */
  ttlMs?: number;
  clock?: Clock;
}

type Stage = "AWSCURRENT" | "AWSPREVIOUS";

interface StageCache {
  /** The stage's digest; undefined when the stage does not exist (a secret never rotated). */
  digest: Buffer | undefined;
  loadedAt: number;
  loading?: Promise<Buffer | undefined>;
}

export class OriginSecretVerifier {
  readonly header = ORIGIN_HEADER;
  readonly #stages: Record<Stage, StageCache> = {
    AWSCURRENT: { digest: undefined, loadedAt: Number.NEGATIVE_INFINITY },
    AWSPREVIOUS: { digest: undefined, loadedAt: Number.NEGATIVE_INFINITY },
  };
  readonly #ttlMs: number;
  readonly #clock: Clock;

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly options: OriginSecretOptions,
  ) {
    this.#ttlMs = options.ttlMs ?? 5 * 60_000;
    this.#clock = options.clock ?? { now: () => Date.now() };
  }

  /**
   * The current version is read (and cached) first; the previous one only when a value does not
   * match it, which happens while a rotation is under way (CloudFront still sends the old value) or
   * for a forged header. Either read is made at most once per TTL, so forged headers cost nothing.
   */
  async verify(value: string | undefined): Promise<boolean> {
    if (!value) return false;
    // Equal-length digests make the comparison constant-time whatever the candidate's length.
    const candidate = digest(value);
    const current = await this.#digest("AWSCURRENT");
    if (current === undefined) throw new Error("the origin secret has no current value");
    if (timingSafeEqual(candidate, current)) return true;
    const previous = await this.#digest("AWSPREVIOUS");
    return previous !== undefined && timingSafeEqual(candidate, previous);
  }

  #digest(stage: Stage): Promise<Buffer | undefined> {
    const cache = this.#stages[stage];
    if (this.#clock.now() - cache.loadedAt < this.#ttlMs) return Promise.resolve(cache.digest);
    cache.loading ??= this.#read(stage)
      .then((secret) => {
        cache.digest = secret === undefined ? undefined : digest(secret);
        cache.loadedAt = this.#clock.now();
        return cache.digest;
      })
      .finally(() => {
        cache.loading = undefined;
      });
    return cache.loading;
  }

  async #read(stage: Stage): Promise<string | undefined> {
    try {
      const out = await this.client.send(
        new GetSecretValueCommand({ SecretId: this.options.secretId, VersionStage: stage }),
      );
      return out.SecretString;
    } catch (error) {
      // A secret never rotated has no AWSPREVIOUS version.
      if (stage === "AWSPREVIOUS" && error instanceof Error && error.name === "ResourceNotFoundException") {
        return undefined;
      }
      throw error;
    }
  }
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}
