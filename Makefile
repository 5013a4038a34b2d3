# SketchFace: two commands on a fresh Debian 12 machine.
#   make run   — installs what is missing, builds (release) and serves with the shipped model
#   make test  — installs what is missing and runs every test suite (the same command CI runs)
.PHONY: run test build deps bench clean

deps:
	@bash scripts/deps.sh

build: deps
	swift build -c release --product sketchface

run: build
	.build/release/sketchface serve --config Config/sketchface.json $(ARGS)

test:
	@bash scripts/test.sh

clean:
	rm -rf .build fuzz/bin artifacts
