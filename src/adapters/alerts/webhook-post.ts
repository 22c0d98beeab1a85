// One webhook POST with the SSRF guard applied where it matters: at connect time. The DNS answer is
// checked inside the socket's own lookup, so the address that is connected to is the address that was
// checked (no window for DNS rebinding). Redirects are not followed; the answer body is discarded.
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import type { AttemptOutcome } from "../../core/alerts/model.ts";
import type { PostResult, WebhookPost } from "../../core/alerts/sender.ts";
import { forbiddenAddress } from "../../core/alerts/webhook-url.ts";

const MAX_ANSWER_BYTES = 64 * 1024;
const REFUSED = "E_WEBHOOK_ADDRESS_REFUSED";

function guardedLookup(allowLocal: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) {
        callback(error, "", 0);
        return;
      }
      const list = addresses as unknown as LookupAddress[];
      if (list.length === 0 || list.some((a) => forbiddenAddress(a.address, allowLocal))) {
        const refused: NodeJS.ErrnoException = new Error("webhook address refused");
        refused.code = REFUSED;
        callback(refused, "", 0);
        return;
      }
      if (options.all) callback(null, list);
      else callback(null, (list[0] as LookupAddress).address, (list[0] as LookupAddress).family);
    });
  };
}

function errorCodeOf(error: NodeJS.ErrnoException): { outcome: AttemptOutcome; errorCode: string } {
  switch (error.code) {
    case REFUSED:
      return { outcome: "refused", errorCode: "address_refused" };
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return { outcome: "network_error", errorCode: "dns_failed" };
    case "ECONNREFUSED":
      return { outcome: "network_error", errorCode: "connection_refused" };
    case "ECONNRESET":
    case "EPIPE":
      return { outcome: "network_error", errorCode: "connection_reset" };
    default:
      if (/^ERR_TLS|CERT|SSL/.test(error.code ?? ""))
        return { outcome: "network_error", errorCode: "tls_error" };
      return { outcome: "network_error", errorCode: "network_error" };
  }
}

export const postWebhook: WebhookPost = (url, body, headers, options): Promise<PostResult> => {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: Omit<PostResult, "durationMs">) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...result, durationMs: elapsed() });
    };
    const client = url.protocol === "https:" ? https : http;
    const request = client.request(url, {
      method: "POST",
      headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
      lookup: guardedLookup(options.allowLocal),
      agent: false,
    });
    const timer = setTimeout(() => {
      finish({ outcome: "timeout", errorCode: "timeout" });
      request.destroy();
    }, options.timeoutMs);
    request.on("response", (response) => {
      const statusCode = response.statusCode ?? 0;
      let received = 0;
      response.on("data", (chunk: Buffer) => {
        received += chunk.length;
        if (received > MAX_ANSWER_BYTES) response.destroy();
      });
      const done = () =>
        finish(
          statusCode >= 200 && statusCode < 300
            ? { outcome: "delivered", statusCode }
            : { outcome: "http_error", statusCode, errorCode: `http_${statusCode}` },
        );
      response.on("end", done);
      response.on("close", done);
      response.on("error", done);
    });
    request.on("error", (error: NodeJS.ErrnoException) => finish(errorCodeOf(error)));
    request.end(body);
  });
};
