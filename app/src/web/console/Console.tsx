import { useEffect, useRef, useState } from 'preact/hooks';
import type { PageConfig } from '../shared/config';
import { formatAge } from '../shared/money';
import { LagChart } from './LagChart';
import { addLagSample, type ConsoleSnapshot, type LagSample, type Part } from './snapshot';

const POLL_MS = 2_000;
const TOKEN_KEY = 'bank.console.operatorToken';

type Fetched = { kind: 'none' } | { kind: 'ok'; snapshot: ConsoleSnapshot } | { kind: 'failed'; message: string; snapshot?: ConsoleSnapshot };

function Unavailable(props: { part: Part<unknown>; what: string }) {
  return props.part.ok ? null : (
    <p class="error">
      {props.what} unavailable: {props.part.why}
    </p>
  );
}

/** The alerts an engineer must not miss, most urgent first. */
function alertsOf(snapshot: ConsoleSnapshot): { id: string; text: string }[] {
  const alerts: { id: string; text: string }[] = [];
  const { primary, standin } = snapshot.status.platforms;
  if (!primary.reachable) alerts.push({ id: 'primary-unreachable', text: `PRIMARY IS UNREACHABLE: ${primary.reason ?? ''}` });
  if (!standin.reachable) alerts.push({ id: 'standin-unreachable', text: `STAND-IN IS UNREACHABLE: ${standin.reason ?? ''}` });
  if (snapshot.syncLag?.alerting)
    alerts.push({
      id: 'sync-lag',
      text: `SYNC LAG PAST APPETITE: ${(snapshot.syncLag.lagMs / 1000).toFixed(1)} s behind primary (appetite ${snapshot.syncLag.appetiteMs / 1000} s): stand-in's data may be stale`,
    });
  if (snapshot.status.agree === false)
    alerts.push({ id: 'disagree', text: 'THE PLATFORMS DISAGREE on the configuration (they converge within seconds, or a new change settles it)' });
  const inFlight = snapshot.status.advicesInFlight;
  if (inFlight && inFlight.notPublished + inFlight.publishedNotApplied > 0)
    alerts.push({
      id: 'in-flight',
      text: `IN FLIGHT: ${inFlight.users} customer(s) have effects from stand-in primary has not applied yet; moving them back to primary now would let primary decide without them`,
    });
  if (snapshot.quarantined.ok && snapshot.quarantined.value.count > 0)
    alerts.push({
      id: 'quarantined',
      text: `QUARANTINED: primary could not apply ${snapshot.quarantined.value.count} advice(s): their effects are missing from primary's ledger`,
    });
  // A source the console cannot read hides its own alarms: say so rather than show "no alerts".
  if (!snapshot.gateway.ok) alerts.push({ id: 'gateway-unreadable', text: `GATEWAY UNREADABLE: ${snapshot.gateway.why}: where card traffic goes is unknown` });
  if (!snapshot.advices.consumer.ok)
    alerts.push({
      id: 'consumer-unreachable',
      text: `ADVICE CONSUMER UNREACHABLE: ${snapshot.advices.consumer.why}: stand-in's advices may not be reaching primary`,
    });
  if (primary.reachable && !snapshot.quarantined.ok)
    alerts.push({ id: 'quarantine-unreadable', text: `QUARANTINED ADVICES UNREADABLE: ${snapshot.quarantined.why}` });
  if (standin.reachable && !snapshot.shadow.ok) alerts.push({ id: 'shadow-unreadable', text: `SHADOW REPORT UNREADABLE: ${snapshot.shadow.why}` });
  const defects = snapshot.shadow.ok ? snapshot.shadow.value.disagreements.filter((row) => !row.explained).reduce((sum, row) => sum + row.count, 0) : 0;
  if (defects > 0) alerts.push({ id: 'shadow-defects', text: `SHADOW: ${defects} disagreement(s) nothing explains (a defect in one platform)` });
  return alerts;
}

/**
 * The engineer's one page during an incident. Read-only: every change stays in the `standin` CLI,
 * with its reasons and confirmations. Polls every 2 s and keeps showing the last good snapshot
 * (marked stale) when the app server itself does not answer.
 */
export function Console(props: { config: PageConfig }) {
  const [token, setToken] = useState<string>(() => sessionStorage.getItem(TOKEN_KEY) ?? props.config.localOperatorToken ?? '');
  const [typed, setTyped] = useState('');
  const [fetched, setFetched] = useState<Fetched>({ kind: 'none' });
  const [lag, setLag] = useState<LagSample[]>([]);
  const last = useRef<ConsoleSnapshot | undefined>(undefined);

  useEffect(() => {
    if (!token) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const response = await fetch('/console/snapshot', { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(15_000) });
        const body = (await response.json()) as ConsoleSnapshot & { error?: { code: string; message: string } };
        if (stopped) return;
        if (!response.ok) {
          if (response.status === 401) {
            sessionStorage.removeItem(TOKEN_KEY);
            setToken('');
          }
          setFetched({
            kind: 'failed',
            message: body.error?.message ?? `the console server answered ${response.status}`,
            ...(last.current ? { snapshot: last.current } : {}),
          });
        } else {
          last.current = body;
          setFetched({ kind: 'ok', snapshot: body });
          setLag((history) =>
            addLagSample(history, { atMs: Date.parse(body.checkedAt), lagMs: body.syncLag?.lagMs, alerting: body.syncLag?.alerting ?? false }),
          );
        }
      } catch {
        if (!stopped) setFetched({ kind: 'failed', message: 'the console server did not answer', ...(last.current ? { snapshot: last.current } : {}) });
      }
      if (!stopped) timer = setTimeout(() => void poll(), POLL_MS);
    };
    void poll();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [token]);

  if (!token)
    return (
      <main class="sign-in">
        <h1>Incident console</h1>
        <form
          onSubmit={(event) => {
            event.preventDefault();
            sessionStorage.setItem(TOKEN_KEY, typed.trim());
            setToken(typed.trim());
          }}
        >
          <label for="operator-token">Operator token</label>
          <input id="operator-token" type="password" autocomplete="off" value={typed} onInput={(event) => setTyped(event.currentTarget.value)} required />
          <button type="submit">Open the console</button>
        </form>
        {fetched.kind === 'failed' && (
          <p class="error" role="alert">
            {fetched.message}
          </p>
        )}
      </main>
    );

  const snapshot = fetched.kind === 'none' ? undefined : fetched.snapshot;
  if (!snapshot)
    return (
      <main aria-live="polite">
        {fetched.kind === 'failed' ? (
          <p class="error" role="alert">
            {fetched.message}
          </p>
        ) : (
          <p>Reading both platforms…</p>
        )}
      </main>
    );
  const alerts = alertsOf(snapshot);
  const { primary, standin } = snapshot.status.platforms;
  const inFlight = snapshot.status.advicesInFlight;
  const gateway = snapshot.gateway;
  const shadow = snapshot.shadow;

  return (
    <>
      <header class="top">
        <h1>Stand-in incident console</h1>
        <span class="muted" data-testid="checked-at">
          checked {new Date(snapshot.checkedAt).toLocaleTimeString('en-GB')}
          {fetched.kind === 'failed' ? ` (STALE: ${fetched.message})` : ''}
        </span>
        <span class="muted">read-only: changes are made with the standin CLI</span>
      </header>
      <main class="console">
        <section class="alerts" aria-label="Alerts" aria-live="polite">
          {alerts.length === 0 ? (
            <p class="ok" data-testid="no-alerts">
              No alerts: every source answers, the platforms agree, sync within appetite, nothing in flight.
            </p>
          ) : (
            <ul>
              {alerts.map((alert) => (
                <li key={alert.id} class="alert" data-testid={`alert-${alert.id}`}>
                  {alert.text}
                </li>
              ))}
            </ul>
          )}
        </section>
        <section class="panel" aria-labelledby="incident-title">
          <h2 id="incident-title">Incident record</h2>
          {snapshot.incident.ok ? (
            snapshot.incident.value === null ? (
              <p class="muted">No incident recorded: stand-in has not served anyone.</p>
            ) : (
              <p data-testid="incident">
                {snapshot.incident.value.stage === 'open' ? 'OPEN' : 'Last one closed'} since{' '}
                {new Date(snapshot.incident.value.openedAt).toLocaleString('en-GB')}
                {snapshot.incident.value.closedAt ? `, closed ${new Date(snapshot.incident.value.closedAt).toLocaleString('en-GB')}` : ''}. Report:{' '}
                <code>standin incident report {snapshot.incident.value.incidentId}</code>
              </p>
            )
          ) : (
            <Unavailable part={snapshot.incident} what="The incident record" />
          )}
        </section>
        <section class="panel reach" aria-labelledby="reach-title">
          <h2 id="reach-title">Reachability</h2>
          <ul class="reach-list">
            {[
              ['stand-in', standin.reachable, standin.reason],
              ['primary', primary.reachable, primary.reason],
              ['gateway', gateway.ok, gateway.ok ? undefined : gateway.why],
              ['advice consumer', snapshot.advices.consumer.ok, snapshot.advices.consumer.ok ? undefined : snapshot.advices.consumer.why],
            ].map(([name, ok, why]) => (
              <li key={String(name)} data-testid={`reach-${String(name).replace(' ', '-')}`} data-reachable={String(ok)}>
                <span class={ok ? 'dot up' : 'dot down'} aria-hidden="true" /> {name}: {ok ? 'reachable' : `UNREACHABLE (${why ?? 'no answer'})`}
              </li>
            ))}
          </ul>
        </section>
        <section class="panel wide" aria-labelledby="config-title">
          <h2 id="config-title">Configuration (as standin status shows it)</h2>
          <table class="status-table">
            <thead>
              <tr>
                <th scope="col"></th>
                <th scope="col">stand-in {standin.url}</th>
                <th scope="col">primary {primary.url}</th>
              </tr>
            </thead>
            <tbody>
              {snapshot.statusRows.map(([label, standinCell, primaryCell]) => (
                <tr key={label}>
                  <th scope="row">{label}</th>
                  <td>{standinCell}</td>
                  <td>{primaryCell}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <details>
            <summary>As the CLI prints it</summary>
            <pre>{snapshot.statusText}</pre>
          </details>
        </section>
        <section class="panel wide" aria-labelledby="lag-title">
          <h2 id="lag-title">Sync lag</h2>
          <p data-testid="sync-lag" data-alerting={String(snapshot.syncLag?.alerting ?? false)}>
            {snapshot.syncLag
              ? `${snapshot.syncLag.lagMs} ms${snapshot.syncLag.alerting ? ' (PAST APPETITE)' : ''}; appetite ${snapshot.syncLag.appetiteMs} ms`
              : 'stand-in did not say'}
          </p>
          <LagChart samples={lag} appetiteMs={snapshot.syncLag?.appetiteMs ?? props.config.syncLagAppetiteMs} />
        </section>
        <section class="panel" aria-labelledby="advices-title">
          <h2 id="advices-title">Advices (stand-in → primary)</h2>
          {inFlight ? (
            <dl class="figures">
              <dt>Not yet published</dt>
              <dd data-testid="advices-not-published">{inFlight.notPublished}</dd>
              <dt>Published, not applied</dt>
              <dd>{inFlight.publishedNotApplied}</dd>
              <dt>Customers affected</dt>
              <dd>{inFlight.users}</dd>
              <dt>Oldest in flight</dt>
              <dd>{inFlight.oldestAgeMs === undefined ? 'none' : formatAge(inFlight.oldestAgeMs)}</dd>
              <dt>Drained by primary</dt>
              <dd>{snapshot.advices.drainPerSecond === null ? '-' : `${snapshot.advices.drainPerSecond.toFixed(1)} /s`}</dd>
              <dt>Quarantined</dt>
              <dd>{snapshot.quarantined.ok ? snapshot.quarantined.value.count : '-'}</dd>
            </dl>
          ) : (
            <p class="muted">stand-in did not say</p>
          )}
          <Unavailable part={snapshot.advices.consumer} what="The advice consumer's drain rate" />
          <Unavailable part={snapshot.quarantined} what="Primary's quarantined advices" />
          {snapshot.quarantined.ok && snapshot.quarantined.value.advices.length > 0 && (
            <ul>
              {snapshot.quarantined.value.advices.map((advice, index) => (
                <li key={advice.adviceId ?? index}>
                  {advice.type ?? 'advice'} {advice.adviceId ?? ''}: {advice.reason ?? ''}
                </li>
              ))}
            </ul>
          )}
        </section>
        <section class="panel" aria-labelledby="gateway-title">
          <h2 id="gateway-title">Gateway</h2>
          {gateway.ok ? (
            <dl class="figures">
              <dt>Card traffic goes to</dt>
              <dd data-testid="gateway-destination">{gateway.value.destination === 'standin' ? 'STAND-IN' : 'primary'}</dd>
              <dt>Why</dt>
              <dd>{gateway.value.reason}</dd>
              <dt>Since</dt>
              <dd>{new Date(gateway.value.since).toLocaleTimeString('en-GB')}</dd>
              <dt>Primary's breaker</dt>
              <dd>{gateway.value.primaryBreaker}</dd>
              <dt>Automatic failover</dt>
              <dd>{gateway.value.autoFailover ? 'on' : 'off'}</dd>
              <dt>Configuration seen</dt>
              <dd>
                {gateway.value.configuration.reachable
                  ? `version ${gateway.value.configuration.version}`
                  : `cannot read: ${gateway.value.configuration.problem ?? ''}`}
              </dd>
            </dl>
          ) : (
            <Unavailable part={gateway} what="The gateway" />
          )}
        </section>
        <section class="panel" aria-labelledby="shadow-title">
          <h2 id="shadow-title">Shadow agreement</h2>
          {shadow.ok ? (
            <>
              <p data-testid="shadow-rate">
                {shadow.value.agreementRate === undefined
                  ? 'no shadow decisions yet'
                  : `${(shadow.value.agreementRate * 100).toFixed(1)}% of ${shadow.value.decisions} decisions agree`}
              </p>
              {shadow.value.disagreements.length > 0 && (
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Disagreement</th>
                      <th scope="col">Count</th>
                    </tr>
                  </thead>
                  <tbody>
                    {shadow.value.disagreements.map((row) => (
                      <tr key={row.reason}>
                        <td>
                          {row.reason}
                          {row.explained ? '' : ' (DEFECT)'}
                        </td>
                        <td>{row.count}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </>
          ) : (
            <Unavailable part={shadow} what="The shadow report" />
          )}
        </section>
        <section class="panel" aria-labelledby="cohort-title">
          <h2 id="cohort-title">Today's cohort</h2>
          {snapshot.cohort.ok ? (
            <p data-testid="cohort">
              {snapshot.cohort.value.percent === 0
                ? 'off'
                : `${snapshot.cohort.value.members} of ${snapshot.cohort.value.customersKnown} customers (${snapshot.cohort.value.percent}%), day ${snapshot.cohort.value.day}`}
              <span class="muted"> (counted {new Date(snapshot.cohort.value.countedAt).toLocaleTimeString('en-GB')})</span>
            </p>
          ) : (
            <Unavailable part={snapshot.cohort} what="The cohort" />
          )}
        </section>
        <section class="panel wide" aria-labelledby="audit-title">
          <h2 id="audit-title">Audit log{snapshot.audit.ok ? ` (from ${snapshot.audit.value.from === 'standin' ? 'stand-in' : 'primary'})` : ''}</h2>
          {snapshot.audit.ok ? (
            <table class="audit">
              <thead>
                <tr>
                  <th scope="col">Version</th>
                  <th scope="col">Recorded</th>
                  <th scope="col">By</th>
                  <th scope="col">Why</th>
                </tr>
              </thead>
              <tbody>
                {snapshot.audit.value.entries.map((entry) => (
                  <tr key={`${entry.version}-${entry.recordedAt}`} data-testid="audit-entry">
                    <td>{entry.version}</td>
                    <td>{new Date(entry.recordedAt).toLocaleString('en-GB')}</td>
                    <td>{entry.source === 'adopted' ? `${entry.document.updatedBy} (adopted)` : entry.recordedBy}</td>
                    <td>{entry.document.reason}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <Unavailable part={snapshot.audit} what="The audit log" />
          )}
        </section>
      </main>
    </>
  );
}
