# syntax=docker/dockerfile:1
# GridFlow forecast service: forecasts with intervals from the production models.
#
#   docker build -f deploy/forecast.Dockerfile -t gridflow/forecast .      (from the repository root)
#   docker run --rm -p 8103:8103 -e GF_REDIS_HOST=redis gridflow/forecast
#
# Stage 1 compiles with the -dev packages of scripts/deps.sh (all of them: every binary links
# the same library list with --as-needed). Stage 2 is bookworm-slim with exactly the shared
# libraries the binary needs: deploy/runtime-deps.sh asks ldd + dpkg which packages provide them, so the
# list follows the code (libxgboost0, coinor-libipopt1v5, libstemmer0d appear when linked).

FROM debian:bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential pkg-config ca-certificates \
      libevent-dev libjansson-dev libhiredis-dev libssl-dev \
      libxgboost-dev coinor-libipopt-dev libscotch-dev libstemmer-dev tzdata \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Makefile ./
COPY libs libs
COPY services services
COPY deploy/runtime-deps.sh deploy/runtime-deps.sh
RUN make -j"$(nproc)" build/bin/gf-forecast \
 && sh deploy/runtime-deps.sh build/bin/gf-forecast > /src/runtime-packages.txt \
 && echo "runtime packages: $(tr '\n' ' ' </src/runtime-packages.txt)"

FROM debian:bookworm-slim
COPY --from=build /src/runtime-packages.txt /tmp/runtime-packages.txt
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl ca-certificates tzdata $(cat /tmp/runtime-packages.txt) \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt \
 && useradd --system --uid 10001 --user-group --home-dir /opt/gridflow --shell /usr/sbin/nologin gridflow
# The repository layout is kept under /opt/gridflow, so paths relative to the top work as in a
# checkout (the working directory is the top).
WORKDIR /opt/gridflow
COPY --from=build /src/build/bin/gf-forecast /usr/local/bin/gf-forecast
# In a container the service listens on every interface and finds Redis by name.
ENV GF_BIND=0.0.0.0 \
    GF_PORT=8103 \
    GF_REDIS_HOST=redis \
    GF_REDIS_PORT=6379 \
    OMP_WAIT_POLICY=passive
USER 10001:10001
EXPOSE 8103
# SIGTERM drains (readyz turns 503, requests in flight finish within GF_DRAIN_SECONDS).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD curl -fsS -o /dev/null "http://127.0.0.1:${GF_PORT}/healthz" || exit 1
ENTRYPOINT ["/usr/local/bin/gf-forecast"]
