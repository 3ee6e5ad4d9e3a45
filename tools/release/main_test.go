package main

import (
	"context"
	"strings"
	"testing"
)

// TestRefusesBadFlags checks that each wrong flag is refused, by name, before anything is built.
func TestRefusesBadFlags(t *testing.T) {
	t.Parallel()
	digest := "@sha256:" + strings.Repeat("ab", 32)
	tests := []struct {
		args []string
		says string
	}{
		{[]string{"-version", "1.2.3"}, "-version"},
		{[]string{"-version", "v1.2"}, "-version"},
		{[]string{"-version", "latest"}, "-version"},
		{[]string{"-version", "v1.2.3", "-targets", "linux/386"}, `target "linux/386"`},
		{[]string{"-version", "v1.2.3", "-targets", "linux/amd64,linux/amd64"}, "given twice"},
		{[]string{"-version", "v1.2.3", "-targets", "Linux/amd64"}, `target "Linux/amd64"`},
		{[]string{"-version", "v1.2.3", "-base", "docker.io/library/busybox:1.37-musl"}, "-base"},
		{[]string{"-version", "v1.2.3", "-base", "busybox@sha256:12"}, "-base"},
		{[]string{"-version", "v1.2.3", "-push"}, "give -base"},
		{[]string{"-version", "v1.2.3", "-pin"}, "give -base"},
		{[]string{"-version", "v1.2.3", "-pin", "-base", "busybox" + digest, "-targets", "linux/amd64"}, "-pin needs every target"},
		{[]string{"-version", "v1.2.3", "-source-date-epoch", "-1"}, "-source-date-epoch"},
		{[]string{"-version", "v1.2.3", "-targets", "linux/arm64", "-ca-bundle", "/nonexistent/ca.crt"}, "-ca-bundle"},
		{[]string{"-version", "v1.2.3", "-ca-bundle", "main.go"}, "-ca-bundle: CA bundle: main.go holds no PEM certificate"},
	}
	for _, tt := range tests {
		out := t.TempDir()
		err := run(context.Background(), append(tt.args, "-out", out))
		if err == nil || !strings.Contains(err.Error(), tt.says) {
			t.Errorf("%q: %v, want an error naming %q", tt.args, err, tt.says)
		}
	}
}
