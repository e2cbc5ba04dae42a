# app-flow-meter: build, test, run and benchmark.
#
#   make          build build/app-flow-meter
#   make run      (as root: install missing packages) meter samples/sample.pcap -> flows.csv
#   make test     (as root: install missing packages) build and run every test: the
#                 suite, the soak, the suite under ASan/UBSan, valgrind, and each
#                 fuzzer for 60 s
#   make check    the suite alone (unit, command line, corpus, live, install)
#   make soak     (as root) 60 s of live traffic: flat memory, every row, no loss
#   make bench    throughput and memory on a large generated capture
#   make bench-peers  softflowd, nfpcapd, argus and tshark on the same captures
#   make test-asan  the suite built with AddressSanitizer and UBSan (in build-san/)
#   make fuzz     the libFuzzer harnesses, FUZZ_SECONDS each (default 60)
#   make install  the program, its man page, docs and a systemd unit under PREFIX
#                 (default /usr/local; DESTDIR for staging); make uninstall

SHARED ?= $(abspath ../shared)
PCAPS ?= $(SHARED)/pcaps
CC ?= gcc
ifeq ($(origin CC),default)
CC := gcc
endif

ifeq ($(SAN),1)
BUILD ?= build-san
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
OPT := -O1
else
BUILD ?= build
SANFLAGS :=
OPT := -O2
endif

# libfixbuf (IPFIX) and the GLib it is built on; -isystem: their headers are not ours to warn about
FIXBUF_CFLAGS := $(patsubst -I%,-isystem %,$(shell pkg-config --cflags libfixbuf 2>/dev/null))
FIXBUF_LIBS := $(shell pkg-config --libs libfixbuf 2>/dev/null || echo -lfixbuf -lglib-2.0)
CFLAGS := -std=gnu11 $(OPT) -g -Wall -Wextra -Werror -Iinclude -Iuser -I$(BUILD) $(FIXBUF_CFLAGS) $(SANFLAGS) $(EXTRA_CFLAGS)
LDFLAGS := $(SANFLAGS)
LDLIBS := -lbpf -lelf -lz -lzstd -llzma -lpcap $(FIXBUF_LIBS) -lm -lpthread

CLANG ?= clang
BPFTOOL ?= bpftool
ARCH := $(shell uname -m | sed 's/x86_64/x86/; s/aarch64/arm64/')
# vmlinux.h: generated into the build directory from the running kernel's BTF, or from
# VMLINUX_BTF (a kernel's BTF elsewhere), or given whole as VMLINUX_H. The programs use
# only its UAPI types (and their own CO-RE views of two kernel types: bpf/afm.bpf.c),
# so an object built on one kernel loads on any kernel with BTF and the features the
# README lists.
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux
VMLINUX_H ?= $(BUILD)/vmlinux.h
BPF_CFLAGS := -O2 -g -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Iinclude -I$(dir $(VMLINUX_H)) \
	-Wall -Wextra -Werror
BPF_OBJ := $(BUILD)/afm.bpf.o
SKEL := $(BUILD)/afm.skel.h

USER_SRCS := $(wildcard user/*.c user/*/*.c)
USER_OBJS := $(patsubst user/%.c,$(BUILD)/user/%.o,$(USER_SRCS))
LIB_OBJS := $(filter-out $(BUILD)/user/main.o,$(USER_OBJS))
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_OBJS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%.o,$(UNIT_SRCS))

BIN := $(BUILD)/app-flow-meter

.PHONY: FORCE all deps run test check test-asan valgrind unit cli corpus live export install-test soak bench bench-peers fuzz \
	install uninstall clean
.DELETE_ON_ERROR:

all: $(BIN)

deps:
	@bash .ci/install-deps

$(BUILD)/user $(BUILD)/tests $(BUILD)/bench:
	@mkdir -p $@

$(BUILD)/user/%.o: user/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# Where the docs are installed, for --help; rewritten only when DOCDIR changes.
$(BUILD)/docdir.h: FORCE | $(BUILD)/user
	@echo '#define AFM_DOCDIR "$(DOCDIR)"' >$@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

$(BUILD)/user/cli.o: $(BUILD)/docdir.h

FORCE:

# ---- BPF --------------------------------------------------------------------
# The object is linked by bpftool (which keeps BTF and drops the DWARF clang writes),
# then embedded in a skeleton.

$(BUILD)/vmlinux.h: | $(BUILD)/user
	@test -r $(VMLINUX_BTF) || { echo "no $(VMLINUX_BTF): this kernel lacks BTF (CONFIG_DEBUG_INFO_BTF); give VMLINUX_BTF=FILE or VMLINUX_H=FILE" >&2; exit 1; }
	$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@

$(BUILD)/afm.tmp.bpf.o: bpf/afm.bpf.c $(wildcard include/*.h) $(VMLINUX_H) | $(BUILD)/user
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BPF_OBJ): $(BUILD)/afm.tmp.bpf.o
	$(BPFTOOL) gen object $@ $<

$(SKEL): $(BPF_OBJ)
	$(BPFTOOL) gen skeleton $< name afm_bpf > $@

$(BUILD)/user/kernel/loader.o: $(SKEL)

$(BIN): $(USER_OBJS)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# ---- tests ------------------------------------------------------------------

$(BUILD)/tests/%.o: tests/unit/%.c | $(BUILD)/tests
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/unit-tests: $(UNIT_OBJS) $(LIB_OBJS)
	$(CC) $(LDFLAGS) $^ -lcriterion $(LDLIBS) -o $@

unit: $(BUILD)/unit-tests
	bash tests/unit/run.sh $(BUILD)/unit-tests $(BUILD)/unit.tap

cli: $(BIN)
	BIN=$(BIN) PCAPS=$(PCAPS) /usr/bin/python3 -m unittest tests/cli/test_cli.py tests/cli/test_hostile.py tests/cli/test_output.py \
		tests/cli/test_inputs.py tests/cli/test_compressed.py tests/cli/test_pcap_records.py tests/cli/test_labels.py \
		tests/cli/test_first_packets.py tests/cli/test_cic.py tests/cli/test_tunnels.py tests/cli/test_pcapng.py \
		tests/cli/test_docs.py

# Export: JSON lines; IPFIX read back by an independent decoder, and its faults; as
# root, into real collectors (pmacct's nfacctd with contrib/pmacct into PostgreSQL,
# nfdump's nfcapd). The sanitized suite leaves the collectors out: what they test is
# the records' meaning to other programs, which the plain build's run shows, while
# the exporter's memory is exercised by test_ipfix.py, faults included.
export: $(BIN)
	BIN=$(BIN) PCAPS=$(PCAPS) /usr/bin/python3 -m unittest tests/export/test_jsonl.py tests/export/test_ipfix.py
	@if [ "$(SAN)" = 1 ]; then echo "export: the real collectors run in the plain build's suite only"; \
	else BIN=$(BIN) PCAPS=$(PCAPS) bash tests/export/test_collectors.sh; fi

corpus: $(BIN)
	PCAPS=$(PCAPS) BIN=$(BIN) OUT=$(BUILD)/corpus REF_CACHE=$(REF_CACHE) bash tests/corpus.sh

# As root: network namespaces, veth pairs, real servers and clients.
live: $(BIN) $(BUILD)/bench/ref.bpf.o
	BIN=$(BIN) bash tests/live/test_live.sh
	BIN=$(BIN) PASS_OBJ=$(BUILD)/bench/ref.bpf.o bash tests/live/test_attach.sh
	BIN=$(BIN) bash tests/live/test_container.sh
	BIN=$(BIN) bash tests/live/test_tunnels.sh
	BIN=$(BIN) bash tests/live/test_segments.sh

valgrind: $(BIN)
	BIN=$(BIN) PCAPS=$(PCAPS) bash tests/valgrind.sh

# make install into a staging directory; the man page, the unit, and (as root) the
# unit's command line run with the unit's privileges on a veth.
install-test: $(BIN)
	BIN=$(BIN) SAN=$(SAN) bash tests/install.sh

# As root: 60 s of live traffic, many short flows: RSS flat, every row, no loss.
SOAK_SECONDS ?= 60
soak: $(BIN) $(BUILD)/bench/blaster
	BIN=$(BIN) BLASTER=$(BUILD)/bench/blaster SOAK_SECONDS=$(SOAK_SECONDS) bash tests/live/test_soak.sh

# The whole suite on one build (build/, or build-san/ with SAN=1).
check: all $(BUILD)/unit-tests
	@ls $(PCAPS)/*.pcap >/dev/null 2>&1 || { echo "make check: no shared captures in $(PCAPS): the tests read them from ../shared/pcaps beside the clone; give PCAPS=DIR" >&2; exit 1; }
	$(MAKE) --no-print-directory unit cli corpus export live install-test

# The same suite built with AddressSanitizer and UBSan, in a build directory of its own.
# The reference's answers are kept in $(BUILD)/ref-cache (tests/corpus.sh), so that
# the sanitized suite does not compute them again.
REF_CACHE ?= $(abspath $(BUILD))/ref-cache
test-asan:
	$(MAKE) --no-print-directory SAN=1 BUILD=$(BUILD)-san REF_CACHE=$(REF_CACHE) check

# Everything CI runs: the suite, the soak, the suite under ASan/UBSan, valgrind, the
# fuzzers.
test: deps
	$(MAKE) --no-print-directory check
	$(MAKE) --no-print-directory soak
	$(MAKE) --no-print-directory test-asan
	$(MAKE) --no-print-directory valgrind
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(FUZZ_SECONDS)

# ---- bench ------------------------------------------------------------------

GEN_SRCS := $(wildcard bench/gen_*.c) bench/pcap_out.c
GEN_OBJS := $(patsubst bench/%.c,$(BUILD)/bench/%.o,$(GEN_SRCS))

$(BUILD)/bench/%.o: bench/%.c | $(BUILD)/bench
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/bench/gen-capture: $(GEN_OBJS)
	$(CC) $(LDFLAGS) $^ -lm -o $@

$(BUILD)/bench/pcap-floor: $(BUILD)/bench/pcap_floor.o
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/bench/ref.bpf.o: bench/ref.bpf.c $(VMLINUX_H) | $(BUILD)/bench
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# The meter stopped after each step (AFM_BENCH_STOP in bpf/afm.bpf.c), for bpf-bench.
BENCH_STEPS := $(BUILD)/bench/afm-stop1.bpf.o $(BUILD)/bench/afm-stop2.bpf.o $(BUILD)/bench/afm-stop3.bpf.o
$(BUILD)/bench/afm-stop%.bpf.o: bpf/afm.bpf.c $(wildcard include/*.h) $(VMLINUX_H) | $(BUILD)/bench
	$(CLANG) $(BPF_CFLAGS) -DAFM_BENCH_STOP=$* -c $< -o $@

# The meter before tunnels (the commit before them), and this one with --tunnels outer,
# for bpf-bench's comparison of untunnelled packets in one run.
BENCH_BASE ?= 2a627da
$(BUILD)/bench/afm-base.bpf.o: $(VMLINUX_H) | $(BUILD)/bench
	rm -rf $(BUILD)/bench/base && mkdir -p $(BUILD)/bench/base
	git archive $(BENCH_BASE) bpf include | tar -x -C $(BUILD)/bench/base
	$(CLANG) $(BPF_CFLAGS) -iquote $(BUILD)/bench/base/include -c $(BUILD)/bench/base/bpf/afm.bpf.c -o $@
$(BUILD)/bench/afm-outer.bpf.o: bpf/afm.bpf.c $(wildcard include/*.h) $(VMLINUX_H) | $(BUILD)/bench
	$(CLANG) $(BPF_CFLAGS) -DAFM_CFG_TUNNELS=0 -c $< -o $@

$(BUILD)/bench/bpf-bench: $(BUILD)/bench/bpf_bench.o
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/bench/blaster: $(BUILD)/bench/blaster.o
	$(CC) $(LDFLAGS) $^ -o $@

bench: $(BIN) $(BPF_OBJ) $(BUILD)/bench/gen-capture $(BUILD)/bench/pcap-floor $(BUILD)/bench/ref.bpf.o \
	$(BUILD)/bench/bpf-bench $(BUILD)/bench/blaster $(BENCH_STEPS) $(BUILD)/bench/afm-base.bpf.o \
	$(BUILD)/bench/afm-outer.bpf.o
	BUILD=$(BUILD) BIN=$(BIN) bash bench/run.sh

# The peers side by side on the same captures (as root: installs them when missing).
PEER_PACKAGES := softflowd nfdump argus-server tshark
bench-peers: $(BIN) $(BUILD)/bench/gen-capture $(BUILD)/bench/pcap-floor
	@if [ "$$(id -u)" -eq 0 ]; then \
		missing=$$(for p in $(PEER_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
		[ -z "$$missing" ] || { echo "bench-peers: installing $$missing" >&2; \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; }; \
	fi
	BUILD=$(BUILD) BIN=$(BIN) bash bench/peers.sh

# ---- fuzz -------------------------------------------------------------------
# libFuzzer harnesses (clang, ASan, UBSan) for the parser in the pipeline, the capture
# reader (both seeded from the shared captures), the parser alone (seeded with a frame
# of each tunnel kind), the pcapng reader alone (fast: its two backends compared;
# seeded with crafted pcapng files and the shared ones) and the --labels rules (seeded
# with rule files);
# FUZZ_SECONDS each (CI: 60). A crash stops the run
# and leaves its input in $(BUILD)/fuzz/; it then belongs in tests/fuzz/regressions/.

FUZZ_SECONDS ?= 60
FUZZ := $(BUILD)/fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -Iinclude -I$(BUILD) -Iuser $(FIXBUF_CFLAGS) $(FUZZ_SAN)
FUZZ_LIB := $(patsubst user/%.c,$(FUZZ)/user/%.o,$(filter-out user/main.c,$(USER_SRCS)))

.PRECIOUS: $(FUZZ)/user/%.o

$(FUZZ)/user/cli.o: $(BUILD)/docdir.h

$(FUZZ)/seeds:
	@mkdir -p $@

$(FUZZ)/user/%.o: user/%.c $(SKEL)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(FUZZ)/fuzz-%: tests/fuzz/fuzz_%.c $(FUZZ_LIB)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer -MMD -MP $< $(FUZZ_LIB) $(LDLIBS) -o $@

$(FUZZ)/seeds/.made: tests/fuzz/make_seeds.py | $(FUZZ)/seeds
	/usr/bin/python3 tests/fuzz/make_seeds.py $(PCAPS) $(FUZZ)/seeds
	@touch $@

fuzz: $(FUZZ)/fuzz-packets $(FUZZ)/fuzz-parse $(FUZZ)/fuzz-capture $(FUZZ)/fuzz-pcapng $(FUZZ)/fuzz-labels \
	$(FUZZ)/seeds/.made
	@mkdir -p $(FUZZ)/corpus-packets $(FUZZ)/corpus-parse $(FUZZ)/corpus-capture $(FUZZ)/corpus-pcapng \
		$(FUZZ)/corpus-labels
	$(FUZZ)/fuzz-packets -runs=0 tests/fuzz/regressions/packets
	$(FUZZ)/fuzz-parse -runs=0 tests/fuzz/regressions/parse
	$(FUZZ)/fuzz-capture -runs=0 tests/fuzz/regressions/capture
	$(FUZZ)/fuzz-pcapng -runs=0 tests/fuzz/regressions/pcapng
	$(FUZZ)/fuzz-labels -runs=0 tests/fuzz/regressions/labels
	$(FUZZ)/fuzz-packets -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -timeout=10 -dict=tests/fuzz/tunnels.dict \
		-artifact_prefix=$(FUZZ)/ -print_final_stats=1 $(FUZZ)/corpus-packets $(FUZZ)/seeds/packets
	$(FUZZ)/fuzz-parse -max_total_time=$(FUZZ_SECONDS) -max_len=1600 -timeout=10 -dict=tests/fuzz/tunnels.dict \
		-artifact_prefix=$(FUZZ)/ -print_final_stats=1 $(FUZZ)/corpus-parse $(FUZZ)/seeds/parse
	$(FUZZ)/fuzz-capture -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 \
		-artifact_prefix=$(FUZZ)/ -print_final_stats=1 $(FUZZ)/corpus-capture $(FUZZ)/seeds/capture
	$(FUZZ)/fuzz-pcapng -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 -dict=tests/fuzz/pcapng.dict \
		-artifact_prefix=$(FUZZ)/ -print_final_stats=1 $(FUZZ)/corpus-pcapng $(FUZZ)/seeds/pcapng
	$(FUZZ)/fuzz-labels -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -timeout=10 -dict=tests/fuzz/labels.dict \
		-artifact_prefix=$(FUZZ)/ -print_final_stats=1 $(FUZZ)/corpus-labels $(FUZZ)/seeds/labels

# ---- run --------------------------------------------------------------------

run: deps
	$(MAKE) --no-print-directory all
	$(BIN) -r samples/sample.pcap -o flows.csv
	@echo "wrote flows.csv ($$(($$(wc -l < flows.csv) - 1)) flows)"

# ---- install ----------------------------------------------------------------
# systemd looks for units in $(PREFIX)/lib/systemd/system for PREFIX /usr and /usr/local.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/app-flow-meter
UNITDIR ?= $(PREFIX)/lib/systemd/system
DOCS := README.md docs/METERING.md docs/COLUMNS.md docs/CIC.md docs/EXPORT.md

install: $(BIN)
	install -D -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/app-flow-meter
	install -D -m 0644 docs/app-flow-meter.1 $(DESTDIR)$(MANDIR)/man1/app-flow-meter.1
	install -d $(DESTDIR)$(DOCDIR) $(DESTDIR)$(UNITDIR)
	install -m 0644 $(DOCS) $(DESTDIR)$(DOCDIR)/
	install -d $(DESTDIR)$(DOCDIR)/contrib/pmacct
	install -m 0644 $(wildcard contrib/pmacct/*) $(DESTDIR)$(DOCDIR)/contrib/pmacct/
	chmod 0755 $(DESTDIR)$(DOCDIR)/contrib/pmacct/generate.sh
	sed 's|@BINDIR@|$(BINDIR)|g' contrib/app-flow-meter@.service > $(DESTDIR)$(UNITDIR)/app-flow-meter@.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/app-flow-meter@.service

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/app-flow-meter $(DESTDIR)$(MANDIR)/man1/app-flow-meter.1 \
		$(DESTDIR)$(UNITDIR)/app-flow-meter@.service
	rm -rf $(DESTDIR)$(DOCDIR)

clean:
	rm -rf $(BUILD) $(BUILD)-san build build-san flows.csv

-include $(wildcard $(BUILD)/user/*.d $(BUILD)/user/*/*.d $(BUILD)/tests/*.d $(BUILD)/bench/*.d \
	$(FUZZ)/user/*.d $(FUZZ)/user/*/*.d $(FUZZ)/*.d)
