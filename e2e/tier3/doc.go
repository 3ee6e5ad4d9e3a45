// Package tier3 holds signet's tier-3 tests: signet's own binary signs against upstream Sigstore
// services (fulcio, timestamp-server, rekor-server v1 on an in-memory Trillian) and cosign v3.1.3
// verifies what it wrote. The tests carry the build tag tier3 and expect scripts/tier3.sh, which
// builds and starts the services and names them in SIGNET_TIER3_* variables; without them every
// test fails rather than skips.
package tier3
