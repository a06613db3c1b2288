import type { Migration } from '../platform/migrations';

export const notificationsMigrations: Migration[] = [
  {
    id: 'notifications/001-notifications',
    sql: `
      create table notifications (
        id bigserial primary key,
        account_id uuid not null,
        -- one notification per transaction, however often its event is delivered
        transaction_id uuid not null unique,
        title text not null,
        body text not null,
        created_at timestamptz not null
      );
      create index notifications_by_account on notifications (account_id, id desc);
    `,
  },
];
