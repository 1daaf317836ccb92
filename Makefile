# rescuetui — plain Makefile with pkg-config.
#   make            build ./rescuetui (warnings are errors)
#   make check      build and run every test (unit, live, console)
#   make check-asan the same tests against an ASan+UBSan build
#   make install    PREFIX=/usr/local DESTDIR=
#   make format     apply .clang-format to every C file
VERSION  := 0.1.0
PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/sbin
MANDIR   ?= $(PREFIX)/share/man

CC       ?= cc
PKGS     := mount blkid libproc2 libxxhash
O        ?= build
WARN     := -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes \
            -Wwrite-strings -Werror
CFLAGS   ?= -O2 -g
ALL_CFLAGS := -pthread -std=c11 -D_GNU_SOURCE -DRT_VERSION=\"$(VERSION)\" $(WARN) $(CFLAGS) \
              $(shell pkg-config --cflags $(PKGS)) -Isrc
LIBS     := $(shell pkg-config --libs $(PKGS)) -pthread -lm
CHECK_CFLAGS := $(shell pkg-config --cflags check)
CHECK_LIBS   := $(shell pkg-config --libs check)

ifeq ($(SAN),1)
O        := build-asan
ALL_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDSAN    := -fsanitize=address,undefined
endif

# Everything but the faces (main.c and the cli_*.c commands) builds into a library
# that the program and the tests both link.
PROG_SRC := src/main.c $(wildcard src/cli_*.c)
PROG_OBJ := $(PROG_SRC:src/%.c=$(O)/%.o)
LIB_SRC  := $(filter-out $(PROG_SRC),$(wildcard src/*.c))
LIB_OBJ  := $(LIB_SRC:src/%.c=$(O)/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(O)/tests/%)
LIVE_SRC := $(wildcard tests/live/test_*.c)
LIVE_BIN := $(LIVE_SRC:tests/live/%.c=$(O)/tests/%)
HELPERS  := $(patsubst tests/helpers/%.c,$(O)/tests/%,$(wildcard tests/helpers/*.c))

.PHONY: all check check-asan install uninstall clean format tests
all: rescuetui

rescuetui: $(O)/rescuetui
	@if [ "$(O)" = build ]; then cp $< $@; fi

$(O)/rescuetui: $(PROG_OBJ) $(O)/librescue.a
	$(CC) $(LDSAN) $(LDFLAGS) -o $@ $^ $(LIBS)

$(O)/librescue.a: $(LIB_OBJ)
	$(AR) rcs $@ $^

$(O)/%.o: src/%.c $(wildcard src/*.h) | $(O)
	$(CC) $(ALL_CFLAGS) -MMD -c -o $@ $<

# The check suites share tests/testlib.c (undo file, commands, holders, files).
$(O)/tests/testlib.o: tests/testlib.c $(wildcard tests/*.h) $(wildcard src/*.h) | $(O)/tests
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -Itests -c -o $@ $<

$(O)/tests/%: tests/unit/%.c $(O)/tests/testlib.o $(O)/librescue.a $(wildcard tests/*.h) | $(O)/tests
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -Itests -o $@ $< $(O)/tests/testlib.o $(O)/librescue.a $(LDSAN) $(LIBS) $(CHECK_LIBS)

$(O)/tests/%: tests/live/%.c $(O)/tests/testlib.o $(O)/librescue.a $(wildcard tests/*.h) | $(O)/tests
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -Itests -o $@ $< $(O)/tests/testlib.o $(O)/librescue.a $(LDSAN) $(LIBS) $(CHECK_LIBS)

# Helpers are small stand-alone programs the tests and benchmarks start.
$(O)/tests/%: tests/helpers/%.c | $(O)/tests
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LDSAN)

$(O) $(O)/tests:
	mkdir -p $@

tests: $(O)/rescuetui $(UNIT_BIN) $(LIVE_BIN) $(HELPERS)

check: tests
	tests/run.sh $(O)

check-asan:
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp $(MAKE) SAN=1 check

install: rescuetui
	install -D -m 0755 rescuetui $(DESTDIR)$(BINDIR)/rescuetui
	install -D -m 0644 man/rescuetui.8 $(DESTDIR)$(MANDIR)/man8/rescuetui.8

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/rescuetui $(DESTDIR)$(MANDIR)/man8/rescuetui.8

format:
	clang-format -i src/*.c src/*.h tests/*/*.c $(wildcard tests/*.h)

clean:
	rm -rf build build-asan rescuetui

-include $(wildcard $(O)/*.d)
