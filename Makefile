# ai-forensics: build, run, test and benchmark.
#   make run    build and trace a bundled sample workload, printing JSON lines
#   make test   install what is missing, then run every test (needs root)
#   make bench  benchmarks: untraced vs traced vs strace (needs root)
#   make release  one static binary (target/static/<host>/release/ai-forensics)
#   make vmtest   boot Debian's 6.1 and 6.12 kernels under QEMU and run smoke tests there

CARGO      ?= cargo
BIN        := target/release/ai-forensics
RUN_ARGS   ?= trace -- sh examples/sample-workload.sh
APT_PKGS   := clang llvm libelf-dev zlib1g-dev pkg-config make gcc libc6-dev strace python3 bpftool
VM_PKGS    := qemu-system-x86 busybox-static cpio
# The static build: glibc linked in (+crt-static), libbpf/libelf/zlib as archives.
STATIC_DIR := target/static

.PHONY: all deps build release run test bench lint fmt clean vmlinux vmtest

all: build

# Installs the build and test dependencies that are missing (Debian/Ubuntu).
deps:
	@scripts/install-deps.sh $(APT_PKGS)

build: deps
	$(CARGO) build --release

release: deps
	host=$$(rustc -vV | sed -n 's/^host: //p'); \
	LIBBPF_SYS_LIBRARY_PATH=/usr/lib/$$(gcc -print-multiarch) RUSTFLAGS="-C target-feature=+crt-static" \
		$(CARGO) build --release --features static --target $$host --target-dir $(STATIC_DIR) \
		--config profile.release.strip=true && \
	bin=$(STATIC_DIR)/$$host/release/ai-forensics && \
	if ! ldd $$bin 2>&1 | grep -qE 'statically linked|not a dynamic executable'; then \
		echo "release: $$bin is not static" >&2; exit 1; fi && \
	ls -l $$bin

vmtest: release
	@scripts/install-deps.sh $(VM_PKGS)
	scripts/vmtest.sh $(STATIC_DIR)/$$(rustc -vV | sed -n 's/^host: //p')/release/ai-forensics

run: build
	$(BIN) $(RUN_ARGS)

lint: deps
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings

# Unit tests run in parallel; integration tests load BPF and run one at a time.
test: deps lint
	$(CARGO) build --release
	$(CARGO) test --release --bins
	$(CARGO) test --release --test '*' -- --test-threads=1
	$(MAKE) vmtest

bench: build
	python3 bench/bench.py

fmt:
	$(CARGO) fmt

# Regenerates vmlinux/<arch>/vmlinux.h from the running kernel's BTF.
vmlinux:
	scripts/gen-vmlinux.sh

clean:
	$(CARGO) clean
