package main

import (
	"context"
	"fmt"
	"os"

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
