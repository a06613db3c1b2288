import { useEffect, useRef, useState } from 'preact/hooks';
import { callPlatform } from '../shared/api';
import type { PageConfig } from '../shared/config';
import { follow, NOT_YET_DECIDED, type Following, type PlatformStatus, type PollAnswer } from '../shared/status-follower';

/** A status poll that takes longer than this counts as that platform not answering. */
const STATUS_TIMEOUT_MS = 1_500;

async function statusOf(url: string, user: string): Promise<PollAnswer> {
  const outcome = await callPlatform<PlatformStatus>(url, `/status?user=${encodeURIComponent(user)}`, { timeoutMs: STATUS_TIMEOUT_MS });
  return outcome.ok
    ? { ok: true, status: outcome.body }
    : { ok: false, why: outcome.ok === false && outcome.kind === 'unreachable' ? outcome.message : 'error' };
}

/** Polls both platforms for this customer every `statusPollMs` and follows their answers. */
export function useFollowing(config: PageConfig, customerId: string | undefined): Following {
  const [following, setFollowing] = useState<Following>(NOT_YET_DECIDED);
  const current = useRef(following);
  useEffect(() => {
    // Another customer starts from nothing, not from the last one's platform.
    current.current = NOT_YET_DECIDED;
    setFollowing(NOT_YET_DECIDED);
    if (!customerId) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // One poll at a time; the next is always scheduled, whatever this one met.
    const poll = async () => {
      try {
        const [primary, standin] = await Promise.all([statusOf(config.primaryUrl, customerId), statusOf(config.standinUrl, customerId)]);
        if (stopped) return;
        current.current = follow(current.current, { primary, standin });
        setFollowing(current.current);
      } finally {
        if (!stopped) timer = setTimeout(() => void poll(), config.statusPollMs);
      }
    };
    void poll();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [config, customerId]);
  return following;
}
