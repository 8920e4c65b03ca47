package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/chatpaper/chatpaper/config"
	"github.com/chatpaper/chatpaper/store"
	"github.com/chatpaper/chatpaper/store/postgres"
	"github.com/chatpaper/chatpaper/store/sqlite"
)

// openStore opens the PostgreSQL store when a database URL is configured
// (replicas share it), else the embedded SQLite store in the data folder.
func openStore(ctx context.Context, cfg config.Config) (store.Store, error) {
	if cfg.DatabaseURL != "" {
		st, err := postgres.Open(ctx, cfg.DatabaseURL)
		if err != nil {
			return nil, fmt.Errorf("open PostgreSQL store: %w", err)
		}
		return st, nil
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("create data folder: %w", err)
	}
	st, err := sqlite.Open(ctx, cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("open store in %s: %w", cfg.DataDir, err)
	}
	return st, nil
}

// pruneEvery is how often the questions log drops records past retention.
const pruneEvery = time.Hour

// pruneQuestions deletes questions older than retention now and then
// every pruneEvery until ctx ends or the returned stop is called (which
// waits for a prune in progress).
func pruneQuestions(ctx context.Context, ql store.QuestionLog, retention time.Duration, log *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(pruneEvery)
		defer t.Stop()
		for {
			if n, err := ql.PruneQuestions(ctx, time.Now().Add(-retention)); err != nil && ctx.Err() == nil {
				log.Warn("prune the questions log", "err", err)
			} else if n > 0 {
				log.Info("pruned the questions log", "deleted", n, "retention", retention.String())
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() { cancel(); <-done }
}
