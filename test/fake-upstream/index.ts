export type { FaultBehavior } from "./faults.ts";
export { decodeJwtPayload, makeFakeJwt } from "./jwt.ts";
export { startFakeUpstream } from "./server.ts";
export { formatSse, type SseEvent, TEXT_USAGE, TOOL_USAGE } from "./sse.ts";
export type {
  AuthJson,
  Behavior,
  FakeAccount,
  FakeAccountOptions,
  FakeOAuthApi,
  FakeUpstream,
  FakeWebSocketSession,
  RecordedRequest,
  UsageSettings,
} from "./types.ts";
export {
  type ZstdBlock,
  type ZstdFrameSpec,
  zstdFrame,
  zstdRawFrame,
  zstdRleBomb,
  zstdSkippableFrame,
} from "./zstd-raw.ts";
