package enrich

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/store"
)

// Options tune an Enricher. Zero fields take the defaults shown.
type Options struct {
	// Workers bounds papers enriched at once in the background
	// (default 2).
	Workers int
	// Parallel bounds references of one paper resolved at once
	// (default 4); the registry client bounds requests in flight.
	Parallel int
	// Queue bounds papers waiting in the background; more are dropped
	// with a warning, for `chatpaper enrich` to catch up (default 256).
	Queue int
	// Attempts is how often the background tries a paper whose
	// enrichment failed for want of the registry (default 6).
	Attempts int
	// Backoff is the delay before the first background retry, doubled
	// after each (default 1m).
	Backoff time.Duration
	// Rows is how many search candidates are scored (default 5).
	Rows int
	// Threshold is the match score a search candidate needs (default
	// MatchThreshold).
	Threshold float64
	// MaxAge is how long a cached work is trusted before it is fetched
	// again, since works get retracted and corrected after they are
	// cited (default 30 days; negative: forever).
	MaxAge time.Duration
	// Enriched, when set, is called after a paper's links or works
	// changed, so its retrieval index can take them in.
	Enriched func(ctx context.Context, paperID string)
	// Log receives progress and failures (default slog.Default()).
	Log *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Enricher resolves references to works and records them. Its
// background workers start with Start and stop with Close; EnrichPaper
// can be called directly (as `chatpaper enrich` does).
type Enricher struct {
	reg   Registry
	st    Store
	paper func(ctx context.Context, id string) (*paper.Paper, error)
	o     Options

	mu     sync.Mutex
	flight map[string]*fetch

	ctx    context.Context
	cancel context.CancelFunc
	queue  chan job
	wg     sync.WaitGroup
}

type fetch struct {
	done chan struct{}
	w    *paper.CitedWork
	err  error
}

type job struct {
	paperID string
	attempt int
}

// PaperStore is the store an Enricher reads papers from and writes
// enrichment to.
type PaperStore interface {
	Store
	// Paper returns the paper as stored, without enrichment attached.
	Paper(ctx context.Context, id string) (*paper.Paper, error)
}

// New returns an Enricher over the registry and store.
func New(reg Registry, st PaperStore, o Options) *Enricher {
	if o.Workers <= 0 {
		o.Workers = 2
	}
	if o.Parallel <= 0 {
		o.Parallel = 4
	}
	if o.Queue <= 0 {
		o.Queue = 256
	}
	if o.Attempts <= 0 {
		o.Attempts = 6
	}
	if o.Backoff <= 0 {
		o.Backoff = time.Minute
	}
	if o.Rows <= 0 {
		o.Rows = 5
	}
	if o.Threshold <= 0 {
		o.Threshold = MatchThreshold
	}
	if o.MaxAge == 0 {
		o.MaxAge = 30 * 24 * time.Hour
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Enricher{reg: reg, st: st, paper: st.Paper, o: o, flight: map[string]*fetch{},
		ctx: ctx, cancel: cancel, queue: make(chan job, o.Queue)}
}

// Result counts what enriching one paper did.
type Result struct {
	References int // references of the paper
	Linked     int // with a DOI (deposited, in the text, or matched)
	Matched    int // of which found by bibliographic search
	Unmatched  int // searched, no candidate above the threshold
	Abstracts  int // whose cited work has an abstract
	Flagged    int // whose cited work is retracted, withdrawn, concerned or corrected
	Fetched    int // works asked of the registry in this call
	Failed     int // references left for later: the registry did not answer
	Changed    bool
}

// EnrichPaper resolves every reference of p not resolved yet (or, with
// staleBefore set, whose work was fetched before it), fetching each
// DOI's work once for the whole catalogue, and stores the links. It
// returns an error matching ErrUnavailable when some references could
// not be resolved for want of the registry; what was resolved is kept.
func (e *Enricher) EnrichPaper(ctx context.Context, p *paper.Paper, staleBefore time.Time) (Result, error) {
	res := Result{References: len(p.References)}
	old, err := e.st.ReferenceLinks(ctx, p.ID)
	if err != nil {
		return res, fmt.Errorf("enrich %s: %w", p.ID, err)
	}
	if e.o.MaxAge > 0 {
		if cut := e.o.Now().Add(-e.o.MaxAge); cut.After(staleBefore) {
			staleBefore = cut
		}
	}
	byN := make(map[int]paper.ReferenceLink, len(old))
	for _, l := range old {
		byN[l.N] = l
	}
	links := make([]paper.ReferenceLink, len(p.References))
	changed := make([]bool, len(p.References))
	errs := make([]error, len(p.References))
	fetched := make([]bool, len(p.References))
	sem := make(chan struct{}, e.o.Parallel)
	var wg sync.WaitGroup
	for i, r := range p.References {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			links[i], changed[i], fetched[i], errs[i] = e.reference(ctx, r, byN, staleBefore)
		}()
	}
	wg.Wait()
	var put []paper.ReferenceLink
	var failed error
	for i, l := range links {
		if errs[i] != nil {
			res.Failed++
			failed = errs[i]
		}
		if fetched[i] {
			res.Fetched++
		}
		if changed[i] {
			put = append(put, l)
		}
		if l.RefKey == "" {
			continue // never resolved
		}
		switch {
		case l.DOI != "":
			res.Linked++
		case l.Match == paper.MatchNone:
			res.Unmatched++
		}
		if l.Match == paper.MatchQuery {
			res.Matched++
		}
		if l.Work.Found() {
			if l.Work.Abstract != "" {
				res.Abstracts++
			}
			if l.Work.Status != "" {
				res.Flagged++
			}
		}
	}
	if len(put) > 0 {
		if err := e.st.PutReferenceLinks(ctx, p.ID, put); err != nil {
			return res, fmt.Errorf("enrich %s: %w", p.ID, err)
		}
		res.Changed = true
	}
	if failed != nil {
		return res, fmt.Errorf("enrich %s: %d of %d references left for later: %w", p.ID, res.Failed, res.References, failed)
	}
	return res, nil
}

// reference resolves one reference. It returns the link (RefKey empty
// when nothing could be decided), whether it differs from the stored
// one, whether the registry was asked for its work, and an error when
// the registry did not answer.
func (e *Enricher) reference(ctx context.Context, r paper.Reference, old map[int]paper.ReferenceLink, staleBefore time.Time) (l paper.ReferenceLink, changed, fetched bool, err error) {
	key := paper.RefKey(r)
	prev, had := old[r.N]
	if had && prev.RefKey == key {
		l = prev
	} else {
		l, err = e.resolve(ctx, r, key)
		if err != nil {
			return paper.ReferenceLink{}, false, false, err
		}
		changed = true
	}
	if l.DOI == "" {
		return l, changed, false, nil
	}
	if l.Work != nil && !l.Work.Fetched.Before(staleBefore) {
		return l, changed, false, nil
	}
	w, fetched, err := e.work(ctx, l.DOI, staleBefore)
	if err != nil {
		return l, changed, fetched, err
	}
	l.Work = w
	// A newly fetched work changes what the paper's readers see even
	// when the link itself is unchanged.
	return l, changed || fetched, fetched, nil
}

// resolve finds the reference's DOI: deposited, written in its text, or
// the best search candidate if it scores at least the threshold.
func (e *Enricher) resolve(ctx context.Context, r paper.Reference, key string) (paper.ReferenceLink, error) {
	l := paper.ReferenceLink{N: r.N, RefKey: key}
	if d := paper.NormalizeDOI(r.DOI); d != "" {
		l.DOI, l.Match = d, paper.MatchDeposited
		return l, nil
	}
	if d := paper.FindDOI(r.Text); d != "" {
		l.DOI, l.Match = d, paper.MatchText
		return l, nil
	}
	text := searchText(r.Text)
	cs, err := e.reg.Search(ctx, text, e.o.Rows)
	if err != nil {
		return l, err
	}
	best, score, ok := Best(text, cs)
	l.Match = paper.MatchNone
	if ok {
		l.Score = round3(score)
	}
	if ok && score >= e.o.Threshold {
		l.DOI, l.Match = best.DOI, paper.MatchQuery
	}
	return l, nil
}

func round3(x float64) float64 { return float64(int(x*1000+0.5)) / 1000 }

// work returns the cached work for doi unless it was fetched before
// staleBefore, else fetches it, one fetch per DOI however many
// references wait for it. An unknown DOI is cached as a work with no
// title.
func (e *Enricher) work(ctx context.Context, doi string, staleBefore time.Time) (*paper.CitedWork, bool, error) {
	w, err := e.st.CitedWork(ctx, doi)
	if err == nil && !w.Fetched.Before(staleBefore) {
		return w, false, nil
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, false, err
	}
	e.mu.Lock()
	f, waiting := e.flight[doi]
	if !waiting {
		f = &fetch{done: make(chan struct{})}
		e.flight[doi] = f
	}
	e.mu.Unlock()
	if waiting {
		select {
		case <-f.done:
			return f.w, false, f.err
		case <-ctx.Done():
			return nil, false, ctx.Err()
		}
	}
	defer func() {
		e.mu.Lock()
		delete(e.flight, doi)
		e.mu.Unlock()
		close(f.done)
	}()
	f.w, f.err = e.reg.Work(ctx, doi)
	if errors.Is(f.err, ErrUnknownWork) {
		f.w, f.err = &paper.CitedWork{DOI: doi, Fetched: e.o.Now().UTC()}, nil
	}
	if f.err != nil {
		return nil, true, f.err
	}
	if f.w.DOI != doi {
		// The registry may answer with the DOI's canonical case or an
		// alias; the cache is keyed by what the reference resolved to.
		f.w.DOI = doi
	}
	if err := e.st.PutCitedWork(ctx, f.w); err != nil {
		f.err = err
		return nil, true, err
	}
	return f.w, true, nil
}

// Start launches the background workers.
func (e *Enricher) Start() {
	for range e.o.Workers {
		e.wg.Add(1)
		go e.work1()
	}
}

// Enqueue queues a paper for background enrichment. It never blocks;
// after Close it does nothing.
func (e *Enricher) Enqueue(paperID string) { e.enqueue(job{paperID: paperID}) }

func (e *Enricher) enqueue(j job) {
	if e.ctx.Err() != nil {
		return
	}
	select {
	case e.queue <- j:
	default:
		e.o.Log.Warn("enrichment queue full; run `chatpaper enrich` to catch up", "paper", j.paperID)
	}
}

// Close cancels enrichment in progress and waits for the workers.
func (e *Enricher) Close() {
	e.cancel()
	e.wg.Wait()
}

func (e *Enricher) work1() {
	defer e.wg.Done()
	for {
		select {
		case <-e.ctx.Done():
			return
		case j := <-e.queue:
			e.run(j)
		}
	}
}

func (e *Enricher) run(j job) {
	p, err := e.paper(e.ctx, j.paperID)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) && e.ctx.Err() == nil {
			e.o.Log.Warn("enrich: load paper", "paper", j.paperID, "err", err)
		}
		return
	}
	res, err := e.EnrichPaper(e.ctx, p, time.Time{})
	if res.Changed && e.o.Enriched != nil && e.ctx.Err() == nil {
		e.o.Enriched(e.ctx, p.ID)
	}
	if err == nil {
		e.o.Log.Info("enriched references", "paper", p.ID, "linked", res.Linked, "of", res.References,
			"matched", res.Matched, "abstracts", res.Abstracts, "flagged", res.Flagged, "fetched", res.Fetched)
		return
	}
	if e.ctx.Err() != nil {
		return
	}
	if j.attempt+1 >= e.o.Attempts {
		e.o.Log.Warn("enrich: gave up; run `chatpaper enrich` later", "paper", p.ID, "err", err)
		return
	}
	delay := e.o.Backoff << j.attempt
	e.o.Log.Info("enrich: registry unavailable; retrying later", "paper", p.ID, "in", delay.String(), "err", err)
	// A timer, not a sleeping goroutine: Close need not wait for it, and
	// enqueue after Close does nothing.
	time.AfterFunc(delay, func() { e.enqueue(job{paperID: j.paperID, attempt: j.attempt + 1}) })
}
