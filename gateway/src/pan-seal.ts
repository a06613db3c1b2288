import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

// A timeout reversal is a whole 0420, and the card scheme's reversal carries the card number:
// stand-in needs it to pass a reversal of an approval it did not make to primary, and primary to
// route a reversal by its owner. So the gateway keeps the PAN of each reversal it owes, sealed
// (AES-256-GCM under GATEWAY_PAN_SEAL_KEY), never in plaintext on disk, in a log or a metric.
// The sealed value is bound to the reversal it belongs to (associated data), so it cannot be
// moved to another row and opened there.

const IV_BYTES = 12;
const TAG_BYTES = 16;
const FORMAT_VERSION = 1;

export function sealPan(key: Buffer, pan: string, boundTo: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(boundTo, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(pan, 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.from([FORMAT_VERSION]), iv, cipher.getAuthTag(), ciphertext]);
}

/** Throws when the key is not the one it was sealed with, or the value was altered or moved. */
export function openPan(key: Buffer, sealed: Buffer, boundTo: string): string {
  if (sealed.length <= 1 + IV_BYTES + TAG_BYTES || sealed[0] !== FORMAT_VERSION) throw new Error('not a sealed card number of a known format');
  const iv = sealed.subarray(1, 1 + IV_BYTES);
  const tag = sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(Buffer.from(boundTo, 'utf8'));
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
}
