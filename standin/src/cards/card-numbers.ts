import { constants, createCipheriv, createDecipheriv, createHmac, createPrivateKey, privateDecrypt, randomBytes, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { base64Key, developmentKey, readServiceEnvironment, type PublicKeyEncryptedValue } from '@bank/shared-contracts';

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
 * The variables stand-in's card keys come from, for every process that holds them (stand-in, the
 * syncer). Keyset B's private key always comes from outside (`npm start` generates a local pair and
 * passes its file); the symmetric keys are secrets that only local mode may do without.
 */
export const CARD_KEY_VARIABLES = {
  STANDIN_PAN_PRIVATE_KEY_B: z.string().transform((pem, context): KeyObject => {
    try {
      return createPrivateKey(pem);
    } catch {
      context.addIssue({ code: 'custom', message: 'is not a PEM private key' });
      return z.NEVER;
    }
  }),
  STANDIN_PAN_KEY_B_ID: z.string().default('B-local'),
  STANDIN_PAN_SEAL_KEY: base64Key,
  STANDIN_PAN_LOOKUP_KEY: base64Key,
};

export const CARD_KEY_SECRETS = {
  STANDIN_PAN_SEAL_KEY: developmentKey('STANDIN_PAN_SEAL_KEY'),
  STANDIN_PAN_LOOKUP_KEY: developmentKey('STANDIN_PAN_LOOKUP_KEY'),
};

export function cardKeysFrom(values: z.output<z.ZodObject<typeof CARD_KEY_VARIABLES>>): StandinCardKeys {
  return {
    exchangePrivateKey: values.STANDIN_PAN_PRIVATE_KEY_B,
    exchangeKeyId: values.STANDIN_PAN_KEY_B_ID,
    sealKey: values.STANDIN_PAN_SEAL_KEY,
    lookupKey: values.STANDIN_PAN_LOOKUP_KEY,
  };
}

/** The card keys alone (tests, tools); a service reads them with the rest of its configuration. */
export function cardKeysFromEnvironment(env: NodeJS.ProcessEnv): StandinCardKeys {
  return cardKeysFrom(readServiceEnvironment({ service: 'stand-in card keys', variables: CARD_KEY_VARIABLES, secrets: CARD_KEY_SECRETS }, env).values);
}
