// The open WebSocket sessions of this instance, by Pool API key: pausing, revoking or rotating a key
// here closes its sockets at once with 1008. Other instances are not told; their sessions check the
// key on every turn through the credential cache, so there it takes effect within that cache's TTL
// (a few seconds) at the next turn.
import type { CredentialService } from "../../keys/credentials.ts";
import type { Credential } from "../../model.ts";
import type { WebSocketSession } from "./session.ts";

export class WebSocketRegistry {
  readonly #byKey = new Map<string, Set<WebSocketSession>>();
  readonly #unsubscribe: () => void;

  constructor(credentials: CredentialService) {
    this.#unsubscribe = credentials.onChange((credential) => this.#keyChanged(credential));
  }

  get size(): number {
    let n = 0;
    for (const sessions of this.#byKey.values()) n += sessions.size;
    return n;
  }

  add(session: WebSocketSession): void {
    let sessions = this.#byKey.get(session.keyId);
    if (!sessions) {
      sessions = new Set();
      this.#byKey.set(session.keyId, sessions);
    }
    sessions.add(session);
  }

  delete(session: WebSocketSession): void {
    const sessions = this.#byKey.get(session.keyId);
    sessions?.delete(session);
    if (sessions?.size === 0) this.#byKey.delete(session.keyId);
  }

  /**
   * Shutdown begins: idle sessions close now with 1001 ("going away" makes clients reconnect
   * elsewhere), the others as soon as their turn in flight ends.
   */
  drainAll(): void {
    for (const session of this.#all()) session.drain();
  }

  /** The shutdown grace is over: turns still in flight end with an error event, then 1001. */
  stopAll(): void {
    for (const session of this.#all()) session.stop();
  }

  #all(): WebSocketSession[] {
    return [...this.#byKey.values()].flatMap((sessions) => [...sessions]);
  }

  dispose(): void {
    this.#unsubscribe();
  }

  #keyChanged(credential: Credential): void {
    if (credential.kind !== "pool_key") return;
    for (const session of [...(this.#byKey.get(credential.id) ?? [])]) {
      if (credential.status !== "active") {
        session.close(1008, `api key is ${credential.status}`, "api_key_disabled");
      } else if (credential.secretHash !== session.keySecretHash) {
        session.close(1008, "api key was rotated; reconnect with the new key", "api_key_rotated");
      }
    }
  }
}
