// Package dispatch holds everything that leaves the sidecar: the event model
// shared with the classifiers, the Sitecore-compatible payloads, authorization,
// the inline validation call, the delivery queue and its workers.
//
// The package never imports Caddy, so it can be tested, benchmarked and reused
// on its own. The Caddy glue lives in package caddymodule.
package dispatch
