import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { ApiOutcome } from './api';

export type Loaded<T> =
  | { readonly state: 'loading' }
  | { readonly state: 'ready'; readonly value: T; readonly at: number }
  /** The last good value is kept when a refresh fails: the customer still sees it, with the failure. */
  | { readonly state: 'failed'; readonly failure: Exclude<ApiOutcome<T>, { ok: true }>; readonly value?: T };

/** Loads on mount and whenever `key` changes, again every `refreshMs`, and on `reload()`. */
export function useLoad<T>(load: () => Promise<ApiOutcome<T>>, key: string, refreshMs?: number): [Loaded<T>, () => void] {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: 'loading' });
  const last = useRef<T | undefined>(undefined);
  const loader = useRef(load);
  loader.current = load;
  const generation = useRef(0);
  const reload = useCallback(() => {
    const mine = ++generation.current;
    void loader.current().then((outcome) => {
      if (mine !== generation.current) return;
      if (outcome.ok) {
        last.current = outcome.body;
        setLoaded({ state: 'ready', value: outcome.body, at: Date.now() });
      } else setLoaded({ state: 'failed', failure: outcome, ...(last.current === undefined ? {} : { value: last.current }) });
    });
  }, []);
  useEffect(() => {
    last.current = undefined;
    setLoaded({ state: 'loading' });
    reload();
    if (!refreshMs) return;
    const timer = setInterval(reload, refreshMs);
    return () => clearInterval(timer);
  }, [key, refreshMs, reload]);
  return [loaded, reload];
}

export function valueOf<T>(loaded: Loaded<T>): T | undefined {
  return loaded.state === 'loading' ? undefined : loaded.value;
}
