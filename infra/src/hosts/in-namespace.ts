import type { LaunchSpec } from '../process-control';

/**
 * The same launch inside a network namespace: `ip netns exec <netns> <command>` (which execs the
 * command itself, so the pid we record is the server's). A server that must not run as root
 * (PostgreSQL) drops to its user with `setpriv` after entering the namespace, which needs root.
 */
export function inNamespace(spec: LaunchSpec, netns: string | undefined): LaunchSpec {
  if (netns === undefined) return spec;
  const { uid, gid, ...rest } = spec;
  const dropPrivileges = uid === undefined ? [] : ['setpriv', `--reuid=${uid}`, `--regid=${gid ?? uid}`, '--clear-groups'];
  return { ...rest, command: 'ip', args: ['netns', 'exec', netns, ...dropPrivileges, spec.command, ...spec.args] };
}
