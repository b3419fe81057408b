// The API key prompt. Reads need no key; mutating calls (promote, roll back, train, OPF,
// compliance questions) go through withKey(), which asks for the key when none is kept for
// this tab (sessionStorage), again when the gateway answers 401, and for another key when it
// answers 403 (the key lacks the scope the action needs: the gateway's message names it).
import { createContext, useCallback, useContext, useEffect, useRef, useState, type FormEvent, type ReactNode } from "react";
import { ApiError, getApiKey, setApiKey } from "../api";

type WithKey = <T>(fn: () => Promise<T>, purpose?: string) => Promise<T>;
const Ctx = createContext<WithKey>((fn) => fn());
export const useWithKey = () => useContext(Ctx);

interface Pending {
  purpose: string;
  retry: boolean;
  reason?: string;
  resolve: (ok: boolean) => void;
}

export function ApiKeyProvider({ children }: { children: ReactNode }) {
  const [pending, setPending] = useState<Pending | null>(null);
  const ask = useCallback(
    (purpose: string, retry: boolean, reason?: string) =>
      new Promise<boolean>((resolve) => setPending({ purpose, retry, reason, resolve })),
    [],
  );
  const withKey: WithKey = useCallback(
    async (fn, purpose = "this action") => {
      if (!getApiKey() && !(await ask(purpose, false))) throw new ApiError(401, "unauthorized", "no API key given");
      try {
        return await fn();
      } catch (e) {
        if (e instanceof ApiError && e.status === 401) {
          setApiKey(null);
          if (await ask(purpose, true)) return await fn();
        } else if (e instanceof ApiError && e.status === 403 && e.code === "forbidden") {
          // The key is valid but lacks a scope: keep it unless the user gives another one.
          if (await ask(purpose, true, e.message)) return await fn();
        }
        throw e;
      }
    },
    [ask],
  );
  return (
    <Ctx.Provider value={withKey}>
      {children}
      {pending && (
        <KeyDialog
          purpose={pending.purpose}
          retry={pending.retry}
          reason={pending.reason}
          onDone={(ok) => {
            pending.resolve(ok);
            setPending(null);
          }}
        />
      )}
    </Ctx.Provider>
  );
}

function KeyDialog({
  purpose,
  retry,
  reason,
  onDone,
}: {
  purpose: string;
  retry: boolean;
  reason?: string;
  onDone: (ok: boolean) => void;
}) {
  const [value, setValue] = useState("");
  const input = useRef<HTMLInputElement>(null);
  const opener = useRef<Element | null>(typeof document !== "undefined" ? document.activeElement : null);
  useEffect(() => {
    input.current?.focus();
    const prev = opener.current;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") onDone(false);
    };
    window.addEventListener("keydown", onKey);
    return () => {
      window.removeEventListener("keydown", onKey);
      (prev as HTMLElement | null)?.focus?.();
    };
  }, [onDone]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const k = value.trim();
    if (!k) return;
    setApiKey(k);
    onDone(true);
  };
  return (
    <div className="modal-backdrop">
      <form className="modal" role="dialog" aria-modal="true" aria-labelledby="apikey-title" onSubmit={submit} data-testid="apikey-dialog">
        <h2 id="apikey-title">API key needed</h2>
        <p>
          {reason ? `${reason}. ` : retry ? "The gateway refused the key. " : ""}
          {`To ${purpose}, enter an API key (sent as the X-API-Key header; kept for this tab only). `}
          With <code>make up</code> the admin key is in <code>var/gateway/api-keys</code>; keys with fewer
          scopes come from <code>scripts/keys.sh add --scope ingest|read|operate</code>.
        </p>
        <label htmlFor="apikey-input">API key</label>
        <input id="apikey-input" ref={input} type="password" autoComplete="off" value={value} onChange={(e) => setValue(e.target.value)} />
        <div className="modal-actions">
          <button type="button" className="btn" onClick={() => onDone(false)}>
            Cancel
          </button>
          <button type="submit" className="btn primary" disabled={!value.trim()}>
            Use key
          </button>
        </div>
      </form>
    </div>
  );
}
