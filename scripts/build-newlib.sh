#!/usr/bin/env bash
# Builds newlib (Debian's newlib-source) freestanding for the UEFI image into
# build/newlib: headers in build/newlib/include, build/newlib/lib/libc.a.
# Built once (about 40 s on two cores); nothing of it is committed.
#   build-newlib.sh BUILD_DIR
set -euo pipefail
out=$(realpath -m "${1:-build}")/newlib
# C99 formats: %zu, %jd, %hhu are used throughout (newlib leaves them out by
# default and prints the letters instead). A change of these options
# rebuilds.
options="--disable-newlib-supplied-syscalls --disable-libgloss --disable-newlib-io-float
	--enable-newlib-io-c99-formats --enable-newlib-io-long-long"
stamp=$(echo $options | tr -s ' \t\n' ' ')
[ -f "$out/lib/libc.a" ] && [ "$(cat "$out/options" 2>/dev/null)" = "$stamp" ] && exit 0
tarball=$(ls /usr/src/newlib/newlib-*.tar.* 2>/dev/null | head -1 || true)
if [ -z "$tarball" ]; then
	echo "build-newlib.sh: /usr/src/newlib has no newlib tarball: install newlib-source" >&2
	exit 1
fi
work="$out.work"
rm -rf "$work" && mkdir -p "$work/build"
tar -C "$work" -xf "$tarball"
src=$(ls -d "$work"/newlib-*/ | head -1)
# The same code model as the image: position independent (the firmware
# relocates the image), no red zone (firmware interrupts run on our stack
# until ExitBootServices), no stack protector (nothing sets a canary up).
cd "$work/build"
# shellcheck disable=SC2086
"$src/configure" --target=x86_64-elf --prefix="$work/inst" --disable-multilib $options \
	CC_FOR_TARGET=gcc AR_FOR_TARGET=ar AS_FOR_TARGET=as LD_FOR_TARGET=ld \
	RANLIB_FOR_TARGET=ranlib NM_FOR_TARGET=nm OBJDUMP_FOR_TARGET=objdump \
	CFLAGS_FOR_TARGET="-O2 -g0 -ffreestanding -fpic -mno-red-zone -fno-stack-protector -fno-builtin" \
	>"$work/configure.log" 2>&1 || { tail -20 "$work/configure.log" >&2; exit 1; }
make -j"$(nproc)" all-target-newlib >"$work/make.log" 2>&1 || { tail -30 "$work/make.log" >&2; exit 1; }
make install-target-newlib >"$work/install.log" 2>&1 || { tail -20 "$work/install.log" >&2; exit 1; }
rm -rf "$out" && mkdir -p "$out/lib"
cp -r "$work/inst/x86_64-elf/include" "$out/include"
cp "$work/inst/x86_64-elf/lib/libc.a" "$out/lib/libc.a"
echo "$stamp" > "$out/options"
rm -rf "$work"
echo "newlib: built into $out"
