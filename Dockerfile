# syntax=docker/dockerfile:1
# One image for every qts service (docker-compose.yml): `qts <command>` run by tsx as `npm run qts` does, as a non-root user.
#
#   docker build -t qts:local .                 # or: docker compose build
#   docker run --rm qts:local worker --help
#
# Stages: deps (all dependencies; native ones such as tulind compile here) -> ui (the dashboard build) and
# prod-deps (production dependencies only) -> runtime (slim: sources, prod node_modules, ui/dist).
ARG NODE_VERSION=20.20.2

FROM node:${NODE_VERSION}-bookworm AS manifests
WORKDIR /app
COPY package.json package-lock.json ./
COPY schemas/package.json schemas/
COPY core/package.json core/
COPY adapters/package.json adapters/
COPY projections/package.json projections/
COPY ui/package.json ui/
COPY infra/package.json infra/

FROM manifests AS deps
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund

FROM deps AS ui
COPY tsconfig.base.json ./
COPY schemas/src schemas/src
COPY core/src core/src
COPY ui ui
RUN npm run build -w @qts/ui

FROM manifests AS prod-deps
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    QTS_DATA_DIR=/var/lib/qts
WORKDIR /app
# Root owns the code; the node user (uid 1000) may write only its data dir (a named volume in compose).
COPY --from=prod-deps /app ./
COPY schemas/src schemas/src
COPY core/src core/src
COPY adapters/src adapters/src
COPY projections/src projections/src
COPY infra/src infra/src
COPY infra/data/sample infra/data/sample
COPY --from=ui /app/ui/dist ui/dist
RUN mkdir -p /var/lib/qts && chown node:node /var/lib/qts
USER node
EXPOSE 8080 9464
ENTRYPOINT ["node", "--import", "tsx", "/app/infra/src/cli/main.ts"]
CMD ["start"]
