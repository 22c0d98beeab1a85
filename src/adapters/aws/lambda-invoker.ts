// Hands a WebSocket turn to the worker function with an asynchronous invocation (Lambda Invoke,
// `X-Amz-Invocation-Type: Event`): Lambda queues it and answers 202 at once, so `$default` returns
// long before the turn ends. Signed with SigV4 directly (the function's role credentials from its
// environment) rather than pulling in the Lambda client for one call.
import { createHash, createHmac } from "node:crypto";
import { SignatureV4 } from "@smithy/signature-v4";
import type { AwsCredentialIdentity, Checksum, SourceData } from "@smithy/types";
import type { TurnDispatcher, TurnJob } from "../../core/relay/websocket/connections.ts";

export interface LambdaInvokerOptions {
  functionName: string;
  region: string;
  /** e.g. an emulator; default `https://lambda.<region>.amazonaws.com`. */
  endpoint?: string;
  credentials?: () => Promise<AwsCredentialIdentity>;
  fetch?: typeof fetch;
}

/** Lambda puts the execution role's credentials in every function's environment. */
export async function environmentCredentials(): Promise<AwsCredentialIdentity> {
  const accessKeyId = process.env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) throw new Error("no AWS credentials in the environment");
  return { accessKeyId, secretAccessKey, sessionToken: process.env.AWS_SESSION_TOKEN || undefined };
}

export function lambdaAsyncInvoker(options: LambdaInvokerOptions): TurnDispatcher {
  const base = (options.endpoint ?? `https://lambda.${options.region}.amazonaws.com`).replace(/\/+$/, "");
  const signer = new SignatureV4({
    service: "lambda",
    region: options.region,
    credentials: options.credentials ?? environmentCredentials,
    sha256: Sha256,
  });
  const doFetch = options.fetch ?? fetch;
  return {
    async dispatch(job: TurnJob) {
      const url = new URL(
        `${base}/2015-03-31/functions/${encodeURIComponent(options.functionName)}/invocations`,
      );
      const body = JSON.stringify(job);
      const signed = await signer.sign({
        method: "POST",
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port ? Number(url.port) : undefined,
        path: url.pathname,
        headers: {
          host: url.host,
          "content-type": "application/json",
          "x-amz-invocation-type": "Event",
        },
        body,
      });
      const { host: _host, ...headers } = signed.headers;
      const response = await doFetch(url, { method: "POST", headers, body });
      await response.body?.cancel().catch(() => undefined);
      if (response.status !== 202) {
        const type = response.headers.get("x-amzn-errortype")?.split(":")[0] ?? "unknown";
        throw new Error(`Lambda Invoke answered ${response.status} (${type})`);
      }
    },
  };
}

/** node:crypto behind the hash interface the signer expects (HMAC when a secret is given). */
class Sha256 implements Checksum {
  #hash;
  constructor(secret?: SourceData) {
    this.#hash = secret === undefined ? createHash("sha256") : createHmac("sha256", bytes(secret));
  }
  update(data: SourceData): void {
    this.#hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }
  reset(): void {
    throw new Error("not supported");
  }
}

function bytes(data: SourceData): Buffer {
  if (typeof data === "string") return Buffer.from(data, "utf8");
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data as ArrayBuffer);
}
