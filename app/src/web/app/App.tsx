import { useRef, useState } from 'preact/hooks';
import type { PageConfig } from '../shared/config';
import type { Following } from '../shared/status-follower';
import { FullExperience } from './FullExperience';
import { EMPTY_DRAFT, loadSendState, saveSendState, type SendAttempt, type SendDraft } from './send-money';
import { saveSession, savedSession, type Session } from './session';
import { SignIn } from './SignIn';
import { StandinExperience } from './StandinExperience';
import { useFollowing } from './status-polling';

function StatusBanner(props: { following: Following }) {
  const { following } = props;
  return (
    <div aria-live="polite">
      {following.offline && (
        <p class="banner offline" role="alert" data-testid="offline-banner">
          We cannot reach the bank right now. What you see may be out of date; we keep trying.
        </p>
      )}
      {following.decided && following.experience === 'standin' && (
        <div class="banner standin" role="status" data-testid="standin-banner">
          <strong>We're having problems with some of our systems.</strong> Here is what still works: your balance, recent transactions, freezing and unfreezing
          your card, and sending money. Your money is safe.
        </div>
      )}
    </div>
  );
}

/**
 * The customer's app: follows both platforms' status and shows the full experience (from primary)
 * or the simplified one (from stand-in), flipping either way without a reload. What the customer
 * typed into "Send money", and a payment in progress, live here, above both experiences, so a flip
 * loses neither.
 */
export function App(props: { config: PageConfig }) {
  const [session, setSession] = useState<Session | undefined>(savedSession);
  const following = useFollowing(props.config, session?.customerId);
  const [send, setSend] = useState(loadSendState);
  // Which customer's screen is showing: a payment's answer that arrives after they signed out is not the next customer's.
  const current = useRef(session);
  current.current = session;
  // Bumped when a payment is over, so whichever experience shows now reads the balance again.
  const [refreshSignal, setRefreshSignal] = useState(0);
  // Updates chain on the newest state, not on the render's copy: an answer arrives renders later,
  // and a payment's end sets the attempt and clears the draft in one go.
  const latest = useRef(send);
  latest.current = send;
  const updateSend = (next: { draft: SendDraft; attempt: SendAttempt | undefined }) => {
    latest.current = next;
    saveSendState(next);
    setSend(next);
  };
  const owner = session;
  const setDraft = (draft: SendDraft) => {
    if (current.current === owner) updateSend({ ...latest.current, draft });
  };
  const setAttempt = (attempt: SendAttempt | undefined) => {
    if (current.current === owner) updateSend({ ...latest.current, attempt });
  };
  const { draft, attempt } = send;

  if (!session)
    return (
      <SignIn
        config={props.config}
        onSignedIn={(signedIn) => {
          saveSession(signedIn);
          setSession(signedIn);
        }}
      />
    );

  const baseUrl = following.talkTo === 'standin' ? props.config.standinUrl : props.config.primaryUrl;
  const experienceProps = {
    baseUrl,
    session,
    draft,
    setDraft,
    attempt,
    setAttempt,
    target: { platform: following.talkTo, configurationVersion: following.configurationVersion },
    refreshSignal,
    onPaymentFinished: () => setRefreshSignal((value) => value + 1),
  };
  return (
    <>
      <header class="top">
        <h1>Bank</h1>
        <span class="who">{session.holderName}</span>
        <span class="platform muted" data-testid="talking-to" data-platform={following.decided ? following.talkTo : 'undecided'}>
          {following.decided ? `served by ${following.talkTo === 'standin' ? 'stand-in' : 'primary'}` : 'connecting…'}
        </span>
        <button
          type="button"
          class="secondary"
          onClick={() => {
            saveSession(undefined);
            saveSendState(undefined);
            setSend({ draft: EMPTY_DRAFT, attempt: undefined });
            setSession(undefined);
          }}
        >
          Sign out
        </button>
      </header>
      <StatusBanner following={following} />
      <main>
        {!following.decided ? (
          <p class="muted" aria-live="polite">
            {following.offline ? 'We cannot reach the bank right now; we keep trying.' : 'Connecting…'}
          </p>
        ) : following.experience === 'standin' ? (
          <StandinExperience {...experienceProps} syncLagMs={following.standinSync?.lagMs} />
        ) : (
          <FullExperience {...experienceProps} />
        )}
      </main>
    </>
  );
}
