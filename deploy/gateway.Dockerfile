# syntax=docker/dockerfile:1
# GridFlow gateway: nginx with the config rendered from gateway/nginx.conf.in at start-up (by the
# same scripts/render-gateway.sh that `make up` uses), serving the dashboard built on the host.
#
#   scripts/build-dashboard.sh       (make containers does this first; npm needs the registry,
#                                     which an image build may not reach)
#   docker build -f deploy/gateway.Dockerfile -t gridflow/gateway .      (from the repository root)
#
# Run-time environment (deploy/gateway-entrypoint.sh): GF_GATEWAY_PORT (8080), GF_KEYCHECK_KEYS_FILE
# (a mounted store of hashed keys with scopes, written by scripts/keys.sh) or GF_API_KEYS
# (admin keys, whitespace separated) and/or GF_API_KEYS_FILE (a mounted file, one key a line),
# GF_INGESTION_ADDR … GF_COMPLIANCE_ADDR (host:port of each service; default <name>:<port>),
# and the render options GF_CORS_ORIGINS, GF_GATEWAY_WORKERS, GF_GATEWAY_READ_AUTH, rates.

# gateway/dashboard/dist as built on the host (an empty folder when it was not built: the
# gateway then serves gateway/placeholder, exactly as render-gateway.sh does natively).
FROM debian:bookworm-slim AS dashboard
COPY gateway/dashboard /src/gateway/dashboard
RUN mkdir -p /src/gateway/dashboard/dist \
 && if [ -f /src/gateway/dashboard/dist/index.html ]; then echo "dashboard: dist/ from the host"; \
    else echo "dashboard: no dist/index.html (run scripts/build-dashboard.sh); the placeholder is served"; fi

# gf-keycheck, the key and scope check nginx asks (gateway/keycheck): the services' shared build
# stage, letter for letter (tests/e2e/test_deploy.sh), so the image builder compiles once.
FROM debian:bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential pkg-config ca-certificates \
      libevent-dev libjansson-dev libhiredis-dev libssl-dev \
      libxgboost-dev coinor-libipopt-dev libscotch-dev libstemmer-dev tzdata \
      liblapack-dev libblas-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Makefile ./
COPY libs libs
COPY services services
COPY gateway/keycheck gateway/keycheck
COPY deploy/runtime-deps.sh deploy/runtime-deps.sh
RUN make -j"$(nproc)" all
# -- end of the shared stage
RUN sh deploy/runtime-deps.sh build/bin/gf-keycheck > /src/runtime-packages.txt

FROM debian:bookworm-slim
COPY --from=build /src/runtime-packages.txt /tmp/runtime-packages.txt
RUN apt-get update \
 && apt-get install -y --no-install-recommends nginx-light curl ca-certificates \
      $(cat /tmp/runtime-packages.txt) \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt \
 && useradd --system --uid 10001 --user-group --home-dir /opt/gridflow --shell /usr/sbin/nologin gridflow \
 && mkdir -p /var/lib/gridflow/logs \
 && ln -sf /dev/stdout /var/lib/gridflow/logs/gateway-access.log \
 && ln -sf /dev/stderr /var/lib/gridflow/logs/nginx-error.log \
 && chown -R gridflow:gridflow /var/lib/gridflow
WORKDIR /opt/gridflow
COPY scripts/render-gateway.sh scripts/render-gateway.sh
COPY scripts/keys.sh scripts/keys.sh
COPY --from=build /src/build/bin/gf-keycheck /usr/local/bin/gf-keycheck
COPY gateway/nginx.conf.in gateway/nginx.conf.in
COPY gateway/placeholder gateway/placeholder
COPY --from=dashboard /src/gateway/dashboard/dist gateway/dashboard/dist
COPY deploy/gateway-entrypoint.sh /usr/local/bin/gateway-entrypoint
# GF_VAR_DIR: the entry point's var dir, also for `docker exec <gateway> scripts/keys.sh …`.
ENV GF_GATEWAY_PORT=8080 \
    GF_GATEWAY_BIND=0.0.0.0 \
    GF_VAR_DIR=/var/lib/gridflow
# nginx runs as the unprivileged user (no `user` line is rendered when not root); its prefix,
# pid file and temp dirs are in /var/lib/gridflow, logs go to the container's stdout/stderr.
USER 10001:10001
EXPOSE 8080
STOPSIGNAL SIGQUIT
# Healthy means nginx runs with the rendered config and answers. It does not follow the services:
# each has its own /readyz health check, and compose starts the gateway only when all are healthy.
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=3 \
    CMD curl -fsS -o /dev/null "http://127.0.0.1:${GF_GATEWAY_PORT}/api/healthz" || exit 1
ENTRYPOINT ["/usr/local/bin/gateway-entrypoint"]
