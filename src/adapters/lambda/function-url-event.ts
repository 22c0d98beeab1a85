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

// The event a Request was built from, for adapters that need more than HTTP (the IAM caller). A
// WeakMap rather than a header, so a client cannot forge it.
const events = new WeakMap<Request, FunctionUrlEvent>();

export function functionUrlEventOf(request: Request): FunctionUrlEvent | undefined {
  return events.get(request);
}

export function toRequest(
  event: FunctionUrlEvent,
  options: { signal?: AbortSignal; dropHeaders?: readonly string[] } = {},
): Request {
  const method = event.requestContext.http.method.toUpperCase();
  const query = event.rawQueryString ? `?${event.rawQueryString}` : "";
  const url = `https://${event.requestContext.domainName}${event.rawPath || "/"}${query}`;
  const headers = new Headers();
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined) headers.set(name, value);
  }
  for (const name of options.dropHeaders ?? []) headers.delete(name);
  // Function URLs move the Cookie header into `cookies`; put it back.
  if (event.cookies?.length) headers.set("cookie", event.cookies.join("; "));
  const hasBody = method !== "GET" && method !== "HEAD" && event.body !== undefined;
  const body = hasBody
    ? Buffer.from(event.body as string, event.isBase64Encoded ? "base64" : "utf8")
    : undefined;
  const request = new Request(url, { method, headers, body, signal: options.signal });
  events.set(request, event);
  return request;
}

/** Splits a web Response's headers into the prelude's single-valued map and its cookie list. */
export function preludeHeaders(headers: Headers): { headers: Record<string, string>; cookies: string[] } {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (name !== "set-cookie") out[name] = value;
  });
  return { headers: out, cookies: headers.getSetCookie() };
}
