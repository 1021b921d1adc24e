// Package sitecore emulates the content-management HTTP APIs of a Sitecore
// XM CM instance for integration tests, which run the real Caddy binary in
// front of it. See Emulator for the routes and Options for authentication.
package sitecore
