# Developer shortcuts; CI runs .ci/run. Each target has a ## help line.
.PHONY: help build build-boring build-openssl test test-short test-postgres test-boring test-openssl race fuzz bench-crypto bench-server cover

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

build: ## the antomgw binary (pure Go crypto)
	go build -o antomgw ./cmd/antomgw

build-boring: ## antomgw-boring: the same binary signing with BoringCrypto (cgo, linux/amd64 or arm64; faster RSA)
	CGO_ENABLED=1 GOEXPERIMENT=boringcrypto go build -o antomgw-boring ./cmd/antomgw

build-openssl: ## antomgw-openssl: the same binary signing with the system's libcrypto (cgo, needs libssl-dev; issue 18's candidate)
	CGO_ENABLED=1 go build -tags openssl -o antomgw-openssl ./cmd/antomgw

test: ## every test (the README's command); PostgreSQL tests skip without TEST_DATABASE_URL
	go test ./...

test-short: ## skip the end-to-end and fault tests that build the binary
	go test -short ./...

test-postgres: ## every test, with the local PostgreSQL
	TEST_DATABASE_URL='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' go test ./...

test-boring: ## every test, built with BoringCrypto (the binary the tests start too)
	CGO_ENABLED=1 GOEXPERIMENT=boringcrypto go test ./...

test-openssl: ## every test, built with -tags openssl (the binary the tests start too: GOFLAGS carries the tag)
	CGO_ENABLED=1 GOFLAGS="$(GOFLAGS) -tags=openssl" go test ./...

race: ## every test under the race detector
	go test -race ./...

fuzz: ## every wire fuzz target, 10s each
	bash scripts/fuzz.sh 10s

bench-crypto: ## wire sign/verify against openssl speed
	bash scripts/bench-crypto.sh

bench-server: ## antomgw bench against a local server (about 6 minutes)
	bash scripts/bench-server.sh

cover: ## coverage of the short tests, by function
	go test -short -coverprofile=/tmp/antomgw.cover ./... && go tool cover -func=/tmp/antomgw.cover | tail -1
