// Lambda function URL events (payload format 2.0) → web-standard `Request`, so the Hono app serves
// Lambda exactly as it serves the local Node host.

export interface FunctionUrlIamIdentity {
  accessKey?: string;
  accountId?: string;
  callerId?: string;
  userArn?: string;
  userId?: string;
  principalOrgId?: string | null;
}

export interface FunctionUrlEvent {
  version?: string;
  rawPath: string;
  rawQueryString?: string;
  cookies?: string[];
  headers?: Record<string, string | undefined>;
  body?: string;
  isBase64Encoded?: boolean;
  requestContext: {
    accountId?: string;
    apiId?: string;
    domainName: string;
    requestId?: string;
    time?: string;
    timeEpoch?: number;
    http: { method: string; path?: string; protocol?: string; sourceIp?: string; userAgent?: string };
    /** Present when the function URL uses `AWS_IAM` auth: the verified SigV4 caller. */
    authorizer?: { iam?: FunctionUrlIamIdentity };
  };
}

/**
 * Set by the distribution's viewer-request function (lib/constructs/viewer-request.ts) on every
 * request: the host the viewer asked for and the viewer's address. Trusted only when the caller has
 * verified CloudFront's origin header; always removed from the Request the app sees.
 */
export const FORWARDED_HOST_HEADER = "x-pooler-forwarded-host";
export const VIEWER_ADDRESS_HEADER = "x-pooler-viewer-address";
const HOST_NAME = /^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?(?::\d{1,5})?$/i;
const ADDRESS = /^[0-9a-f.:]{2,45}$/i;

// The event a Request was built from, for adapters that need more than HTTP (the IAM caller). A
// WeakMap rather than a header, so a client cannot forge it.
const events = new WeakMap<Request, FunctionUrlEvent>();

export function functionUrlEventOf(request: Request): FunctionUrlEvent | undefined {
  return events.get(request);
}

/**
 * What the adapter hands the app beside the Request (Hono's `c.env`; the http layer's HostBindings):
 * the viewer's address, trusted only once the origin header is verified.
 */
export interface RequestBindings {
  peerAddress?: string;
}

export function toRequest(
  event: FunctionUrlEvent,
  options: {
    signal?: AbortSignal;
    dropHeaders?: readonly string[];
    /** The request came through CloudFront (origin header verified): honour its forwarded host and viewer address. */
    fromCloudFront?: boolean;
  } = {},
): { request: Request; bindings: RequestBindings } {
  const method = event.requestContext.http.method.toUpperCase();
  const query = event.rawQueryString ? `?${event.rawQueryString}` : "";
  const headers = new Headers();
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined) headers.set(name, value);
  }
  for (const name of options.dropHeaders ?? []) headers.delete(name);
  const forwardedHost = headers.get(FORWARDED_HOST_HEADER)?.trim();
  const viewerAddress = headers.get(VIEWER_ADDRESS_HEADER)?.trim();
  headers.delete(FORWARDED_HOST_HEADER);
  headers.delete(VIEWER_ADDRESS_HEADER);
  // Behind CloudFront the function URL's own domain is not the one clients use (setup help, links).
  const host =
    options.fromCloudFront && forwardedHost && HOST_NAME.test(forwardedHost)
      ? forwardedHost
      : event.requestContext.domainName;
  const url = `https://${host}${event.rawPath || "/"}${query}`;
  // Function URLs move the Cookie header into `cookies`; put it back.
  if (event.cookies?.length) headers.set("cookie", event.cookies.join("; "));
  const hasBody = method !== "GET" && method !== "HEAD" && event.body !== undefined;
  const body = hasBody
    ? Buffer.from(event.body as string, event.isBase64Encoded ? "base64" : "utf8")
    : undefined;
  const request = new Request(url, { method, headers, body, signal: options.signal });
  events.set(request, event);
  const peerAddress =
    options.fromCloudFront && viewerAddress && ADDRESS.test(viewerAddress) ? viewerAddress : undefined;
  return { request, bindings: { peerAddress } };
}
