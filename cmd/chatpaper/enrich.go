package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/chatpaper/chatpaper/config"
	"github.com/chatpaper/chatpaper/crossref"
	"github.com/chatpaper/chatpaper/enrich"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/store"
	"github.com/chatpaper/chatpaper/web"
)

// newEnricher builds the reference enricher over Crossref, or returns
// nil when CHATPAPER_CROSSREF_URL is not set (enrichment is off offline).
// enriched is told when a paper's links or works changed.
func newEnricher(cfg config.Config, st store.Store, log *slog.Logger, enriched func(ctx context.Context, paperID string)) (*enrich.Enricher, error) {
	if !cfg.Crossref.Enabled() {
		return nil, nil
	}
	retries := cfg.Crossref.Retries
	if retries == 0 {
		retries = -1 // the client reads 0 as its default
	}
	client, err := crossref.New(crossref.Options{
		BaseURL: cfg.Crossref.URL, Mailto: cfg.Crossref.Mailto, Timeout: cfg.Crossref.Timeout,
		Retries: retries, Concurrency: cfg.Crossref.Concurrency,
	})
	if err != nil {
		return nil, err
	}
	if cfg.Crossref.Mailto == "" {
		log.Warn("CHATPAPER_CROSSREF_MAILTO is not set: Crossref asks clients for a contact address and serves anonymous ones last")
	}
	return enrich.New(client, st, enrich.Options{Log: log, MaxAge: cfg.Crossref.MaxAge, Backoff: cfg.Crossref.Backoff, Enriched: enriched}), nil
}

// enrichingPapers queues a freshly ingested paper for background
// enrichment; the ingest answers without waiting for it.
type enrichingPapers struct {
	inner    web.Papers
	enricher *enrich.Enricher
}

var _ web.Papers = enrichingPapers{}

func (e enrichingPapers) Papers(ctx context.Context) ([]store.PaperInfo, error) {
	return e.inner.Papers(ctx)
}

func (e enrichingPapers) Paper(ctx context.Context, id string) (*paper.Paper, error) {
	return e.inner.Paper(ctx, id)
}

func (e enrichingPapers) Delete(ctx context.Context, id string) error { return e.inner.Delete(ctx, id) }

func (e enrichingPapers) Ingest(ctx context.Context, p *paper.Paper) error {
	if err := e.inner.Ingest(ctx, p); err != nil {
		return err
	}
	e.enricher.Enqueue(p.ID)
	return nil
}

// runEnrich enriches stored papers (all, or those named) with a progress
// display like ingest's, and reports what it found. It fails when some
// papers could not be completed, so that it can be run again later.
func runEnrich(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("enrich", stderr)
	fs.StringVar(&cfg.DataDir, "data", cfg.DataDir, "data folder (env CHATPAPER_DATA)")
	workers := fs.Int("j", 2, "papers enriched at once")
	mode := fs.String("progress", "auto", "progress display: auto (a bar on a terminal, lines otherwise), bar, lines or none")
	refresh := fs.Bool("refresh", false, "fetch every cited work again, to learn of new retractions and corrections")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch *mode {
	case "auto", "bar", "lines", "none":
	default:
		return fmt.Errorf("enrich: -progress %q must be auto, bar, lines or none", *mode)
	}
	if *workers < 1 {
		return errors.New("enrich: -j must be at least 1")
	}
	if !cfg.Crossref.Enabled() {
		return errors.New("enrich: set CHATPAPER_CROSSREF_URL (e.g. https://api.crossref.org) and CHATPAPER_CROSSREF_MAILTO")
	}
	a, err := openApp(ctx, cfg, newLogger(cfg, stderr), false)
	if err != nil {
		return err
	}
	defer a.close()
	ids := fs.Args()
	if len(ids) == 0 {
		infos, err := a.store.Papers(ctx)
		if err != nil {
			return fmt.Errorf("enrich: %w", err)
		}
		for _, in := range infos {
			ids = append(ids, in.ID)
		}
	}
	var staleBefore time.Time
	if *refresh {
		staleBefore = time.Now()
	}
	bar := newProgress(stderr, *mode, len(ids), time.Now)
	bar.label = "enrich"
	var (
		mu     sync.Mutex
		total  enrich.Result
		failed []string
		done   int
	)
	jobs := make(chan string)
	var wg sync.WaitGroup
	for range min(*workers, max(len(ids), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range jobs {
				res, err := a.enrichStored(ctx, id, staleBefore)
				mu.Lock()
				done++
				total.References += res.References
				total.Linked += res.Linked
				total.Matched += res.Matched
				total.Unmatched += res.Unmatched
				total.Abstracts += res.Abstracts
				total.Flagged += res.Flagged
				total.Fetched += res.Fetched
				if err != nil {
					failed = append(failed, fmt.Sprintf("%s: %v", id, err))
				}
				bar.update(done)
				mu.Unlock()
			}
		}()
	}
	for _, id := range ids {
		select {
		case jobs <- id:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(jobs)
	wg.Wait()
	bar.finish()
	fmt.Fprintf(stdout, "enriched %d papers: %d of %d references linked (%d by bibliographic match, %d left unmatched), %d with the cited work's abstract, %d flagged; %d works fetched\n",
		len(ids)-len(failed), total.Linked, total.References, total.Matched, total.Unmatched, total.Abstracts, total.Flagged, total.Fetched)
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("enrich: %w", err)
	}
	if len(failed) == 0 {
		return nil
	}
	fmt.Fprintln(stderr, "papers left for later:")
	for _, f := range failed {
		fmt.Fprintln(stderr, "  "+f)
	}
	return fmt.Errorf("enrich: %d of %d papers incomplete; run again later", len(failed), len(ids))
}

// enrichStored enriches one stored paper and tells a.enriched if
// anything changed.
func (a *app) enrichStored(ctx context.Context, id string, staleBefore time.Time) (enrich.Result, error) {
	p, err := a.store.Paper(ctx, id)
	if err != nil {
		return enrich.Result{}, err
	}
	res, err := a.enricher.EnrichPaper(ctx, p, staleBefore)
	if res.Changed {
		a.enriched(ctx, id)
	}
	return res, err
}
