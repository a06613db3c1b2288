import type { Migration } from './platform/migrations';
import { outboxMigrations } from './outbox/migrations';
import { ledgerMigrations } from './ledger/migrations';
import { accountsMigrations } from './accounts/migrations';
import { cardsMigrations } from './cards/migrations';
import { feedMigrations } from './feed/migrations';
import { cardProcessorMigrations } from './card-processor/migrations';
import { transfersMigrations } from './transfers/migrations';
import { potsMigrations } from './pots/migrations';
import { payeesMigrations } from './payees/migrations';
import { idempotencyMigrations } from './platform/idempotency';
import { notificationsMigrations } from './notifications/migrations';
import { advicesMigrations } from './advices/migrations';
import { configurationMigrations } from './configuration/migrations';
import { routingMigrations } from './routing/migrations';

/** Every module's schema, in the order they were added. Each module owns its own tables. */
export const PRIMARY_MIGRATIONS: readonly Migration[] = [
  ...outboxMigrations,
  ...ledgerMigrations,
  ...accountsMigrations,
  ...cardsMigrations,
  ...feedMigrations,
  ...cardProcessorMigrations,
  ...transfersMigrations,
  ...idempotencyMigrations,
  ...potsMigrations,
  ...payeesMigrations,
  ...notificationsMigrations,
  ...advicesMigrations,
  ...configurationMigrations,
  ...routingMigrations,
];
