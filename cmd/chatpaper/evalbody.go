package main

import (
	"context"
	"fmt"
	"os"

	"github.com/chatpaper/chatpaper/config"
	"github.com/chatpaper/chatpaper/eval"
	"github.com/chatpaper/chatpaper/library"
	"github.com/chatpaper/chatpaper/rag"
	"github.com/chatpaper/chatpaper/store/sqlite"
	"github.com/chatpaper/chatpaper/vector"
)

// runQANoBody runs a QA set with the papers' bodies switched off: the
// papers its items ask about (or paperID) are copied from the app's store
// without their bodies into a throwaway store, and asked there
// extractively with the same embedder, so the run differs from the one
// with bodies in nothing else.
func runQANoBody(ctx context.Context, cfg config.Config, a *app, items []eval.Item, paperID string) (*eval.Report, error) {
	dir, err := os.MkdirTemp("", "chatpaper-eval-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	st, err := sqlite.Open(ctx, dir)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	lib, err := library.New(st, a.library.Embedder(), vector.NewChromem(), library.Options{
		CachePapers: cfg.CachePapers, CacheBytes: int64(cfg.CacheMB) << 20, Revalidate: max(cfg.CacheRevalidate, 0),
	})
	if err != nil {
		return nil, err
	}
	done := map[string]bool{}
	for _, it := range items {
		id := it.Paper
		if paperID != "" {
			id = paperID
		}
		if done[id] {
			continue
		}
		done[id] = true
		p, err := a.library.Paper(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("paper %q: %w", id, err)
		}
		q := *p
		q.Body = nil
		if err := lib.Ingest(ctx, &q); err != nil {
			return nil, err
		}
	}
	return eval.RunQA(ctx, rag.NewExtractive(lib, rag.NewRetriever(lib.Embedder(), nil, nil)), items, paperID)
}
