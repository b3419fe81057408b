#!/usr/bin/env bash
# Deployment files stay consistent with the code, without Docker or a cluster: the Dockerfiles,
# docker-compose.yml, the Kubernetes manifests (infra/k8s) and Terraform (infra/terraform).
# Services are discovered from services/*/main.c; their ports from .default_port; the GF_*
# variables each binary reads from `gf-<svc> --help` (build/bin, so run after `make`).
# No stack is started: local.sh's runner (each t_* in a subshell with set -e).
source "$(dirname "$0")/local.sh" deploy
BUILD=${BUILD:-build}
[[ "$BUILD" = /* ]] || BUILD="$TOP/$BUILD"
COMPOSE=docker-compose.yml
K8S=infra/k8s
SVCS=$(for m in services/*/main.c; do m=${m#services/}; echo "${m%/main.c}"; done)

default_port() { grep -oE '\.default_port *= *[0-9]+' "services/$1/main.c" | grep -oE '[0-9]+$'; }
# Every manifest of infra/k8s as one JSON array of documents (yq parses each YAML file).
k8s_docs() {
    local f
    for f in $(find "$K8S" -name '*.yaml' ! -name kustomization.yaml | sort); do
        yq -c '.' "$f" || { echo "bad YAML: $f" >&2; return 1; }
    done | jq -s '[.[] | select(. != null)]'
}
# GF_* names a binary reads (its --help table).
help_names() { "$BUILD/bin/gf-$1" --help 2>&1 | grep -oE '^  GF_[A-Z0-9_]+' | tr -d ' ' | sort -u; }
# GF_* names the gateway and init containers read (their entry points and the scripts they run).
script_names() { cat "$@" 2>/dev/null | grep -oE 'GF_[A-Z0-9_]+' | sort -u; }

t_every_service_has_an_image_and_a_compose_service() {
    local s
    for s in $SVCS; do
        [ -f "deploy/$s.Dockerfile" ] || fail "deploy/$s.Dockerfile missing"
        yq -e --arg s "$s" '.services[$s].build.dockerfile == "deploy/\($s).Dockerfile"' "$COMPOSE" >/dev/null \
            || fail "compose service $s does not build deploy/$s.Dockerfile"
    done
    for s in redis gateway init prometheus grafana; do
        yq -e --arg s "$s" '.services | has($s)' "$COMPOSE" >/dev/null || fail "compose lacks $s"
    done
    yq -e '[.services[] | select(.build) | .build.dockerfile] | all' "$COMPOSE" >/dev/null
    for f in $(yq -r '.services[] | select(.build) | .build.dockerfile' "$COMPOSE"); do
        [ -f "$f" ] || fail "compose builds $f, which does not exist"
    done
    for f in $(yq -r '.services[].volumes[]? | select(startswith("./")) | split(":")[0]' "$COMPOSE"); do
        [ -e "$f" ] || fail "compose mounts $f, which does not exist"
    done
}

t_ports_match_the_defaults_in_the_mains() {
    local s p docs
    docs=$(k8s_docs)
    for s in $SVCS; do
        p=$(default_port "$s")
        [ -n "$p" ] || fail "no .default_port in services/$s/main.c"
        yq -e --arg s "$s" --arg p "$p" '.services[$s].environment.GF_PORT == $p' "$COMPOSE" >/dev/null \
            || fail "compose $s: GF_PORT is not $p"
        yq -e --arg s "$s" --arg p "$p" '[.services[$s].ports[] | endswith(":\($p)")] | any' "$COMPOSE" >/dev/null \
            || fail "compose $s: port $p not published"
        yq -e --arg s "$s" --arg p "$p" '.services.gateway.environment["GF_\($s|ascii_upcase)_ADDR"] == "\($s):\($p)"' \
            "$COMPOSE" >/dev/null || fail "compose gateway: GF_${s^^}_ADDR is not $s:$p"
        grep -qx "EXPOSE $p" "deploy/$s.Dockerfile" || fail "deploy/$s.Dockerfile does not EXPOSE $p"
        grep -qE "^ *GF_PORT=$p( |\\\\|$)" "deploy/$s.Dockerfile" || fail "deploy/$s.Dockerfile: ENV GF_PORT is not $p"
        jq -e --arg s "$s" --argjson p "$p" '
            ([.[] | select(.kind == "Deployment" and .metadata.name == $s) | .spec.template.spec.containers[0]
              | (.ports[0].containerPort == $p) and ([.env[] | select(.name == "GF_PORT") | .value] == [($p|tostring)])]
             == [true])
            and ([.[] | select(.kind == "Service" and .metadata.name == $s) | .spec.ports[0].port == $p] == [true])
            and ([.[] | select(.kind == "Deployment" and .metadata.name == "gateway") | .spec.template.spec.containers[0].env[]
                  | select(.name == "GF_\($s|ascii_upcase)_ADDR") | .value] == ["\($s):\($p)"])' <<<"$docs" >/dev/null \
            || fail "k8s $s: Deployment/Service port or GF_PORT or gateway address is not $p"
        grep -q "\"$s:$p\"" deploy/prometheus/prometheus.yml || fail "prometheus does not scrape $s:$p"
    done
}

t_gf_variables_are_ones_the_code_reads() {
    local s n docs bad=0
    docs=$(k8s_docs)
    [ -x "$BUILD/bin/gf-ingestion" ] || fail "$BUILD/bin missing: run make first"
    jq -r '.[] | select(.kind == "ConfigMap" and .metadata.name == "gridflow-config") | .data | keys[]' \
        <<<"$docs" >"$T/configmap"
    for s in $SVCS; do
        help_names "$s" >"$T/known"
        {
            yq -r --arg s "$s" '.services[$s].environment | keys[]' "$COMPOSE"
            jq -r --arg s "$s" '.[] | select(.kind == "Deployment" and .metadata.name == $s)
                | .spec.template.spec.containers[].env[]?.name' <<<"$docs"
            cat "$T/configmap"
            sed -n '/^ENV /,/^[^ ]/p' "deploy/$s.Dockerfile" | grep -oE 'GF_[A-Z0-9_]+'
        } | grep '^GF_' | sort -u >"$T/used"
        for n in $(comm -23 "$T/used" "$T/known"); do
            echo "    $s: $n is set in compose/k8s/Dockerfile but gf-$s does not read it" >&2
            bad=1
        done
    done
    script_names scripts/render-gateway.sh deploy/gateway-entrypoint.sh >"$T/known"
    {
        yq -r '.services.gateway.environment | keys[]' "$COMPOSE"
        jq -r '.[] | select(.kind == "Deployment" and .metadata.name == "gateway") | .spec.template.spec.containers[].env[]?.name' <<<"$docs"
    } | grep '^GF_' | sort -u >"$T/used"
    for n in $(comm -23 "$T/used" "$T/known"); do echo "    gateway: $n is read by no script" >&2; bad=1; done
    script_names deploy/init.sh scripts/first-run.sh >"$T/known"
    {
        yq -r '.services.init.environment | keys[]' "$COMPOSE"
        jq -r '.[] | select(.kind == "Job" and .metadata.name != "redis-cluster") | .spec.template.spec.containers[].env[]?.name' <<<"$docs"
    } | grep '^GF_' | sort -u >"$T/used"
    for n in $(comm -23 "$T/used" "$T/known"); do echo "    init: $n is read by no script" >&2; bad=1; done
    [ $bad -eq 0 ] || fail "unknown GF_* variables above"
}

t_services_listen_on_all_interfaces_and_find_redis_by_name() {
    local s
    for s in $SVCS; do
        yq -e --arg s "$s" '.services[$s].environment | .GF_BIND == "0.0.0.0" and .GF_REDIS_HOST == "redis"' \
            "$COMPOSE" >/dev/null || fail "compose $s: GF_BIND/GF_REDIS_HOST"
        grep -qE '^ENV GF_BIND=0\.0\.0\.0' "deploy/$s.Dockerfile" || fail "deploy/$s.Dockerfile: GF_BIND"
    done
    k8s_docs | jq -e '.[] | select(.kind == "ConfigMap" and .metadata.name == "gridflow-config")
        | .data.GF_BIND == "0.0.0.0" and .data.GF_REDIS_HOST == "redis"' >/dev/null || fail "k8s ConfigMap"
}

t_redis_keeps_its_data_in_a_volume_with_aof() {
    local vol
    vol=$(yq -r '.services.redis.volumes[] | select(endswith(":/data")) | split(":")[0]' "$COMPOSE")
    [ -n "$vol" ] || fail "compose redis has no volume on /data"
    yq -e --arg v "$vol" '.volumes | has($v)' "$COMPOSE" >/dev/null || fail "volume $vol is not a named volume"
    yq -e '.services.redis.command | (index("--appendonly") != null) and (index("everysec") != null)' "$COMPOSE" >/dev/null \
        || fail "compose redis: AOF everysec"
    k8s_docs | jq -e '[.[] | select(.kind == "StatefulSet" and .metadata.name == "redis")
        | (.spec.volumeClaimTemplates | length > 0) and (.spec.template.spec.containers[0].args | index("everysec") != null)]
        == [true]' >/dev/null || fail "k8s redis: StatefulSet with a volume claim and AOF"
    k8s_docs | jq -e '[.[] | select(.kind == "Deployment") | .metadata.name] | index("redis") == null' >/dev/null
}

t_compose_health_checks_and_start_order() {
    local s
    for s in $(yq -r '.services | keys[]' "$COMPOSE"); do
        [ "$s" = init ] && continue
        yq -e --arg s "$s" '.services[$s].healthcheck.test | length > 0' "$COMPOSE" >/dev/null \
            || fail "compose $s has no healthcheck"
    done
    for s in $SVCS; do
        yq -e --arg s "$s" '.services[$s].healthcheck.test | join(" ") | contains("/readyz")' "$COMPOSE" >/dev/null \
            || fail "compose $s healthcheck is not /readyz (healthy must mean ready to serve)"
        yq -e --arg s "$s" '.services[$s].depends_on.redis.condition == "service_healthy"' "$COMPOSE" >/dev/null \
            || fail "compose $s does not wait for a healthy redis"
        yq -e --arg s "$s" '.services.gateway.depends_on[$s].condition == "service_healthy"' "$COMPOSE" >/dev/null \
            || fail "compose gateway does not wait for $s"
    done
    # Redis is healthy only when it answers PONG (not while it answers LOADING).
    yq -e '.services.redis.healthcheck.test | join(" ") | test("PONG")' "$COMPOSE" >/dev/null \
        || fail "compose redis healthcheck does not require PONG"
    yq -e '.services.init.restart == "no" and .services.init.depends_on.gateway.condition == "service_healthy"' \
        "$COMPOSE" >/dev/null || fail "init: one-shot after a healthy gateway"
    # Every depends_on names a service.
    yq -e '.services as $all | [.services[] | (.depends_on // {}) | keys[] | in($all)] | all' "$COMPOSE" >/dev/null \
        || fail "a depends_on names an unknown service"
    yq -e '[.services[] | select(.healthcheck) | .healthcheck | has("interval") and has("retries")] | all' \
        "$COMPOSE" >/dev/null || fail "healthchecks need interval and retries"
}

t_dockerfiles_are_multi_stage_slim_non_root_with_healthcheck() {
    local s f d lib
    for s in $SVCS; do
        f=deploy/$s.Dockerfile
        grep -qE '^FROM debian:bookworm AS build$' "$f" || fail "$f: build stage on debian:bookworm"
        grep -qE '^FROM debian:bookworm-slim$' "$f" || fail "$f: runtime on debian:bookworm-slim"
        grep -qE '^RUN make -j"\$\(nproc\)" all$' "$f" || fail "$f: the build stage does not make all"
        grep -qE "runtime-deps.sh build/bin/gf-$s " "$f" || fail "$f: runtime packages are not those of gf-$s"
        grep -qE '^USER [1-9][0-9]*' "$f" || fail "$f: runs as root"
        grep -qE "^HEALTHCHECK " "$f" && grep -qE 'CMD curl .*/readyz' "$f" || fail "$f: no HEALTHCHECK on /readyz"
        grep -qE "^ENTRYPOINT \[\"/usr/local/bin/gf-$s\"\]" "$f" || fail "$f: entry point"
        # Every -dev library of scripts/deps.sh is in the build stage (all binaries link them).
        for lib in $(grep -oE '\blib[a-z0-9-]+-dev\b|coinor-libipopt-dev' scripts/deps.sh | grep -v -e cmocka -e clang | sort -u); do
            grep -qw -- "$lib" "$f" || fail "$f: build stage lacks $lib (scripts/deps.sh)"
        done
        # Data the service ships in its folder goes into the image at the same path.
        for d in services/$s/*/; do
            d=${d%/}
            case ${d##*/} in cmd | eval) continue ;; esac
            grep -qE "^COPY --from=build /src/$d $d$" "$f" || fail "$f: does not copy $d"
        done
    done
    # The gateway copies the dashboard built on the host (scripts/containers.sh builds it first),
    # so the build context must carry gateway/dashboard/dist.
    f=deploy/gateway.Dockerfile
    grep -qE '^COPY gateway/dashboard ' "$f" && grep -qE '^COPY --from=dashboard /src/gateway/dashboard/dist ' "$f" \
        || fail "$f: does not copy gateway/dashboard/dist"
    grep -q 'scripts/build-dashboard.sh' scripts/containers.sh || fail "scripts/containers.sh does not build the dashboard"
    ! grep -qE '^[^#]*dashboard/dist' .dockerignore || fail ".dockerignore excludes the dashboard build"
    grep -qE '^USER [1-9]' "$f" && grep -q '^HEALTHCHECK ' "$f" || fail "$f: user/healthcheck"
    for d in build var .git; do grep -qx "$d" .dockerignore || fail ".dockerignore must exclude $d"; done
}

# The five build stages are the same text, so the image builder compiles the C code once and the
# other four images take that stage from its layer cache.
t_service_build_stages_are_identical() {
    local s first="" stage
    # The gateway image builds gf-keycheck in the same stage.
    for s in $SVCS gateway; do
        stage=$(sed -n '/^FROM debian:bookworm AS build$/,/^# -- end of the shared stage$/p' "deploy/$s.Dockerfile")
        grep -q '^# -- end of the shared stage$' <<<"$stage" || fail "deploy/$s.Dockerfile: no shared build stage"
        if [ -z "$first" ]; then first=$stage; continue; fi
        [ "$stage" = "$first" ] || { diff <(echo "$first") <(echo "$stage") >&2; fail "deploy/$s.Dockerfile: build stage differs"; }
    done
}

t_runtime_deps_script_names_the_linked_packages() {
    local s out
    for s in $SVCS; do
        out=$(sh deploy/runtime-deps.sh "$BUILD/bin/gf-$s") || fail "runtime-deps failed for gf-$s"
        grep -qx libjansson4 <<<"$out" || fail "gf-$s: libjansson4 missing from: $out"
        ! grep -qE -- '-dev$' <<<"$out" || fail "gf-$s: a -dev package in the runtime list"
    done
}

t_gateway_entrypoint_renders_a_valid_nginx_config() {
    command -v nginx >/dev/null || fail "nginx missing (make deps)"
    local args=() s
    for s in $SVCS; do args+=("GF_${s^^}_ADDR=127.0.0.1:$(default_port "$s")"); done
    env GF_TOP="$TOP" GF_VAR_DIR="$T/gw" GF_API_KEYS="deploy-test-key-0123456789" GF_GATEWAY_PORT=18080 \
        GF_GATEWAY_BIND=0.0.0.0 "${args[@]}" bash deploy/gateway-entrypoint.sh --check 2>"$T/gw.err" \
        || { cat "$T/gw.err" >&2; fail "entry point could not render a valid config"; }
    grep -q 'listen 0.0.0.0:18080' "$T/gw/nginx.conf" || fail "gateway does not listen on all interfaces"
    grep -q "^sha256:$(printf deploy-test-key-0123456789 | sha256sum | cut -d' ' -f1) admin deploy-1$" \
        "$T/gw/gateway/keys" || fail "API key's hash not in the keys store"
    grep -rq deploy-test-key-0123456789 "$T/gw" && fail "API key stored in clear"
    return 0
}

t_k8s_manifests_parse_and_deployments_are_probed() {
    local docs f r drain
    docs=$(k8s_docs) || fail "a manifest does not parse"
    for f in $(find "$K8S" -name kustomization.yaml); do
        for r in $(yq -r '.resources[]' "$f"); do
            [ -e "$(dirname "$f")/$r" ] || fail "$f lists $r, which does not exist"
        done
    done
    jq -e 'all(.[]; has("apiVersion") and has("kind") and (.metadata.name|type=="string"))' <<<"$docs" >/dev/null \
        || fail "a manifest lacks apiVersion/kind/metadata.name"
    drain=$(jq -r '.[] | select(.kind == "ConfigMap" and .metadata.name == "gridflow-config") | .data.GF_DRAIN_SECONDS' <<<"$docs")
    for s in $SVCS; do
        jq -e --arg s "$s" --argjson drain "$drain" '[.[] | select(.kind == "Deployment" and .metadata.name == $s)
            | .spec.template.spec as $p | $p.containers[0] as $c
            | ($c.readinessProbe.httpGet.path == "/readyz") and ($c.livenessProbe.httpGet.path == "/healthz")
              and ($c.resources.requests.cpu and $c.resources.requests.memory and $c.resources.limits.memory)
              and ($p.terminationGracePeriodSeconds >= $drain + (($c.lifecycle.preStop.exec.command[1] // "0") | tonumber))
              and ($p.securityContext.runAsNonRoot == true)] == [true]' <<<"$docs" >/dev/null \
            || fail "k8s $s: probes (/readyz, /healthz), resources, grace >= drain + preStop, non-root"
    done
    jq -e '[.[] | select(.kind == "Deployment") | .spec.template.spec.containers[]
            | has("readinessProbe") and has("livenessProbe")] | all' <<<"$docs" >/dev/null \
        || fail "a Deployment container without both probes"
    jq -e '[.[] | select(.kind == "HorizontalPodAutoscaler") | .spec.scaleTargetRef.name] | sort
           == ["compliance","forecast","ingestion"]' <<<"$docs" >/dev/null || fail "HPAs: forecast, ingestion, compliance"
    jq -e '[.[] | select(.kind == "Deployment") | .metadata.name] as $d
           | [.[] | select(.kind == "Service") | .metadata.name] as $svc | all($d[]; . as $n | $svc | index($n) != null)' \
        <<<"$docs" >/dev/null || fail "a Deployment without a Service"
    jq -e '[.[] | select(.kind == "Ingress" or .kind == "HTTPRoute")] | length == 2' <<<"$docs" >/dev/null \
        || fail "Ingress and HTTPRoute"
    ! grep -rqiE '^\s*(password|secret|token|api[-_]?key)s?\s*[:=]\s*"?[A-Za-z0-9]{12,}' infra \
        || fail "something that looks like a secret in infra/"
}

t_kustomize_builds_when_kubectl_exists() {
    if ! command -v kubectl >/dev/null; then skip "kubectl not installed (not in Debian 12)"; return 0; fi
    cp -r infra "$T/infra"
    echo "deploy-test-key-0123456789" >"$T/infra/k8s/overlays/example/api-keys.txt"
    kubectl kustomize "$T/infra/k8s/overlays/example" >"$T/built.yaml" || fail "kustomize build failed"
}

# The scale-out option: docker-compose.cluster.yml and infra/k8s/overlays/cluster run Redis as a
# cluster of three masters, joined by scripts/redis-cluster.sh, and point every service at it.
t_cluster_option_in_compose_and_k8s() {
    local C=docker-compose.cluster.yml nodes s docs ov=infra/k8s/overlays/cluster
    nodes='redis:6379,redis-2:6379,redis-3:6379'
    for s in redis redis-2 redis-3; do
        yq -e --arg s "$s" '.services[$s].entrypoint | join(" ") | test("--cluster-enabled yes") and test("--cluster-require-full-coverage no")' \
            "$C" >/dev/null || fail "compose cluster: $s is not a cluster node"
    done
    yq -e '.services["redis-2"].command == .services["redis-3"].command' "$C" >/dev/null || fail "nodes differ"
    # The nodes keep the base Redis's own options (AOF everysec, no RDB), which the entry point passes on.
    yq -e '.services.redis.command' "$COMPOSE" | tr -d ' \n' >"$T/base-cmd"
    yq -e '.services["redis-2"].command' "$C" | tr -d ' \n' | cmp -s - "$T/base-cmd" || fail "node options differ from docker-compose.yml's redis"
    yq -e --arg n "$nodes" '.services["redis-cluster"] | (.entrypoint | join(" ")) == "bash /opt/gridflow/redis-cluster.sh join"
        and (.command | join(",")) == $n and (.volumes[0] | startswith("./scripts/redis-cluster.sh:/opt/gridflow/redis-cluster.sh"))' \
        "$C" >/dev/null || fail "compose cluster: the one-shot does not join the three nodes with scripts/redis-cluster.sh"
    for s in $SVCS init ingestion-2 forecast-2; do
        yq -e --arg s "$s" --arg n "$nodes" '.services[$s].environment.GF_REDIS_CLUSTER == $n
            and .services[$s].depends_on["redis-cluster"].condition == "service_completed_successfully"' "$C" >/dev/null \
            || fail "compose cluster: $s lacks GF_REDIS_CLUSTER=$nodes or waits not for the join"
    done
    # Every GF_* the override sets for a service (or its second instance) is one the binary reads.
    for s in $SVCS; do
        help_names "$s" >"$T/known"
        for n in $(yq -r --arg s "$s" '(.services[$s].environment // {}), (.services["\($s)-2"].environment // {}) | keys[]' "$C" | sort -u); do
            grep -qx "$n" "$T/known" || fail "compose cluster: $s: $n is not read by gf-$s"
        done
    done
    for s in ingestion forecast; do
        yq -e --arg s "$s" --arg p "$(default_port "$s")" '.services.gateway.environment["GF_\($s|ascii_upcase)_ADDR"] == "\($s):\($p),\($s)-2:\($p)"
            and .services["\($s)-2"].environment.GF_PORT == $p and (.services["\($s)-2"] | has("ports") | not)' "$C" >/dev/null \
            || fail "compose cluster: the gateway does not list both $s instances"
        [ "$(yq -r --arg s "$s" '.services["\($s)-2"].image' "$C")" = "$(yq -r --arg s "$s" '.services[$s].image' "$COMPOSE")" ] \
            || fail "compose cluster: $s-2 runs another image than $s"
    done
    # Only lists the base does not define are set (podman-compose appends lists of an override).
    for s in $(yq -r '.services | keys[]' "$C"); do
        for k in $(yq -r --arg s "$s" '.services[$s] | to_entries[] | select(.value|type == "array") | .key' "$C"); do
            yq -e --arg s "$s" --arg k "$k" '.services[$s][$k] == null' "$COMPOSE" >/dev/null \
                || fail "compose cluster: $s.$k is a list docker-compose.yml has too"
        done
    done
    # Kubernetes: the overlay's Job joins redis-{0,1,2}.redis; the ConfigMap names the same nodes.
    docs=$(k8s_docs)
    jq -e '[.[] | select(.kind == "Job" and .metadata.name == "redis-cluster") | .spec.template.spec.containers[0].command
            | join(" ")] == ["bash /opt/gridflow/scripts/redis-cluster.sh join redis-0.redis:6379 redis-1.redis:6379 redis-2.redis:6379"]' \
        <<<"$docs" >/dev/null || fail "k8s: Job redis-cluster"
    script_names scripts/redis-cluster.sh >"$T/known"
    for s in $(jq -r '.[] | select(.kind == "Job" and .metadata.name == "redis-cluster") | .spec.template.spec.containers[].env[]?.name' <<<"$docs"); do
        grep -qx "$s" "$T/known" || fail "k8s Job redis-cluster: $s is read by no script"
    done
    yq -e '.patches[] | select(.target.kind == "ConfigMap") | .patch | test("GF_REDIS_CLUSTER\n *value: redis-0.redis:6379,redis-1.redis:6379,redis-2.redis:6379")' \
        "$ov/kustomization.yaml" >/dev/null || fail "k8s overlay: GF_REDIS_CLUSTER"
    yq -e '.patches[] | select(.target.kind == "StatefulSet") | .patch | test("value: 3") and test("--cluster-enabled")' \
        "$ov/kustomization.yaml" >/dev/null || fail "k8s overlay: three cluster-enabled Redis pods"
    if command -v kubectl >/dev/null; then
        cp -r infra "$T/infra-cl"
        echo "deploy-test-key-0123456789" >"$T/infra-cl/k8s/overlays/example/api-keys.txt"
        kubectl kustomize "$T/infra-cl/k8s/overlays/cluster" >"$T/built-cluster.yaml" || fail "kustomize build of the cluster overlay failed"
    fi
}

t_terraform_is_formatted_when_terraform_exists() {
    [ -f infra/terraform/main.tf ] && [ -f infra/terraform/variables.tf ] && [ -f infra/terraform/outputs.tf ] \
        || fail "infra/terraform: main.tf, variables.tf, outputs.tf"
    grep -q 'azurerm_kubernetes_cluster"* "' infra/terraform/main.tf || grep -q 'resource "azurerm_kubernetes_cluster"' infra/terraform/main.tf \
        || fail "no AKS cluster"
    grep -q 'resource "azurerm_container_registry"' infra/terraform/main.tf || fail "no ACR"
    if ! command -v terraform >/dev/null; then skip "terraform not installed (not in Debian 12)"; return 0; fi
    terraform fmt -check -recursive infra/terraform || fail "terraform fmt -check"
}

local_main
