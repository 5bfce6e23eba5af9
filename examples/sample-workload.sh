#!/bin/sh
# A small workload in the shape of an AI job: read a "model", write a checkpoint,
# spawn a helper process, fail a lookup on purpose. `make run` traces it.
set -e
dir=$(mktemp -d)
head -c 65536 /dev/urandom >"$dir/model.bin"
sha256sum "$dir/model.bin" >"$dir/model.sha256"
cat "$dir/model.bin" | wc -c >/dev/null
cp "$dir/model.bin" "$dir/checkpoint.bin"
ls /nonexistent-dataset 2>/dev/null || true
uname -a >/dev/null
rm -rf "$dir"
