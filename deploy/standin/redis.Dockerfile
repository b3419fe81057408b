# Stand-in for redis:7-bookworm where the official image cannot be pulled (scripts/containers.sh
# builds it only then): Debian's redis-server (7.0) on debian:bookworm-slim. It runs what
# compose's `command:` gives, in /data as the redis user, with protected mode off as the
# official image does (the container network is the boundary, the port is not published).
FROM debian:bookworm-slim
LABEL org.gridflow.standin="Debian bookworm redis-server, not the official redis image"
RUN apt-get update \
 && apt-get install -y --no-install-recommends redis-server \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /data && chown redis:redis /data
WORKDIR /data
VOLUME /data
USER redis
EXPOSE 6379
ENTRYPOINT ["/bin/sh", "-c", "if [ \"$1\" = redis-server ]; then exec \"$@\" --protected-mode no; else exec \"$@\"; fi", "redis-entrypoint"]
CMD ["redis-server"]
