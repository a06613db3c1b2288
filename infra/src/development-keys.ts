import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface DevelopmentKeyFiles {
  readonly standinPanPrivateKeyFile: string;
  readonly standinPanPublicKeyFile: string;
}

/**
 * Stand-in's PAN key pair (keyset B) for the local stack, generated once under .data/keys/.
 * Primary is given only the public half; stand-in keeps the private half. Production supplies
 * its own keys through the environment.
 */
export function ensureDevelopmentKeys(dataDir: string): DevelopmentKeyFiles {
  const directory = path.join(dataDir, 'keys');
  const files = {
    standinPanPrivateKeyFile: path.join(directory, 'standin-pan-b.private.pem'),
    standinPanPublicKeyFile: path.join(directory, 'standin-pan-b.public.pem'),
  };
  if (!fs.existsSync(files.standinPanPrivateKeyFile) || !fs.existsSync(files.standinPanPublicKeyFile)) {
    // The data directory with the usual mode first: PostgreSQL runs as its own user and must reach
    // its folders in it; only the keys' own folder is private. (`npm start` on a fresh clone makes
    // the keys before the servers' folders, and a recursive 0700 left PostgreSQL's initdb locked out.)
    fs.mkdirSync(dataDir, { recursive: true });
    fs.mkdirSync(directory, { recursive: true, mode: 0o700 });
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    fs.writeFileSync(files.standinPanPrivateKeyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    fs.writeFileSync(files.standinPanPublicKeyFile, publicKey.export({ type: 'spki', format: 'pem' }));
  }
  return files;
}
