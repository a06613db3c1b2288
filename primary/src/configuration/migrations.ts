import type { Migration } from '../platform/migrations';

export const configurationMigrations: Migration[] = [
  {
    id: 'configuration/001-configuration-versions',
    sql: `
      -- Every stand-in configuration this platform has held. The current one is the highest
      -- version; the rest are the audit trail an incident review reads, so nothing is ever
      -- rewritten: a correction is a new, higher version.
      create table configuration_versions (
        version integer primary key check (version >= 0),
        document jsonb not null check ((document ->> 'version')::integer = version),
        source text not null check (source in ('change', 'adopted')),
        recorded_by text not null,
        recorded_at timestamptz not null
      );
      create function configuration_versions_append_only() returns trigger language plpgsql as $$
      begin
        raise exception 'configuration_versions is append-only: record a new, higher version instead';
      end;
      $$;
      create trigger configuration_versions_no_update before update or delete on configuration_versions
        for each row execute function configuration_versions_append_only();
      create trigger configuration_versions_no_truncate before truncate on configuration_versions
        for each statement execute function configuration_versions_append_only();
    `,
  },
];
