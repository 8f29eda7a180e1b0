# mpi4py-import: build, test, benchmark and demo targets.
# `make` builds build/harness; `make asan` the sanitizer build the tests run.

CC       := mpicc
PKGS     := libconfig libpq json-c
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS   ?= -O2 -g
# Messages are cut to their fixed buffers on purpose: snprintf truncation is not a bug here.
WARN     := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-format-truncation
CPPFLAGS := -iquote harness -iquote staging $(PKG_CFLAGS)
# Debian's librsync-dev ships no pkg-config file.
LDLIBS   := $(PKG_LIBS) -lrsync -lm
SANITIZE := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

SRCS     := $(wildcard harness/*.c staging/*.c)
LIB_SRCS := $(filter-out harness/main.c,$(SRCS))
OBJS      = $(SRCS:%.c=build/obj/%.o)
ASAN_OBJS = $(SRCS:%.c=build/asan/obj/%.o)
ASAN_LIB  = $(LIB_SRCS:%.c=build/asan/obj/%.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=build/asan/%)
HEADERS  := $(wildcard harness/*.h staging/*.h)

.PHONY: all asan unit test bench demo cluster-demo clean deps venv report
all: build/harness build/spawn-loop

build/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(CFLAGS) $(CPPFLAGS) -c -o $@ $<

build/asan/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) -O1 -g $(SANITIZE) $(CPPFLAGS) -c -o $@ $<

build/harness: $(OBJS)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

build/asan/harness: $(ASAN_OBJS)
	$(CC) $(SANITIZE) -o $@ $^ $(LDLIBS)

build/asan/test_%: tests/unit/test_%.c tests/unit/check.h $(ASAN_LIB)
	$(CC) $(WARN) -O1 -g $(SANITIZE) $(CPPFLAGS) -iquote tests/unit -o $@ $< $(ASAN_LIB) $(LDLIBS)

# The reference of `make bench`: a bare posix_spawn + waitpid loop.
build/spawn-loop: bench/spawn_loop.c
	@mkdir -p build
	$(CC) $(WARN) $(CFLAGS) -o $@ $< -lm

asan: build/asan/harness
unit: $(UNIT_BINS)

deps:
	jobs/install-deps.sh

# What conf/local.cfg's suites need; build/harness reads the config for it.
venv: build/venv/bin/python
build/venv/bin/python: | build/harness
	jobs/build-virtualenv.sh --config conf/local.cfg --machine local build/venv

# The README's test command. tests/run.sh prints "N passed, N failed".
test: all asan unit venv
	tests/run.sh

bench: all venv
	bench/run.sh

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
# Slurm, Open MPI over a bridge and /shared over sshfs; one run per
# filesystem of conf/vcluster.cfg, one table; JSON in build/cluster-demo/.
cluster-demo:
	tests/vcluster/demo.sh

# Tables on stdout and plots in build/report from the configured database.
CONFIG ?= conf/local.cfg
report: build/harness
	build/harness --report --config $(CONFIG) --out build/report

clean:
	rm -rf build/obj build/asan build/harness build/spawn-loop
