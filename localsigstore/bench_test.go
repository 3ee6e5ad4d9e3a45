package localsigstore

import (
	"testing"
)

// BenchmarkStart measures Start+Close of an ephemeral instance (what `--sigstore local` pays).
func BenchmarkStart(b *testing.B) {
	for b.Loop() {
		s, err := Start(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStartStateDir measures Start+Close on an existing state directory.
func BenchmarkStartStateDir(b *testing.B) {
	dir := b.TempDir()
	for b.Loop() {
		s, err := Start(b.Context(), WithStateDir(dir))
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
