// Webhook signatures, as the original: `x-codex-pooler-signature: sha256=<hex HMAC-SHA256(secret,
// event_id + "." + attempt_id + "." + raw_body)>`, next to the event and attempt ids. A receiver
// recomputes the HMAC over the exact bytes it received and compares in constant time.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "x-codex-pooler-signature";
export const EVENT_ID_HEADER = "x-codex-pooler-event-id";
export const ATTEMPT_ID_HEADER = "x-codex-pooler-attempt-id";

export function signature(secret: string, eventId: string, attemptId: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${eventId}.${attemptId}.${body}`).digest("hex")}`;
}

export function verifySignature(
  secret: string,
  eventId: string,
  attemptId: string,
  body: string,
  header: string,
): boolean {
  const expected = Buffer.from(signature(secret, eventId, attemptId, body));
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export function signedHeaders(secret: string, eventId: string, attemptId: string, body: string) {
  return {
    "content-type": "application/json",
    "user-agent": "codex-pooler-alerts",
    [EVENT_ID_HEADER]: eventId,
    [ATTEMPT_ID_HEADER]: attemptId,
    [SIGNATURE_HEADER]: signature(secret, eventId, attemptId, body),
  };
}

/** A fresh signing secret: `whsec_` + 32 random bytes, base64url. */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString("base64url")}`;
}
