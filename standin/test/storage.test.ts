import { constants, generateKeyPairSync, publicEncrypt, randomBytes, randomUUID } from 'node:crypto';
import { infraEndpoints } from '@bank/infra';
import { openDatabase, upgradeSchema } from '../src/store/database';
import { panLookup, takeCustodyOfPan, unsealPan } from '../src/cards/card-numbers';

const database = openDatabase(infraEndpoints().postgres.standin);
afterAll(() => database.end());

describe("stand-in's storage", () => {
  test('when the schema is upgraded twice, then the second time changes nothing', async () => {
    await upgradeSchema(database);
    expect(await upgradeSchema(database)).toEqual([]);
  });

  test('when anything tries to change or delete a synced record, then the database refuses', async () => {
    await upgradeSchema(database);
    const accountId = randomUUID();
    await database.query('insert into synced_balances (account_id, sequence, settled_minor, held_minor, overdraft_limit_minor) values ($1, 1, 100, 0, 0)', [
      accountId,
    ]);
    await expect(database.query('update synced_balances set settled_minor = 1 where account_id = $1', [accountId])).rejects.toThrow(
      /synced records are immutable/,
    );
    await expect(database.query('delete from synced_balances where account_id = $1', [accountId])).rejects.toThrow(/synced records are immutable/);
  });
});

describe('custody of card numbers', () => {
  test('when a PAN encrypted for keyset B arrives, then stand-in keeps only a lookup hash and its own sealed copy', () => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keys = { exchangePrivateKey: pair.privateKey, exchangeKeyId: 'B-test', sealKey: randomBytes(32), lookupKey: randomBytes(32) };
    const pan = '4598761234567891';
    const received = {
      algorithm: 'rsa-oaep-256' as const,
      keyset: 'B' as const,
      keyId: 'B-test',
      ciphertextBase64: publicEncrypt({ key: pair.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, Buffer.from(pan)).toString(
        'base64',
      ),
    };
    const custody = takeCustodyOfPan(keys, received);
    expect(custody.lookup.equals(panLookup(keys, pan))).toBe(true);
    expect(JSON.stringify(custody.sealed)).not.toContain(pan);
    expect(unsealPan(keys, custody.sealed)).toBe(pan);
    expect(() => takeCustodyOfPan(keys, { ...received, keyId: 'B-other' })).toThrow(/stand-in holds B\/B-test/);
  });
});
