# rescuetui — plain Makefile with pkg-config.
#   make            build ./rescuetui (add WERROR=1 to make warnings errors)
#   make check      build with WERROR=1, check the layers, run every test
#   make check-asan the same tests against an ASan+UBSan build
#   make check-tsan the threaded tests against a ThreadSanitizer build
#   make static     build ./rescuetui-static: musl, every library linked in, stripped
#                   (the libraries are built once by static/build-deps.sh)
#   make check-static  the shell tests (those that run the program) against it
#   make fuzz       each libFuzzer target for FUZZ_SECONDS (clang; make check runs
#                   them for a few seconds each through tests/live/fuzz.sh)
#   make install    PREFIX=/usr/local DESTDIR=  (install-static: the static binary)
#   make format     apply .clang-format to every C file
#   make BPF=0      leave the BPF scan out (default: built when pkg-config finds
#                   libbpf and clang and bpftool are there); the /proc walk remains
VERSION  := 0.1.0
PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/sbin
MANDIR   ?= $(PREFIX)/share/man

CC       ?= cc
PKGS     := mount blkid libproc2 libxxhash ext2fs com_err ncursesw
O        ?= build
PKG_CONFIG ?= pkg-config
# The BPF scan (src/find/bpfscan.c) is optional everywhere (BPF below).
CLANG    ?= clang
BPFTOOL  ?= $(or $(shell command -v bpftool 2>/dev/null),$(wildcard /usr/sbin/bpftool),bpftool)
WERROR   ?= 0
WARN     := -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes \
            -Wwrite-strings
# Warnings are errors in development and CI, not for someone building a release with
# a newer compiler than ours (htop and util-linux do the same).
ifeq ($(WERROR),1)
WARN     += -Werror
endif
CFLAGS   ?= -O2 -g

# The static build for rescue media (README, "Rescue media"): the same sources and
# packages as the normal build, compiled with musl-gcc against the static libraries
# that static/build-deps.sh built from Debian's source packages into STATIC_DEPS.
# `make static` builds those once, then runs this Makefile again with STATIC=1.
STATIC_DEPS ?= $(CURDIR)/static/deps
STATIC_MK   := $(STATIC_DEPS)/prefix/static.mk
ifeq ($(STATIC),1)
include $(STATIC_MK)
O        := build-static
CC       := musl-gcc
PKG_CONFIG := PKG_CONFIG_LIBDIR=$(STATIC_PREFIX)/lib/pkgconfig PKG_CONFIG_PATH= pkg-config --static
CFLAGS   := -Os -ffunction-sections -fdata-sections $(STATIC_CFLAGS)
LDFLAGS  := -static -s -Wl,--gc-sections
STATIC_MISSING := $(strip $(foreach p,$(PKGS),$(if $(shell $(PKG_CONFIG) --exists $(p) && echo y),,$(p))))
ifneq ($(STATIC_MISSING),)
$(error static/build-deps.sh does not build $(STATIC_MISSING) (in PKGS): add it there)
endif
endif

# Built when pkg-config finds libbpf (for a static build: among the static
# libraries) and clang and bpftool are there; BPF=0 leaves it out.
BPF      ?= $(shell $(PKG_CONFIG) --exists libbpf && command -v $(CLANG) >/dev/null && \
                    [ -x "$(BPFTOOL)" ] && echo 1 || echo 0)
ifeq ($(BPF),1)
PKGS     += libbpf
endif

# A dynamic build loads libproc2 only when it is needed (src/find/procs.c says
# when): not linked, so its eight libraries cost nothing at start. Static: linked.
ifeq ($(STATIC),1)
PROC2_DLOPEN := 0
LINKED   := $(PKGS)
else
PROC2_DLOPEN := 1
LINKED   := $(filter-out libproc2,$(PKGS))
endif
ALL_CFLAGS := -pthread -std=c11 -D_GNU_SOURCE -DRT_VERSION=\"$(VERSION)\" $(WARN) $(CFLAGS) \
              $(shell $(PKG_CONFIG) --cflags $(PKGS)) -Isrc -DRT_BPF=$(BPF) \
              -DRT_PROC2_DLOPEN=$(PROC2_DLOPEN)
LIBS     := $(shell $(PKG_CONFIG) --libs $(LINKED)) -pthread -lm
ifneq ($(STATIC),1)
CHECK_CFLAGS := $(shell pkg-config --cflags check)
CHECK_LIBS   := $(shell pkg-config --libs check)
endif
# What --version reports: each package's version as pkg-config gives it here.
PKG_VERSIONS := $(foreach p,$(PKGS),$(p)=$(shell $(PKG_CONFIG) --modversion $(p)))

ifeq ($(SAN),1)
O        := build-asan
ALL_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDSAN    := -fsanitize=address,undefined
endif
ifeq ($(SAN),thread)
O        := build-tsan
ALL_CFLAGS += -fsanitize=thread -fno-omit-frame-pointer
LDSAN    := -fsanitize=thread
endif

# libFuzzer targets (tests/fuzz/): clang only, everything built with ASan+UBSan into
# build-fuzz/ (make fuzz, or tests/live/fuzz.sh from make check).
ifeq ($(SAN),fuzz)
O        := build-fuzz
CC       := clang
ALL_CFLAGS += -fsanitize=address,undefined,fuzzer-no-link -fno-omit-frame-pointer
LDSAN    := -fsanitize=address,undefined
endif

# The layers, lowest first (src/README.md): everything below the faces builds into a
# library that the program and the tests both link; the faces are the program.
LIB_DIRS  := text find decide rescue offline
FACE_DIRS := cli console
LIB_SRC  := $(foreach d,$(LIB_DIRS),$(wildcard src/$(d)/*.c))
LIB_OBJ  := $(LIB_SRC:src/%.c=$(O)/%.o)
PROG_SRC := $(foreach d,$(FACE_DIRS),$(wildcard src/$(d)/*.c))
PROG_OBJ := $(PROG_SRC:src/%.c=$(O)/%.o)
HEADERS  := $(wildcard src/*/*.h)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(O)/tests/%)
LIVE_SRC := $(wildcard tests/live/test_*.c)
LIVE_BIN := $(LIVE_SRC:tests/live/%.c=$(O)/tests/%)
HELPERS  := $(patsubst tests/helpers/%.c,$(O)/tests/%,$(wildcard tests/helpers/*.c))
# The FUSE test filesystems (badfs: failing reads; fusefs: hard_remove, slow reads)
# need libfuse3; their tests skip without.
FUSE_OK  := $(shell pkg-config --exists fuse3 && echo 1)
ifneq ($(FUSE_OK),1)
HELPERS  := $(filter-out $(O)/tests/badfs $(O)/tests/fusefs,$(HELPERS))
endif

FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(O)/fuzz/%)
FUZZ_SECONDS ?= 60

.PHONY: all check check-asan check-tsan check-layers install uninstall clean format tests \
        static check-static clean-static-deps install-static FORCE screenshots fuzz fuzzers
all: rescuetui

rescuetui: $(O)/rescuetui
	@if [ "$(O)" = build ]; then cp $< $@; fi

$(O)/rescuetui: $(PROG_OBJ) $(O)/librescue.a
	$(CC) $(LDSAN) $(LDFLAGS) -o $@ $^ $(LIBS)

$(O)/librescue.a: $(LIB_OBJ)
	$(AR) rcs $@ $^

# version.o is rebuilt when the packages or their versions change (another PKGS).
$(O)/pkg-versions: FORCE
	@mkdir -p $(O)
	@echo '$(PKG_VERSIONS)' | cmp -s - $@ || echo '$(PKG_VERSIONS)' >$@
FORCE:
$(O)/cli/version.o: $(O)/pkg-versions
$(O)/cli/version.o: ALL_CFLAGS += -DRT_PKG_VERSIONS='"$(PKG_VERSIONS)"' $(STATIC_VERSION_CFLAGS) \
                                   $(if $(filter ext2fs,$(PKGS)),-DRT_HAVE_EXT2FS)

$(O)/%.o: src/%.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# The iterator programs, compiled for the BPF target, and their skeleton (the
# object embedded in a header): build outputs, never committed.
BPF_SRC  := src/find/bpf/deleted.bpf.c
ifeq ($(BPF),1)
$(O)/find/bpfscan.o: $(O)/find/bpf/deleted.skel.h $(O)/find/bpf/fds.lskel.h \
                     $(O)/find/bpf/maps.lskel.h
$(O)/find/bpfscan.o: ALL_CFLAGS += -I$(O)
endif
$(O)/find/bpf/deleted.bpf.o: $(BPF_SRC) $(wildcard src/find/bpf/*.h)
	@mkdir -p $(dir $@)
	$(CLANG) -g -O2 -target bpf -Isrc -DRT_BPF_OLD_KERNELS=1 -c -o $@ $<
$(O)/find/bpf/deleted.skel.h: $(O)/find/bpf/deleted.bpf.o
	$(BPFTOOL) gen skeleton $< name deleted_bpf > $@.tmp && mv $@.tmp $@
# The light skeletons, of the programs for Linux 5.18 and later only: the kernel
# relocates them (CO-RE) with its own BTF, so loading skips libbpf parsing the
# kernel's BTF in user space. One for the fd iterator (part 1), one for the
# mapping iterator (part 2), loaded at once in two threads.
$(O)/find/bpf/fds-new.bpf.o: $(BPF_SRC) $(wildcard src/find/bpf/*.h)
	@mkdir -p $(dir $@)
	$(CLANG) -g -O2 -target bpf -Isrc -DRT_BPF_OLD_KERNELS=0 -DRT_BPF_PART=1 -c -o $@ $<
$(O)/find/bpf/maps-new.bpf.o: $(BPF_SRC) $(wildcard src/find/bpf/*.h)
	@mkdir -p $(dir $@)
	$(CLANG) -g -O2 -target bpf -Isrc -DRT_BPF_OLD_KERNELS=0 -DRT_BPF_PART=2 -c -o $@ $<
$(O)/find/bpf/%.lskel.h: $(O)/find/bpf/%-new.bpf.o
	$(BPFTOOL) gen skeleton -L $< name $*_lbpf > $@.tmp && mv $@.tmp $@

# The check suites share tests/testlib.c (undo file, commands, holders, files).
$(O)/tests/testlib.o: tests/testlib.c $(wildcard tests/*.h) $(HEADERS) | $(O)/tests
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -Itests -c -o $@ $<

$(O)/tests/%: tests/unit/%.c $(O)/tests/testlib.o $(O)/librescue.a $(wildcard tests/*.h) | $(O)/tests
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -Itests -o $@ $< $(O)/tests/testlib.o $(O)/librescue.a $(LDSAN) $(LIBS) $(CHECK_LIBS)

$(O)/tests/%: tests/live/%.c $(O)/tests/testlib.o $(O)/librescue.a $(wildcard tests/*.h) | $(O)/tests
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -Itests -o $@ $< $(O)/tests/testlib.o $(O)/librescue.a $(LDSAN) $(LIBS) $(CHECK_LIBS)

$(O)/tests/fusefs: tests/helpers/fusefs.c | $(O)/tests
	$(CC) $(ALL_CFLAGS) $(shell pkg-config --cflags fuse3) -o $@ $< $(LDSAN) \
	      $(shell pkg-config --libs fuse3)

# Helpers are small stand-alone programs the tests and benchmarks start.
$(O)/tests/%: tests/helpers/%.c | $(O)/tests
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LDSAN)

$(O)/tests/badfs: tests/helpers/badfs.c | $(O)/tests
	$(CC) $(ALL_CFLAGS) $(shell pkg-config --cflags fuse3) -o $@ $< $(LDSAN) \
		$(shell pkg-config --libs fuse3)

$(O)/tests:
	mkdir -p $@

tests: $(O)/rescuetui $(UNIT_BIN) $(LIVE_BIN) $(HELPERS)

# One fuzzer per parser of text from the system or the user (SAN=fuzz only).
$(O)/fuzz/%: tests/fuzz/%.c $(O)/librescue.a $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer -o $@ $< $(O)/librescue.a $(LDSAN) $(LIBS)

fuzzers: $(FUZZ_BIN)

# Each fuzzer for FUZZ_SECONDS on a scratch copy of its committed seed corpus.
fuzz:
	$(MAKE) SAN=fuzz fuzzers
	tests/fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

# No file includes a header of a higher layer (src/README.md has the order).
check-layers:
	tests/layers.sh src

check: check-layers
	$(MAKE) WERROR=1 tests
	tests/run.sh $(O)

check-asan:
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp $(MAKE) SAN=1 check

# The tests whose code runs threads: scan workers and reaper, the target probe, jobs,
# the console's worker and its job threads, the offline console's action thread.
TSAN_TESTS ?= test_scan_crowd report_parts test_target test_job test_rate_live discovery_shared discovery_bpf recover console_iterations console_jobs console_offline console_freeze
check-tsan:
	$(MAKE) SAN=thread WERROR=1 tests
	CK_DEFAULT_TIMEOUT=$${CK_DEFAULT_TIMEOUT:-600} TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" tests/run.sh build-tsan $(TSAN_TESTS)

# The libraries are built once; delete $(STATIC_DEPS) (make clean-static-deps) to
# build them again. Editing the script re-runs it, which only builds what is missing.
static: $(STATIC_MK)
	$(MAKE) STATIC=1 rescuetui-static
	@readelf -d rescuetui-static | grep -q 'no dynamic section' || \
		{ echo 'rescuetui-static has a dynamic section: not static' >&2; rm -f rescuetui-static; exit 1; }
	@ls -l rescuetui-static

# (the libraries' own makes get none of ours: WERROR=1 and the like are ours)
$(STATIC_MK): static/build-deps.sh
	MAKEFLAGS= MFLAGS= static/build-deps.sh $(STATIC_DEPS)

rescuetui-static: $(O)/rescuetui
	@if [ "$(STATIC)" = 1 ]; then cp $< $@; else echo 'use: make static' >&2; exit 1; fi

# The static binary through the tests that run the program (tests/live/*.sh); their
# helpers come from the normal build.
check-static:
	$(MAKE) WERROR=1 static
	$(MAKE) WERROR=1 tests
	tests/run.sh --bin $(CURDIR)/rescuetui-static build

clean-static-deps:
	rm -rf $(STATIC_DEPS)

# PNGs of the console's views from a real run (tmux, xterm under Xvfb; needs root).
screenshots: tests
	tests/screenshots.sh $(O)

install: rescuetui
	install -D -m 0755 rescuetui $(DESTDIR)$(BINDIR)/rescuetui
	install -D -m 0644 man/rescuetui.8 $(DESTDIR)$(MANDIR)/man8/rescuetui.8

# The static binary, installed under the same name.
install-static: static
	install -D -m 0755 rescuetui-static $(DESTDIR)$(BINDIR)/rescuetui
	install -D -m 0644 man/rescuetui.8 $(DESTDIR)$(MANDIR)/man8/rescuetui.8

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/rescuetui $(DESTDIR)$(MANDIR)/man8/rescuetui.8

format:
	clang-format -i src/*/*.c src/*/*.h tests/*/*.c $(wildcard tests/*.h)

clean:
	rm -rf build build-asan build-tsan build-static build-fuzz rescuetui rescuetui-static

# The static objects follow the compiler flags static/build-deps.sh wrote.
ifeq ($(STATIC),1)
$(LIB_OBJ) $(PROG_OBJ): $(STATIC_MK)
endif

-include $(wildcard $(O)/*/*.d)
