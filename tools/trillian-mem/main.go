// Command trillian-mem runs a Trillian log in one process on memory storage: the admin and log
// gRPC services plus a live sequencer, wired as Trillian's testonly/integration
// NewLogEnvWithRegistry does. It creates no tree; Rekor v1 creates its own on start.
// Everything is lost when the process exits. It exists for signet's tier-3 tests only.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/google/trillian"
	"github.com/google/trillian/extension"
	"github.com/google/trillian/log"
	"github.com/google/trillian/quota"
	"github.com/google/trillian/server"
	"github.com/google/trillian/server/admin"
	"github.com/google/trillian/server/interceptor"
	"github.com/google/trillian/storage/memory"
	"github.com/google/trillian/util/clock"
	"google.golang.org/grpc"
)

func main() {
	addr := flag.String("address", "127.0.0.1:8090", "host:port the gRPC admin and log services listen on")
	interval := flag.Duration("sequencer_interval", 100*time.Millisecond, "time between sequencer runs")
	batch := flag.Int("batch_size", 50, "leaves the sequencer integrates per run")
	flag.Parse()
	if *interval <= 0 || *batch <= 0 {
		fmt.Fprintln(os.Stderr, "trillian-mem: -sequencer_interval and -batch_size must be positive")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *addr, *interval, *batch); err != nil {
		fmt.Fprintln(os.Stderr, "trillian-mem:", err)
		os.Exit(1)
	}
}

// run serves until ctx is done, then stops the sequencer and the gRPC server gracefully.
func run(ctx context.Context, addr string, interval time.Duration, batch int) error {
	ts := memory.NewTreeStorage()
	registry := extension.Registry{
		AdminStorage: memory.NewAdminStorage(ts),
		LogStorage:   memory.NewLogStorage(ts, nil),
		QuotaManager: quota.Noop(),
	}

	srv := grpc.NewServer(grpc.UnaryInterceptor(interceptor.ErrorWrapper))
	trillian.RegisterTrillianAdminServer(srv, admin.New(registry, nil))
	trillian.RegisterTrillianLogServer(srv, server.NewTrillianLogRPCServer(registry, clock.System))

	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listening for gRPC on %q: %w", addr, err)
	}

	seqCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	sequencer := log.NewOperationManager(log.OperationInfo{
		Registry:    registry,
		BatchSize:   batch,
		NumWorkers:  1,
		RunInterval: interval,
		TimeSource:  clock.System,
	}, log.NewSequencerManager(registry, 0))

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sequencer.OperationLoop(seqCtx)
	}()

	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()
	fmt.Fprintf(os.Stderr, "trillian-mem: serving gRPC on %s\n", lis.Addr())

	select {
	case <-ctx.Done():
		srv.GracefulStop()
		err = nil
	case err = <-served:
	}
	cancel()
	wg.Wait()
	if err != nil && !errors.Is(err, grpc.ErrServerStopped) {
		return fmt.Errorf("serving gRPC on %q: %w", addr, err)
	}
	return nil
}
