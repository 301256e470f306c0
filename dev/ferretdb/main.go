// Command ferretdb-dev runs FerretDB for the forgectl dev stack.
//
// It embeds FerretDB through its embeddable package instead of building
// cmd/ferretdb from the module: that binary reads its version from a file the
// module download leaves empty and panics at start-up.
//
// The SQLite backend keeps FerretDB independent of the stack's PostgreSQL, so
// a PostgreSQL outage test never takes the MongoDB sink down with it (and the
// other way round), and its data directory is one plain folder under dev/.run.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "TCP address to listen on")
	dataDir := flag.String("sqlite-dir", "", "directory holding one SQLite file per database (required)")
	flag.Parse()

	if err := run(*listen, *dataDir); err != nil {
		fmt.Fprintf(os.Stderr, "ferretdb-dev: %s\n", err)
		os.Exit(1)
	}
}

func run(listen, dataDir string) error {
	if dataDir == "" {
		return fmt.Errorf("-sqlite-dir is required")
	}
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return fmt.Errorf("resolving %s: %w", dataDir, err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", abs, err)
	}

	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: listen},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: "file:" + abs + "/",
	})
	if err != nil {
		return fmt.Errorf("starting FerretDB: %w", err)
	}

	// SIGTERM from `dev/stack down` (or a restart test) ends Run cleanly.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	logger.Info("ferretdb-dev listening", "addr", listen, "sqlite", abs)
	f.Run(ctx)
	return nil
}
