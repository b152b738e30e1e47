# halopaint — top-level build.
#   make            library (static + shared) and bin/halopaint
#   make test       install missing Debian packages, build, run the test suite
#   make demo       install, build, run the main job on params/default.param
#   make bench      benchmarks; results written to bench/results/
#   make validate   the default model against N-body truth on the validation boxes (docs/validation.md)
#   CUDA=0|1        force the CUDA backend off/on (default: on when nvcc is found)
#   CUDNN=0|1       with CUDA: the cuDNN baseline of the GPU benchmark (default: on when the
#                   toolkit has cudnn.h)
#   MPI=0|1         also bin/halopaint-mpi, `run` distributed over MPI ranks (docs/mpi.md;
#                   default: on when mpicc and FFTW's MPI interface are installed)

CC      ?= gcc
NVCC    ?= $(shell command -v nvcc 2>/dev/null || ls /usr/local/cuda/bin/nvcc 2>/dev/null)
CUDA    ?= $(if $(NVCC),1,0)
PKGS     = hdf5 fftw3f gsl chealpix cfitsio libpng nettle
PKGCFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKGLIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

# ARCH=native (default: everything built for this CPU) or portable (any x86-64: one binary for
# a cluster whose nodes differ); `make clean` when switching. Either way the painter carries
# its tile kernel for each x86 vector path and picks the fastest the CPU runs at plan time
# (nn/painter.c; HALOPAINT_SIMD=portable|avx2|avx512 forces one).
ARCH    ?= native
ARCHFLAGS = $(if $(filter portable,$(ARCH)),-mtune=generic,-march=$(ARCH))
CFLAGS  ?= -O3 $(ARCHFLAGS)
# each vector path's own instruction set, after CFLAGS so that it wins over -march=native
SIMDFLAGS = -march=$(if $(findstring avx512,$@),skylake-avx512,$(if $(findstring avx2,$@),haswell,x86-64)) -mtune=generic -Wno-psabi
# the project's own flags stay when CFLAGS is set on the command line
HPFLAGS  = -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -pedantic -fopenmp -fPIC -I. $(PKGCFLAGS)
LDLIBS   = -lfftw3f_omp $(PKGLIBS) -fopenmp -lm

BUILD    = build
LIBSRC   = $(wildcard util/*.c params/*.c lpt/*.c cic/*.c nn/*.c train/*.c stats/*.c nbody/*.c \
           catalog/*.c lightcone/*.c plugin/*.c) \
           $(filter-out %_stub.c, $(wildcard cuda/*.c))
ifneq ($(shell uname -m),x86_64)
  LIBSRC := $(filter-out nn/painter_tile_avx2.c nn/painter_tile_avx512.c, $(LIBSRC))
endif
ifeq ($(CUDA),1)
  CUDASRC  = $(wildcard cuda/*.cu)
  NVFLAGS ?= -O3 -gencode arch=compute_90,code=sm_90 -gencode arch=compute_90,code=compute_90
  NVFLAGS += -I. -Xcompiler -fPIC,-Wall
  # nvcc may be a wrapper script (/usr/local/bin/nvcc): ask it where its toolkit lives.
  CUDATOP := $(shell $(NVCC) --dryrun -c hp.cu 2>&1 | sed -n 's/^\#\$$ TOP=//p' | head -n1)
  CUDALIB := $(firstword $(wildcard $(CUDATOP)/lib64/libcudart.so $(CUDATOP)/lib/libcudart.so))
  ifeq ($(CUDALIB),)
    $(error CUDA=1 but libcudart.so was not found under '$(CUDATOP)' (from $(NVCC) --dryrun); build with CUDA=0)
  endif
  # the cuDNN baseline (benchmark only) when the toolkit has cuDNN; CUDNN=0|1 forces it
  CUDNN   ?= $(if $(wildcard $(CUDATOP)/include/cudnn.h),1,0)
  ifeq ($(CUDNN),1)
    CUDNNLIB = -lcudnn
  else
    CUDASRC := $(filter-out cuda/painter_cudnn.cu, $(CUDASRC))
    LIBSRC  += cuda/painter_cudnn_stub.c
  endif
  CUDAOBJ  = $(CUDASRC:%.cu=$(BUILD)/%.o)
  LDLIBS  += -L$(dir $(CUDALIB)) -Wl,-rpath,$(dir $(CUDALIB)) $(CUDNNLIB) -lcudart -lstdc++
else
  LIBSRC  += $(wildcard cuda/*_stub.c)
endif
LIBOBJ   = $(LIBSRC:%.c=$(BUILD)/%.o) $(CUDAOBJ)

# MPI: mpi/ (the distributed stages) and the CLI compiled again with HP_MPI, linked into
# bin/halopaint-mpi; the library and bin/halopaint stay single-process.
MPICC   ?= mpicc
MPI     ?= $(if $(and $(shell command -v $(MPICC) 2>/dev/null),$(wildcard /usr/include/fftw3-mpi.h)),1,0)
ifeq ($(MPI),1)
  MPIOBJ     = $(patsubst %.c,$(BUILD)/%.o,$(wildcard mpi/*.c))
  MPIAPPOBJ  = $(patsubst %.c,$(BUILD)/mpi-app/%.o,$(wildcard app/*.c))
  MPIPROGRAM = bin/halopaint-mpi
  MPITESTBIN = $(patsubst tests/mpi/%.c,$(BUILD)/tests/mpi/%,$(wildcard tests/mpi/test_*.c))
  MPILIBS    = -lfftw3f_mpi
endif
STATIC   = lib/libhalopaint.a
SHARED   = lib/libhalopaint.so
PROGRAM  = bin/halopaint
TESTSRC  = $(wildcard tests/test_*.c)
TESTBIN  = $(TESTSRC:tests/%.c=$(BUILD)/tests/%)
TESTLIB  = $(filter-out $(TESTSRC), $(wildcard tests/*.c))
BENCHSRC = $(wildcard bench/bench_*.c)
BENCHBIN = $(BENCHSRC:bench/%.c=$(BUILD)/bench/%)

.PHONY: all deps test demo bench validate clean format-check
all: $(STATIC) $(SHARED) $(PROGRAM) $(MPIPROGRAM)

deps:
	@scripts/install-deps.sh

# Each C target depends on the headers it includes: the compiler writes them (-MMD, beside the
# target as .d; -MP: a removed header does not break the build), included at the end.
DEPFLAGS = -MMD -MP

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(HPFLAGS) $(CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/nn/painter_tile_%.o: nn/painter_tile_%.c
	@mkdir -p $(dir $@)
	$(CC) $(HPFLAGS) $(CFLAGS) $(DEPFLAGS) $(SIMDFLAGS) -c $< -o $@

$(BUILD)/%.o: %.cu
	@mkdir -p $(dir $@)
	$(NVCC) $(NVFLAGS) -MMD -MP -MF $(@:.o=.d) -c $< -o $@

$(BUILD)/mpi/%.o: mpi/%.c
	@mkdir -p $(dir $@)
	$(MPICC) $(HPFLAGS) -DHP_MPI $(CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/mpi-app/%.o: %.c
	@mkdir -p $(dir $@)
	$(MPICC) $(HPFLAGS) -DHP_MPI $(CFLAGS) $(DEPFLAGS) -c $< -o $@

$(STATIC): $(LIBOBJ)
	@mkdir -p lib
	rm -f $@ && ar rcs $@ $^

$(SHARED): $(LIBOBJ)
	@mkdir -p lib
	$(CC) $(LDFLAGS) -shared -o $@ $^ $(LDLIBS)

CLIOBJ   = $(patsubst %.c,$(BUILD)/%.o,$(wildcard app/*.c))
$(PROGRAM): $(CLIOBJ) $(STATIC)
	@mkdir -p bin
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(MPIPROGRAM): $(MPIAPPOBJ) $(MPIOBJ) $(STATIC)
	@mkdir -p bin
	$(MPICC) $(LDFLAGS) -o $@ $^ $(MPILIBS) $(LDLIBS)

$(BUILD)/tests/mpi/%: tests/mpi/%.c $(MPIOBJ) $(STATIC)
	@mkdir -p $(dir $@)
	$(MPICC) $(HPFLAGS) -DHP_MPI $(CFLAGS) $(DEPFLAGS) $(LDFLAGS) -o $@ $< $(MPIOBJ) $(STATIC) $(MPILIBS) $(LDLIBS) -lcmocka

$(BUILD)/tests/%: tests/%.c $(TESTLIB) $(wildcard tests/*.h) $(STATIC)
	@mkdir -p $(dir $@)
	$(CC) $(HPFLAGS) $(CFLAGS) $(DEPFLAGS) $(LDFLAGS) -o $@ $< $(TESTLIB) $(STATIC) $(LDLIBS) -lcmocka

# Example host programs, linked against the shared library (run from anywhere: rpath to lib/).
EXAMPLEBIN = $(BUILD)/examples/host_paint
$(BUILD)/examples/%: examples/%.c $(SHARED)
	@mkdir -p $(dir $@)
	$(CC) $(HPFLAGS) $(CFLAGS) $(DEPFLAGS) $(LDFLAGS) -o $@ $< -L$(CURDIR)/lib -lhalopaint -Wl,-rpath,'$$ORIGIN/../../lib' $(LDLIBS)

$(BUILD)/bench/%: bench/%.c $(STATIC)
	@mkdir -p $(dir $@)
	$(CC) $(HPFLAGS) $(CFLAGS) $(DEPFLAGS) $(LDFLAGS) -o $@ $< $(STATIC) $(LDLIBS)

# (a second make, so that what deps installed, mpicc say, is seen when the build is planned)
test: deps
	@$(MAKE) --no-print-directory test-installed
.PHONY: test-installed
test-installed:
	@$(MAKE) --no-print-directory all $(TESTBIN) $(EXAMPLEBIN) $(MPITESTBIN)
	@scripts/run-tests.sh $(TESTBIN) $(wildcard tests/test_*.sh) scripts/format-check.sh \
	  $(if $(MPIPROGRAM),scripts/run-mpi-tests.sh)

# the MPI tests alone: every tests/mpi/ program on 1, 2, 3 and 4 ranks, then the CLI comparisons
.PHONY: test-mpi
test-mpi: deps
	@$(MAKE) --no-print-directory test-mpi-installed
.PHONY: test-mpi-installed
test-mpi-installed:
	@$(MAKE) --no-print-directory all $(MPITESTBIN)
	@scripts/run-mpi-tests.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@scripts/demo.sh

bench: deps
	@$(MAKE) --no-print-directory all $(BENCHBIN)
	@scripts/run-bench.sh $(BENCHBIN)

# make install [PREFIX=/usr/local] [DESTDIR=]: libraries, headers (include/halopaint/), the
# program and a pkg-config file (pkg-config --cflags --libs halopaint).
PREFIX  ?= /usr/local
HPVER   := $(shell sed -n 's/.*HP_VERSION "\(.*\)".*/\1/p' plugin/version.h)
INSTHDR  = $(wildcard util/*.h params/*.h lpt/*.h cic/*.h nn/*.h train/*.h cuda/*.h stats/*.h \
           nbody/*.h catalog/*.h lightcone/*.h plugin/*.h)
PCLIBS   = -lfftw3f_omp -fopenmp -lm $(if $(filter 1,$(CUDA)),-L$(dir $(CUDALIB)) $(CUDNNLIB) -lcudart -lstdc++)
.PHONY: install
install: all
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/bin \
	  $(DESTDIR)$(PREFIX)/include/halopaint
	install -m 644 $(STATIC) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(SHARED) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(PROGRAM) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 plugin/halopaint.h $(DESTDIR)$(PREFIX)/include/halopaint/halopaint.h
	for h in $(INSTHDR); do install -D -m 644 $$h $(DESTDIR)$(PREFIX)/include/halopaint/$$h || exit 1; done
	printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$${prefix}/lib' 'includedir=$${prefix}/include' '' \
	  'Name: halopaint' \
	  'Description: 2LPT initial conditions, cloud-in-cell and the halo painter of Kodi Ramanah et al. (2019)' \
	  'Version: $(HPVER)' 'Requires.private: $(PKGS)' 'Libs: -L$${libdir} -lhalopaint' \
	  'Libs.private: $(PCLIBS)' 'Cflags: -I$${includedir}/halopaint -I$${includedir}' \
	  > $(DESTDIR)$(PREFIX)/lib/pkgconfig/halopaint.pc

# make sanitize: the test suite under ASan + UBSan, in a copy of the tree (scripts/sanitize.sh)
.PHONY: sanitize sanitize-quick
sanitize: deps
	@scripts/sanitize.sh
# the subset CI runs (scripts/sanitize.sh names it), about 5 minutes
sanitize-quick: deps
	@scripts/sanitize.sh quick

# make validate-lightcone: the light cone's n(z), steps and clustering (docs/lightcone-validation.md)
.PHONY: validate-lightcone
validate-lightcone: all
	@scripts/validate-lightcone.sh

validate: deps
	@$(MAKE) --no-print-directory all
	@scripts/validate-model.sh

format-check:
	@scripts/format-check.sh

clean:
	rm -rf $(BUILD) lib bin

-include $(wildcard $(BUILD)/*/*.d $(BUILD)/*/*/*.d $(BUILD)/*/*/*/*.d)
