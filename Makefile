# kefu's two everyday commands: `make run` and `make test`; `make bench` measures it.
GO ?= go
export PATH := $(PATH):/usr/local/go/bin

.PHONY: run test deps generate check-generated vet lint bench build

## run: serve kefu on http://127.0.0.1:8080 with a private PostgreSQL in ./data
# kefu is built, then exec'd, so that make waits on kefu itself: Ctrl-C reaches it
# directly, and after its orderly shutdown it exits 0, which make reports as
# nothing. (`go run` exits 1 when interrupted, and make would call that an error.)
RUN_BIN ?= bin/kefu
run: deps-postgres
	$(GO) build -o $(RUN_BIN) ./cmd/kefu
	exec $(RUN_BIN)

## test: install what the tests need, check generated code and formatting, vet, and run every test
# Every package runs under the race detector but the browser tests (./e2e),
# which run beside them: they drive kefu, a process of its own, through
# chromedp, whose bookkeeping of a cross-site iframe it attaches to races with
# itself (chromedp/chromedp#739). Under -race that is reported as a failure of
# whichever tests run at the time, though it says nothing of kefu.
test: deps check-generated lint
	@log=$$(mktemp); $(GO) test -count=1 -timeout 20m ./e2e/ >$$log 2>&1 & browser=$$!; \
	 $(GO) test -race -count=1 -timeout 20m $$($(GO) list ./... | grep -v '/e2e$$'); rest=$$?; \
	 wait $$browser; e2e=$$?; cat $$log; rm -f $$log; \
	 [ $$rest = 0 ] && [ $$e2e = 0 ]

## build: a static binary in ./bin
build:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/kefu ./cmd/kefu

## generate: regenerate templ output
generate:
	$(GO) tool templ generate

check-generated: generate
	@git diff --exit-code -- '*_templ.go' || { echo "templ output is stale: run 'make generate' and commit the result"; exit 1; }
	@untracked=$$(git ls-files --others --exclude-standard -- '*_templ.go'); \
	 if [ -n "$$untracked" ]; then echo "uncommitted templ output: $$untracked"; exit 1; fi

vet:
	$(GO) vet ./...

## lint: formatting and vet
lint: vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

## bench: kefu's figures (R1–R7) beside their references, on a private durable PostgreSQL (README: Measuring)
# BENCH_FLAGS passes options, e.g. BENCH_FLAGS='-figures R1,R2 -d 10s'; bin/kefu-bench -h lists them.
BENCH_FLAGS ?=
bench: deps-postgres
	$(GO) build -o bin/kefu-bench ./cmd/kefu-bench
	bin/kefu-bench $(BENCH_FLAGS)

.PHONY: deps-postgres deps-chromium deps-nats
deps: deps-postgres deps-chromium deps-nats

# PostgreSQL server binaries, for the embedded database and the tests.
deps-postgres:
	@ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || $(call apt,postgresql)

# Debian's nats-server, for the tests of the NATS bus (each starts its own).
deps-nats:
	@command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || $(call apt,nats-server)

# Debian's chromium, for the browser tests, with fonts for Chinese text.
deps-chromium:
	@command -v chromium >/dev/null 2>&1 || $(call apt,chromium)
	@ls /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc >/dev/null 2>&1 || $(call apt,fonts-noto-cjk)

define apt
	{ echo "installing $(1) with apt-get"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $(1) >/dev/null; }
endef
