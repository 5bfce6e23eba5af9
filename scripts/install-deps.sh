#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages given as arguments when they are missing,
# and a Rust toolchain when cargo is missing. Quiet when everything is there.
set -euo pipefail

MIN_RUST=1.82
export PATH="$HOME/.cargo/bin:$PATH"

sudo=""
if [ "$(id -u)" -ne 0 ]; then
	sudo=sudo
fi
apt_install() {
	if [ -n "$sudo" ] && ! command -v sudo >/dev/null; then
		echo "install-deps: need root (or sudo) to install: $*" >&2
		exit 1
	fi
	echo "install-deps: installing $*" >&2
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >&2
}

missing=()
for pkg in "$@"; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
	$sudo apt-get update -qq
	apt_install "${missing[@]}"
fi

if ! command -v cargo >/dev/null 2>&1; then
	$sudo apt-get update -qq
	if apt-cache show rustup >/dev/null 2>&1; then
		apt_install rustup
		rustup default stable >&2
	else
		apt_install cargo rustc
	fi
fi
have=$(rustc --version | awk '{print $2}')
if [ "$(printf '%s\n%s\n' "$MIN_RUST" "$have" | sort -V | head -1)" != "$MIN_RUST" ]; then
	echo "install-deps: rustc $have is older than $MIN_RUST, which libbpf-rs needs;" \
		"install a current toolchain with rustup (https://rustup.rs)" >&2
	exit 1
fi
