# halopaint — top-level build.
#   make            library (static + shared) and bin/halopaint
#   make test       install missing Debian packages, build, run the test suite
#   make demo       install, build, run the main job on params/default.param
#   make bench      benchmarks; results written to bench/results/
#   CUDA=0|1        force the CUDA backend off/on (default: on when nvcc is found)

CC      ?= gcc
NVCC    ?= $(shell command -v nvcc 2>/dev/null || ls /usr/local/cuda/bin/nvcc 2>/dev/null)
CUDA    ?= $(if $(NVCC),1,0)
PKGS     = hdf5 fftw3f gsl
PKGCFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKGLIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS  ?= -O3 -march=native
CFLAGS  += -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -pedantic -fopenmp -fPIC -I. $(PKGCFLAGS)
LDLIBS   = -lfftw3f_omp $(PKGLIBS) -fopenmp -lm

BUILD    = build
LIBSRC   = $(wildcard util/*.c params/*.c lpt/*.c cic/*.c nn/*.c stats/*.c nbody/*.c catalog/*.c) \
           $(filter-out plugin/main.c plugin/cli_%.c, $(wildcard plugin/*.c))
ifeq ($(CUDA),1)
  CUDASRC  = $(wildcard cuda/*.cu)
  CUDAOBJ  = $(CUDASRC:%.cu=$(BUILD)/%.o)
  NVFLAGS ?= -O3 -gencode arch=compute_90,code=sm_90 -gencode arch=compute_90,code=compute_90
  NVFLAGS += -I. -Xcompiler -fPIC,-Wall
  CUDADIR := $(patsubst %/bin/nvcc,%,$(NVCC))
  LDLIBS  += -L$(CUDADIR)/lib64 -Wl,-rpath,$(CUDADIR)/lib64 -lcudart
else
  LIBSRC  += $(wildcard cuda/*_stub.c)
endif
LIBOBJ   = $(LIBSRC:%.c=$(BUILD)/%.o) $(CUDAOBJ)
STATIC   = lib/libhalopaint.a
SHARED   = lib/libhalopaint.so
PROGRAM  = bin/halopaint
TESTSRC  = $(wildcard tests/test_*.c)
TESTBIN  = $(TESTSRC:tests/%.c=$(BUILD)/tests/%)
TESTLIB  = $(filter-out $(TESTSRC), $(wildcard tests/*.c))
BENCHSRC = $(wildcard bench/bench_*.c)
BENCHBIN = $(BENCHSRC:bench/%.c=$(BUILD)/bench/%)

.PHONY: all deps test demo bench clean format-check
all: $(STATIC) $(SHARED) $(PROGRAM)

deps:
	@scripts/install-deps.sh

$(BUILD)/%.o: %.c $(wildcard */*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/%.o: %.cu $(wildcard */*.h)
	@mkdir -p $(dir $@)
	$(NVCC) $(NVFLAGS) -c $< -o $@

$(STATIC): $(LIBOBJ)
	@mkdir -p lib
	rm -f $@ && ar rcs $@ $^

$(SHARED): $(LIBOBJ)
	@mkdir -p lib
	$(CC) -shared -o $@ $^ $(LDLIBS)

CLIOBJ   = $(patsubst %.c,$(BUILD)/%.o,plugin/main.c $(wildcard plugin/cli_*.c))
$(PROGRAM): $(CLIOBJ) $(STATIC)
	@mkdir -p bin
	$(CC) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/%.c $(TESTLIB) $(STATIC) $(wildcard */*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(TESTLIB) $(STATIC) $(LDLIBS) -lcmocka

$(BUILD)/bench/%: bench/%.c $(STATIC) $(wildcard */*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(STATIC) $(LDLIBS)

test: deps
	@$(MAKE) --no-print-directory all $(TESTBIN)
	@scripts/run-tests.sh $(TESTBIN) $(wildcard tests/test_*.sh) scripts/format-check.sh

demo: deps
	@$(MAKE) --no-print-directory all
	./$(PROGRAM) run params/default.param

bench: deps
	@$(MAKE) --no-print-directory all $(BENCHBIN)
	@scripts/run-bench.sh $(BENCHBIN)

format-check:
	@scripts/format-check.sh

clean:
	rm -rf $(BUILD) lib bin
