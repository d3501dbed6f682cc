#!/usr/bin/env bash
# Regenerates proto/gen/pb from proto/lordgame/v1/*.proto. Installs protoc
# (Debian package protobuf-compiler) and protoc-gen-go (pinned to the
# google.golang.org/protobuf version in go.mod) when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v protoc >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq protobuf-compiler
fi
ver=$(go list -m -f '{{.Version}}' google.golang.org/protobuf)
bin=$(go env GOPATH)/bin
if [ "$("$bin/protoc-gen-go" --version 2>/dev/null | awk '{print $2}')" != "$ver" ]; then
  go install "google.golang.org/protobuf/cmd/protoc-gen-go@$ver"
fi
rm -rf proto/gen/pb
mkdir -p proto/gen
PATH="$bin:$PATH" protoc -I proto --go_out=proto/gen --go_opt=module=github.com/lordgame/lordgame/proto/gen proto/lordgame/v1/*.proto
# The Zinx MMO demo's messages: their own package, as the demo names them.
rm -rf proto/gen/zinxpb
PATH="$bin:$PATH" protoc -I proto --go_out=proto/gen --go_opt=module=github.com/lordgame/lordgame/proto/gen proto/zinx/*.proto
