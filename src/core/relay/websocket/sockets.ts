// What the host hands the WebSocket session: its two sockets as FrameSockets (whatever library
// holds them), the upstream dialer, and the limits. Transport-free: no `ws`, no Node sockets.

/** What the session is told about one side of the relay. */
export interface FrameHandlers {
  frame(text: string, binary: boolean): void;
  /** `failure` when the peer broke the protocol (the host's library already closed with its code). */
  closed(code: number, reason: string, failure?: SocketFailure): void;
}

/** A peer that broke the WebSocket protocol, as the request log records it. */
export interface SocketFailure {
  status: number;
  errorCode: string;
}

/** One WebSocket as the host's library exposes it. */
export interface FrameSocket {
  /** Starts delivering frames (the host holds them back until then). */
  listen(handlers: FrameHandlers): void;
  send(text: string): void;
  close(code: number, reason: string): void;
  /** Bytes queued for sending and not yet written. */
  readonly bufferedAmount: number;
  /** Stops / restarts reading incoming frames (backpressure). */
  pause(): void;
  resume(): void;
  /** Calls back once the queued bytes have been written out. */
  onceDrained(callback: () => void): void;
}

export type DialResult =
  | { kind: "open"; socket: FrameSocket; headers: Headers }
  | { kind: "rejected"; status: number; headers: Headers; body: string }
  | { kind: "failed" };

/** Opens an upstream WebSocket (`ws(s)://…`) with these headers. */
export type DialUpstream = (url: string, headers: Headers, signal: AbortSignal) => Promise<DialResult>;

export interface WebSocketLimits {
  /** No frame either way for this long closes the connection (1000). */
  idleTimeoutMs: number;
  /** The upstream closes a socket after 60 minutes; the pair is closed at this age, between turns. */
  upstreamMaxAgeMs: number;
  /** Above this many queued bytes on one side, reading from the other side pauses. */
  highWaterBytes: number;
}
