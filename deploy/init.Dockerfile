# syntax=docker/dockerfile:1
# GridFlow first-run job (docker-compose service "init", Kubernetes Job): imports the bundled
# demand history through the gateway API with the same scripts/first-run.sh that `make up` runs
# natively. A shell + curl + jq + redis-cli image with the repository's scripts/ and
# services/ingestion/data at their checkout paths. It has no gf-trainer binary, so it trains no
# models: train them through the API (POST /api/trainer/jobs), as its log says.
#
#   docker build -f deploy/init.Dockerfile -t gridflow/init .      (from the repository root)

FROM debian:bookworm-slim AS files
WORKDIR /src
COPY scripts scripts
COPY services/ingestion services/ingestion
# Keep only the data (an empty folder when the checkout has none yet).
RUN mkdir -p /out/scripts /out/services/ingestion/data \
 && cp -a scripts/. /out/scripts/ \
 && if [ -d services/ingestion/data ]; then cp -a services/ingestion/data/. /out/services/ingestion/data/; fi

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends bash curl ca-certificates jq redis-tools \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /opt/gridflow --shell /usr/sbin/nologin gridflow
WORKDIR /opt/gridflow
COPY --from=files /out/ ./
COPY deploy/init.sh deploy/init.sh
ENV GF_GATEWAY_URL=http://gateway:8080 \
    GF_REDIS_HOST=redis \
    GF_REDIS_PORT=6379 \
    GF_VAR_DIR=/tmp/gridflow
USER 10001:10001
ENTRYPOINT ["bash", "/opt/gridflow/deploy/init.sh"]
