import fs from 'node:fs';
import path from 'node:path';
import type { PanFinder } from './pan-finder';

/** Every file of the run's log folder, line by line: where a PAN appears (file, line number, masked PAN). */
export function panInLogs(directory: string, finder: PanFinder): { files: number; bytes: number; hits: { file: string; line: number; pans: string[] }[] } {
  const hits: { file: string; line: number; pans: string[] }[] = [];
  let bytes = 0;
  const files = fs.existsSync(directory) ? fs.readdirSync(directory).filter((name) => fs.statSync(path.join(directory, name)).isFile()) : [];
  for (const name of files) {
    const text = fs.readFileSync(path.join(directory, name), 'utf8');
    bytes += text.length;
    text.split('\n').forEach((line, index) => {
      const pans = finder.find(line);
      if (pans.length > 0) hits.push({ file: name, line: index + 1, pans });
    });
  }
  return { files: files.length, bytes, hits };
}
