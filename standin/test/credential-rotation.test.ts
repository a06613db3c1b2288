import { infraEndpoints } from '@bank/infra';
import { sameSecret } from '../src/app/credentials';
import { openDatabase, upgradeSchema } from '../src/store/database';
import { testStandinServer } from './test-server';

// Rotating a credential on stand-in: two accepted for one identity during a rotation (`<NAME>` and
// `<NAME>_NEXT`; an operator's name twice), and the old one refused once it has been removed.

const OLD = 'standin-gateway-credential-being-retired';
const NEW = 'standin-gateway-credential-taking-over';
const database = openDatabase(infraEndpoints().postgres.standin);
const rotating = testStandinServer(database, { services: { gateway: [OLD, NEW] }, operatorTokens: 'ops-bob:bob-old,ops-bob:bob-new' });
const rotated = testStandinServer(database, { services: { gateway: [NEW] }, operatorTokens: 'ops-bob:bob-new' });
const addresses = { rotating: '', rotated: '' };

beforeAll(async () => {
  await upgradeSchema(database);
  addresses.rotating = await rotating.listen({ port: 0, host: '127.0.0.1' });
  addresses.rotated = await rotated.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await rotating.close();
  await rotated.close();
  await database.end();
});

const status = async (address: string, path: string, token: string) =>
  (await fetch(`${address}${path}`, { headers: { authorization: `Bearer ${token}` } })).status;

test("when the gateway's credential is being rotated, then both the old and the new one read the configuration", async () => {
  expect(await status(addresses.rotating, '/configuration', OLD)).toBe(200);
  expect(await status(addresses.rotating, '/configuration', NEW)).toBe(200);
});

test('when the old credential has been removed, then it is refused (401) and the new one still works', async () => {
  expect(await status(addresses.rotated, '/configuration', OLD)).toBe(401);
  expect(await status(addresses.rotated, '/configuration', NEW)).toBe(200);
});

test("when an operator's token is rotated, then both work until the old one is removed", async () => {
  expect(await status(addresses.rotating, '/configuration/audit', 'bob-old')).toBe(200);
  expect(await status(addresses.rotating, '/configuration/audit', 'bob-new')).toBe(200);
  expect(await status(addresses.rotated, '/configuration/audit', 'bob-old')).toBe(401);
});

test('credentials are compared hashed: any lengths, equal only when equal', () => {
  expect(sameSecret('a', 'a')).toBe(true);
  expect(sameSecret('a', 'a-much-longer-token')).toBe(false);
});
