// Round trips to PostgreSQL per card authorisation, counted by primary itself: every query its pools
// send is one round trip (primary_database_round_trips_total, by pool), read from its /metrics
// before and after a phase and divided by the authorisations answered in it.

export interface RoundTripCount {
  readonly card: number;
  readonly main: number;
}

export async function readRoundTrips(baseUrl: string): Promise<RoundTripCount> {
  const response = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(5_000) });
  const text = await response.text();
  const count = (pool: string) => {
    const match = new RegExp(`^primary_database_round_trips_total\\{pool="${pool}"\\} (\\d+(?:\\.\\d+)?)`, 'm').exec(text);
    return match ? Number(match[1]) : 0;
  };
  return { card: count('card'), main: count('main') };
}

export interface RoundTripsPerAuthorisation {
  /** The card authorisation path's own pool: the authorisation itself. */
  readonly cardPath: number;
  /** Every query primary sent during the phase (the outbox relay's, the configuration refresh's too), per authorisation. */
  readonly allOfPrimary: number;
  readonly authorisations: number;
}

export function roundTripsPerAuthorisation(before: RoundTripCount, after: RoundTripCount, authorisations: number): RoundTripsPerAuthorisation {
  const per = (value: number) => (authorisations > 0 ? Math.round((value / authorisations) * 100) / 100 : Number.NaN);
  return { cardPath: per(after.card - before.card), allOfPrimary: per(after.card - before.card + after.main - before.main), authorisations };
}
