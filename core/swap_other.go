//go:build !linux

package core

// exchange reports false: only Linux swaps two directories atomically here, so elsewhere
// Publish moves the old output aside and the new one in with two renames.
func exchange(a, b string) (bool, error) { return false, nil }
