# trustlens — see README.md. Every target works on a fresh Debian machine with Go.
SHELL := /bin/bash
GO ?= go
BIN := bin/trustlens
export TRUSTLENS_CLICKHOUSE_ADDR ?= 127.0.0.1:9000

.PHONY: run build assets test test-debian test-versions test-cluster bench lint clean clickhouse-start clickhouse-stop clickhouse-status cluster-up cluster-down

# The local ClickHouse (scripts/clickhouse.sh): TRUSTLENS_LOCAL_CLICKHOUSE=modern (default,
# ClickHouse 26.7 from npm) or debian (Debian's 18.16). test-debian and test-versions run
# the 18.16 one on its own port, so both can be up at once.
DEBIAN_CLICKHOUSE_ADDR ?= 127.0.0.1:9200

## run: local ClickHouse + embedded broker + demo data; prints the dashboard URL (Ctrl-C stops)
## (the demo lives in its own database, trustlens_demo, rebuilt on each run)
run: build clickhouse-start
	TRUSTLENS_CLICKHOUSE_DATABASE=$${TRUSTLENS_DEMO_DATABASE:-trustlens_demo} ./$(BIN) run --demo --fresh

## build: the single binary, with the chart library embedded
build: assets
	$(GO) build -o $(BIN) ./cmd/trustlens

## assets: install echarts from npm (pinned lockfile) and copy it into the embedded static folder
assets:
	scripts/assets.sh

## test: unit and integration tests against the real local ClickHouse and the embedded broker
# (scripts/retest.sh runs them once more only if the local ClickHouse 26.7 died and was
# restarted by its supervisor meanwhile: that build dies on a client's connection reset)
# (packages run in parallel, so there the crash test cuts its own ClickHouse
# connection; then it runs alone and stops and starts the real server)
test: clickhouse-start assets
	$(GO) vet ./...
	TRUSTLENS_TEST_NO_CLICKHOUSE_RESTART=1 scripts/retest.sh $(GO) test -count=1 -timeout 18m ./...
	scripts/retest.sh $(GO) test -count=1 -timeout 5m -run 'TestIngestCrashes' ./ingest/
	$(GO) test -count=1 -run='^$$' -fuzz=FuzzDecode -fuzztime=10s .

## test-debian: the same single-node suite on Debian's ClickHouse 18.16 (a server of its own on DEBIAN_CLICKHOUSE_ADDR)
test-debian:
	TRUSTLENS_LOCAL_CLICKHOUSE=debian TRUSTLENS_CLICKHOUSE_ADDR=$(DEBIAN_CLICKHOUSE_ADDR) $(MAKE) test

## test-versions: one generated scenario through `trustlens run` into 26.x and into 18.16: the answers must be identical
test-versions: clickhouse-start assets
	TRUSTLENS_LOCAL_CLICKHOUSE=debian TRUSTLENS_CLICKHOUSE_ADDR=$(DEBIAN_CLICKHOUSE_ADDR) scripts/clickhouse.sh start
	TRUSTLENS_COMPARE_CLICKHOUSE_ADDR=$(DEBIAN_CLICKHOUSE_ADDR) $(GO) test -count=1 -timeout 10m -v -run 'TestVersionsAgree' ./cmd/trustlens/

## test-cluster: the cluster tests on a real two-replica ClickHouse cluster with ZooKeeper (scripts/cluster.sh)
test-cluster: clickhouse-start assets
	scripts/cluster.sh up
	TRUSTLENS_CLUSTER_ADDRS=127.0.0.1:19001,127.0.0.1:19002 $(GO) test -p 1 -count=1 -timeout 15m -run 'Cluster' ./... ; status=$$?; scripts/cluster.sh down; exit $$status

cluster-up:
	scripts/cluster.sh up
cluster-down:
	scripts/cluster.sh down

## bench: performance figures (ingest rate vs ClickHouse's Kafka engine, API latency)
bench: build clickhouse-start
	$(GO) run ./cmd/trustlens-bench

## lint: gofmt and go vet
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

clickhouse-start:
	scripts/clickhouse.sh start
clickhouse-stop:
	scripts/clickhouse.sh stop
clickhouse-status:
	scripts/clickhouse.sh status

## clean: remove build output and the local ClickHouse's data (stops it first)
clean:
	-scripts/clickhouse.sh stop
	-TRUSTLENS_LOCAL_CLICKHOUSE=debian TRUSTLENS_CLICKHOUSE_ADDR=$(DEBIAN_CLICKHOUSE_ADDR) scripts/clickhouse.sh stop
	rm -rf bin .local testdata/output

## chaos: the long fault suite (TRUSTLENS_CHAOS=1), alone: repeated kill -9 of ingest, ClickHouse
## stopped, SIGSTOPped past the client timeouts and restarted, the broker killed and restarted
## under retrying producers, 30 s of 200 clients; prints recovery times and p99.
## It runs against a private ClickHouse on CHAOS_CLICKHOUSE_ADDR (default: TRUSTLENS_CLICKHOUSE_ADDR
## unless that is the shared :9000, else 127.0.0.1:9100, data in
## .local/clickhouse-9100), started here and stopped at the end if this target started it, so
## the server on 127.0.0.1:9000 that other tests use is never stopped or frozen.
.PHONY: chaos
CHAOS_CLICKHOUSE_ADDR ?= $(if $(filter %:9000,$(TRUSTLENS_CLICKHOUSE_ADDR)),127.0.0.1:9100,$(TRUSTLENS_CLICKHOUSE_ADDR))
chaos: assets
	@case "$(CHAOS_CLICKHOUSE_ADDR)" in *:9000|*,*) echo "chaos: refusing to stop and freeze the shared ClickHouse ($(CHAOS_CLICKHOUSE_ADDR)); set CHAOS_CLICKHOUSE_ADDR to one free address" >&2; exit 1;; esac
	export TRUSTLENS_CLICKHOUSE_ADDR=$(CHAOS_CLICKHOUSE_ADDR); \
	started=; scripts/clickhouse.sh status >/dev/null 2>&1 || started=1; \
	scripts/clickhouse.sh start || exit 1; \
	TRUSTLENS_CHAOS=1 $(GO) test -count=1 -p 1 -timeout 45m -v \
		-run 'Fault|Chaos|IngestCrashes|IngestTwoProcesses|IngestClickHouseOutage|Load|Hostile|Secrets' \
		./ingest/ ./dashboard/ ./dashboard/loadtest/ ./cmd/trustlens/; status=$$?; \
	if [ -n "$$started" ]; then scripts/clickhouse.sh stop; fi; exit $$status
