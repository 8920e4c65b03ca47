package main

import (
	"context"
	"log/slog"

	"github.com/chatpaper/chatpaper/config"
	"github.com/chatpaper/chatpaper/embed"
	"github.com/chatpaper/chatpaper/llm"
	"github.com/chatpaper/chatpaper/metrics"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/rag"
	"github.com/chatpaper/chatpaper/web"
)

// The model client is a /readyz check and reports token usage to the
// metrics.
var (
	_ web.Checker      = (*llm.Client)(nil)
	_ llm.TokenCounter = (*metrics.Metrics)(nil)
)

// newLLM returns the model endpoint client, or nil when model mode is
// off (no CHATPAPER_LLM_BASE_URL).
func newLLM(cfg config.Config) *llm.Client {
	if !cfg.LLM.Enabled() {
		return nil
	}
	return llm.New(llm.Options{
		BaseURL: cfg.LLM.BaseURL, APIKey: cfg.LLM.APIKey, Model: cfg.LLM.Model,
		EmbedModel: cfg.LLM.EmbedModel, EmbedBatch: cfg.LLM.EmbedBatch,
		Timeout: cfg.LLM.Timeout, FirstTokenTimeout: cfg.LLM.FirstTokenTimeout, Retries: cfg.LLM.Retries,
	})
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
	*rag.Engine
	warmer *rag.Warmer
}

var _ web.Papers = warmingPapers{}

func (w warmingPapers) Ingest(ctx context.Context, p *paper.Paper) error {
	if err := w.Engine.Ingest(ctx, p); err != nil {
		return err
	}
	w.warmer.Warm(p.ID)
	return nil
}

// modelMode wires the generator over eng when client is set; otherwise
// the engine answers and summarises extractively.
func modelMode(a *app, client *llm.Client, st rag.GeneratorStore, log *slog.Logger) {
	a.answerer, a.summarizer, a.suggester, a.papers = a.engine, a.engine, a.engine, a.engine
	if client == nil {
		return
	}
	gen := rag.NewGenerator(a.engine, client, st, log, rag.GeneratorOptions{})
	a.warmer = rag.NewWarmer(gen, rag.WarmerOptions{})
	a.answerer, a.summarizer, a.suggester, a.papers = gen, gen, gen, warmingPapers{a.engine, a.warmer}
	log.Info("model mode", "model", client.Model(), "embed_model", client.EmbedModel())
}
