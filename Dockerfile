# check-mysql daemon image.
#   docker build -t check-mysql .
# The builder runs the README's install steps: `npm ci` (its prepare script bundles dist/ with
# the dev dependencies, esbuild among them), then `npm prune --omit=dev`. Both stages use the
# same Node image, so the V8 code cache recorded in dist/ at build time stays valid.
# Pin a digest with --build-arg NODE_IMAGE=node:20-bookworm-slim@sha256:...
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS builder
WORKDIR /build
COPY package.json package-lock.json tsconfig.json ./
COPY bin ./bin
COPY scripts ./scripts
COPY src ./src
RUN npm ci && npm prune --omit=dev

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
# Root-owned and read-only for the runtime user.
COPY --from=builder /build/package.json ./
COPY --from=builder /build/bin ./bin
COPY --from=builder /build/dist ./dist
COPY --from=builder /build/node_modules ./node_modules
# Track and status files go to /run/check-mysql: bind-mount it from the host so that
# keepalived there can read them. The config is mounted at /etc/check-mysql/daemon.cnf.
RUN mkdir -p /run/check-mysql /etc/check-mysql && chown node:node /run/check-mysql
USER node
EXPOSE 9797
# Liveness: /live answers 200 while the daemon's checks are fresh (a hung event loop or a
# stalled check fails it). bin/check-mysql-live asks it (node is there, curl is not). Under
# --web-config-file set CHECK_MYSQL_LIVE_URL=https://127.0.0.1:9797/live, CHECK_MYSQL_LIVE_CA
# and CHECK_MYSQL_LIVE_AUTH_FILE (USER:PASSWORD in a mounted secret): docs/daemon.md#docker.
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "/app/bin/check-mysql-live"]
ENTRYPOINT ["node", "/app/bin/check-mysql"]
CMD ["daemon", "--config", "/etc/check-mysql/daemon.cnf"]
