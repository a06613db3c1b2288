import type { LagSample } from './snapshot';

const WIDTH = 640;
const HEIGHT = 180;
const PAD = 34;

/** The sync lag over the last minutes, with the appetite as a dashed line: an SVG, no library. */
export function LagChart(props: { samples: readonly LagSample[]; appetiteMs: number }) {
  const { samples, appetiteMs } = props;
  const known = samples.filter((sample) => sample.lagMs !== undefined);
  const newest = samples.at(-1)?.atMs ?? 0;
  const oldest = samples[0]?.atMs ?? 0;
  const spanMs = Math.max(60_000, newest - oldest);
  const top = Math.max(appetiteMs * 1.5, ...known.map((sample) => sample.lagMs ?? 0)) || 1;
  const x = (atMs: number) => PAD + ((atMs - (newest - spanMs)) / spanMs) * (WIDTH - PAD - 8);
  const y = (ms: number) => HEIGHT - PAD + 8 - (ms / top) * (HEIGHT - PAD);
  // A gap (stand-in unreachable) breaks the line.
  const paths: string[] = [];
  let current = '';
  for (const sample of samples) {
    if (sample.lagMs === undefined) {
      if (current) paths.push(current);
      current = '';
      continue;
    }
    current += `${current ? 'L' : 'M'}${x(sample.atMs).toFixed(1)},${y(sample.lagMs).toFixed(1)} `;
  }
  if (current) paths.push(current);
  const last = known.at(-1);
  const description = last
    ? `Sync lag now ${last.lagMs} ms, appetite ${appetiteMs} ms${last.alerting ? ': past appetite' : ''}; ${known.length} samples over ${Math.round(spanMs / 1000)} s`
    : 'No sync lag reported yet';
  return (
    <svg class="lag-chart" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={description}>
      <title>{description}</title>
      <line x1={PAD} x2={WIDTH - 8} y1={y(0)} y2={y(0)} class="axis" />
      <line x1={PAD} x2={WIDTH - 8} y1={y(appetiteMs)} y2={y(appetiteMs)} class="appetite" />
      <text x={WIDTH - 10} y={y(appetiteMs) - 4} text-anchor="end" class="appetite-label">
        appetite {appetiteMs / 1000} s
      </text>
      <text x={PAD - 4} y={y(top) + 10} text-anchor="end" class="tick">
        {(top / 1000).toFixed(1)} s
      </text>
      <text x={PAD - 4} y={y(0)} text-anchor="end" class="tick">
        0
      </text>
      {paths.map((d) => (
        <path key={d} d={d} class={last?.alerting ? 'lag alerting' : 'lag'} />
      ))}
    </svg>
  );
}
