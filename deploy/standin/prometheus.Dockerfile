# Stand-in for prom/prometheus:v2.53.1 where the official image cannot be pulled
# (scripts/containers.sh builds it only then): Debian's prometheus (2.42) on debian:bookworm-slim,
# with the official image's entry point, user, data directory and wget (compose's health check).
FROM debian:bookworm-slim
LABEL org.gridflow.standin="Debian bookworm prometheus, not the official prom/prometheus image"
RUN apt-get update \
 && apt-get install -y --no-install-recommends prometheus wget \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /prometheus && chown prometheus:prometheus /prometheus
WORKDIR /prometheus
VOLUME /prometheus
USER prometheus
EXPOSE 9090
ENTRYPOINT ["/usr/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]
