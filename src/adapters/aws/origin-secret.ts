// Verifies the secret header CloudFront adds to every origin request (the function URLs use auth
// NONE: origin access control would make clients sign bodies with x-amz-content-sha256, which Codex
// and the OpenAI SDKs do not). The value lives in Secrets Manager, never in the environment; the
// current and the previous version are both accepted, so a rotation never locks CloudFront out.
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

export class OriginSecretVerifier {
  readonly header = ORIGIN_HEADER;
  #digests: Buffer[] = [];
  #loadedAt = Number.NEGATIVE_INFINITY;
  #loading: Promise<Buffer[]> | undefined;
  readonly #ttlMs: number;
  readonly #clock: Clock;

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly options: OriginSecretOptions,
  ) {
    this.#ttlMs = options.ttlMs ?? 5 * 60_000;
    this.#clock = options.clock ?? { now: () => Date.now() };
  }

  async verify(value: string | undefined): Promise<boolean> {
    if (!value) return false;
    const accepted = await this.#accepted();
    // Equal-length digests make the comparison constant-time whatever the candidate's length.
    const candidate = digest(value);
    let match = false;
    for (const known of accepted) match = timingSafeEqual(candidate, known) || match;
    return match;
  }

  async #accepted(): Promise<Buffer[]> {
    if (this.#clock.now() - this.#loadedAt < this.#ttlMs) return this.#digests;
    this.#loading ??= this.#load().finally(() => {
      this.#loading = undefined;
    });
    return this.#loading;
  }

  async #load(): Promise<Buffer[]> {
    const [current, previous] = await Promise.all([this.#read("AWSCURRENT"), this.#read("AWSPREVIOUS")]);
    if (current === undefined) throw new Error("the origin secret has no current value");
    this.#digests = [current, previous].filter((v): v is string => Boolean(v)).map(digest);
    this.#loadedAt = this.#clock.now();
    return this.#digests;
  }

  async #read(stage: "AWSCURRENT" | "AWSPREVIOUS"): Promise<string | undefined> {
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
