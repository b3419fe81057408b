# GridFlow top-level build.
#
#   make            build every lib (static) and service (binary) under build/
#   make deps       install the Debian packages the project needs (idempotent)
#   make up|down|status|logs   the native stack on this machine (scripts/stack.sh)
#   make test       unit tests, fuzz-corpus replays, then end-to-end tests (real Redis + nginx)
#   make san        the same tests on an ASan+UBSan build (build/san)
#   make fuzz       libFuzzer targets, FUZZ_SECONDS each (clang)
#   make bench      benchmarks in tests/bench (figures go to BENCHMARKS.md)
#   make format     clang-format -i (.clang-format) on FILES, default every tracked .c/.h;
#                   make format-check lists what it would change and fails if anything
#
# Layout rules the build discovers by itself, so a new lib or service needs no edit here:
#   libs/<l>/src/*.c                -> $(BUILD)/lib/libgf_<l>.a
#   services/<s>/*.c (minus main.c) -> $(BUILD)/lib/libsvc_<s>.a ; + main.c -> $(BUILD)/bin/gf-<s>
#   services/<s>/cmd/<n>.c          -> $(BUILD)/bin/<n> (extra commands of a service)
#   tests/unit/<x>/test_<m>.c       -> $(BUILD)/tests/unit/<x>/test_<m> (cmocka)
#   tests/fuzz/fuzz_<p>.c           -> replay driver (gcc) in make test; libFuzzer in make fuzz

BUILD ?= build
CC ?= cc
SAN ?= 0
# nginx is in /usr/sbin, which Debian leaves out of a normal user's PATH (tests/containers/test_fresh.sh).
export PATH := $(PATH):/usr/sbin:/sbin

# FUZZ=1 (make fuzz): everything built by clang with libFuzzer's coverage hooks, ASan and
# UBSan under build/fuzz; the fuzz targets link with -fsanitize=fuzzer (the same LDLIBS).
ifeq ($(FUZZ),1)
BUILD := build/fuzz
CC := clang
OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
	-fno-sanitize-recover=undefined
LDSAN := -fsanitize=address,undefined
else ifeq ($(SAN),1)
BUILD := build/san
OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LDSAN := -fsanitize=address,undefined
else
OPT ?= -O2 -g
LDSAN :=
endif

LIBS := $(sort $(patsubst libs/%/src,%,$(wildcard libs/*/src)))
SERVICES := $(sort $(patsubst services/%/main.c,%,$(wildcard services/*/main.c)))

# Ipopt's flags come from pkg-config when a compile or link first needs them, never at parse
# time: `make up` and `make test` install the packages (make deps) before that point. Each is
# asked once per make (the first use replaces the variable by its value).
ipopt_pc = $(or $(shell pkg-config $(1) ipopt 2>/dev/null),$(error pkg-config finds no ipopt: \
	run `make deps` (it installs coinor-libipopt-dev), or use `make up` / `make test`, which run it first))
IPOPT_CFLAGS = $(eval IPOPT_CFLAGS := $(call ipopt_pc,--cflags))$(IPOPT_CFLAGS)
IPOPT_LIBS = $(eval IPOPT_LIBS := $(call ipopt_pc,--libs))$(IPOPT_LIBS)

GIT_REV := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
CFLAGS := -std=c11 -Wall -Wextra -Werror $(OPT) -pthread $(EXTRA_CFLAGS)
CPPFLAGS = -D_GNU_SOURCE -MMD -MP $(foreach l,$(LIBS),-Ilibs/$(l)/include) $(IPOPT_CFLAGS) \
	-DGF_GIT_REV=\"$(GIT_REV)\"
# Link order: libraries that use core come before it; --start-group lets them refer to each other.
GF_ARCHIVES = $(foreach l,$(LIBS),$(BUILD)/lib/libgf_$(l).a)
LDLIBS = -Wl,--as-needed -levent -levent_pthreads -levent_openssl -lssl -lcrypto -ljansson -lhiredis -lxgboost -lstemmer \
	$(IPOPT_LIBS) -lscotch -lm -lpthread
LDFLAGS := -pthread $(LDSAN)

.PHONY: all deps up down status logs test unit e2e san fuzz fuzz-build bench clean help format format-check
all:

# ---------------------------------------------------------------- libraries
define LIB_template
$(1)_SRCS := $$(wildcard libs/$(1)/src/*.c)
$(1)_OBJS := $$(patsubst %.c,$$(BUILD)/obj/%.o,$$($(1)_SRCS))
$$(BUILD)/lib/libgf_$(1).a: $$($(1)_OBJS)
	@mkdir -p $$(@D)
	rm -f $$@ && ar rcs $$@ $$^
ALL_OBJS += $$($(1)_OBJS)
all: $$(BUILD)/lib/libgf_$(1).a
endef
$(foreach l,$(LIBS),$(eval $(call LIB_template,$(l))))

# ---------------------------------------------------------------- services
define SVC_template
$(1)_SRCS := $$(filter-out services/$(1)/main.c,$$(wildcard services/$(1)/*.c))
$(1)_OBJS := $$(patsubst %.c,$$(BUILD)/obj/%.o,$$($(1)_SRCS))
$(1)_CMDS := $$(patsubst services/$(1)/cmd/%.c,%,$$(wildcard services/$(1)/cmd/*.c))
$$(BUILD)/lib/libsvc_$(1).a: $$($(1)_OBJS) $$(BUILD)/obj/empty.o
	@mkdir -p $$(@D)
	rm -f $$@ && ar rcs $$@ $$^
$$(BUILD)/bin/gf-$(1): $$(BUILD)/obj/services/$(1)/main.o $$(BUILD)/lib/libsvc_$(1).a $$(GF_ARCHIVES)
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) -o $$@ $$< -Wl,--start-group $$(BUILD)/lib/libsvc_$(1).a $$(GF_ARCHIVES) -Wl,--end-group $$(LDLIBS)
$$(BUILD)/bin/%: $$(BUILD)/obj/services/$(1)/cmd/%.o $$(BUILD)/lib/libsvc_$(1).a $$(GF_ARCHIVES)
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) -o $$@ $$< -Wl,--start-group $$(BUILD)/lib/libsvc_$(1).a $$(GF_ARCHIVES) -Wl,--end-group $$(LDLIBS)
ALL_OBJS += $$($(1)_OBJS) $$(BUILD)/obj/services/$(1)/main.o $$(patsubst %.c,$$(BUILD)/obj/%.o,$$(wildcard services/$(1)/cmd/*.c))
all: $$(BUILD)/bin/gf-$(1) $$(addprefix $$(BUILD)/bin/,$$($(1)_CMDS))
endef
$(foreach s,$(SERVICES),$(eval $(call SVC_template,$(s))))

# The gateway's key check (gateway/keycheck/main.c): a kit-based helper nginx asks per request.
$(BUILD)/bin/gf-keycheck: $(BUILD)/obj/gateway/keycheck/main.o $(GF_ARCHIVES)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< -Wl,--start-group $(GF_ARCHIVES) -Wl,--end-group $(LDLIBS)
ALL_OBJS += $(BUILD)/obj/gateway/keycheck/main.o
all: $(BUILD)/bin/gf-keycheck

$(BUILD)/obj/empty.o:
	@mkdir -p $(@D)
	echo 'typedef int gf_empty_unit;' | $(CC) -x c -c -o $@ -

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# Tests of a service see its headers: tests/unit/<svc>/... and tests/fuzz/fuzz_<svc>_*.c.
$(BUILD)/obj/tests/unit/%.o: tests/unit/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Iservices/$(firstword $(subst /, ,$*)) $(CFLAGS) -c -o $@ $<

$(BUILD)/obj/tests/fuzz/fuzz_%.o: tests/fuzz/fuzz_%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Iservices/$(firstword $(subst _, ,$*)) $(CFLAGS) -c -o $@ $<

# ---------------------------------------------------------------- unit tests
UNIT_SRCS := $(wildcard tests/unit/*/test_*.c)
UNIT_BINS := $(patsubst %.c,$(BUILD)/%,$(UNIT_SRCS))
ALL_OBJS += $(patsubst %.c,$(BUILD)/obj/%.o,$(UNIT_SRCS))
# A unit test links its service's archive when tests/unit/<svc> names a service.
unit_svc = $(if $(filter $(1),$(SERVICES)),$(BUILD)/lib/libsvc_$(1).a)
.SECONDEXPANSION:
# Keep intermediate objects (test and fuzz .o files) so rebuilds stay incremental.
.SECONDARY:
$(BUILD)/tests/unit/%: $(BUILD)/obj/tests/unit/%.o $$(call unit_svc,$$(firstword $$(subst /, ,$$*))) $(GF_ARCHIVES)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< -Wl,--start-group $(filter %.a,$^) -Wl,--end-group -lcmocka $(LDLIBS)

# ---------------------------------------------------------------- fuzz targets
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(FUZZ_SRCS))
# Which service archive a fuzz target needs: the first word of its name (fuzz_ingestion_csv).
fuzz_svc = $(call unit_svc,$(firstword $(subst _, ,$(1))))
REPLAY_BINS := $(patsubst %,$(BUILD)/tests/fuzz/replay_%,$(FUZZ_NAMES))
ALL_OBJS += $(patsubst %.c,$(BUILD)/obj/%.o,$(FUZZ_SRCS)) $(BUILD)/obj/tests/fuzz/replay_main.o
$(BUILD)/tests/fuzz/replay_%: $(BUILD)/obj/tests/fuzz/fuzz_%.o $(BUILD)/obj/tests/fuzz/replay_main.o $$(call fuzz_svc,$$*) $(GF_ARCHIVES)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) -Wl,--start-group $(filter %.a,$^) -Wl,--end-group $(LDLIBS)

build-tests: all $(UNIT_BINS) $(REPLAY_BINS)

# libFuzzer binaries (FUZZ=1 only: their objects need the coverage hooks).
FUZZ_BINS := $(patsubst %,$(BUILD)/tests/fuzz/fuzz_%,$(FUZZ_NAMES))
$(BUILD)/tests/fuzz/fuzz_%: $(BUILD)/obj/tests/fuzz/fuzz_%.o $$(call fuzz_svc,$$*) $(GF_ARCHIVES)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $< -Wl,--start-group $(filter %.a,$^) -Wl,--end-group $(LDLIBS)
fuzz-build: $(if $(filter 1,$(FUZZ)),$(FUZZ_BINS))
	@test "$(FUZZ)" = 1 || { echo "fuzz-build: run it as make fuzz (FUZZ=1)"; exit 1; }

-include $(ALL_OBJS:.o=.d)

# ---------------------------------------------------------------- top-level verbs
deps:
	@bash scripts/deps.sh

# The verbs a new user types first run deps, then build in a sub-make: the build reads
# pkg-config after the install, and the two steps stay in order under -j.
SUBMAKE = $(MAKE) --no-print-directory
up:
	@$(SUBMAKE) deps
	@$(SUBMAKE) all
	@bash scripts/stack.sh up

down:
	@bash scripts/stack.sh down

status:
	@bash scripts/stack.sh status

logs:
	@bash scripts/stack.sh logs

unit: build-tests
	@BUILD=$(BUILD) bash tests/run.sh unit

e2e: build-tests
	@BUILD=$(BUILD) bash tests/run.sh e2e

test:
	@$(SUBMAKE) deps
	@$(SUBMAKE) build-tests
	@BUILD=$(BUILD) bash tests/run.sh all

san:
	@$(MAKE) --no-print-directory SAN=1 test

FUZZ_SECONDS ?= 30
FUZZ_ONLY ?=
fuzz:
	@$(SUBMAKE) deps
	@$(SUBMAKE) FUZZ=1 fuzz-build
	@FUZZ_BUILD=build/fuzz bash tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_ONLY)

bench: all
	@bash tests/bench/run.sh

clean:
	rm -rf build

help:
	@awk '/^$$/ { exit } { print }' Makefile

FILES ?=
format:
	@command -v clang-format >/dev/null || { echo "format: clang-format not found: run make deps"; exit 2; }
	clang-format -i --style=file $(or $(FILES),$(shell git ls-files '*.c' '*.h'))

format-check:
	@bash scripts/format-check.sh $(FILES)

# ---------------------------------------------------------------- containers (deploy/, tests/containers/)
#   make containers        every image docker-compose.yml runs, with docker or podman (scripts/containers.sh)
#   make test-containers   builds them, runs the compose stack on free ports, smoke flow, teardown
#   make test-fresh        the README's `make up` + `make test` in a fresh Debian 12 container
# The container tools (podman, podman-compose, debootstrap) are `scripts/deps.sh containers`.
.PHONY: deps-containers containers test-containers test-fresh
deps-containers:
	@bash scripts/deps.sh containers

containers: deps
	@bash scripts/containers.sh build

test-containers: deps-containers
	@bash tests/containers/test_compose.sh

test-fresh: deps-containers
	@bash tests/containers/test_fresh.sh
