# hvboot: build, test. `make` builds the hosted programs into build/;
# `make test` builds and runs every test; `make deps` installs what is missing.

CC       ?= gcc
CFLAGS_COMMON := -std=gnu11 -Wall -Wextra -Werror -g -I.
CFLAGS   ?= -O2
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDLIBS   := -lpthread

B := build

# The portable core: guest layers, shared wire tables, helpers.
CORE_SRC := $(wildcard lib/*.c vmbus/*.c vsc/*.c payload/*.c)
# hvsim, the host side.
SIM_SRC  := $(filter-out sim/hvsim_main.c,$(wildcard sim/*.c))
# Hosted-only guest helpers (the echo client) used by hvboot-host and tests.
HOSTED_SRC := boot/echo.c
# The portable part of boot/: the main flow and diag output, in the image
# and in the hosted tests alike.
BOOT_SRC := boot/flow.c boot/json.c boot/pagetable.c boot/config.c boot/fbcon.c boot/progress.c
# The image's own: GNU-EFI entry, newlib's OS hooks.
EFI_BOOT_SRC := boot/efi_main.c boot/efi_libc.c
# fbcon's font, generated from a Debian console font (console-setup-linux)
# at build time and never committed.
FONT_PSF ?= /usr/share/consolefonts/Lat15-Fixed16.psf.gz
FONT_C   := $(B)/font8x16.c
# The bridge backend of the seam: portable, so the tests build it hosted
# (against an hvsim bridge server) and the image freestanding. Not in
# CORE_SRC: the hosted programs run on the sim backend and do not need it.
BRIDGE_SRC := arch/bridge.c
TEST_SRC := $(wildcard tests/*.c)
HDRS     := $(wildcard lib/*.h vmbus/*.h vsc/*.h payload/*.h sim/*.h arch/*.h arch/x86_64/*.h boot/*.h tests/*.h)

# hvsim's slirp network backend (sim/netdev_slirp.c) links libslirp (and
# through it glib).
SLIRP_CFLAGS = $(shell pkg-config --cflags slirp 2>/dev/null)
SLIRP_LIBS   = $(shell pkg-config --libs slirp 2>/dev/null)

# The network stack: lwIP 2.1.3 from Debian's source package, unpacked into
# build/lwip-src by scripts/fetch-lwip.sh on demand (never committed), with
# our lwipopts.h and arch/cc.h (net/port/); net/ is the port and the
# clients. Only the lwIP files the configuration uses are built.
LWIP       := $(B)/lwip-src/lwip
LWIP_FILES := core/init.c core/def.c core/dns.c core/inet_chksum.c core/ip.c \
              core/mem.c core/memp.c core/netif.c core/pbuf.c core/stats.c \
              core/tcp.c core/tcp_in.c core/tcp_out.c core/timeouts.c core/udp.c \
              core/ipv4/dhcp.c core/ipv4/etharp.c core/ipv4/icmp.c \
              core/ipv4/ip4.c core/ipv4/ip4_addr.c netif/ethernet.c
LWIP_SRCS  := $(addprefix $(LWIP)/src/,$(LWIP_FILES))
LWIP_OBJS  := $(patsubst %.c,$(B)/lwip-obj/%.o,$(LWIP_FILES))
LWIP_INC   := -Inet/port -I$(LWIP)/src/include
NET_SRC    := $(wildcard net/*.c)
NET_HDRS   := $(wildcard net/*.h net/port/*.h net/port/arch/*.h)

# The native backend must build freestanding for x86_64 (it runs after
# ExitBootServices, with no OS and no libc).
FREESTANDING := -std=gnu11 -Wall -Wextra -Werror -O2 -ffreestanding -fno-builtin \
                -fno-stack-protector -mno-red-zone -fno-pic -mcmodel=kernel -I.

.PHONY: all test run diag bench fuzz deps check-deps lwip-src clean

all: $(B)/hvboot-host $(B)/hvsim $(B)/native.o $(B)/hvboot.efi $(B)/mkcpio

# hvboot-host: the stack on hvsim, the network (net/, lwIP) included.
HOST_PROG := boot/host_main.c boot/host_net.c $(HOSTED_SRC) $(CORE_SRC) $(SIM_SRC) $(NET_SRC)

$(B)/hvboot-host: $(HOST_PROG) $(HDRS) $(NET_HDRS) $(B)/liblwip-opt.a | $(B)
	$(CC) $(CFLAGS_COMMON) $(CFLAGS) $(LWIP_INC) $(SLIRP_CFLAGS) -o $@ $(HOST_PROG) $(B)/liblwip-opt.a $(SLIRP_LIBS) $(LDLIBS)

$(B)/hvsim: sim/hvsim_main.c $(CORE_SRC) $(SIM_SRC) $(HDRS) | $(B)
	$(CC) $(CFLAGS_COMMON) $(CFLAGS) $(SLIRP_CFLAGS) -o $@ sim/hvsim_main.c $(CORE_SRC) $(SIM_SRC) $(SLIRP_LIBS) $(LDLIBS)

$(B)/native.o: arch/x86_64/native.c $(HDRS) | $(B)
	$(CC) $(FREESTANDING) -c -o $@ $<

# --- hvboot.efi ---------------------------------------------------------------
# The UEFI image: the same core as the hosted build (only boot/ and arch/
# differ), compiled freestanding against newlib (built by
# scripts/build-newlib.sh from Debian's newlib-source) and GNU-EFI, linked
# with our linker.ld into an ELF shared object that objcopy turns into a
# PE32+ EFI application. -fpic: the firmware loads it anywhere and crt0
# relocates it; -mno-red-zone: firmware interrupts run on our stack until
# ExitBootServices; -fshort-wchar: UEFI strings are UCS-2.
NEWLIB    := $(B)/newlib
EFI_INC   := -nostdinc -isystem $(shell $(CC) -print-file-name=include) -isystem $(NEWLIB)/include \
             -I/usr/include/efi -I/usr/include/efi/x86_64
EFI_FLAGS := -std=gnu11 -O2 -g0 -ffreestanding -fno-stack-protector -fpic -fshort-wchar \
             -mno-red-zone -maccumulate-outgoing-args -DGNU_EFI_USE_MS_ABI -DHVB_EFI \
             -I. $(LWIP_INC) $(EFI_INC)
EFI_SRC   := $(CORE_SRC) $(NET_SRC) $(BOOT_SRC) $(EFI_BOOT_SRC) arch/x86_64/native.c \
             $(BRIDGE_SRC) arch/x86_64/bridge_uart.c
EFI_OBJS  := $(patsubst %.c,$(B)/efi-obj/%.o,$(EFI_SRC))
EFI_LWIP_OBJS := $(patsubst %.c,$(B)/efi-lwip/%.o,$(LWIP_FILES))

$(NEWLIB)/lib/libc.a: scripts/build-newlib.sh
	./scripts/build-newlib.sh $(B)

# One short line per object: 80 of them, with the full flags, would bury
# what `make run` is there to show. V=1 prints the commands.
Q := $(if $(V),,@)

$(B)/efi-obj/%.o: %.c $(HDRS) $(NET_HDRS) $(NEWLIB)/lib/libc.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC (efi)  $<")
	$(Q)$(CC) $(EFI_FLAGS) -Wall -Wextra -Werror -c -o $@ $<

$(B)/efi-obj/font8x16.o: $(FONT_C)
	@mkdir -p $(dir $@)
	$(CC) $(EFI_FLAGS) -Wall -Wextra -Werror -c -o $@ $<

$(B)/efi-lwip/%.o: $(LWIP)/src/%.c net/port/lwipopts.h net/port/arch/cc.h net/port/hooks.h net/port/chksum.h $(NEWLIB)/lib/libc.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC (efi)  lwip/$*.c")
	$(Q)$(CC) $(EFI_FLAGS) -Wall -Wno-address -c -o $@ $<

$(B)/hvboot.so: linker.ld $(EFI_OBJS) $(B)/efi-obj/font8x16.o $(EFI_LWIP_OBJS) $(B)/linux_entry.o
	@$(if $(Q),echo "  LD        $@")
	$(Q)ld -nostdlib -znocombreloc -T linker.ld -shared -Bsymbolic --no-undefined -o $@ \
		/usr/lib/crt0-efi-x86_64.o $(EFI_OBJS) $(B)/efi-obj/font8x16.o $(EFI_LWIP_OBJS) \
		$(B)/linux_entry.o -L/usr/lib -lefi -lgnuefi $(NEWLIB)/lib/libc.a \
		$(shell $(CC) -print-libgcc-file-name)

$(B)/hvboot.efi: $(B)/hvboot.so
	$(Q)objcopy -j .text -j .sdata -j .data -j .bss -j .dynamic -j .dynsym -j .rel -j .rela -j .reloc \
		--target=efi-app-x86_64 --subsystem=10 $< $@
	@echo "hvboot.efi: $$(stat -c %s $@) bytes"

# The font table; the PSF file is a prerequisite only when present, so that
# a missing one gets mkfont.sh's sentence, not make's.
$(FONT_C): scripts/mkfont.sh $(wildcard $(FONT_PSF)) | $(B)
	./scripts/mkfont.sh $(FONT_PSF) $@
# The jump into Linux. The UEFI image is relocated at load time, so the
# object must hold no absolute relocation (R_X86_64_64, _32, _32S, _16, _8):
# only RIP-relative ones.
$(B)/linux_entry.o: arch/x86_64/linux_entry.asm | $(B)
	nasm -f elf64 -w+all -Werror -o $@ $<
	@if objdump -r $@ | grep -Eq 'R_X86_64_(64|32|32S|16|8)[[:space:]]'; then \
		objdump -dr $@; rm -f $@; \
		echo "$<: absolute relocations: the code must be position-independent" >&2; exit 1; fi


# lwIP itself: third-party code, built with warnings shown but not
# fatal, under the sanitizers like everything the tests run (the
# freestanding build comes with the UEFI image).
$(LWIP_SRCS) &:
	./scripts/fetch-lwip.sh

lwip-src: $(LWIP_SRCS)

$(B)/lwip-obj/%.o: $(LWIP)/src/%.c net/port/lwipopts.h net/port/arch/cc.h net/port/hooks.h net/port/chksum.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -g -O1 $(SAN) -Wall -Wextra $(LWIP_INC) -I. -c -o $@ $<

$(B)/liblwip.a: $(LWIP_OBJS)
	rm -f $@
	ar rcs $@ $^

# The same without sanitizers, for the programs.
LWIP_OBJS_OPT := $(patsubst %.c,$(B)/lwip-obj-opt/%.o,$(LWIP_FILES))
$(B)/lwip-obj-opt/%.o: $(LWIP)/src/%.c net/port/lwipopts.h net/port/arch/cc.h net/port/hooks.h net/port/chksum.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -g -O2 -Wall -Wno-address $(LWIP_INC) -I. -c -o $@ $<

$(B)/liblwip-opt.a: $(LWIP_OBJS_OPT)
	rm -f $@
	ar rcs $@ $^

# Tests run under ASan and UBSan.
$(B)/tests: $(TEST_SRC) $(HOSTED_SRC) $(BOOT_SRC) $(FONT_C) $(BRIDGE_SRC) $(CORE_SRC) $(SIM_SRC) $(NET_SRC) $(HDRS) $(NET_HDRS) $(B)/liblwip.a | $(B)
	$(CC) $(CFLAGS_COMMON) -O1 $(SAN) $(LWIP_INC) $(SLIRP_CFLAGS) -o $@ $(TEST_SRC) $(HOSTED_SRC) $(BOOT_SRC) $(FONT_C) $(BRIDGE_SRC) $(CORE_SRC) $(SIM_SRC) $(NET_SRC) $(B)/liblwip.a $(SLIRP_LIBS) $(LDLIBS)

$(B)/hvboot-host-asan: $(HOST_PROG) $(HDRS) $(NET_HDRS) $(B)/liblwip.a | $(B)
	$(CC) $(CFLAGS_COMMON) -O1 $(SAN) $(LWIP_INC) $(SLIRP_CFLAGS) -o $@ $(HOST_PROG) $(B)/liblwip.a $(SLIRP_LIBS) $(LDLIBS)

# libFuzzer targets (clang): every parser of host-supplied bytes.
FUZZ_TARGETS := fuzz_ring fuzz_chanmsg fuzz_storvsc fuzz_gpt fuzz_fat fuzz_netvsc_rx fuzz_tftp fuzz_http fuzz_dhcp \
                fuzz_linux fuzz_bridge_reply fuzz_bridge_server fuzz_config
FUZZ_CC      := clang
FUZZ_FLAGS   := -std=gnu11 -g -O1 -I. -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_SECONDS ?= 60

$(B)/fuzz_ring: tests/fuzz/fuzz_ring.c vmbus/ring.c lib/log.c $(HDRS) | $(B)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_ring.c vmbus/ring.c lib/log.c

$(B)/fuzz_chanmsg: tests/fuzz/fuzz_chanmsg.c $(CORE_SRC) $(HDRS) | $(B)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_chanmsg.c $(CORE_SRC)

$(B)/fuzz_gpt: tests/fuzz/fuzz_gpt.c payload/gpt.c payload/blkdev.c lib/crc32.c lib/guid.c lib/log.c $(HDRS) | $(B)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_gpt.c payload/gpt.c payload/blkdev.c lib/crc32.c lib/guid.c lib/log.c

$(B)/fuzz_fat: tests/fuzz/fuzz_fat.c payload/fat.c lib/log.c $(HDRS) | $(B)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_fat.c payload/fat.c lib/log.c

$(B)/fuzz_storvsc: tests/fuzz/fuzz_storvsc.c $(CORE_SRC) $(HDRS) | $(B)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_storvsc.c $(CORE_SRC)
$(B)/fuzz_netvsc_rx: tests/fuzz/fuzz_netvsc_rx.c vsc/netvsc_rx.c lib/log.c $(HDRS) | $(B)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_netvsc_rx.c vsc/netvsc_rx.c lib/log.c

# The network parsers are pure code: no lwIP in these.
$(B)/fuzz_tftp: tests/fuzz/fuzz_tftp.c net/tftp_proto.c net/url.c lib/sha256.c lib/log.c $(HDRS) $(NET_HDRS) | $(B)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_tftp.c net/tftp_proto.c net/url.c lib/sha256.c lib/log.c

$(B)/fuzz_http: tests/fuzz/fuzz_http.c net/http_parse.c lib/log.c $(HDRS) $(NET_HDRS) | $(B)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_http.c net/http_parse.c lib/log.c

$(B)/fuzz_dhcp: tests/fuzz/fuzz_dhcp.c net/dhcp_opts.c lib/log.c $(HDRS) $(NET_HDRS) | $(B)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_dhcp.c net/dhcp_opts.c lib/log.c

# The boot protocol: a kernel file and a memory map.
$(B)/fuzz_linux: tests/fuzz/fuzz_linux.c payload/linux.c payload/linux_mem.c lib/log.c $(HDRS) | $(B)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_linux.c payload/linux.c payload/linux_mem.c lib/log.c

# The bridge, both ends: the guest's bridge.c on a fake host, hvsim's
# bridge server (the whole simulator behind it) on arbitrary guest bytes.
$(B)/fuzz_bridge_reply: tests/fuzz/fuzz_bridge_reply.c $(BRIDGE_SRC) lib/crc32.c lib/pagepool.c lib/log.c $(HDRS) | $(B)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_bridge_reply.c $(BRIDGE_SRC) lib/crc32.c lib/pagepool.c lib/log.c

$(B)/fuzz_bridge_server: tests/fuzz/fuzz_bridge_server.c $(CORE_SRC) $(SIM_SRC) $(HDRS) | $(B)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(SLIRP_CFLAGS) -o $@ tests/fuzz/fuzz_bridge_server.c $(CORE_SRC) $(SIM_SRC) $(SLIRP_LIBS) $(LDLIBS)

# The boot configuration: hvboot.conf and the load options, user-supplied.
$(B)/fuzz_config: tests/fuzz/fuzz_config.c boot/config.c payload/source.c net/url.c lib/sha256.c lib/log.c $(HDRS) $(NET_HDRS) | $(B)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_config.c boot/config.c payload/source.c net/url.c lib/sha256.c lib/log.c

# Each target for FUZZ_SECONDS on a working corpus seeded from tests/fuzz/corpus.
fuzz: check-deps $(addprefix $(B)/,$(FUZZ_TARGETS))
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p $(B)/fuzz-corpus/$$t && \
		$(B)/$$t $(B)/fuzz-corpus/$$t tests/fuzz/corpus/$$t -max_total_time=$(FUZZ_SECONDS) \
			-print_final_stats=1 || exit 1; \
	done

test: check-deps all $(B)/tests $(B)/hvboot-host-asan $(addprefix $(B)/,$(FUZZ_TARGETS))
	$(B)/tests

# The main job: hvboot.efi in QEMU+OVMF against hvsim over the bridge loads
# Debian's kernel from the SCSI disk and a busybox initrd over TFTP, hands
# off, and Linux prints the marker. `make diag` runs diag mode the same way.
run: check-deps all
	./scripts/run-qemu.sh --build $(B) --mode $(or $(MODE),boot)

diag: check-deps all
	./scripts/run-qemu.sh --build $(B) --mode diag

$(B)/mkcpio: tools/mkcpio.c | $(B)
	$(CC) $(CFLAGS_COMMON) $(CFLAGS) -o $@ $<

# Benchmarks: one JSON object per line, each a ratio to a reference
# measured in the same run. Not a test: these machines are noisy.
$(B)/bench: tests/bench/bench_ring.c $(HOSTED_SRC) $(CORE_SRC) $(SIM_SRC) $(HDRS) | $(B)
	$(CC) $(CFLAGS_COMMON) -O2 $(SLIRP_CFLAGS) -o $@ tests/bench/bench_ring.c $(HOSTED_SRC) $(CORE_SRC) $(SIM_SRC) $(SLIRP_LIBS) $(LDLIBS)

$(B)/bench_disk: tests/bench/bench_disk.c $(CORE_SRC) $(SIM_SRC) $(HDRS) | $(B)
	$(CC) $(CFLAGS_COMMON) -O2 $(SLIRP_CFLAGS) -o $@ tests/bench/bench_disk.c $(CORE_SRC) $(SIM_SRC) $(SLIRP_LIBS) $(LDLIBS)

# A GPT disk with a FAT32 ESP holding a 256 MiB file of random bytes.
$(B)/bench-disk.img: scripts/mkdisk.sh | $(B)
	head -c 268435456 /dev/urandom > $(B)/big.bin
	./scripts/mkdisk.sh $@ 300 $(B)/big.bin:/big.bin
	rm -f $(B)/big.bin

$(B)/bench_net: tests/bench/bench_net.c tests/netsrv.c $(CORE_SRC) $(SIM_SRC) $(NET_SRC) $(HDRS) $(NET_HDRS) $(B)/liblwip-opt.a | $(B)
	$(CC) $(CFLAGS_COMMON) -O2 -Itests $(LWIP_INC) $(SLIRP_CFLAGS) -o $@ tests/bench/bench_net.c tests/netsrv.c $(CORE_SRC) $(SIM_SRC) $(NET_SRC) $(B)/liblwip-opt.a $(SLIRP_LIBS) $(LDLIBS)

$(B)/bench_bringup: tests/bench/bench_bringup.c $(CORE_SRC) $(SIM_SRC) $(HDRS) | $(B)
	$(CC) $(CFLAGS_COMMON) -O2 $(SLIRP_CFLAGS) -o $@ tests/bench/bench_bringup.c $(CORE_SRC) $(SIM_SRC) $(SLIRP_LIBS) $(LDLIBS)

bench: check-deps $(B)/bench $(B)/bench_disk $(B)/bench-disk.img $(B)/bench_net $(B)/bench_bringup $(B)/hvboot.efi
	$(B)/bench_bringup 1000 $(B)/hvboot.efi
	$(B)/bench
	$(B)/bench_disk $(B)/bench-disk.img
	$(B)/bench_net

check-deps:
	@./scripts/deps.sh --check-or-install

deps:
	@./scripts/deps.sh --install

$(B):
	mkdir -p $@

clean:
	rm -rf $(B)
