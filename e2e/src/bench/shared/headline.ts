// The few figures of each benchmark that the run's summary (printed table and summary.json)
// carries; each benchmark's own JSON holds everything else.

export interface HeadlineFigure {
  /** What it is, e.g. "saturation throughput". */
  readonly name: string;
  /** null: not measured (the phase produced no figure). */
  readonly value: number | string | null;
  readonly unit: string;
  /** Only for figures the issue sets a target for. */
  readonly target?: { readonly description: string; readonly met: boolean };
}

export const figure = (name: string, value: number | string | null, unit: string, target?: HeadlineFigure['target']): HeadlineFigure => ({
  name,
  value,
  unit,
  ...(target ? { target } : {}),
});
