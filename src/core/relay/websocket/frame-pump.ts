// The frame pump between the session's two sockets, with backpressure both ways: when one side has
// more than the high-water mark queued, reading from the other side pauses until it has drained.
// Client reading is also held while turns wait in the session's queue (one turn at a time).
import type { FrameSocket } from "./sockets.ts";

type ClientHold = "queue" | "backpressure";

export class FramePump {
  readonly #highWaterBytes: number;
  readonly #clientHolds = new Set<ClientHold>();
  #client?: FrameSocket;
  #upstream?: FrameSocket;
  /** The client's queue is over the mark: the upstream is not read until it drains. */
  #upstreamHeld = false;

  constructor(highWaterBytes: number) {
    this.#highWaterBytes = highWaterBytes;
  }

  set client(socket: FrameSocket) {
    this.#client = socket;
  }

  /** The upstream socket frames go to (undefined between sockets); a new one starts paused if held. */
  set upstream(socket: FrameSocket | undefined) {
    this.#upstream = socket;
    if (socket && this.#upstreamHeld) socket.pause();
  }

  toClient(text: string): void {
    const client = this.#client;
    if (!client) return;
    client.send(text);
    if (client.bufferedAmount > this.#highWaterBytes && !this.#upstreamHeld) {
      this.#upstreamHeld = true;
      this.#upstream?.pause();
      client.onceDrained(() => {
        this.#upstreamHeld = false;
        this.#upstream?.resume();
      });
    }
  }

  toUpstream(text: string): void {
    const upstream = this.#upstream;
    if (!upstream) return;
    upstream.send(text);
    if (upstream.bufferedAmount > this.#highWaterBytes && !this.#clientHolds.has("backpressure")) {
      this.holdClient("backpressure");
      upstream.onceDrained(() => this.releaseClient("backpressure"));
    }
  }

  holdClient(reason: ClientHold): void {
    if (this.#clientHolds.has(reason)) return;
    this.#clientHolds.add(reason);
    if (this.#clientHolds.size === 1) this.#client?.pause();
  }

  releaseClient(reason: ClientHold): void {
    if (this.#clientHolds.delete(reason) && this.#clientHolds.size === 0) this.#client?.resume();
  }
}
