// The JSON-RPC error answer of /mcp, for refusals made before a request is read (no request id):
// the MCP route's own, and the runtime firewall's on /mcp. Kept apart from the route so hosts that
// never serve /mcp (the console function) do not bundle it.
export function rpcError(
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return Response.json(
    { jsonrpc: "2.0", error: { code, message }, id: null },
    { status, headers: { ...headers, "cache-control": "no-store" } },
  );
}
