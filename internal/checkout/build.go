package checkout

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// buildTimeout bounds one go build of signet.
const buildTimeout = 15 * time.Minute

// builds caches one build per tag set for the test process; buildDir holds their binaries.
var (
	builds   sync.Map // tags → func() (string, error)
	buildDir = sync.OnceValues(func() (string, error) { return os.MkdirTemp("", "signet-test-bin-*") })
)

// BuildSignet returns a signet binary built from the repository root with CGO_ENABLED=0,
// -trimpath and the given build tags. It builds once per tag set and test process; a
// TestMain calls RemoveBuilds to delete the binaries.
func BuildSignet(t testing.TB, tags ...string) string {
	t.Helper()
	root := Root(t)
	key := strings.Join(tags, ",")
	build, _ := builds.LoadOrStore(key, sync.OnceValues(func() (string, error) { return goBuild(root, key) }))
	bin, err := build.(func() (string, error))()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// goBuild builds signet from root with tags (comma-separated) into the build directory.
func goBuild(root, tags string) (string, error) {
	dir, err := buildDir()
	if err != nil {
		return "", fmt.Errorf("creating the directory for the signet binary: %w", err)
	}
	name := "signet"
	if tags != "" {
		name += "-" + strings.ReplaceAll(tags, ",", "-")
	}
	bin := filepath.Join(dir, name)
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-tags", tags, "-o", bin, ".")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build -tags %q in %s: %w\n%s", tags, root, err, out)
	}
	return bin, nil
}

// RemoveBuilds deletes the binaries BuildSignet built. TestMain calls it after m.Run.
func RemoveBuilds() error {
	dir, err := buildDir()
	if err != nil {
		return nil
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("removing the signet test binaries in %s: %w", dir, err)
	}
	return nil
}
