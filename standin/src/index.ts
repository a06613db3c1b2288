export { STANDIN_SCHEMA } from './store/schema';
export { checkCustomerToken, type CustomerTokenCheck } from './app/customers';
export { openDatabase, upgradeSchema, inTransaction, type Database, type Session } from './store/database';
export {
  takeCustodyOfPan,
  panLookup,
  cardKeysFromEnvironment,
  cardKeysFrom,
  CARD_KEY_VARIABLES,
  CARD_KEY_SECRETS,
  type StandinCardKeys,
  type SealedPan,
} from './cards/card-numbers';
// The incident console (app/) shows exactly what `standin status` does, read the same way.
export { platformClient, type PlatformClient, type Reading } from './cli/platform-client';
export { renderStatus, statusReport, statusRows, type StatusReport } from './cli/render';
