#!/usr/bin/env bash
# Boots hvboot.efi in QEMU+OVMF (TCG) against hvsim over the bridge, and
# watches COM1. What `make run`, `make diag` and the end-to-end tests use.
#   run-qemu.sh [options]
#     --build DIR        where hvboot.efi, hvsim and mkcpio are (build)
#     --mode boot|diag   (boot)
#     --kernel SPEC      kernel= for hvboot.conf (scsi:0/boot/vmlinuz)
#     --initrd SPEC      initrd= (tftp://10.0.2.2/initrd.img); "none" for none;
#                        http:// URLs may use @HTTP@ for 10.0.2.2:PORT of a
#                        busybox httpd serving the payload directory
#     --conf LINE        one more hvboot.conf line (repeatable)
#     --hv bridge|native (bridge; native = plain QEMU, no hvsim: the no-Hyper-V case)
#     --expect TEXT      success is TEXT on COM1 (boot: the handoff marker;
#                        diag: "diag: done")
#     --timeout S        the whole run (600)
#     --log FILE         keep COM1's output there
#     --stop-on-expect   stop QEMU once TEXT is seen (for runs that would go on:
#                        the firmware's next boot entry, a reset loop)
#     --no-audit         do not require hvsim's clean audit (the guest never
#                        reached the bridge, e.g. a bad hvboot.conf)
# Exit status: 0 when TEXT was seen and hvsim's audit was clean (bridge).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=build mode=boot kernel="scsi:0/boot/vmlinuz" initrd="tftp://10.0.2.2/initrd.img"
hv=bridge expect="" timeout=600 log="" conf=() stop=0 audit=1
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$2; shift ;;
	--mode) mode=$2; shift ;;
	--kernel) kernel=$2; shift ;;
	--initrd) initrd=$2; shift ;;
	--conf) conf+=("$2"); shift ;;
	--hv) hv=$2; shift ;;
	--expect) expect=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	--log) log=$2; shift ;;
	--stop-on-expect) stop=1 ;;
	--no-audit) audit=0 ;;
	*) echo "run-qemu.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
build=$(realpath "$build")
[ -n "$expect" ] || { [ "$mode" = diag ] && expect="diag: done" || expect="hvboot-handoff-ok"; }
for f in "$build/hvboot.efi" "$build/hvsim" "$build/mkcpio"; do
	[ -e "$f" ] || { echo "run-qemu.sh: $f is missing (make)" >&2; exit 2; }
done
code=/usr/share/OVMF/OVMF_CODE_4M.fd vars=/usr/share/OVMF/OVMF_VARS_4M.fd
[ -r "$code" ] || { echo "run-qemu.sh: $code missing: install ovmf" >&2; exit 2; }

payload=$build/payload
"$here/scripts/payload.sh" "$payload" "$build/mkcpio"
work=$(mktemp -d /tmp/hvboot-run.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work" "/dev/shm/$(basename "$work").ram"
}
trap cleanup EXIT

# The SCSI disk hvsim serves: GPT + FAT32 with both payload files.
if [ ! -s "$payload/disk.img" ] || [ "$payload/vmlinuz" -nt "$payload/disk.img" ]; then
	"$here/scripts/mkdisk.sh" "$payload/disk.img" 64 "$payload/vmlinuz:/boot/vmlinuz" \
		"$payload/initrd.img:/boot/initrd.img"
fi

# An HTTP server for http:// sources, reached through slirp as 10.0.2.2.
if [[ "$kernel$initrd" == *@HTTP@* ]]; then
	port=$((20000 + RANDOM % 20000))
	/bin/busybox httpd -f -p "127.0.0.1:$port" -h "$payload" &
	pids+=($!)
	kernel=${kernel//@HTTP@/10.0.2.2:$port}
	initrd=${initrd//@HTTP@/10.0.2.2:$port}
fi

# hvboot.conf and the boot volume OVMF starts it from.
{
	echo "# written by scripts/run-qemu.sh"
	echo "hv=$hv"
	echo "mode=$mode"
	echo "kernel=$kernel"
	[ "$initrd" = none ] || echo "initrd=$initrd"
	echo "cmdline=console=ttyS0,115200 panic=-1 quiet"
	echo "reset_timeout=1"
	echo "progress=on"
	for l in "${conf[@]+"${conf[@]}"}"; do echo "$l"; done
} > "$work/hvboot.conf"
"$here/scripts/mkdisk.sh" "$work/esp.img" 64 "$build/hvboot.efi:/EFI/BOOT/BOOTX64.EFI" \
	"$work/hvboot.conf:/hvboot.conf"
cp "$vars" "$work/vars.fd"

qemu=(qemu-system-x86_64 -machine q35 -cpu max -m 1G -display none -no-reboot -monitor none
	-drive "if=pflash,format=raw,readonly=on,file=$code" -drive "if=pflash,format=raw,file=$work/vars.fd"
	-drive "file=$work/esp.img,format=raw,if=virtio" -net none -serial stdio
	-pidfile "$work/qemu.pid")
# QEMU_EXTRA: more QEMU arguments, for debugging (e.g. a monitor socket).
# shellcheck disable=SC2206
[ -n "${QEMU_EXTRA:-}" ] && qemu+=($QEMU_EXTRA)
hvsim_rc=0
if [ "$hv" = bridge ]; then
	# Guest RAM is a file both QEMU and hvsim map: hvsim reads rings and
	# writes SynIC messages straight into it.
	# In RAM where /dev/shm exists (a 1 GiB sparse file: only the pages
	# the guest touches cost memory), else next to the other files.
	ram=$work/guest.ram
	[ -d /dev/shm ] && [ -w /dev/shm ] && ram=/dev/shm/$(basename "$work").ram
	truncate -s 1G "$ram"
	sock=$work/bridge.sock
	"$build/hvsim" --bridge "$sock" --guest-ram "$ram" --disk "$payload/disk.img" \
		--net "slirp,tftp=$payload" >"$work/hvsim.out" 2>"$work/hvsim.err" &
	hvsim_pid=$!
	for _ in $(seq 100); do
		grep -q "listening" "$work/hvsim.err" 2>/dev/null && break
		kill -0 $hvsim_pid 2>/dev/null || break
		sleep 0.1
	done
	grep -q "listening" "$work/hvsim.err" || { cat "$work/hvsim.err" >&2; echo "run-qemu.sh: hvsim did not start" >&2; exit 1; }
	qemu[0]=qemu-system-x86_64
	qemu+=(-machine "memory-backend=mem" -object "memory-backend-file,id=mem,size=1G,mem-path=$ram,share=on"
		-chardev "socket,id=bridge,path=$sock" -serial chardev:bridge)
fi
out=${log:-$work/com1.log}
: > "$out"
# COM1 as it came in the log; on the terminal without the firmware's
# escape sequences (OVMF clears the screen and moves the cursor on serial).
( timeout "$timeout" "${qemu[@]}" < /dev/null | tee "$out" |
	sed -u -e 's/\x1b\[[0-9;=?]*[A-Za-z]//g' -e 's/\r$//' -e '/^[[:space:]]*$/d'
  echo "${PIPESTATUS[0]}" > "$work/qemu.rc" ) &
runner=$!
pids+=($runner)
while kill -0 $runner 2>/dev/null; do
	if [ $stop = 1 ] && grep -q "$expect" "$out"; then
		sleep 1
		[ -s "$work/qemu.pid" ] && kill "$(cat "$work/qemu.pid")" 2>/dev/null || true
		break
	fi
	sleep 0.3
done
wait $runner 2>/dev/null || true
qemu_rc=$(cat "$work/qemu.rc" 2>/dev/null || echo 0)
if [ "$hv" = bridge ]; then
	# hvsim ends by itself after DETACH (or when QEMU's end closes the socket).
	for _ in $(seq 50); do kill -0 $hvsim_pid 2>/dev/null || break; sleep 0.1; done
	kill $hvsim_pid 2>/dev/null || true
	hvsim_rc=0
	wait $hvsim_pid 2>/dev/null || hvsim_rc=$?
	grep -v listening "$work/hvsim.err" >&2 || true
	cat "$work/hvsim.out"
fi
if [ $qemu_rc -eq 124 ]; then
	echo "run-qemu.sh: QEMU still running after $timeout s: stopped" >&2
fi
grep -q "$expect" "$out" || { echo "run-qemu.sh: '$expect' not seen on COM1" >&2; exit 1; }
if [ "$hv" = bridge ] && [ $audit = 1 ] && ! grep -q "audit: clean" "$work/hvsim.out"; then
	echo "run-qemu.sh: hvsim's audit is not clean (exit $hvsim_rc)" >&2
	exit 1
fi
echo "run-qemu.sh: '$expect' seen"
