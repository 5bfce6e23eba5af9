# ai-forensics: build, run, test and benchmark.
#   make run    build and trace a bundled sample workload, printing JSON lines
#   make test   install what is missing, then run every test (needs root)
#   make bench  benchmarks: untraced vs traced vs strace (needs root)

CARGO      ?= cargo
BIN        := target/release/ai-forensics
RUN_ARGS   ?= trace -- sh examples/sample-workload.sh
APT_PKGS   := clang llvm libelf-dev zlib1g-dev pkg-config make gcc libc6-dev strace python3 bpftool

.PHONY: all deps build release run test unit-test integration-test bench lint fmt clean vmlinux

all: build

# Installs the build and test dependencies that are missing (Debian/Ubuntu).
deps:
	@scripts/install-deps.sh $(APT_PKGS)

build: deps
	$(CARGO) build --release

release: build

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

bench: build
	python3 bench/bench.py

fmt:
	$(CARGO) fmt

# Regenerates vmlinux/<arch>/vmlinux.h from the running kernel's BTF.
vmlinux:
	scripts/gen-vmlinux.sh

clean:
	$(CARGO) clean
