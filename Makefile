# mpi4py-import: build, test, benchmark and demo targets.
# `make` builds build/harness; `make asan` the sanitizer build the tests run.
# `make MPI=mpich all asan unit` builds the same against Debian's MPICH
# into build/mpich/ (build/mpich/harness, build/mpich/asan/...); Open MPI
# stays the default.

MPI      ?= openmpi
ifeq ($(MPI),openmpi)
CC       := mpicc
B        := build
else ifeq ($(MPI),mpich)
CC       := mpicc.mpich
B        := build/mpich
else
$(error MPI=$(MPI): openmpi (the default) or mpich)
endif
PKGS     := libconfig libpq json-c
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS   ?= -O2 -g
# Messages are cut to their fixed buffers on purpose: snprintf truncation is not a bug here.
WARN     := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-format-truncation
# The harness's folders by concern (README: "Where things are"), lowest first.
HDIRS    := harness/base harness/proc staging harness/fs harness/config harness/result harness/run harness/output harness/db \
            harness/history harness/jobgen harness
# Includes name their folder from the source root ("base/err.h", "../staging/stage.h");
# build/gen holds the job body embedded at build time.
CPPFLAGS := -iquote harness -iquote build/gen $(PKG_CFLAGS)
DEPFLAGS  = -MMD -MP
# Debian's librsync-dev ships no pkg-config file; -lzstd: the compressed broadcast.
LDLIBS   := $(PKG_LIBS) -lrsync -lzstd -lgsl -lgslcblas -lm
SANITIZE := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

SRCS     := $(foreach d,$(HDIRS),$(wildcard $(d)/*.c))
OBJS      = $(SRCS:%.c=$(B)/obj/%.o)
ASAN_OBJS = $(SRCS:%.c=$(B)/asan/obj/%.o)
# tests/unit/ mirrors the source folders; each test's binary is
# $(B)/asan/tests/unit/<folder>/test_<x>.
UNIT_SRCS := $(wildcard tests/unit/test_*.c tests/unit/*/test_*.c)
UNIT_BINS := $(UNIT_SRCS:%.c=$(B)/asan/%)
GEN      := build/gen/job_body.h

.PHONY: all asan unit test bench bench-history demo cluster-demo cluster-scaling clean deps venv report tools
all: $(B)/harness build/spawn-loop

$(GEN): jobs/job-body.sh harness/jobgen/embed_body.sh
	@mkdir -p $(dir $@)
	harness/jobgen/embed_body.sh $< $@

$(B)/obj/%.o: %.c | $(GEN)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(CFLAGS) $(CPPFLAGS) $(DEPFLAGS) -c -o $@ $<

$(B)/asan/obj/%.o: %.c | $(GEN)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) -O1 -g $(SANITIZE) $(CPPFLAGS) $(DEPFLAGS) -c -o $@ $<

$(B)/harness: $(OBJS)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(B)/asan/harness: $(ASAN_OBJS)
	$(CC) $(SANITIZE) -o $@ $^ $(LDLIBS)

# Each unit test links against an archive of the harness's objects, so
# the linker takes only the objects it uses (and what they call). A test
# that defines a symbol itself is not given the archive's: the dummy kind's
# test brings its own table of kinds (fs_kinds) instead of fs/fs_kinds.c.
ASAN_LIB := $(B)/asan/libharness.a
$(ASAN_LIB): $(filter-out $(B)/asan/obj/harness/main.o,$(ASAN_OBJS))
	@rm -f $@
	ar rcs $@ $^

$(B)/asan/tests/unit/%: tests/unit/%.c tests/unit/check.h $(ASAN_LIB) | $(GEN)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) -O1 -g $(SANITIZE) $(CPPFLAGS) -c -o $@.o $<
	$(CC) $(SANITIZE) -o $@ $@.o $(ASAN_LIB) $(LDLIBS)

# The reference of `make bench`: a bare posix_spawn + waitpid loop.
build/spawn-loop: bench/spawn_loop.c
	@mkdir -p build
	$(CC) $(WARN) $(CFLAGS) -o $@ $< -lm

asan: $(B)/asan/harness
unit: $(UNIT_BINS)

deps:
	jobs/install-deps.sh

# What conf/local.cfg's suites need; build/harness reads the config for it.
venv: build/venv/bin/python
build/venv/bin/python: | build/harness
	jobs/build-virtualenv.sh --config conf/local.cfg --machine local build/venv

# The tools (Apache Otava for the report's change points, ReFrame for
# jobs/reframe/), pinned, apart from the measured venv.
tools: build/tools-venv/bin/otava build/tools-venv/bin/reframe
build/tools-venv/bin/otava build/tools-venv/bin/reframe &: jobs/build-tools-venv.sh
	jobs/build-tools-venv.sh build/tools-venv

# The README's test command. As root it installs the test packages it
# lacks; tests/run.sh prints "N passed, N failed".
test: test-deps
	$(MAKE) all asan unit venv tools
	$(MAKE) MPI=mpich all asan unit
	tests/run.sh

test-deps:
	jobs/install-deps.sh --test

bench: all venv
	bench/run.sh

# The report over a decade (175,200 rows): its time and its page's size
# (as root: the tests' throwaway PostgreSQL). About a minute, apart from make bench.
bench-history: all venv tools
	bench/history_bench.sh

# Set-up and a small run on this machine: 4 ranks importing numpy from the
# venv where it was built, then from a copy the stager puts in /dev/shm.
DEMO_RANKS ?= 4
DEMO_MPIRUN = OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun --oversubscribe -n $(DEMO_RANKS)
demo: deps
	$(MAKE) all venv
	$(DEMO_MPIRUN) build/harness --config conf/local.cfg --machine local --filesystem common \
	    --json build/demo-common.json
	$(DEMO_MPIRUN) build/harness --config conf/local.cfg --machine local --filesystem tmpfs \
	    --quiet --json build/demo-tmpfs.json
	@echo "demo: the results as JSON are in build/demo-common.json and build/demo-tmpfs.json"

# The same on a virtual cluster of this machine (as root): 4 namespaces with
# Slurm, Open MPI over a bridge and /shared on MooseFS; one run per
# filesystem of conf/vcluster.cfg, one table; JSON in build/cluster-demo/.
cluster-demo:
	tools/vcluster/demo.sh

# A scaling series on the virtual cluster (as root): 1 to 16 nodes x 1 rank,
# common, bcast and image, 3 runs each, into a throwaway PostgreSQL; then
# the report: build/cluster-scaling/report.html and scaling.txt.
cluster-scaling:
	tools/vcluster/scaling.sh

# Tables on stdout; plots and report.html in build/report, from the
# configured database.
CONFIG ?= conf/local.cfg
report: build/harness tools
	build/harness --report --html --config $(CONFIG) --out build/report

clean:
	rm -rf build/obj build/asan build/gen build/harness build/spawn-loop build/mpich

-include $(shell find $(B)/obj $(B)/asan/obj -name '*.d' 2>/dev/null)
