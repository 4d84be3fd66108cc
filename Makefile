# mailfmt - one flat GNU Makefile (no recursion into directories; the
# sanitizer targets re-run this file with another BUILD directory).
#
#   make            library, CLI and examples into build/
#   make demo       the CLI on the bundled sample mail (cc, make, libc only)
#   make test       unit tests, examples, fuzz corpus replay, API checks
#   make check-sanitize / check-valgrind / check-tsan / fuzz / bench /
#   install / clean

# Version: change together with MF_VERSION_* in include/mailfmt.h, and add
# a node to lib/libmailfmt.map when a release adds symbols.
MAJOR = 0
MINOR = 2
PATCH = 0
# On 0.x any minor release may break the ABI, so the SONAME carries it.
SONAME = libmailfmt.so.$(MAJOR).$(MINOR)
SOLIB = libmailfmt.so.$(MAJOR).$(MINOR).$(PATCH)

PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig

BUILD ?= build
CC ?= cc
CLANG ?= clang
CXX ?= c++
CFLAGS ?= -O2 -g
FUZZ_SECONDS ?= 60
CORPUS ?=

# iconv is optional: used for charsets without a built-in table when the
# platform has it. Turn it off with ICONV=0.
ICONV ?= $(shell printf '\043include <iconv.h>\nint main(void){return iconv_open("UTF-8","UTF-8")==(iconv_t)-1;}\n' | \
	$(CC) -x c - -o /dev/null >/dev/null 2>&1 && echo 1 || echo 0)

WARN = -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wswitch-enum -Wcast-qual -Wvla -Wformat=2 -Werror
MF_CPPFLAGS = -Iinclude -Ilib -D_POSIX_C_SOURCE=200809L -DMF_HAVE_ICONV=$(ICONV)
ifeq ($(SAN),1)
SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
endif
ifeq ($(SAN),thread)
SANFLAGS = -fsanitize=thread -fno-omit-frame-pointer
endif
ALL_CFLAGS = $(WARN) $(MF_CPPFLAGS) $(CPPFLAGS) $(CFLAGS) $(SANFLAGS) -MMD -MP
LIB_CFLAGS = $(ALL_CFLAGS) -fPIC -fvisibility=hidden
ALL_LDFLAGS = $(SANFLAGS) $(LDFLAGS)

LIB_SRC = $(sort $(wildcard lib/*.c))
LIB_OBJ = $(LIB_SRC:lib/%.c=$(BUILD)/obj/%.o)
CLI_SRC = examples/mailfmt.c $(sort $(wildcard examples/cli/*.c))
CLI_OBJ = $(CLI_SRC:examples/%.c=$(BUILD)/ex/%.o)
EX_SRC = $(filter-out examples/mailfmt.c,$(sort $(wildcard examples/*.c)))
EX_BIN = $(EX_SRC:examples/%.c=$(BUILD)/%)
TEST_SRC = $(sort $(wildcard test/unit/test_*.c))
TEST_BIN = $(TEST_SRC:test/unit/%.c=$(BUILD)/test/%)
FUZZ_SRC = $(sort $(wildcard test/fuzz/fuzz_*.c))
FUZZ_NAMES = $(FUZZ_SRC:test/fuzz/%.c=%)
FUZZ_TARGETS ?= $(FUZZ_NAMES)
REPLAY_BIN = $(FUZZ_NAMES:%=$(BUILD)/replay/%)
BENCH_SRC = $(sort $(wildcard test/bench/*.c))
MAN_SRC = $(sort $(wildcard man/man3/*.3))
# The names a page documents: the .Nm lines of its NAME section.
MAN_NAMES = awk '/^\.Sh NAME/{on=1;next} /^\.Sh/{on=0} on&&/^\.Nm /{sub(/,$$/,"",$$2);print $$2}'

STATIC = $(BUILD)/libmailfmt.a
SHARED = $(BUILD)/$(SOLIB)

.PHONY: all demo test check check-unit check-examples check-replay \
	check-headers check-abi check-man check-sanitize check-valgrind \
	check-tsan check-threads \
	interop fuzz bench install uninstall clean need-cmocka need-mandoc
.DELETE_ON_ERROR:
# Keep intermediate objects (test and fuzz objects built by pattern chains).
.SECONDARY:

all: $(STATIC) $(SHARED) $(BUILD)/mailfmt $(EX_BIN)

# ---------------------------------------------------------------- library
$(BUILD)/obj/%.o: lib/%.c
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) -c $< -o $@

$(STATIC): $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(SHARED): $(LIB_OBJ) lib/libmailfmt.map
	$(CC) -shared -Wl,-soname,$(SONAME) \
		-Wl,--version-script=lib/libmailfmt.map -Wl,-z,defs \
		$(ALL_LDFLAGS) -o $@ $(LIB_OBJ)
	ln -sf $(SOLIB) $(BUILD)/$(SONAME)
	ln -sf $(SOLIB) $(BUILD)/libmailfmt.so

# ---------------------------------------------------------------- programs
$(BUILD)/ex/%.o: examples/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -pthread -Iexamples -c $< -o $@

# The CLI's stat -j runs threads (the library itself starts none).
$(BUILD)/mailfmt: $(CLI_OBJ) $(STATIC)
	$(CC) $(ALL_LDFLAGS) -pthread -o $@ $(CLI_OBJ) $(STATIC)

$(BUILD)/%: $(BUILD)/ex/%.o $(STATIC)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(STATIC)

demo: $(BUILD)/mailfmt
	@sh examples/demo.sh $(BUILD)/mailfmt

# ---------------------------------------------------------------- tests
# make test installs cmocka when missing (Debian 12: libcmocka-dev).
need-cmocka:
	@printf '\043include <stdarg.h>\n\043include <stddef.h>\n\043include <stdint.h>\n\043include <setjmp.h>\n\043include <cmocka.h>\nint main(void){return 0;}\n' \
		| $(CC) -x c - -lcmocka -o /dev/null >/dev/null 2>&1 && exit 0; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing cmocka (apt-get install -y libcmocka-dev)"; \
		apt-get install -y libcmocka-dev >/dev/null 2>&1 || \
		{ apt-get update >/dev/null && apt-get install -y libcmocka-dev; }; \
	else \
		echo "cmocka is missing; install it with:"; \
		echo "    sudo apt-get install -y libcmocka-dev"; exit 1; \
	fi

# ... and mandoc, whose lint every man page must pass (Debian: mandoc).
need-mandoc:
	@command -v mandoc >/dev/null 2>&1 && exit 0; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing mandoc (apt-get install -y mandoc)"; \
		apt-get install -y mandoc >/dev/null 2>&1 || \
		{ apt-get update >/dev/null && apt-get install -y mandoc; }; \
	else \
		echo "mandoc is missing; install it with:"; \
		echo "    sudo apt-get install -y mandoc"; exit 1; \
	fi

TEST_CPPFLAGS = -Itest/unit -DMF_TEST_DIR='"$(abspath test)"'

$(BUILD)/test/tutil.o: test/unit/tutil.c | need-cmocka
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(TEST_CPPFLAGS) -c $< -o $@

$(BUILD)/test/%.o: test/unit/%.c | need-cmocka
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -pthread $(TEST_CPPFLAGS) -c $< -o $@

$(BUILD)/test/test_%: $(BUILD)/test/test_%.o $(BUILD)/test/tutil.o $(STATIC)
	$(CC) $(ALL_LDFLAGS) -pthread -o $@ $^ -lcmocka

# Fuzz targets replayed over their corpus (stored finds) with a plain main.
$(BUILD)/replay/%: test/fuzz/%.c test/fuzz/driver.c $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< test/fuzz/driver.c $(STATIC)

check-unit: $(TEST_BIN)
	@set -e; for t in $(TEST_BIN); do \
		echo "== $$t"; $$t; done

check-examples: all
	@sh test/examples.sh $(BUILD)

check-replay: $(REPLAY_BIN)
	@set -e; for f in $(FUZZ_NAMES); do \
		[ -d test/fuzz/corpus/$$f ] || continue; \
		$(BUILD)/replay/$$f test/fuzz/corpus/$$f; done

# The header alone, as C11 and (when a C++ compiler is installed: .ci/run
# installs one) as C++11.
check-headers:
	$(CC) -std=c11 -Wall -Wextra -Wpedantic -Werror -fsyntax-only \
		-x c include/mailfmt.h
	@if printf 'int main() { return 0; }\n' | \
		$(CXX) -x c++ -fsyntax-only - >/dev/null 2>&1; then \
		echo "$(CXX) -x c++ -std=c++11 ... include/mailfmt.h"; \
		$(CXX) -x c++ -std=c++11 -Wall -Wextra -Wpedantic -Werror \
			-fsyntax-only include/mailfmt.h; \
	else \
		echo "check-headers: no C++ compiler ($(CXX)): C++ check skipped"; \
	fi

check-abi: $(SHARED)
	@sh test/check-api.sh $(BUILD) $(SHARED)

check-man: need-mandoc
	@sh test/check-man.sh

test: need-cmocka
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory check-unit check-examples check-replay \
		check-headers check-abi check-man

check: test

# Sanitizers: the unit tests and corpus replay rebuilt with ASan+UBSan, once
# with gcc and once with clang, each in its own build directory.
check-sanitize: need-cmocka
	ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		$(MAKE) --no-print-directory BUILD=$(BUILD)/san-gcc CC=gcc SAN=1 \
		check-unit check-replay
	ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		$(MAKE) --no-print-directory BUILD=$(BUILD)/san-clang CC=$(CLANG) \
		SAN=1 check-unit check-replay

# ThreadSanitizer (clang's, or TSAN_CC=gcc): the whole corpus from 4
# threads at once (test_threads), and mailfmt stat -j against -j 1.
TSAN_CC ?= $(CLANG)

check-threads: $(BUILD)/test/test_threads $(BUILD)/mailfmt
	$(BUILD)/test/test_threads
	sh test/cli/stat_j.sh $(BUILD)

check-tsan: need-cmocka
	TSAN_OPTIONS=halt_on_error=1:abort_on_error=1:suppressions=$(abspath test/tsan.supp) \
		$(MAKE) --no-print-directory BUILD=$(BUILD)/tsan CC=$(TSAN_CC) \
		SAN=thread check-threads

VALGRIND = valgrind -q --error-exitcode=99 --leak-check=full \
	--suppressions=test/valgrind.supp \
	--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite

check-valgrind: $(TEST_BIN) $(REPLAY_BIN)
	@set -e; for t in $(TEST_BIN); do \
		echo "== valgrind $$t"; MF_TEST_SLOW=0 $(VALGRIND) $$t; done; \
	for f in $(FUZZ_NAMES); do \
		[ -d test/fuzz/corpus/$$f ] || continue; \
		$(VALGRIND) $(BUILD)/replay/$$f test/fuzz/corpus/$$f; done

valgrind: check-valgrind

# Interop: the CLI against real third-party implementations (Python's email,
# base64, quopri; GMime 3) over the corpus and seeded random input; agreed
# differences are listed, with reasons, in test/interop/. The SMTP examples
# against Python's smtplib and aiosmtpd, swaks and private Postfix
# instances (as root); the POP3 examples against poplib, fetchmail and
# Dovecot (as root), and hostile peers; messages made by mailfmt build read
# by Python's email, GMime 3, munpack and ripmime. A missing tool fails the run
# (apt-get install python3 libgmime-3.0-dev pkg-config postfix swaks
# python3-aiosmtpd fetchmail dovecot-pop3d mpack ripmime).
PYTHON = python3
# The task examples of examples/ that have a GMime 3 twin.
GMIME_EQ = mbox-index text-body stream-parts

interop: $(BUILD)/mailfmt $(BUILD)/interop/gmime_dump \
	$(GMIME_EQ:%=$(BUILD)/interop/gmime-%) $(GMIME_EQ:%=$(BUILD)/%) \
	$(BUILD)/smtp-sink $(BUILD)/smtp-send $(BUILD)/pop3-serve \
	$(BUILD)/pop3-fetch $(BUILD)/interop/gmime_build_read
	$(PYTHON) test/interop/mime_interop.py $(BUILD) python
	$(PYTHON) test/interop/codecs_python.py $(BUILD)
	$(PYTHON) test/interop/mime_interop.py $(BUILD) gmime
	$(PYTHON) test/interop/fields_gmime.py $(BUILD)
	sh test/interop/gmime-equivalents/compare.sh $(BUILD)
	$(PYTHON) test/interop/build_interop.py $(BUILD)
	$(PYTHON) test/interop/smtp_interop.py $(BUILD)
	$(PYTHON) test/interop/pop3_interop.py $(BUILD)

# The GMime reference (test/interop/gmime_dump.c), built only for interop.
$(BUILD)/interop/gmime_dump: test/interop/gmime_dump.c
	@pkg-config --exists gmime-3.0 || { echo "interop: GMime 3 is missing" \
		"(apt-get install libgmime-3.0-dev pkg-config)"; exit 1; }
	@mkdir -p $(@D)
	$(CC) -std=c11 -O1 -g -Wall -Wextra $$(pkg-config --cflags gmime-3.0) \
		$< $$(pkg-config --libs gmime-3.0) -o $@

# The reader of messages built by mailfmt (build_interop.py, issue 8).
$(BUILD)/interop/gmime_build_read: test/interop/gmime_build_read.c
	@pkg-config --exists gmime-3.0 || { echo "interop: GMime 3 is missing" \
		"(apt-get install libgmime-3.0-dev pkg-config)"; exit 1; }
	@mkdir -p $(@D)
	$(CC) -std=c11 -O1 -g -Wall -Wextra -Werror \
		$$(pkg-config --cflags gmime-3.0) \
		$< $$(pkg-config --libs gmime-3.0) -o $@

# The task examples written with GMime 3, for comparison (issue 11).
$(BUILD)/interop/gmime-%: test/interop/gmime-equivalents/%.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -O1 -g -Wall -Wextra -Werror \
		$$(pkg-config --cflags gmime-3.0) \
		$< $$(pkg-config --libs gmime-3.0) -o $@

# ---------------------------------------------------------------- fuzzing
FUZZ_CFLAGS = $(WARN) $(MF_CPPFLAGS) -O1 -g -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -MMD -MP
FUZZ_LIB_OBJ = $(LIB_SRC:lib/%.c=$(BUILD)/fuzz/obj/%.o)

$(BUILD)/fuzz/obj/%.o: lib/%.c
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS:-fsanitize=fuzzer,%=-fsanitize=fuzzer-no-link,%) \
		-c $< -o $@

$(BUILD)/fuzz/fuzz_%: test/fuzz/fuzz_%.c $(FUZZ_LIB_OBJ)
	$(CLANG) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_LIB_OBJ)

# Each target (all, or FUZZ_TARGETS="fuzz_a fuzz_b") runs FUZZ_SECONDS, as
# many at once as make -j allows; new inputs go to build/fuzz/work/, crashes
# to build/fuzz/crash/ (minimise them into test/fuzz/corpus/<target>/).
FUZZ_RUNS = $(FUZZ_TARGETS:%=fuzz-run-%)
.PHONY: $(FUZZ_RUNS)

fuzz: $(FUZZ_RUNS)

$(FUZZ_RUNS): fuzz-run-%: $(BUILD)/fuzz/%
	@mkdir -p $(BUILD)/fuzz/work/$* $(BUILD)/fuzz/crash test/fuzz/corpus/$*
	@dict=; [ -f test/fuzz/$*.dict ] && dict=-dict=test/fuzz/$*.dict; \
	echo "== fuzz $* ($(FUZZ_SECONDS)s)"; \
	$(BUILD)/fuzz/$* -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
		-artifact_prefix=$(BUILD)/fuzz/crash/$*- $$dict \
		$(BUILD)/fuzz/work/$* test/fuzz/corpus/$* 2>$(BUILD)/fuzz/$*.log \
		|| { echo "== fuzz $* FAILED"; tail -n 40 $(BUILD)/fuzz/$*.log; exit 1; }; \
	echo "== fuzz $*: $$(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' \
		$(BUILD)/fuzz/$*.log | grep -o '[0-9]*$$') runs, no crash"

# ---------------------------------------------------------------- bench
$(BUILD)/bench: $(BENCH_SRC) $(STATIC)
	$(CC) $(ALL_CFLAGS) -O2 -Itest/bench -o $@ $(BENCH_SRC) $(STATIC) $(ALL_LDFLAGS)

# smtp-sink receiving one message of SINK_MIB MiB (DATA and BDAT): MB/s and
# its peak memory.
SINK_MIB ?= 1024

# The builder (issue 8): the same work done by GMime 3 when pkg-config finds
# it, and an attachment of STREAM_MIB MiB streamed from a callback through a
# sink, in a process of its own for its peak memory.
STREAM_MIB ?= 1024

$(BUILD)/bench-stream: test/bench/stream/bench_stream.c $(STATIC)
	$(CC) $(ALL_CFLAGS) -O2 -o $@ $< $(STATIC) $(ALL_LDFLAGS)

$(BUILD)/bench-gmime-build: test/bench/gmime/gmime_build_bench.c
	$(CC) -std=c11 -O2 -g -Wall -Wextra -Werror \
		$$(pkg-config --cflags gmime-3.0) \
		$< $$(pkg-config --libs gmime-3.0) -o $@

bench: $(BUILD)/bench $(BUILD)/mailfmt $(BUILD)/smtp-sink $(BUILD)/bench-stream
	$(BUILD)/bench $(CORPUS)
	@if pkg-config --exists gmime-3.0; then \
		$(MAKE) --no-print-directory $(BUILD)/bench-gmime-build && \
		$(BUILD)/bench-gmime-build; \
	else echo "bench: no GMime 3 (libgmime-3.0-dev): its figures skipped"; fi
	$(BUILD)/bench-stream $(STREAM_MIB)
	sh test/bench/stat-j.sh $(BUILD) $(CORPUS)
	$(PYTHON) test/bench/sink_throughput.py $(BUILD) $(SINK_MIB)

# ---------------------------------------------------------------- install
$(BUILD)/mailfmt.pc: pkgconfig/mailfmt.pc.in Makefile
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' \
		-e 's|@VERSION@|$(MAJOR).$(MINOR).$(PATCH)|g' $< > $@

install: $(STATIC) $(SHARED) $(BUILD)/mailfmt.pc
	install -d $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(LIBDIR) \
		$(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(MANDIR)/man3
	install -m 644 include/mailfmt.h $(DESTDIR)$(INCLUDEDIR)/mailfmt.h
	install -m 644 $(STATIC) $(DESTDIR)$(LIBDIR)/libmailfmt.a
	install -m 755 $(SHARED) $(DESTDIR)$(LIBDIR)/$(SOLIB)
	ln -sf $(SOLIB) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libmailfmt.so
	install -m 644 $(BUILD)/mailfmt.pc $(DESTDIR)$(PKGCONFIGDIR)/mailfmt.pc
	install -m 644 $(MAN_SRC) $(DESTDIR)$(MANDIR)/man3/
	@# One link per function named in a page's NAME section (MLINKS).
	@for f in $(MAN_SRC); do b=$${f##*/}; \
		for n in $$($(MAN_NAMES) $$f); do [ "$$n.3" = "$$b" ] || \
			ln -sf $$b $(DESTDIR)$(MANDIR)/man3/$$n.3; done; done

uninstall:
	rm -f $(DESTDIR)$(INCLUDEDIR)/mailfmt.h \
		$(DESTDIR)$(LIBDIR)/libmailfmt.a \
		$(DESTDIR)$(LIBDIR)/$(SOLIB) $(DESTDIR)$(LIBDIR)/$(SONAME) \
		$(DESTDIR)$(LIBDIR)/libmailfmt.so \
		$(DESTDIR)$(PKGCONFIGDIR)/mailfmt.pc \
		$(MAN_SRC:man/man3/%=$(DESTDIR)$(MANDIR)/man3/%)
	@for f in $(MAN_SRC); do b=$${f##*/}; \
		for n in $$($(MAN_NAMES) $$f); do [ "$$n.3" = "$$b" ] || \
			rm -f $(DESTDIR)$(MANDIR)/man3/$$n.3; done; done

clean:
	rm -rf $(BUILD)

-include $(wildcard $(BUILD)/obj/*.d $(BUILD)/ex/*.d $(BUILD)/ex/cli/*.d \
	$(BUILD)/test/*.d $(BUILD)/replay/*.d $(BUILD)/fuzz/*.d \
	$(BUILD)/fuzz/obj/*.d)
