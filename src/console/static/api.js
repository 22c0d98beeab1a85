// The console's admin API client: the token lives in sessionStorage and travels as a bearer header;
// a 401 sends the operator to sign-in. Also the paged and "maybe missing" reads the pages share.

const TOKEN_KEY = "codex-pooler.admin-token";
export const BASE = "/admin";
const API = "/admin/v1";

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

export class ApiError extends Error {
  constructor(status, body) {
    const error = body?.error ?? {};
    super(error.message ?? `the admin API answered ${status}`);
    this.status = status;
    this.code = error.code ?? null;
    this.param = error.param ?? null;
  }
}

/** The sign-in page, coming back to where the operator was. */
export function signInUrl(reason) {
  const query = new URLSearchParams({ next: location.pathname + location.search });
  if (reason) query.set("reason", reason);
  return `${BASE}/sign-in?${query}`;
}

/**
 * Calls the admin API. A 401 means the token is gone or revoked: forget it and go to sign-in
 * (unless `tokenOverride` is set, which the sign-in page uses to check a pasted token).
 */
export async function api(method, path, body, { tokenOverride } = {}) {
  const headers = {
    authorization: `Bearer ${tokenOverride ?? token.get() ?? ""}`,
    accept: "application/json",
  };
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${API}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
    credentials: "omit",
  });
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (response.status === 401 && tokenOverride === undefined) {
    token.clear();
    location.assign(signInUrl("expired"));
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

let whoami;
/** The signed-in token's scope ({ actor, role, pools }), asked once per page; undefined if unknown. */
export function scope() {
  whoami ??= api("GET", "/whoami").catch(() => undefined);
  return whoami;
}

/** A route this gateway may not have yet: `{ data }`, or `{ missing: true }` on 404 "no such route". */
export async function probe(path) {
  try {
    return { data: await api("GET", path) };
  } catch (error) {
    if (error instanceof ApiError && error.status === 404 && error.code === "not_found")
      return { missing: true };
    throw error;
  }
}

/** Every page of a paged list, newest first, until `stop(row)` or `maxRows`. */
export async function pages(path, { limit = 1000, maxRows = 5000, stop = () => false } = {}) {
  const rows = [];
  let cursor = null;
  for (;;) {
    const sep = path.includes("?") ? "&" : "?";
    const query = `${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const page = await api("GET", `${path}${query}`);
    for (const row of page.data) {
      if (stop(row)) return rows;
      rows.push(row);
    }
    cursor = page.nextCursor;
    if (!cursor || rows.length >= maxRows) return rows;
  }
}
