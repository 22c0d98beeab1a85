// SigV4 signing for the admin API on AWS: the admin function URL uses AWS_IAM auth, so the CLI signs
// each request (service `lambda`) with the operator's AWS credentials instead of sending a bearer
// token. The AWS credential chain is imported only when signing is on, so the local (bearer) path
// never loads the AWS SDK.
import { createHash, createHmac } from "node:crypto";
import { SignatureV4 } from "@smithy/signature-v4";
import type {
  AwsCredentialIdentity,
  AwsCredentialIdentityProvider,
  Checksum,
  SourceData,
} from "@smithy/types";
import { CliError } from "./errors.ts";

export interface SignableRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

/** Returns the headers to send (the given ones plus `authorization`, `x-amz-date`, …). */
export type RequestSigner = (request: SignableRequest) => Promise<Record<string, string>>;

const FUNCTION_URL_HOST = /^[a-z0-9]+\.lambda-url\.([a-z0-9-]+)\.on\.aws$/;

/** True for `https://<id>.lambda-url.<region>.on.aws` (the admin function URL). */
export function isFunctionUrl(baseUrl: string): boolean {
  try {
    return FUNCTION_URL_HOST.test(new URL(baseUrl.trim()).hostname);
  } catch {
    return false; // the admin client reports the invalid URL
  }
}

export function signingRegion(baseUrl: string, env: Readonly<Record<string, string | undefined>>): string {
  const fromHost = FUNCTION_URL_HOST.exec(new URL(baseUrl).hostname)?.[1];
  const region = fromHost ?? env.AWS_REGION?.trim() ?? env.AWS_DEFAULT_REGION?.trim();
  if (!region) {
    throw new CliError(
      "--aws needs a region: use the function URL (…lambda-url.<region>.on.aws) or set AWS_REGION",
    );
  }
  return region;
}

/** node:crypto behind the hash interface the signer expects (HMAC when a secret is given). */
class Sha256 implements Checksum {
  #hash;
  constructor(secret?: SourceData) {
    this.#hash = secret === undefined ? createHash("sha256") : createHmac("sha256", toBuffer(secret));
  }
  update(data: SourceData): void {
    this.#hash.update(toBuffer(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }
  reset(): void {
    throw new Error("not supported");
  }
}

function toBuffer(data: SourceData): Buffer {
  if (typeof data === "string") return Buffer.from(data, "utf8");
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data as ArrayBuffer);
}

export function sigv4Signer(options: {
  region: string;
  credentials: AwsCredentialIdentityProvider;
  /** Fixed signing time (tests). */
  now?: () => Date;
}): RequestSigner {
  const credentials: AwsCredentialIdentityProvider = async () => {
    try {
      return await options.credentials();
    } catch (error) {
      throw new CliError(
        `no AWS credentials for SigV4 (${error instanceof Error ? error.message.split("\n")[0] : "unknown"}); ` +
          "configure a profile (AWS_PROFILE) or run aws sso login",
      );
    }
  };
  const signer = new SignatureV4({ service: "lambda", region: options.region, credentials, sha256: Sha256 });
  return async (request) => {
    const url = new URL(request.url);
    const query: Record<string, string> = {};
    url.searchParams.forEach((value, name) => {
      query[name] = value;
    });
    const signed = await signer.sign(
      {
        method: request.method,
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port ? Number(url.port) : undefined,
        path: url.pathname,
        query,
        headers: { ...request.headers, host: url.host },
        body: request.body,
      },
      options.now ? { signingDate: options.now() } : {},
    );
    // fetch sets Host itself.
    const { host: _host, ...headers } = signed.headers;
    return headers;
  };
}

let chain: AwsCredentialIdentityProvider | undefined;

/** The default AWS credential chain (env, profile, SSO, instance role), loaded on first use and memoised. */
export async function defaultAwsCredentials(): Promise<AwsCredentialIdentity> {
  if (!chain) {
    const { fromNodeProviderChain } = await import("@aws-sdk/credential-providers");
    chain = fromNodeProviderChain();
  }
  return chain();
}
