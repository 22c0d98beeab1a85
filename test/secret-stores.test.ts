import { createHash } from "node:crypto";
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LocalFileSecretStore } from "../src/adapters/secrets/local-file-secret-store.ts";
import { SecretsManagerSecretStore } from "../src/adapters/secrets/secrets-manager-secret-store.ts";

const mode = async (path: string) => (await stat(path)).mode & 0o777;
const secretPath = (dataDir: string, name: string) =>
  join(dataDir, "secrets", `${createHash("sha256").update(name).digest("hex")}.json`);

async function allFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((e) => (e.isDirectory() ? allFiles(join(dir, e.name)) : [join(dir, e.name)])),
  );
  return nested.flat();
}

describe("LocalFileSecretStore", () => {
  let root: string;
  let dataDir: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "pooler-secrets-"));
    dataDir = join(root, "data"); // not yet existing: open() must create it
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("round-trips values and returns undefined for missing secrets", async () => {
    const store = await LocalFileSecretStore.open(dataDir);
    expect(await store.get("missing")).toBeUndefined();
    await store.put("account/a1/tokens", "héllo wörld 🔑");
    expect(await store.get("account/a1/tokens")).toBe("héllo wörld 🔑");
    await store.put("account/a1/tokens", "second");
    expect(await store.get("account/a1/tokens")).toBe("second");
    await store.put("empty", "");
    expect(await store.get("empty")).toBe("");
  });

  it("never writes the plaintext or the name to disk", async () => {
    const store = await LocalFileSecretStore.open(dataDir);
    const plaintext = "refresh-token-PLAINTEXT-5f3a9c";
    await store.put("account/visible-name", plaintext);
    const files = await allFiles(dataDir);
    expect(files.length).toBe(2); // key + one secret, no leftover temp files
    for (const file of files) {
      const bytes = await readFile(file);
      expect(bytes.includes(plaintext)).toBe(false);
      expect(bytes.includes("visible-name")).toBe(false);
    }
    const onDisk = JSON.parse(await readFile(secretPath(dataDir, "account/visible-name"), "utf8"));
    expect(onDisk).toMatchObject({ v: 1, alg: "AES-256-GCM", keyVersion: 1 });
    expect(Buffer.from(onDisk.nonce, "base64")).toHaveLength(12);
    expect(Buffer.from(onDisk.tag, "base64")).toHaveLength(16);
  });

  it("uses a fresh nonce per write", async () => {
    const store = await LocalFileSecretStore.open(dataDir);
    const path = secretPath(dataDir, "n");
    await store.put("n", "same");
    const first = JSON.parse(await readFile(path, "utf8"));
    await store.put("n", "same");
    const second = JSON.parse(await readFile(path, "utf8"));
    expect(second.nonce).not.toBe(first.nonce);
    expect(second.ciphertext).not.toBe(first.ciphertext);
  });

  it("creates key 0600, secret files 0600 and directories 0700", async () => {
    const store = await LocalFileSecretStore.open(dataDir);
    await store.put("x", "y");
    expect(await mode(dataDir)).toBe(0o700);
    expect(await mode(join(dataDir, "secrets"))).toBe(0o700);
    expect(await mode(join(dataDir, "secret.key"))).toBe(0o600);
    expect(await mode(secretPath(dataDir, "x"))).toBe(0o600);
    const key = (await readFile(join(dataDir, "secret.key"), "utf8")).trim();
    expect(Buffer.from(key, "base64")).toHaveLength(32);
  });

  it("reads old secrets after reopening the same directory", async () => {
    const first = await LocalFileSecretStore.open(dataDir);
    await first.put("persisted", "value-1");
    const keyBefore = await readFile(join(dataDir, "secret.key"), "utf8");
    const second = await LocalFileSecretStore.open(dataDir);
    expect(await second.get("persisted")).toBe("value-1");
    expect(await readFile(join(dataDir, "secret.key"), "utf8")).toBe(keyBefore);
  });

  it("agrees on one key when two opens race on a fresh directory", async () => {
    const [a, b] = await Promise.all([
      LocalFileSecretStore.open(dataDir),
      LocalFileSecretStore.open(dataDir),
    ]);
    await a.put("shared", "v");
    expect(await b.get("shared")).toBe("v");
  });

  it("throws on tampered ciphertext or tag", async () => {
    const store = await LocalFileSecretStore.open(dataDir);
    await store.put("t", "some secret value");
    const path = secretPath(dataDir, "t");
    const original = JSON.parse(await readFile(path, "utf8"));

    const ct = Buffer.from(original.ciphertext, "base64");
    ct[0] = (ct[0] ?? 0) ^ 0x01;
    await writeFile(path, JSON.stringify({ ...original, ciphertext: ct.toString("base64") }));
    await expect(store.get("t")).rejects.toThrow(/integrity/);

    const tag = Buffer.from(original.tag, "base64");
    tag[15] = (tag[15] ?? 0) ^ 0x80;
    await writeFile(path, JSON.stringify({ ...original, tag: tag.toString("base64") }));
    await expect(store.get("t")).rejects.toThrow(/integrity/);

    // A truncated tag must be rejected outright, not accepted as a weaker check.
    await writeFile(path, JSON.stringify({ ...original, tag: tag.subarray(0, 4).toString("base64") }));
    await expect(store.get("t")).rejects.toThrow(/malformed/);

    await writeFile(path, "{not json");
    await expect(store.get("t")).rejects.toThrow(/not valid JSON/);
  });

  it("throws when a file is copied over another name's path", async () => {
    const store = await LocalFileSecretStore.open(dataDir);
    await store.put("victim", "victim-value");
    await store.put("attacker", "attacker-value");
    await copyFile(secretPath(dataDir, "attacker"), secretPath(dataDir, "victim"));
    await expect(store.get("victim")).rejects.toThrow(/integrity/);
    expect(await store.get("attacker")).toBe("attacker-value");
  });

  it("throws when opened with a different key", async () => {
    const store = await LocalFileSecretStore.open(dataDir);
    await store.put("k", "v");
    await rm(join(dataDir, "secret.key"));
    const rekeyed = await LocalFileSecretStore.open(dataDir);
    await expect(rekeyed.get("k")).rejects.toThrow(/integrity/);
  });

  it("deletes, and deleting a missing secret is fine", async () => {
    const store = await LocalFileSecretStore.open(dataDir);
    await store.put("d", "v");
    await store.delete("d");
    expect(await store.get("d")).toBeUndefined();
    await expect(store.delete("d")).resolves.toBeUndefined();
    await expect(store.delete("never-existed")).resolves.toBeUndefined();
  });

  it("fails with one clear line when the key file is corrupt", async () => {
    for (const content of ["not-a-key", Buffer.alloc(16).toString("base64"), `${"!".repeat(43)}=`]) {
      await mkdir(dataDir, { recursive: true });
      await writeFile(join(dataDir, "secret.key"), content);
      const err = await LocalFileSecretStore.open(dataDir).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(Error);
      const message = (err as Error).message;
      expect(message).toMatch(/secret\.key is corrupt/);
      expect(message).toMatch(/restore it from a backup, or delete it/);
      expect(message).not.toContain("\n");
      await rm(dataDir, { recursive: true });
    }
  });
});

describe("SecretsManagerSecretStore", () => {
  const sm = mockClient(SecretsManagerClient);
  let now = 1_000_000;
  const clock = { now: () => now };
  const notFound = () => new ResourceNotFoundException({ message: "not found", $metadata: {} });
  const exists = () => new ResourceExistsException({ message: "exists", $metadata: {} });
  const makeStore = (extra: Partial<ConstructorParameters<typeof SecretsManagerSecretStore>[1]> = {}) =>
    new SecretsManagerSecretStore(new SecretsManagerClient({ region: "us-east-1" }), {
      prefix: "codex-pooler/test/",
      clock,
      ...extra,
    });

  beforeEach(() => {
    sm.reset();
    now = 1_000_000;
  });

  it("gets a hit by prefixed id", async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: "tok" });
    expect(await makeStore().get("account/a1")).toBe("tok");
    expect(sm.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({
      SecretId: "codex-pooler/test/account/a1",
    });
  });

  it("returns undefined on ResourceNotFound and does not cache the miss", async () => {
    sm.on(GetSecretValueCommand).rejectsOnce(notFound()).resolves({ SecretString: "later" });
    const store = makeStore();
    expect(await store.get("a")).toBeUndefined();
    expect(await store.get("a")).toBe("later");
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it("propagates other errors", async () => {
    sm.on(GetSecretValueCommand).rejects(new Error("AccessDenied"));
    await expect(makeStore().get("a")).rejects.toThrow("AccessDenied");
  });

  it("serves from cache within the TTL and refetches after it", async () => {
    sm.on(GetSecretValueCommand).resolvesOnce({ SecretString: "v1" }).resolves({ SecretString: "v2" });
    const store = makeStore({ cacheTtlMs: 10_000 });
    expect(await store.get("a")).toBe("v1");
    now += 9_999;
    expect(await store.get("a")).toBe("v1");
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    now += 1;
    expect(await store.get("a")).toBe("v2");
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it("defaults the TTL to 30 seconds", async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: "v" });
    const store = makeStore();
    await store.get("a");
    now += 29_999;
    await store.get("a");
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    now += 1;
    await store.get("a");
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it("puts an existing secret with PutSecretValue and updates the cache", async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: "old" });
    sm.on(PutSecretValueCommand).resolves({});
    const store = makeStore();
    expect(await store.get("a")).toBe("old");
    await store.put("a", "new");
    expect(await store.get("a")).toBe("new");
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    expect(sm.commandCalls(CreateSecretCommand)).toHaveLength(0);
    expect(sm.commandCalls(PutSecretValueCommand)[0]?.args[0].input).toEqual({
      SecretId: "codex-pooler/test/a",
      SecretString: "new",
    });
  });

  it("falls back to CreateSecret with KmsKeyId and tags when the secret does not exist", async () => {
    sm.on(PutSecretValueCommand).rejects(notFound());
    sm.on(CreateSecretCommand).resolves({});
    const store = makeStore({ kmsKeyId: "alias/pooler", tags: { app: "codex-pooler", stage: "test" } });
    await store.put("a", "v");
    expect(sm.commandCalls(CreateSecretCommand)[0]?.args[0].input).toEqual({
      Name: "codex-pooler/test/a",
      SecretString: "v",
      KmsKeyId: "alias/pooler",
      Tags: [
        { Key: "app", Value: "codex-pooler" },
        { Key: "stage", Value: "test" },
      ],
    });
    expect(await store.get("a")).toBe("v"); // cached from the put
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  it("omits KmsKeyId and Tags when not configured", async () => {
    sm.on(PutSecretValueCommand).rejects(notFound());
    sm.on(CreateSecretCommand).resolves({});
    await makeStore().put("a", "v");
    expect(sm.commandCalls(CreateSecretCommand)[0]?.args[0].input).toEqual({
      Name: "codex-pooler/test/a",
      SecretString: "v",
    });
  });

  it("retries PutSecretValue once when CreateSecret loses a race", async () => {
    sm.on(PutSecretValueCommand).rejectsOnce(notFound()).resolves({});
    sm.on(CreateSecretCommand).rejects(exists());
    const store = makeStore();
    await store.put("a", "mine");
    const puts = sm.commandCalls(PutSecretValueCommand);
    expect(puts).toHaveLength(2);
    expect(puts[1]?.args[0].input).toEqual({ SecretId: "codex-pooler/test/a", SecretString: "mine" });
    expect(sm.commandCalls(CreateSecretCommand)).toHaveLength(1);
    expect(await store.get("a")).toBe("mine");
  });

  it("does not cache a value whose put failed", async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: "stored" });
    sm.on(PutSecretValueCommand).rejects(new Error("Throttled"));
    const store = makeStore();
    await expect(store.put("a", "unsaved")).rejects.toThrow("Throttled");
    expect(await store.get("a")).toBe("stored");
  });

  it("deletes without recovery, drops the cache entry and ignores not found", async () => {
    sm.on(GetSecretValueCommand).resolvesOnce({ SecretString: "v" }).rejects(notFound());
    sm.on(DeleteSecretCommand).resolvesOnce({}).rejects(notFound());
    const store = makeStore();
    expect(await store.get("a")).toBe("v");
    await store.delete("a");
    expect(sm.commandCalls(DeleteSecretCommand)[0]?.args[0].input).toEqual({
      SecretId: "codex-pooler/test/a",
      ForceDeleteWithoutRecovery: true,
    });
    expect(await store.get("a")).toBeUndefined(); // went back to AWS instead of the cache
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    await expect(store.delete("a")).resolves.toBeUndefined();
  });
});
