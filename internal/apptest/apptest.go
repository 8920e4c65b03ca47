// Package apptest builds the answering stack for tests the way the
// binary does, with config's defaults: a library over a given store,
// the extractive answerer and summarizer over it, and model mode.
package apptest

import (
	"context"
	"sync"
	"testing"

	"github.com/chatpaper/chatpaper/chat"
	"github.com/chatpaper/chatpaper/config"
	"github.com/chatpaper/chatpaper/embed"
	"github.com/chatpaper/chatpaper/library"
	"github.com/chatpaper/chatpaper/llm"
	"github.com/chatpaper/chatpaper/rag"
	"github.com/chatpaper/chatpaper/store"
	"github.com/chatpaper/chatpaper/summary"
	"github.com/chatpaper/chatpaper/vector"
)

// LibraryOptions are the library options config's defaults give.
func LibraryOptions() library.Options {
	c := config.Defaults()
	return library.Options{CachePapers: c.CachePapers, CacheBytes: int64(c.CacheMB) << 20, Revalidate: c.CacheRevalidate}
}

// Library returns a library over st with the local embedder (or e when
// not nil), the chromem vector index and options o (LibraryOptions()
// when nil).
func Library(t testing.TB, st store.Store, e embed.Embedder, o *library.Options) *library.Library {
	t.Helper()
	if e == nil {
		e = embed.NewLocal(0)
	}
	opts := LibraryOptions()
	if o != nil {
		opts = *o
	}
	l, err := library.New(st, e, vector.NewChromem(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// Extractive returns the extractive answerer over lib, reranking with r
// (nil for none).
func Extractive(lib *library.Library, r rag.Reranker) *rag.Extractive {
	x := rag.NewExtractive(lib, rag.NewRetriever(lib.Embedder(), r, nil))
	x.SetSummarize(summary.NewExtractive(lib).Summary)
	return x
}

// Stack is everything the web layer is given, as the binary wires it.
type Stack struct {
	Library    *library.Library
	Answerer   rag.Answerer
	Summarizer summary.Summarizer
}

// Offline returns the extractive stack over st.
func Offline(t testing.TB, st store.Store) Stack {
	t.Helper()
	lib := Library(t, st, nil, nil)
	return Stack{Library: lib, Answerer: Extractive(lib, nil), Summarizer: summary.NewExtractive(lib)}
}

// Chat returns model mode over lib with config's defaults, answering
// with m and keeping sessions in st.
func Chat(t testing.TB, lib *library.Library, m rag.ChatModel, st store.Store) *chat.Generator {
	t.Helper()
	c := config.Defaults().Chat
	sum := SummaryModel(t, lib, m, st, nil)
	g, err := chat.New(lib, rag.NewRetriever(lib.Embedder(), nil, nil), Extractive(lib, nil), m, st,
		chat.Options{MaxTurns: c.MaxTurns, HistoryRunes: c.HistoryRunes, Summarize: sum.Summary})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// SummaryModel returns model summaries over lib with config's defaults,
// cached in st; o, when not nil, replaces the options.
func SummaryModel(t testing.TB, lib *library.Library, m rag.ChatModel, st store.Store, o *summary.ModelOptions) *summary.Model {
	t.Helper()
	opts := summary.ModelOptions{Cooldown: config.Defaults().Chat.SummaryCooldown}
	if o != nil {
		opts = *o
	}
	s, err := summary.NewModel(lib, m, st, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Engine bundles a library with the extractive answerer and summarizer
// over it: the offline stack as one value, for tests that ingest, ask
// and summarise.
type Engine struct {
	*library.Library
	*rag.Extractive
	summary.Summarizer
}

// NewEngine returns the offline stack over st with embedder e (the
// local embedder when nil) and config's cache defaults.
func NewEngine(t testing.TB, st store.Store, e embed.Embedder) *Engine {
	t.Helper()
	lib := Library(t, st, e, nil)
	return &Engine{Library: lib, Extractive: Extractive(lib, nil), Summarizer: summary.NewExtractive(lib)}
}

// LLM returns a client of the endpoint at baseURL (an llmtest.Server's)
// for model "fake-model", with config's defaults changed by mod (when
// not nil).
func LLM(t testing.TB, baseURL string, mod func(*llm.Options)) *llm.Client {
	t.Helper()
	l := config.Defaults().LLM
	o := llm.Options{BaseURL: baseURL, Model: "fake-model", EmbedBatch: l.EmbedBatch, Timeout: l.Timeout,
		FirstTokenTimeout: l.FirstTokenTimeout, Retries: l.Retries, Backoff: l.Backoff, Temperature: l.Temperature}
	if mod != nil {
		mod(&o)
	}
	c, err := llm.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// CountingIndex is the chromem vector index counting the collections it
// holds (given and not dropped since) and the times it was given one.
// It is safe for concurrent use.
type CountingIndex struct {
	inner *vector.Chromem
	mu    sync.Mutex
	live  map[string]bool
	sets  int
}

var _ library.VectorIndex = (*CountingIndex)(nil)

// NewCountingIndex returns an empty CountingIndex.
func NewCountingIndex() *CountingIndex {
	return &CountingIndex{inner: vector.NewChromem(), live: make(map[string]bool)}
}

func (c *CountingIndex) Set(ctx context.Context, key string, vecs [][]float32) error {
	c.mu.Lock()
	c.live[key] = true
	c.sets++
	c.mu.Unlock()
	return c.inner.Set(ctx, key, vecs)
}

func (c *CountingIndex) Query(ctx context.Context, key string, q []float32, k int) ([]library.VectorHit, error) {
	return c.inner.Query(ctx, key, q, k)
}

func (c *CountingIndex) Drop(key string) {
	c.mu.Lock()
	delete(c.live, key)
	c.mu.Unlock()
	c.inner.Drop(key)
}

// Live is the number of collections held.
func (c *CountingIndex) Live() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.live)
}

// Sets is the number of times the index was given a collection.
func (c *CountingIndex) Sets() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sets
}
