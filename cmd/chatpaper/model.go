package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/chatpaper/chatpaper/chat"
	"github.com/chatpaper/chatpaper/config"
	"github.com/chatpaper/chatpaper/embed"
	"github.com/chatpaper/chatpaper/library"
	"github.com/chatpaper/chatpaper/llm"
	"github.com/chatpaper/chatpaper/metrics"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/rag"
	"github.com/chatpaper/chatpaper/rerank"
	"github.com/chatpaper/chatpaper/store"
	"github.com/chatpaper/chatpaper/summary"
	"github.com/chatpaper/chatpaper/vector"
	"github.com/chatpaper/chatpaper/web"
)

// The model client is a /readyz check and reports token usage to the
// metrics.
var (
	_ web.Checker      = (*llm.Client)(nil)
	_ llm.TokenCounter = (*metrics.Metrics)(nil)
)

// wire builds the answering stack over st from cfg: the library, the
// retriever (with the reranker when one is configured), and either the
// extractive answerer and summarizer or model mode over them.
func wire(cfg config.Config, st store.Store, log *slog.Logger) (*app, error) {
	client, err := newLLM(cfg)
	if err != nil {
		return nil, err
	}
	lib, err := library.New(st, embedderFor(cfg, client), vector.NewChromem(), library.Options{
		CachePapers: cfg.CachePapers, CacheBytes: int64(cfg.CacheMB) << 20, Revalidate: max(cfg.CacheRevalidate, 0), Log: log,
		Images: filepath.Join(cfg.DataDir, library.ImagesFolder),
		Limits: paper.Limits{References: cfg.MaxReferences, TextBytes: cfg.MaxPaperBytes, BodyPassages: cfg.MaxBodyPassages},
	})
	if err != nil {
		return nil, err
	}
	var rr rag.Reranker
	if cfg.RerankURL != "" {
		h, err := rerank.New(cfg.RerankURL, cfg.RerankAPI, cfg.RerankModel, cfg.RerankTimeout)
		if err != nil {
			return nil, err
		}
		rr = h
	}
	retriever := rag.NewRetriever(lib.Embedder(), rr, log)
	extractive := rag.NewExtractive(lib, retriever)
	extractive.SetSummarize(summary.NewExtractive(lib).Summary)
	offline := summary.NewExtractiveSuggester(lib, extractive)
	a := &app{library: lib, store: st, llm: client, answerer: extractive, summarizer: summary.NewExtractive(lib), suggester: offline, papers: lib}
	if client == nil {
		return a, nil
	}
	c := cfg.Chat
	sum, err := summary.NewModel(lib, client, st, summary.ModelOptions{Cooldown: c.SummaryCooldown, MaxTokens: cfg.LLM.SummaryMaxTokens, Log: log})
	if err != nil {
		return nil, err
	}
	gen, err := chat.New(lib, retriever, extractive, client, st, chat.Options{MaxTurns: c.MaxTurns, HistoryRunes: c.HistoryRunes, MaxTokens: cfg.LLM.MaxTokens, Log: log, Summarize: sum.Summary})
	if err != nil {
		return nil, err
	}
	// Suggested questions are written with the summaries, warmed by the
	// same Warmer.
	a.suggester = summary.NewModelSuggester(sum, offline)
	warmer, err := summary.NewWarmer(sum, summary.WarmerOptions{Workers: c.WarmWorkers, Queue: c.WarmQueue, Attempts: c.WarmAttempts, Backoff: c.WarmBackoff})
	if err != nil {
		return nil, err
	}
	a.answerer, a.summarizer, a.papers, a.warmer = gen, sum, warmingPapers{lib, warmer}, warmer
	log.Info("model mode", "model", client.Model(), "embed_model", client.EmbedModel())
	return a, nil
}

// newLLM returns the model endpoint client, or nil when model mode is
// off (no CHATPAPER_LLM_BASE_URL).
func newLLM(cfg config.Config) (*llm.Client, error) {
	if !cfg.LLM.Enabled() {
		return nil, nil
	}
	l := cfg.LLM
	c, err := llm.New(llm.Options{
		BaseURL: l.BaseURL, APIKey: l.APIKey, Model: l.Model, EmbedModel: l.EmbedModel, EmbedBatch: l.EmbedBatch,
		Timeout: l.Timeout, FirstTokenTimeout: l.FirstTokenTimeout, Retries: l.Retries, Backoff: l.Backoff, Temperature: l.Temperature,
		MaxConcurrent: l.Concurrency,
	})
	if err != nil {
		return nil, fmt.Errorf("model endpoint: %w", err)
	}
	return c, nil
}

// embedderFor is the endpoint's embedding model when one is configured,
// else the local embedder.
func embedderFor(cfg config.Config, client *llm.Client) embed.Embedder {
	if client != nil {
		if e := client.Embedder(); e != nil {
			return e
		}
	}
	return embed.NewLocal(cfg.EmbedDim)
}

// warmingPapers queues a freshly ingested paper's summaries for
// background generation, so the language toggle is instant.
type warmingPapers struct {
	*library.Library
	warmer *summary.Warmer
}

var _ web.Papers = warmingPapers{}

func (w warmingPapers) Ingest(ctx context.Context, p *paper.Paper) error {
	if err := w.Library.Ingest(ctx, p); err != nil {
		return err
	}
	w.warmer.Warm(p.ID)
	return nil
}
