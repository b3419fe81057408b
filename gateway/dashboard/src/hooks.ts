// Data hooks: fetch through src/api.ts, keep the last good value while refreshing, poll while
// the tab is visible, and cancel on unmount so a slow service never updates a gone page.
import { useCallback, useEffect, useRef, useState } from "react";

export interface Loadable<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  /** When the data was last fetched successfully (ms). */
  updated: number | null;
  reload: () => void;
}

export function useApi<T>(
  fn: (signal: AbortSignal) => Promise<T>,
  deps: unknown[],
  opts: { interval?: number; enabled?: boolean } = {},
): Loadable<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(opts.enabled !== false);
  const [updated, setUpdated] = useState<number | null>(null);
  const [tick, setTick] = useState(0);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  const enabled = opts.enabled !== false;

  // A change of inputs starts over: no stale data from another region/case.
  const key = JSON.stringify(deps);
  const lastKey = useRef(key);
  if (lastKey.current !== key) {
    lastKey.current = key;
    if (data !== undefined) setData(undefined);
  }

  useEffect(() => {
    if (!enabled) {
      setLoading(false);
      return;
    }
    const ac = new AbortController();
    setLoading(true);
    fnRef
      .current(ac.signal)
      .then((d) => {
        if (ac.signal.aborted) return;
        setData(d);
        setError(null);
        setUpdated(Date.now());
      })
      .catch((e) => {
        if (ac.signal.aborted || (e as Error)?.name === "AbortError") return;
        setError(e);
      })
      .finally(() => {
        if (!ac.signal.aborted) setLoading(false);
      });
    return () => ac.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, tick, enabled]);

  useEffect(() => {
    if (!opts.interval || !enabled) return;
    const id = setInterval(() => {
      if (typeof document === "undefined" || document.visibilityState !== "hidden") setTick((t) => t + 1);
    }, opts.interval);
    return () => clearInterval(id);
  }, [opts.interval, enabled]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, updated, reload };
}
