# Stopgap's container image: `docker build -t stopgap .`
# Runs as an unprivileged user with a read-only root filesystem; the database lives on the /data volume.
# CI runs this file's build steps outside Docker (.ci/image-build-check), under the same Node.js version.

# Build stage: compile TypeScript and the SQLite addon, then keep only the production dependencies.
FROM node:24.22.3-bookworm-slim AS build
# better-sqlite3 compiles its native addon from source when no prebuilt binary matches this Node.js.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The addon's sources and intermediate objects are not needed once better_sqlite3.node is linked.
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf node_modules/better-sqlite3/deps node_modules/better-sqlite3/src \
      node_modules/better-sqlite3/build/deps node_modules/better-sqlite3/build/Release/obj \
      node_modules/better-sqlite3/build/Release/obj.target node_modules/better-sqlite3/build/Release/.deps

# Runtime stage: Node.js, the production dependencies, the compiled CLI and the SQL migrations.
FROM node:24.22.3-bookworm-slim
ENV NODE_ENV=production \
    STOPGAP_DB=/data/stopgap.db
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY migrations ./migrations
COPY LICENSE ./LICENSE
# The only writable place: owner-only, like the database files Stopgap creates in it.
RUN install -d -o 10001 -g 10001 -m 0700 /data
USER 10001:10001
VOLUME /data
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/dist/src/cli.js"]
CMD ["serve"]
