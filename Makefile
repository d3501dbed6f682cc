# LordGame developer tasks. `make help` lists them.
GO ?= go

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

check: ## what CI runs: gofmt, go vet, go test -race
	bash .ci/run

gen: ## regenerate proto/gen from proto/ (installs protoc and protoc-gen-go if missing)
	bash proto/gen.sh

bench: ## codec and router micro-benchmarks
	$(GO) test -run '^$$' -bench . -benchmem ./internal/transport/ ./internal/gateway/

FUZZTIME ?= 10m
fuzz: ## every fuzz target, FUZZTIME each (default 10m; make fuzz FUZZTIME=30s FUZZ=Regexp)
	FUZZTIME=$(FUZZTIME) bash .ci/fuzz

build: ## build the binaries into ./bin
	$(GO) build -o bin/ ./cmd/...

.PHONY: help check gen bench fuzz build
