// Loading, empty and error states. Every data view renders through <Async>, so a service that
// is down or a route that is not there yet shows a clear message instead of a broken page.
import type { ReactNode } from "react";
import { ApiError } from "../api";

export function describeError(e: unknown, what: string): { title: string; detail: string; kind: string } {
  if (e instanceof ApiError) {
    if (e.missing)
      return {
        kind: "missing",
        title: `${what} is not available yet`,
        detail: `The service does not offer this route (${e.status} ${e.code}).`,
      };
    if (e.status === 0) return { kind: "down", title: "The gateway is not reachable", detail: e.message };
    if (e.unavailable)
      return { kind: "down", title: `${what}: service unavailable`, detail: `${e.status} ${e.code}: ${e.message}` };
    if (e.status === 401) return { kind: "auth", title: "API key needed", detail: e.message };
    if (e.status === 403) return { kind: "auth", title: "The API key lacks a scope", detail: e.message };
    return { kind: "error", title: `${what} failed`, detail: `${e.status} ${e.code}: ${e.message}` };
  }
  return { kind: "error", title: `${what} failed`, detail: e instanceof Error ? e.message : String(e) };
}

export function ErrorState({ error, what, onRetry }: { error: unknown; what: string; onRetry?: () => void }) {
  const d = describeError(error, what);
  return (
    <div className={`state state-${d.kind}`} role="status" data-state="error" data-error-kind={d.kind}>
      <strong>{d.title}</strong>
      <span className="muted">{d.detail}</span>
      {onRetry && (
        <button type="button" className="btn small" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}

export function EmptyState({ children }: { children: ReactNode }) {
  return (
    <div className="state state-empty" role="status" data-state="empty">
      {children}
    </div>
  );
}

export function Loading({ what }: { what?: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite" data-state="loading">
      <span className="spinner" aria-hidden="true" /> Loading{what ? ` ${what}` : ""}…
    </div>
  );
}

/** Renders children(data) once there is data; loading / error / empty otherwise. */
export function Async<T>({
  state,
  what,
  empty,
  isEmpty,
  children,
}: {
  state: { data: T | undefined; error: unknown; loading: boolean; reload: () => void };
  what: string;
  empty?: ReactNode;
  isEmpty?: (d: T) => boolean;
  children: (d: T) => ReactNode;
}) {
  if (state.data === undefined) {
    if (state.error) return <ErrorState error={state.error} what={what} onRetry={state.reload} />;
    return <Loading what={what.toLowerCase()} />;
  }
  if (isEmpty?.(state.data)) return <EmptyState>{empty ?? `No ${what.toLowerCase()} yet.`}</EmptyState>;
  return (
    <>
      {state.error ? <ErrorState error={state.error} what={`Refreshing ${what.toLowerCase()}`} /> : null}
      {children(state.data)}
    </>
  );
}
