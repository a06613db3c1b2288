import {
  constants,
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  privateDecrypt,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import fs from 'node:fs';
import type { PublicKeyEncryptedValue } from '@bank/shared-contracts';

// Stand-in's tokenization: a PAN arrives from primary encrypted with stand-in's public key B.
// It is opened here only to be sealed again under stand-in's own at-rest key and indexed by a
// keyed hash; the plaintext lives in memory for the length of one function call.

export interface StandinCardKeys {
  /** Keyset B's private half: opens what primary encrypted for stand-in. */
  readonly exchangePrivateKey: KeyObject;
  readonly exchangeKeyId: string;
  /** AES-256 key for PANs at rest in stand-in's database. */
  readonly sealKey: Buffer;
  /** HMAC key: the same PAN always gives the same lookup value, which reveals nothing by itself. */
  readonly lookupKey: Buffer;
}

export interface SealedPan {
  readonly nonce: string;
  readonly sealed: string;
  readonly tag: string;
}

export function panLookup(keys: Pick<StandinCardKeys, 'lookupKey'>, pan: string): Buffer {
  return createHmac('sha256', keys.lookupKey).update(`pan:${pan}`).digest();
}

export function sealPan(keys: Pick<StandinCardKeys, 'sealKey'>, pan: string): SealedPan {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keys.sealKey, nonce);
  const sealed = Buffer.concat([cipher.update(pan, 'utf8'), cipher.final()]);
  return { nonce: nonce.toString('base64'), sealed: sealed.toString('base64'), tag: cipher.getAuthTag().toString('base64') };
}

export function unsealPan(keys: Pick<StandinCardKeys, 'sealKey'>, value: SealedPan): string {
  const decipher = createDecipheriv('aes-256-gcm', keys.sealKey, Buffer.from(value.nonce, 'base64'));
  decipher.setAuthTag(Buffer.from(value.tag, 'base64'));
  return Buffer.concat([decipher.update(Buffer.from(value.sealed, 'base64')), decipher.final()]).toString('utf8');
}

/** From what crossed the boundary to what stand-in stores: a lookup value and a sealed PAN. */
export function takeCustodyOfPan(keys: StandinCardKeys, received: PublicKeyEncryptedValue): { lookup: Buffer; sealed: SealedPan } {
  if (received.keyset !== 'B' || received.keyId !== keys.exchangeKeyId) {
    throw new Error(`card number encrypted for ${received.keyset}/${received.keyId}, but stand-in holds B/${keys.exchangeKeyId}`);
  }
  const pan = privateDecrypt(
    { key: keys.exchangePrivateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
    Buffer.from(received.ciphertextBase64, 'base64'),
  ).toString('utf8');
  return { lookup: panLookup(keys, pan), sealed: sealPan(keys, pan) };
}

/**
 * Keys from the environment. Outside production, missing symmetric keys are derived from their
 * names so a local stack needs no set-up; keyset B's private key always comes from outside
 * (`npm start` generates a local pair and passes its file).
 */
export function cardKeysFromEnvironment(env: NodeJS.ProcessEnv): StandinCardKeys {
  const privatePem =
    env.STANDIN_PAN_PRIVATE_KEY_B ?? (env.STANDIN_PAN_PRIVATE_KEY_B_FILE ? fs.readFileSync(env.STANDIN_PAN_PRIVATE_KEY_B_FILE, 'utf8') : undefined);
  if (!privatePem)
    throw new Error('STANDIN_PAN_PRIVATE_KEY_B or STANDIN_PAN_PRIVATE_KEY_B_FILE must be set: it opens card numbers primary encrypted for stand-in');
  const symmetric = (name: string): Buffer => {
    const given = env[name];
    if (given) {
      const key = Buffer.from(given, 'base64');
      if (key.length !== 32) throw new Error(`${name} must be 32 bytes, base64`);
      return key;
    }
    if (env.NODE_ENV === 'production') throw new Error(`${name} must be set in production`);
    return createHash('sha256').update(`standin local key ${name}`).digest();
  };
  return {
    exchangePrivateKey: createPrivateKey(privatePem),
    exchangeKeyId: env.STANDIN_PAN_KEY_B_ID ?? 'B-local',
    sealKey: symmetric('STANDIN_PAN_SEAL_KEY'),
    lookupKey: symmetric('STANDIN_PAN_LOOKUP_KEY'),
  };
}
