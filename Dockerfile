# syntax=docker/dockerfile:1
# One image definition for every service: build with a target per service, e.g.
#   docker build --target primary -t bank/primary .
# Targets: primary, standin, standin-cli, syncer, advice-consumer, gateway (see the README's
# "Deployment (images and Kubernetes)"). Nothing here has been built on the project's machines:
# they have no Docker engine; deploy/test/dockerfile.test.ts checks this file's properties instead.
#
# No secret and no BANK_MODE in any layer: outside local mode every service refuses to start
# without its secrets, which come from the orchestrator (Kubernetes Secrets) at run time.

ARG NODE_IMAGE=node:24-bookworm-slim

# ---- build: every dependency (TypeScript included), then the services' build output ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# The lock file names every workspace, so npm ci needs each one's package.json (and the standin
# command's launcher, which npm links) before the sources: this layer is cached until they change.
COPY package.json package-lock.json tsconfig.json tsconfig.base.json ./
COPY shared-contracts/package.json shared-contracts/
COPY infra/package.json infra/
COPY primary/package.json primary/
COPY standin/package.json standin/
COPY standin/bin standin/bin
COPY syncer/package.json syncer/
COPY advice-consumer/package.json advice-consumer/
COPY gateway/package.json gateway/
COPY app/package.json app/
COPY deploy/package.json deploy/
COPY e2e/package.json e2e/
# No install scripts: no production dependency needs one (none is native), and none runs unreviewed.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
# The independence check (primary and stand-in never import each other), then only the services'
# projects and what they reference (infra is referenced by the syncer's and the consumer's tests).
RUN node infra/scripts/check-independence.cjs \
 && npx tsc -b shared-contracts primary standin syncer advice-consumer gateway app \
 && npm run build:web -w app

# ---- runtime: production dependencies only, the build output, a user that is not root ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/shared-contracts/package.json shared-contracts/
COPY --from=build /app/infra/package.json infra/
COPY --from=build /app/primary/package.json primary/
COPY --from=build /app/standin/package.json standin/
COPY --from=build /app/standin/bin standin/bin
COPY --from=build /app/syncer/package.json syncer/
COPY --from=build /app/advice-consumer/package.json advice-consumer/
COPY --from=build /app/gateway/package.json gateway/
COPY --from=build /app/app/package.json app/
COPY --from=build /app/deploy/package.json deploy/
COPY --from=build /app/e2e/package.json e2e/
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force
# Build output only (no sources, tests or tsbuildinfo); owned by root, so the service cannot change its own code.
COPY --from=build /app/shared-contracts/dist shared-contracts/dist
COPY --from=build /app/primary/dist primary/dist
COPY --from=build /app/standin/dist standin/dist
COPY --from=build /app/syncer/dist syncer/dist
COPY --from=build /app/advice-consumer/dist advice-consumer/dist
COPY --from=build /app/gateway/dist gateway/dist
# The app server and the pages it serves (dist/web, built by Vite above).
COPY --from=build /app/app/dist app/dist
# The gateway's owed timeout reversals live under GATEWAY_DATA_DIR: a volume the orchestrator mounts there.
RUN mkdir -p /var/lib/bank/gateway && chown 1000:1000 /var/lib/bank/gateway
# Numeric, so Kubernetes' runAsNonRoot can verify it (the node image's own `node` user, uid 1000).
USER 1000:1000

# ---- one target per service; Kubernetes probes /health/live and /health/ready (no HEALTHCHECK) ----
FROM runtime AS primary
EXPOSE 8100
# Schema migrations: `node primary/dist/migrate.js` (the manifests run it as an init container).
CMD ["node", "primary/dist/main.js"]

FROM runtime AS standin
EXPOSE 8200
# Schema upgrade: `node standin/dist/upgrade.js` (an init container in the manifests).
CMD ["node", "standin/dist/main.js"]

FROM runtime AS standin-cli
# The incident engineers' command: docker run --rm bank/standin-cli status
ENTRYPOINT ["node", "standin/dist/cli/main.js"]

FROM runtime AS syncer
EXPOSE 8300
CMD ["node", "syncer/dist/main.js"]

FROM runtime AS advice-consumer
EXPOSE 8400
CMD ["node", "advice-consumer/dist/main.js"]

FROM runtime AS gateway
EXPOSE 8500
ENV GATEWAY_DATA_DIR=/var/lib/bank/gateway
CMD ["node", "gateway/dist/main.js"]

FROM runtime AS app
EXPOSE 8700
# The customer's app and the incident console; set PRIMARY_PUBLIC_URL and STANDIN_PUBLIC_URL (https).
CMD ["node", "app/dist/server/main.js"]
