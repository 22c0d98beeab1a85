// SecretStore on AWS Secrets Manager. A small TTL cache keeps warm Lambdas from paying a
// GetSecretValue round trip (and its per-call price) on every request. Values are never logged.
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import type { Clock, SecretReadOptions, SecretStore } from "../../core/ports.ts";

export interface SecretsManagerSecretStoreOptions {
  /** Prepended to every name to form the SecretId, e.g. "codex-pooler/prod/". */
  prefix: string;
  /** Customer-managed KMS key for newly created secrets; AWS-managed key when absent. */
  kmsKeyId?: string;
  /** How long a fetched value is served from memory; default 30 s. 0 disables caching. */
  cacheTtlMs?: number;
  clock?: Clock;
  /** Applied when a secret is first created. */
  tags?: Record<string, string>;
}

const systemClock: Clock = { now: () => Date.now() };

export class SecretsManagerSecretStore implements SecretStore {
  private readonly cache = new Map<string, { value: string; expiresAt: number }>();
  private readonly ttlMs: number;
  private readonly clock: Clock;

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly options: SecretsManagerSecretStoreOptions,
  ) {
    this.ttlMs = options.cacheTtlMs ?? 30_000;
    this.clock = options.clock ?? systemClock;
  }

  async get(name: string, options: SecretReadOptions = {}): Promise<string | undefined> {
    const id = this.secretId(name);
    const hit = this.cache.get(id);
    // `fresh` is for refresh followers: another instance may have rotated the tokens.
    if (!options.fresh && hit && hit.expiresAt > this.clock.now()) return hit.value;
    this.cache.delete(id);
    try {
      const out = await this.client.send(new GetSecretValueCommand({ SecretId: id }));
      if (out.SecretString === undefined) {
        // We only ever write SecretString; a binary-only secret under our prefix is not ours.
        throw new Error(`Secret ${id} has no SecretString`);
      }
      this.remember(id, out.SecretString);
      return out.SecretString;
    } catch (err) {
      // Misses are not cached, so a secret created by another instance shows up immediately.
      if (isAwsError(err, "ResourceNotFoundException")) return undefined;
      throw err;
    }
  }

  async put(name: string, value: string): Promise<void> {
    const id = this.secretId(name);
    const putValue = () => this.client.send(new PutSecretValueCommand({ SecretId: id, SecretString: value }));
    try {
      await putValue();
    } catch (err) {
      if (!isAwsError(err, "ResourceNotFoundException")) throw err;
      try {
        await this.client.send(
          new CreateSecretCommand({
            Name: id,
            SecretString: value,
            ...(this.options.kmsKeyId !== undefined && { KmsKeyId: this.options.kmsKeyId }),
            ...(this.options.tags &&
              Object.keys(this.options.tags).length > 0 && { Tags: toTags(this.options.tags) }),
          }),
        );
      } catch (createErr) {
        // Another instance created it between our Put and Create; its Create won, so write ours on top.
        if (!isAwsError(createErr, "ResourceExistsException")) throw createErr;
        await putValue();
      }
    }
    this.remember(id, value);
  }

  async delete(name: string): Promise<void> {
    const id = this.secretId(name);
    this.cache.delete(id);
    try {
      // No recovery window: deleted tokens must stop working now, and the name must be reusable.
      await this.client.send(new DeleteSecretCommand({ SecretId: id, ForceDeleteWithoutRecovery: true }));
    } catch (err) {
      if (!isAwsError(err, "ResourceNotFoundException")) throw err;
    } finally {
      this.cache.delete(id); // again, in case a concurrent get re-cached the old value mid-delete
    }
  }

  private secretId(name: string): string {
    return `${this.options.prefix}${name}`;
  }

  private remember(id: string, value: string): void {
    if (this.ttlMs > 0) this.cache.set(id, { value, expiresAt: this.clock.now() + this.ttlMs });
  }
}

function toTags(tags: Record<string, string>): { Key: string; Value: string }[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

// Match by name rather than instanceof: robust across duplicated SDK copies and mocked errors.
function isAwsError(err: unknown, name: string): boolean {
  return err instanceof Error && err.name === name;
}
