// A fetch stub for component tests: routes are "METHOD /path" (query ignored) → [status, body].
import { vi } from "vitest";

type Reply = [number, unknown] | [number, unknown, Record<string, string>];
export type Routes = Record<string, Reply | ((body: unknown, url: string) => Reply)>;

export function mockFetch(routes: Routes) {
  const calls: { method: string; url: string; body: unknown; headers: Record<string, string> }[] = [];
  const fn = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    const method = init?.method ?? "GET";
    const body = init?.body ? JSON.parse(String(init.body)) : undefined;
    calls.push({ method, url, body, headers: (init?.headers ?? {}) as Record<string, string> });
    const path = url.split("?")[0];
    const r = routes[`${method} ${path}`];
    const [status, payload, headers] = typeof r === "function" ? r(body, url) : (r ?? [404, { error: { code: "route_not_found", message: "no route", details: [] } }]);
    return new Response(JSON.stringify(payload), { status, headers: { "Content-Type": "application/json", ...(headers ?? {}) } });
  });
  vi.stubGlobal("fetch", fn);
  return calls;
}
