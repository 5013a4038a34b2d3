# SketchFace: two commands on a fresh Debian 12 machine.
#   make run   — installs what is missing, builds (release) and serves with the shipped model
#   make test  — installs what is missing and runs every test suite (the same command CI runs)
#   make cluster — PostgreSQL, three nodes and HAProxy on 127.0.0.1:8080 (docs/SCALING.md); Ctrl-C stops all
.PHONY: run test build deps bench clean cluster

deps:
	@bash scripts/deps.sh

build: deps
	swift build -c release --product sketchface

run: build
	.build/release/sketchface serve --config Config/sketchface.json $(ARGS)

test:
	@bash scripts/test.sh

cluster:
	@bash scripts/cluster.sh $(ARGS)

clean:
	rm -rf .build fuzz/bin artifacts
