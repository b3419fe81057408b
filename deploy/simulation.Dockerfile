# syntax=docker/dockerfile:1
# GridFlow simulation service: power flow and AC/DC OPF (Ipopt) on the bundled MATPOWER cases.
#
#   docker build -f deploy/simulation.Dockerfile -t gridflow/simulation .      (from the repository root)
#   docker run --rm -p 8104:8104 -e GF_REDIS_HOST=redis gridflow/simulation
#
# Stage 1 is the same, letter for letter, in the five service Dockerfiles and the gateway's (test_deploy.sh
# keeps it so): it compiles every binary once with the -dev packages of scripts/deps.sh, and the
# image builder's layer cache gives that stage to the other four images without compiling again.
# Stage 2 is bookworm-slim with exactly the shared libraries the binary needs:
# deploy/runtime-deps.sh asks ldd + dpkg which packages provide them, so the list follows the code.

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
RUN sh deploy/runtime-deps.sh build/bin/gf-simulation > /src/runtime-packages.txt \
 && echo "runtime packages: $(tr '\n' ' ' </src/runtime-packages.txt)"
# The data the service reads at run time, kept at its repository path (an empty folder when the
# checkout has none yet, so the COPY below never fails).
RUN mkdir -p services/simulation/cases

FROM debian:bookworm-slim
COPY --from=build /src/runtime-packages.txt /tmp/runtime-packages.txt
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl ca-certificates tzdata $(cat /tmp/runtime-packages.txt) \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt \
 && useradd --system --uid 10001 --user-group --home-dir /opt/gridflow --shell /usr/sbin/nologin gridflow
# The repository layout is kept under /opt/gridflow, so paths relative to the top work as in a
# checkout (the working directory is the top).
WORKDIR /opt/gridflow
COPY --from=build /src/build/bin/gf-simulation /usr/local/bin/gf-simulation
COPY --from=build /src/services/simulation/cases services/simulation/cases
# In a container the service listens on every interface and finds Redis by name.
ENV GF_BIND=0.0.0.0 \
    GF_PORT=8104 \
    GF_REDIS_HOST=redis \
    GF_REDIS_PORT=6379
USER 10001:10001
EXPOSE 8104
# SIGTERM drains (readyz turns 503, requests in flight finish within GF_DRAIN_SECONDS).
STOPSIGNAL SIGTERM
# Healthy means ready to serve (/readyz: Redis reachable and the service's own checks), not
# merely running; compose starts the gateway only once every service is healthy.
HEALTHCHECK --interval=5s --timeout=3s --start-period=60s --retries=3 \
    CMD curl -fsS -o /dev/null "http://127.0.0.1:${GF_PORT}/readyz" || exit 1
ENTRYPOINT ["/usr/local/bin/gf-simulation"]
