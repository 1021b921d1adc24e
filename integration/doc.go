// Package integration contains the end-to-end tests of caddy-cms-webhooks. They
// drive the real Caddy binary, built from xcaddy.json, over real sockets,
// against a real WordPress (started once per package by
// integration/wordpress/start.sh) and webhook receivers that run in the
// test process.
//
// Run them from the repository root:
//
//	go run ./internal/buildcaddy                      # bin/caddy, optional
//	CADDY_BIN=$PWD/bin/caddy go test ./integration/ -count=1 -v
//
// Without CADDY_BIN the tests build the binary once into a temporary folder.
// The WordPress tests need the packages that .ci/install-deps.sh installs.
// Without them the tests that need WordPress are skipped, unless the
// environment variable CI is set, in which case the package fails.
package integration
