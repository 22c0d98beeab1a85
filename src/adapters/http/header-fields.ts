// A web Response's headers for a Node-side writer (the Lambda stream prelude, a Node ServerResponse):
// single-valued fields in a plain record, `set-cookie` apart as a list (it cannot be comma-joined).
export function headerFields(headers: Headers): { fields: Record<string, string>; cookies: string[] } {
  const fields: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (name !== "set-cookie") fields[name] = value;
  });
  return { fields, cookies: headers.getSetCookie() };
}
