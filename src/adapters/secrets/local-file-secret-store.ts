// SecretStore for the local host: one AES-256-GCM encrypted file per secret under the data dir.
// The master key lives next to the data (this protects against copied backups/log scrapes of the
// secrets dir and accidental plaintext on disk, not against someone who can read the whole dir).
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { chmod, mkdir, open, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { SecretStore } from "../../core/ports.ts";

const KEY_FILE = "secret.key";
const KEY_BYTES = 32;
const KEY_VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const ALG = "AES-256-GCM";

interface SecretFile {
  v: 1;
  alg: typeof ALG;
  keyVersion: number;
  nonce: string;
  tag: string;
  ciphertext: string;
}

export class LocalFileSecretStore implements SecretStore {
  private constructor(
    private readonly secretsDir: string,
    private readonly key: Buffer,
  ) {}

  static async open(dataDir: string): Promise<LocalFileSecretStore> {
    await mkdirPrivate(dataDir);
    const key = await loadOrCreateKey(join(dataDir, KEY_FILE));
    const secretsDir = join(dataDir, "secrets");
    await mkdirPrivate(secretsDir);
    return new LocalFileSecretStore(secretsDir, key);
  }

  async get(name: string): Promise<string | undefined> {
    let raw: string;
    try {
      raw = await readFile(this.pathFor(name), "utf8");
    } catch (err) {
      if (errnoCode(err) === "ENOENT") return undefined;
      throw err;
    }
    const file = parseSecretFile(raw, name);
    const decipher = createDecipheriv("aes-256-gcm", this.key, Buffer.from(file.nonce, "base64"), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(aad(name, file.keyVersion));
    decipher.setAuthTag(Buffer.from(file.tag, "base64"));
    try {
      const plain = Buffer.concat([
        decipher.update(Buffer.from(file.ciphertext, "base64")),
        decipher.final(),
      ]);
      return plain.toString("utf8");
    } catch {
      // GCM auth failure: tampered bytes, a file copied from another name, or a different key.
      throw new Error(`Secret "${name}" failed integrity check (tampered, swapped, or wrong secret.key)`);
    }
  }

  async put(name: string, value: string): Promise<void> {
    const nonce = randomBytes(NONCE_BYTES); // never reuse a nonce under the same key
    const cipher = createCipheriv("aes-256-gcm", this.key, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad(name, KEY_VERSION));
    const ciphertext = Buffer.concat([cipher.update(value, "utf8"), cipher.final()]);
    const file: SecretFile = {
      v: 1,
      alg: ALG,
      keyVersion: KEY_VERSION,
      nonce: nonce.toString("base64"),
      tag: cipher.getAuthTag().toString("base64"),
      ciphertext: ciphertext.toString("base64"),
    };
    await writeAtomic(this.pathFor(name), JSON.stringify(file));
  }

  async delete(name: string): Promise<void> {
    try {
      await unlink(this.pathFor(name));
    } catch (err) {
      if (errnoCode(err) !== "ENOENT") throw err;
    }
  }

  // Hashing keeps arbitrary names (slashes, unicode) out of the filesystem and out of directory listings.
  private pathFor(name: string): string {
    return join(this.secretsDir, `${createHash("sha256").update(name, "utf8").digest("hex")}.json`);
  }
}

// Binds ciphertext to its name and key version, so a file moved to another name's path fails to decrypt.
function aad(name: string, keyVersion: number): Buffer {
  return Buffer.from(JSON.stringify(["codex-pooler-secret", keyVersion, name]), "utf8");
}

async function mkdirPrivate(dir: string): Promise<void> {
  // mkdir's mode is filtered by umask; chmod only what we created, never an existing user dir.
  const created = await mkdir(dir, { recursive: true, mode: 0o700 });
  if (created !== undefined) await chmod(dir, 0o700);
}

async function loadOrCreateKey(path: string): Promise<Buffer> {
  try {
    const key = randomBytes(KEY_BYTES);
    // `wx` fails if the file exists, so two processes starting at once cannot both mint a key.
    await writeFile(path, `${key.toString("base64")}\n`, { flag: "wx", mode: 0o600 });
    return key;
  } catch (err) {
    if (errnoCode(err) !== "EEXIST") throw err;
  }
  // The winner of a create race may not have written its bytes yet; give it a moment.
  for (let attempt = 0; ; attempt++) {
    const text = (await readFile(path, "utf8")).trim();
    if (text === "" && attempt < 20) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      continue;
    }
    // Buffer.from(base64) silently skips junk, so check the exact shape of 32 bytes in base64.
    if (!/^[A-Za-z0-9+/]{43}=$/.test(text)) {
      throw new Error(
        `Master key file ${path} is corrupt (expected 32 bytes of base64): restore it from a backup, or delete it to start fresh (existing secrets will be unreadable and accounts must be re-added).`,
      );
    }
    return Buffer.from(text, "base64");
  }
}

function parseSecretFile(raw: string, name: string): SecretFile {
  let file: Partial<SecretFile>;
  try {
    file = JSON.parse(raw) as Partial<SecretFile>;
  } catch {
    throw new Error(`Secret "${name}" file is not valid JSON`);
  }
  const isB64 = (s: unknown): s is string => typeof s === "string" && /^[A-Za-z0-9+/]*={0,2}$/.test(s);
  if (
    file?.v !== 1 ||
    file.alg !== ALG ||
    file.keyVersion !== KEY_VERSION ||
    !isB64(file.nonce) ||
    !isB64(file.tag) ||
    !isB64(file.ciphertext) ||
    Buffer.from(file.nonce, "base64").length !== NONCE_BYTES ||
    // A short tag would weaken authentication; accept only full 16-byte tags.
    Buffer.from(file.tag, "base64").length !== TAG_BYTES
  ) {
    throw new Error(`Secret "${name}" file has an unsupported or malformed format`);
  }
  return file as SecretFile;
}

// Temp file in the same directory + rename: readers see the old or the new file, never a torn one.
async function writeAtomic(path: string, data: string): Promise<void> {
  const tmp = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    const handle = await open(tmp, "wx", 0o600);
    try {
      await handle.writeFile(data, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
}

function errnoCode(err: unknown): string | undefined {
  return typeof err === "object" && err !== null && "code" in err ? String(err.code) : undefined;
}
