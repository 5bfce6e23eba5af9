#!/usr/bin/env bash
# Boots Debian's newest 6.1 and 6.12 kernels under QEMU (software emulation)
# with a busybox initramfs holding the static binary, and runs the smoke tests
# of tests/vm/init inside each. Kernels are cached in .cache/vmtest.
#   scripts/vmtest.sh STATIC_BINARY [SERIES...]     (default series: 6.1.0 6.12)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:?usage: vmtest.sh STATIC_BINARY [SERIES...]}
shift
series=("$@")
[ ${#series[@]} -gt 0 ] || series=(6.1.0 6.12)
cache=${VMTEST_CACHE:-$top/.cache/vmtest}
mkdir -p "$cache"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ! ldd "$bin" 2>&1 | grep -qE 'statically linked|not a dynamic executable'; then
	echo "vmtest: $bin is dynamically linked; build it with 'make release'" >&2
	exit 1
fi

# The initramfs: busybox, the tracer, the test programs, /init.
root=$work/root
mkdir -p "$root"/{bin,proc,sys,dev,tmp}
cp /bin/busybox "$root/bin/busybox"
for applet in $(/bin/busybox --list); do
	[ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
cp "$bin" "$root/bin/ai-forensics"
gcc -static -O2 -o "$root/bin/storm" "$top/tests/fixtures/storm.c"
cp "$top/tests/vm/init" "$root/init"
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initramfs.gz"

failed=0
passes=0
fails=0
for s in "${series[@]}"; do
	pkg=$(apt-cache search --names-only "^linux-image-${s}[-.+0-9a-z]*-amd64-unsigned\$" |
		awk '{print $1}' | grep -v -e cloud -e rt | sort -V | tail -n 1)
	if [ -z "$pkg" ]; then
		echo "vmtest: no linux-image-$s package found (apt-get update?)" >&2
		failed=1
		continue
	fi
	if ! ls "$cache/$pkg"/boot/vmlinuz-* >/dev/null 2>&1; then
		echo "vmtest: downloading $pkg" >&2
		(cd "$work" && apt-get download -qq "$pkg" >&2 && dpkg-deb -x "${pkg}"_*.deb "$cache/$pkg")
	fi
	kernel=$(ls "$cache/$pkg"/boot/vmlinuz-* | head -n 1)
	log=$work/$s.log
	for attempt in 1 2 3; do
		echo "vmtest: booting $pkg" >&2
		timeout 300 qemu-system-x86_64 -accel tcg -cpu max -smp 2 -m 1024 -nographic -no-reboot \
			-kernel "$kernel" -initrd "$work/initramfs.gz" \
			-append "console=ttyS0 rdinit=/init lsm=lockdown,capability,bpf panic=-1 loglevel=4" \
			</dev/null >"$log" 2>&1 &
		qemu=$!
		# A guest whose vCPUs both stall (soft lockups on every CPU at once,
		# seen now and then on a first boot under emulation) is stopped
		# rather than left to the timeout.
		while kill -0 "$qemu" 2>/dev/null; do
			if grep -q 'soft lockup - CPU' "$log"; then
				sleep 5
				kill "$qemu" 2>/dev/null || true
				break
			fi
			sleep 2
		done
		wait "$qemu" || true
		# A guest that never finished (emulation stall) gets another boot;
		# a test that reported FAIL does not.
		if tr -d '\r' <"$log" | grep -q '^VMTEST DONE'; then
			break
		fi
		echo "vmtest: $pkg did not finish (attempt $attempt); last console lines:" >&2
		tail -n 15 "$log" >&2
	done
	tr -d '\r' <"$log" | grep '^VMTEST' | grep -v '^VMTEST PROBE' || true
	# veristat-style report from the probe's program table.
	tr -d '\r' <"$log" | sed -n 's/^VMTEST PROBE //p' | python3 -c '
import json, sys
for line in sys.stdin:
    try:
        r = json.loads(line)
    except ValueError:
        continue
    feats = " ".join(f["name"] for f in r["features"] if f["available"])
    print("  features:", feats)
    for p in r["programs"]:
        print("  %-20s verified %6d insns, translated %6d" % (p["name"], p["verified_insns"], p["xlated_insns"]))
' 2>/dev/null || true
	passes=$((passes + $(tr -d '\r' <"$log" | grep -c '^VMTEST PASS' || true)))
	fails=$((fails + $(tr -d '\r' <"$log" | grep -c '^VMTEST FAIL' || true)))
	if ! tr -d '\r' <"$log" | grep -q '^VMTEST DONE'; then
		fails=$((fails + 1)) # a guest that never finished counts as one failure
	fi
	if ! tr -d '\r' <"$log" | grep -q '^VMTEST DONE failures=0'; then
		echo "vmtest: $pkg FAILED; console log:" >&2
		tail -n 40 "$log" >&2
		failed=1
	fi
done
echo "vmtest: $passes passed, $fails failed"
exit $failed
