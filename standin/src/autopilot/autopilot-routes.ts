import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { AUTOPILOT_ROUTE, AutopilotSettingsChange, AutopilotStatus } from '@bank/shared-contracts';
import { AppRefusal } from '../app/app-routes';
import { BEARER, CONFIGURATION_TAG, ERROR_RESPONSES } from '../app/api-docs';
import { currentConfiguration } from '../configuration/configuration-store';
import type { Operators } from '../configuration/operators';
import type { Database } from '../store/database';
import { AUTOPILOT_COMPONENTS } from './autopilot-decision';
import type { Latest } from './autopilot-loop';
import { autopilotSettingsHistory, changeAutopilotSettings, componentsOn, recentActions, StaleAutopilotSettings } from './autopilot-store';

// `standin autopilot status|on|off|dry-run` read and change these. Operators only (the call map):
// the settings decide whether stand-in may move every customer by itself.

export interface AutopilotRouteDependencies {
  readonly database: Database;
  readonly operators: Operators;
  readonly now: () => Date;
  readonly parse: <T>(what: string, schema: z.ZodType<T>, input: unknown) => T;
  /** This replica's newest sample and decision; none where no autopilot loop runs. */
  readonly latest?: () => Latest | undefined;
}

const HISTORY = 10;
const ACTIONS = 20;

export async function autopilotStatus(deps: Pick<AutopilotRouteDependencies, 'database' | 'latest'>): Promise<AutopilotStatus> {
  const [history, actions, configuration] = await Promise.all([
    autopilotSettingsHistory(deps.database, HISTORY + 1),
    recentActions(deps.database, ACTIONS),
    currentConfiguration(deps.database),
  ]);
  const on = componentsOn(configuration);
  const latest = deps.latest?.();
  return {
    current: history[0]!,
    history: history.slice(1),
    ...(latest ? { latest } : {}),
    alreadyOn: AUTOPILOT_COMPONENTS.filter((component) => on[component]),
    recentActions: actions,
  };
}

export function autopilotRoutes(server: FastifyInstance, deps: AutopilotRouteDependencies): void {
  const operator = (request: FastifyRequest) => {
    const header = request.headers.authorization;
    const name = deps.operators.identify(header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined);
    if (!name) throw new AppRefusal(401, 'STANDIN_OPERATOR_TOKEN_REQUIRED', 'the autopilot is for operators: Authorization: Bearer <operator token>');
    return name;
  };

  server.get(
    AUTOPILOT_ROUTE,
    {
      schema: {
        summary:
          "The autopilot: its settings, who changed them and why, this replica's latest sample and decision with the evidence, its recent actions (operator)",
        tags: [CONFIGURATION_TAG],
        security: BEARER,
        response: { 200: AutopilotStatus, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      operator(request);
      return autopilotStatus(deps);
    },
  );

  server.put(
    AUTOPILOT_ROUTE,
    {
      schema: {
        summary:
          "Change the autopilot's settings: only what is given changes; a reason is required; recorded with the operator's name; 409 when based on a version no longer current (operator)",
        tags: [CONFIGURATION_TAG],
        security: BEARER,
        body: AutopilotSettingsChange,
        response: { 200: AutopilotStatus, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const name = operator(request);
      const change = deps.parse('autopilot settings change', AutopilotSettingsChange, request.body);
      const version = await changeAutopilotSettings(deps.database, { operator: name, change, now: deps.now() }).catch((failure: unknown) => {
        if (failure instanceof StaleAutopilotSettings) throw new AppRefusal(409, failure.code, failure.message);
        throw failure;
      });
      request.log.warn(
        { event: 'autopilot_settings_changed', operator: name, version: version.version, settings: version.settings, reason: version.reason },
        `autopilot settings changed by ${name}: mode ${version.settings.mode}`,
      );
      return autopilotStatus(deps);
    },
  );
}
