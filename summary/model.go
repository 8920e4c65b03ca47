package summary

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/chatpaper/chatpaper/library"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/prompts"
	"github.com/chatpaper/chatpaper/rag"
	"github.com/chatpaper/chatpaper/store"
)

// SourceLLM marks a summary written by a model.
const SourceLLM = "llm"

// Cache is where model summaries are kept (package store): looked up,
// written, and generated under a lock every replica shares.
type Cache interface {
	Summary(ctx context.Context, key store.SummaryKey) (*paper.Summary, error)
	PutSummary(ctx context.Context, key store.SummaryKey, s *paper.Summary) error
	WithSummaryLock(ctx context.Context, key store.SummaryKey, fn func(ctx context.Context) error) error
}

// ModelOptions configure a Model. Every field is explicit: package
// config holds the defaults.
type ModelOptions struct {
	// Cooldown is how long after a failed generation the extractive
	// summary is served without asking the model again (> 0).
	Cooldown time.Duration
	// MaxTokens caps a summary's length in tokens; 0 leaves it to the
	// endpoint. A summary cut there loses its unfinished last line.
	MaxTokens int
	// Log receives warnings; nil discards them.
	Log *slog.Logger
	// Now is the clock the cooldown reads; nil is time.Now.
	Now func() time.Time
}

// Model writes summaries with a generative model, falling back to the
// extractive summary when the model fails. It is safe for concurrent
// use.
type Model struct {
	papers Papers
	model  rag.ChatModel
	cache  Cache
	log    *slog.Logger
	opts   ModelOptions

	mu     sync.Mutex
	failed map[store.SummaryKey]time.Time
	// warming makes the background generation of a summary in this
	// process a reader's, once a reader asks for that summary.
	warming map[store.SummaryKey]func()

	// suggester, when set (NewModelSuggester), has the Warmer write the
	// suggested questions along with the summaries.
	suggester *ModelSuggester
}

var _ Summarizer = (*Model)(nil)

// NewModel returns the model-mode summarizer.
func NewModel(papers Papers, m rag.ChatModel, cache Cache, o ModelOptions) (*Model, error) {
	if o.Cooldown <= 0 {
		return nil, fmt.Errorf("summary: cooldown must be positive, got %v", o.Cooldown)
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Model{papers: papers, model: m, cache: cache, log: o.Log, opts: o,
		failed: make(map[store.SummaryKey]time.Time), warming: make(map[store.SummaryKey]func())}, nil
}

func (g *Model) summaryKey(paperID, lang string) store.SummaryKey {
	return store.SummaryKey{PaperID: paperID, Lang: lang, Model: g.model.Model(), PromptVersion: prompts.SummaryVersion}
}

// Summary returns the model's summary of the paper in lang, generating
// and caching it on first use (once across replicas, under the store's
// summary lock). If the model fails, it returns the extractive summary,
// which is not cached: the model is asked again after a cooldown.
func (g *Model) Summary(ctx context.Context, paperID, lang string) (*paper.Summary, error) {
	if !paper.ValidLang(lang) {
		return nil, fmt.Errorf("%w: lang %q must be en_US or zh_CN", paper.ErrInvalidLang, lang)
	}
	p, err := g.papers.Paper(ctx, paperID)
	if err != nil {
		return nil, err
	}
	key := g.summaryKey(paperID, lang)
	if s, err := g.cache.Summary(ctx, key); err == nil {
		return s, nil
	}
	g.mu.Lock()
	at, failed := g.failed[key]
	g.mu.Unlock()
	if failed && g.opts.Now().Sub(at) < g.opts.Cooldown {
		return ExtractiveSummary(p, lang), nil
	}
	// The warmer may be writing this summary in the background, holding
	// the summary lock this reader is about to wait for: it is a
	// reader's request from now on, so it no longer waits behind other
	// readers' or gives its slot up.
	g.mu.Lock()
	if urgent, ok := g.warming[key]; ok {
		urgent()
	}
	g.mu.Unlock()
	s, err := g.ensureSummary(ctx, p, lang, false)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		g.log.Warn("model summary failed; serving the extractive one", "paper", paperID, "lang", lang, "err", err)
		return ExtractiveSummary(p, lang), nil
	}
	return s, nil
}

// ensureSummary returns the cached model summary or generates, caches
// and returns it; background marks a generation no reader waits for,
// which gives way to readers (rag.ErrPreempted) until a reader asks
// for this summary (Summary makes it urgent). Failures are remembered
// for the cooldown; giving way is not a failure.
func (g *Model) ensureSummary(ctx context.Context, p *paper.Paper, lang string, background bool) (*paper.Summary, error) {
	key := g.summaryKey(p.ID, lang)
	var out *paper.Summary
	var urgent chan struct{}
	if background {
		urgent = make(chan struct{})
		var once sync.Once
		g.mu.Lock()
		g.warming[key] = func() { once.Do(func() { close(urgent) }) }
		g.mu.Unlock()
		defer func() {
			g.mu.Lock()
			delete(g.warming, key)
			g.mu.Unlock()
		}()
	}
	err := g.cache.WithSummaryLock(ctx, key, func(ctx context.Context) error {
		// Another replica may have written it while we waited.
		if s, err := g.cache.Summary(ctx, key); err == nil {
			out = s
			return nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		s, err := g.generateSummary(ctx, p, lang, background, urgent)
		if err != nil {
			return err
		}
		if err := g.cache.PutSummary(ctx, key, s); err != nil {
			return fmt.Errorf("cache summary: %w", err)
		}
		out = s
		return nil
	})
	g.mu.Lock()
	if err != nil && ctx.Err() == nil && !errors.Is(err, rag.ErrPreempted) {
		g.failed[key] = g.opts.Now()
	} else if err == nil {
		delete(g.failed, key)
	}
	g.mu.Unlock()
	return out, err
}

func (g *Model) generateSummary(ctx context.Context, p *paper.Paper, lang string, background bool, urgent <-chan struct{}) (*paper.Summary, error) {
	abstract := p.Abstract
	if lang == paper.LangZH && p.AbstractZh != "" {
		abstract = p.AbstractZh
	}
	if abstract == "" {
		abstract = p.AbstractZh
	}
	pr, err := prompts.ModelSummary(prompts.SummaryData{Lang: lang, Title: p.Title, Authors: p.Authors, Journal: p.Journal, Year: p.Year, Abstract: abstract})
	if err != nil {
		return nil, err
	}
	reply, cut, err := rag.Complete(ctx, g.model, pr, rag.ChatRequest{MaxTokens: g.opts.MaxTokens, Background: background, Urgent: urgent})
	if err != nil {
		return nil, err
	}
	if cut {
		reply = dropUnfinished(reply)
	}
	text, points := parseSummary(reply)
	if text == "" {
		return nil, fmt.Errorf("%w: summary reply has no paragraph", rag.ErrUpstream)
	}
	return &paper.Summary{
		PaperID: p.ID, Lang: lang, Heading: prompts.Summary(lang).Heading,
		Summary: text, KeyPoints: points, Source: SourceLLM, Model: g.model.Model(),
	}, nil
}

// dropUnfinished removes the unfinished end of a reply the endpoint cut
// at its length limit: the last line, or the last sentence of a reply
// that is one line, so a cached summary never stops mid-word.
func dropUnfinished(reply string) string {
	if i := strings.LastIndexByte(reply, '\n'); i >= 0 {
		return reply[:i]
	}
	if i := strings.LastIndexAny(reply, ".!?。！？"); i >= 0 {
		_, n := utf8.DecodeRuneInString(reply[i:])
		return reply[:i+n]
	}
	return ""
}

// parseSummary splits a model's summary into its paragraph and its
// "- " key points, dropping markdown a model adds anyway.
func parseSummary(reply string) (string, []string) {
	var para []string
	points := []string{}
	for _, line := range strings.Split(reply, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if b := strings.TrimLeft(line, "-*•·"); b != line {
			if b = strings.TrimSpace(strings.ReplaceAll(b, "**", "")); b != "" {
				points = append(points, b)
			}
			continue
		}
		if len(points) == 0 {
			para = append(para, strings.ReplaceAll(line, "**", ""))
		}
	}
	return paper.JoinSentences(para), points
}

// WarmerOptions configure background summary generation. Every field is
// explicit (all > 0): package config holds the defaults.
type WarmerOptions struct {
	// Workers bounds concurrent generations.
	Workers int
	// Queue bounds waiting papers; more are dropped, since summaries
	// are also generated on demand.
	Queue int
	// Attempts is how often a paper is tried.
	Attempts int
	// Backoff is the delay before the first retry, doubled after each.
	Backoff time.Duration
}

// Warmer generates both languages' summaries of newly ingested papers in
// the background, so the reader's language toggle is instant. Its
// requests are background ones: they wait while readers wait for the
// model, and one that gives way to a reader is queued again. Close
// stops it and waits for its goroutines.
type Warmer struct {
	g      *Model
	opts   WarmerOptions
	ctx    context.Context
	cancel context.CancelFunc
	queue  chan warmJob
	wg     sync.WaitGroup
}

type warmJob struct {
	paperID string
	attempt int
}

// NewWarmer starts the background workers.
func NewWarmer(g *Model, o WarmerOptions) (*Warmer, error) {
	if o.Workers <= 0 || o.Queue <= 0 || o.Attempts <= 0 || o.Backoff <= 0 {
		return nil, fmt.Errorf("summary: warmer options must be positive: %+v", o)
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &Warmer{g: g, opts: o, ctx: ctx, cancel: cancel, queue: make(chan warmJob, o.Queue)}
	for range o.Workers {
		w.wg.Add(1)
		go w.work()
	}
	return w, nil
}

// Warm queues the paper for summary generation in both languages. It
// never blocks.
func (w *Warmer) Warm(paperID string) { w.enqueue(warmJob{paperID: paperID}) }

func (w *Warmer) enqueue(j warmJob) {
	if w.ctx.Err() != nil {
		return
	}
	select {
	case w.queue <- j:
	default:
		w.g.log.Warn("summary queue full; the summary will be generated on demand", "paper", j.paperID)
	}
}

// Close cancels generations in progress and waits for the workers.
func (w *Warmer) Close() {
	w.cancel()
	w.wg.Wait()
}

func (w *Warmer) work() {
	defer w.wg.Done()
	for {
		select {
		case <-w.ctx.Done():
			return
		case j := <-w.queue:
			w.run(j)
		}
	}
}

func (w *Warmer) run(j warmJob) {
	p, err := w.g.papers.Paper(w.ctx, j.paperID)
	if err != nil {
		if !library.IsNotFound(err) && w.ctx.Err() == nil {
			w.g.log.Warn("summary warm-up: load paper", "paper", j.paperID, "err", err)
		}
		return
	}
	var failed, yielded error
	for _, lang := range []string{paper.LangEN, paper.LangZH} {
		_, err := w.g.ensureSummary(w.ctx, p, lang, true)
		switch {
		case errors.Is(err, rag.ErrPreempted):
			yielded = err
		case err != nil:
			failed = err
		}
		if w.g.suggester == nil {
			continue
		}
		_, err = w.g.suggester.ensureSuggestions(w.ctx, p, lang, true)
		switch {
		case errors.Is(err, rag.ErrPreempted):
			yielded = err
		case err != nil:
			failed = err
		}
	}
	if w.ctx.Err() != nil {
		return
	}
	if failed == nil && yielded != nil {
		// A reader needed the model: try again at once. The model
		// client holds the request back until no reader waits, so this
		// is no busy loop, and it is no failed attempt.
		w.g.log.Debug("summary warm-up gave way to a reader; queued again", "paper", j.paperID)
		w.enqueue(j)
		return
	}
	if failed == nil {
		return
	}
	if j.attempt+1 >= w.opts.Attempts {
		w.g.log.Warn("summary warm-up gave up; summaries will be generated on demand", "paper", j.paperID, "err", failed)
		return
	}
	delay := w.opts.Backoff << j.attempt
	w.g.log.Info("summary warm-up failed; retrying later", "paper", j.paperID, "in", delay.String(), "err", failed)
	// A timer, not a sleeping goroutine: Close need not wait for it,
	// and enqueue after Close does nothing.
	time.AfterFunc(delay, func() { w.enqueue(warmJob{paperID: j.paperID, attempt: j.attempt + 1}) })
}
