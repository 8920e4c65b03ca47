package library

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/search"
	"github.com/chatpaper/chatpaper/store"
	"github.com/chatpaper/chatpaper/tokenize"
)

// Search limits.
const (
	DefaultSearchLimit = 10
	MaxSearchLimit     = 50
)

// SearchRequest asks which stored papers discuss something.
type SearchRequest struct {
	Text string
	// Lang is the reader's language, en_US or zh_CN; empty means detect
	// it from Text. It picks the title shown, not the ranking: Chinese
	// and English queries both match papers in either language.
	Lang string
	// Limit bounds the hits; 0 means DefaultSearchLimit.
	Limit int
}

// PaperHit is one paper found by SearchPapers.
type PaperHit struct {
	ID      string  `json:"id"`
	Title   string  `json:"title"`
	Journal string  `json:"journal,omitempty"`
	Year    int     `json:"year,omitempty"`
	DOI     string  `json:"doi,omitempty"`
	Score   float64 `json:"score"`
}

// SearchResult is the answer to a SearchRequest, best paper first.
type SearchResult struct {
	Query  string     `json:"query"`
	Lang   string     `json:"lang"`
	Papers []PaperHit `json:"papers"`
}

// ErrInvalidQuery is returned (wrapped) when a catalogue search cannot
// be run: an empty or too long query, a limit out of range, an
// unsupported language.
var ErrInvalidQuery = errors.New("invalid query")

// MaxQueryRunes bounds a search query's length, as a question's.
const MaxQueryRunes = 2000

// catalogueDoc is what the catalogue index holds of a paper: both titles and
// both abstracts, so a query in either language finds it.
func catalogueDoc(p *paper.Paper) search.Doc {
	return search.Doc{
		ID:    p.ID,
		Title: strings.TrimSpace(p.Title + " " + p.TitleZh),
		Text:  strings.TrimSpace(p.Abstract + " " + p.AbstractZh),
	}
}

// SearchPapers ranks every stored paper's title and abstract for the
// request with the catalogue index (search.DefaultOptions: BM25, term
// pairs and RM3, Chinese matched through the shipped dictionary).
func (l *Library) SearchPapers(ctx context.Context, r SearchRequest) (*SearchResult, error) {
	r.Text = strings.TrimSpace(r.Text)
	if r.Text == "" {
		return nil, fmt.Errorf("%w: query is empty", ErrInvalidQuery)
	}
	if n := utf8.RuneCountInString(r.Text); n > MaxQueryRunes {
		return nil, fmt.Errorf("%w: query has %d characters, at most %d are allowed", ErrInvalidQuery, n, MaxQueryRunes)
	}
	if r.Limit < 0 || r.Limit > MaxSearchLimit {
		return nil, fmt.Errorf("%w: limit %d must be between 1 and %d", ErrInvalidQuery, r.Limit, MaxSearchLimit)
	}
	if r.Limit == 0 {
		r.Limit = DefaultSearchLimit
	}
	switch r.Lang {
	case "":
		r.Lang = paper.LangEN
		if tokenize.Lang(r.Text) == "zh" {
			r.Lang = paper.LangZH
		}
	case paper.LangEN, paper.LangZH:
	default:
		return nil, fmt.Errorf("%w: lang %q must be en_US or zh_CN", paper.ErrInvalidLang, r.Lang)
	}
	ix, err := l.catalogueIndex(ctx)
	if err != nil {
		return nil, err
	}
	res := &SearchResult{Query: r.Text, Lang: r.Lang, Papers: []PaperHit{}}
	hits := ix.Search(r.Text, r.Limit)
	c := &l.cat
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, h := range hits {
		p, ok := c.metas[h.ID]
		if !ok {
			continue // deleted between search and lookup
		}
		title := p.Title
		if r.Lang == paper.LangZH && p.TitleZh != "" {
			title = p.TitleZh
		}
		res.Papers = append(res.Papers, PaperHit{ID: p.ID, Title: title, Journal: p.Journal, Year: p.Year, DOI: p.DOI, Score: Round3(h.Score)})
	}
	return res, nil
}

// catalogue is the library's index of every stored paper's titles and
// abstracts. It is built on the first search without holding any lock
// that loads, asks or ingests wait on; Ingest and Delete update it
// incrementally (their updates during the build are logged and replayed
// onto the new index); and when the library revalidates (other
// processes may write the store), a search finding the index older than
// the revalidation interval first brings it in step with the store's
// listing of content hashes, so a paper ingested elsewhere is found
// within that interval.
type catalogue struct {
	mu     sync.Mutex // guards the fields below; held only for map and index updates
	ix     *search.Index
	metas  map[string]paperMeta
	synced time.Time // when ix last matched the store's listing
	// building is non-nil while the first build runs; closed when done.
	building chan struct{}
	log      []catOp // writes made during the build, replayed onto it

	syncMu sync.Mutex // one revalidation at a time
}

// catOp is one logged catalogue write: a put (p set, with its
// catalogue terms when known) or a drop.
type catOp struct {
	id    string
	p     *paper.Paper
	hash  string
	terms []byte
}

// catalogueIndex returns the catalogue index, building it from the
// store on first use and revalidating it against the store when it is
// older than the revalidation interval.
func (l *Library) catalogueIndex(ctx context.Context) (*search.Index, error) {
	c := &l.cat
	for {
		c.mu.Lock()
		ix, building, synced := c.ix, c.building, c.synced
		if ix == nil && building == nil {
			c.building = make(chan struct{})
			c.log = []catOp{}
			c.mu.Unlock()
			err := l.buildCatalogue(ctx)
			if err != nil {
				return nil, err
			}
			continue
		}
		c.mu.Unlock()
		if ix == nil {
			select {
			case <-building:
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		if l.revalidate > 0 && l.now().Sub(synced) > l.revalidate {
			if err := l.syncCatalogue(ctx); err != nil {
				// A store hiccup must not fail searches of the index held.
				l.log.Warn("revalidate catalogue index", "err", err)
			}
		}
		return ix, nil
	}
}

// buildCatalogue builds the index from the store, outside c.mu, then
// installs it with the writes logged meanwhile replayed in order.
func (l *Library) buildCatalogue(ctx context.Context) error {
	c := &l.cat
	started := l.now()
	ix, metas, err := l.readCatalogue(context.WithoutCancel(ctx))
	c.mu.Lock()
	defer c.mu.Unlock()
	defer func() { close(c.building); c.building = nil }()
	if err != nil {
		c.log = nil
		return fmt.Errorf("build search index: %w", err)
	}
	for _, op := range c.log {
		applyCatOp(ix, metas, op)
	}
	c.ix, c.metas, c.synced, c.log = ix, metas, started, nil
	return nil
}

// catalogueOptions rank the catalogue: search.DefaultOptions, measured
// on BEIR SciFact.
var catalogueOptions = search.DefaultOptions()

// CatalogueTerms returns p's catalogue document (both titles and both
// abstracts) in the catalogue index's stored form, which Ingest keeps
// with the paper (Store.PutCatalogueTerms), so the first catalogue
// search indexes it without tokenizing. Bulk loaders store the same.
func CatalogueTerms(p *paper.Paper) []byte { return catalogueOptions.EncodeDoc(catalogueDoc(p)) }

// catalogueBackfillBatch bounds the papers whose missing catalogue
// terms one store transaction writes.
const catalogueBackfillBatch = 100

// readCatalogue indexes every stored paper's titles and abstracts, read
// in one query without decoding whole papers: from the stored catalogue
// terms where the store holds current ones, else from the text, whose
// terms are then stored (papers stored before the terms existed, or by
// another analysis) so the next build need not tokenize them.
func (l *Library) readCatalogue(ctx context.Context) (*search.Index, map[string]paperMeta, error) {
	abs, err := l.store.Abstracts(ctx)
	if err != nil {
		return nil, nil, err
	}
	metas := make(map[string]paperMeta, len(abs))
	docs := make([]search.StoredDoc, len(abs))
	var missing []store.CatalogueTerms
	for i, a := range abs {
		p := &paper.Paper{ID: a.ID, Title: a.Title, TitleZh: a.TitleZh, Abstract: a.Abstract, AbstractZh: a.AbstractZh,
			Journal: a.Journal, DOI: a.DOI, Year: a.Year}
		metas[a.ID] = metaOf(p, a.Hash)
		terms := a.Terms
		if !catalogueOptions.Current(terms) {
			if terms != nil {
				// Stored by another analysis: the store did not read
				// the abstracts, so read the paper.
				full, err := l.store.Paper(ctx, a.ID)
				if IsNotFound(err) {
					delete(metas, a.ID)
					continue
				}
				if err != nil {
					return nil, nil, err
				}
				p = full
			}
			terms = CatalogueTerms(p)
			missing = append(missing, store.CatalogueTerms{ID: a.ID, Hash: a.Hash, Terms: terms})
		}
		docs[i] = search.StoredDoc{ID: a.ID, Terms: terms}
	}
	ix, bad := search.Build(catalogueOptions, docs)
	for _, i := range bad {
		id := docs[i].ID
		if id == "" {
			continue // deleted while read
		}
		// Current by its header yet malformed: analyse the paper again.
		p, err := l.store.Paper(ctx, id)
		if IsNotFound(err) {
			delete(metas, id)
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		terms := CatalogueTerms(p)
		if err := ix.AddStored(id, terms); err != nil {
			return nil, nil, err
		}
		missing = append(missing, store.CatalogueTerms{ID: id, Hash: abs[i].Hash, Terms: terms})
	}
	for len(missing) > 0 {
		n := min(len(missing), catalogueBackfillBatch)
		if err := l.store.PutCatalogueTerms(ctx, missing[:n]); err != nil {
			// The index is built all the same; a later build retries.
			l.log.Warn("store catalogue terms", "papers", len(missing), "err", err)
			break
		}
		missing = missing[n:]
	}
	return ix, metas, nil
}

// syncCatalogue brings the index in step with the store's listing: papers
// new or changed there (by content hash) are read and indexed, papers
// gone are removed. A paper this library wrote after the listing's
// snapshot of the index keeps this library's version.
func (l *Library) syncCatalogue(ctx context.Context) error {
	c := &l.cat
	c.syncMu.Lock()
	defer c.syncMu.Unlock()
	started := l.now()
	c.mu.Lock()
	if started.Sub(c.synced) <= l.revalidate {
		c.mu.Unlock()
		return nil // another search just did it
	}
	seen := make(map[string]string, len(c.metas))
	for id, m := range c.metas {
		seen[id] = m.Hash
	}
	ix := c.ix
	c.mu.Unlock()

	infos, err := l.store.Papers(ctx)
	if err != nil {
		return err
	}
	var ops []catOp
	listed := make(map[string]bool, len(infos))
	for _, info := range infos {
		listed[info.ID] = true
		if h, ok := seen[info.ID]; ok && h == info.Hash {
			continue
		}
		p, err := l.store.Paper(ctx, info.ID)
		if IsNotFound(err) {
			continue
		}
		if err != nil {
			return err
		}
		ops = append(ops, catOp{id: p.ID, p: p, hash: store.ContentHash(p)})
	}
	for id := range seen {
		if !listed[id] {
			ops = append(ops, catOp{id: id})
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, op := range ops {
		cur, ok := c.metas[op.id]
		if before, was := seen[op.id]; ok != was || (ok && cur.Hash != before) {
			continue // written here since the snapshot: that version is newer
		}
		applyCatOp(ix, c.metas, op)
	}
	c.synced = started
	return nil
}

func applyCatOp(ix *search.Index, metas map[string]paperMeta, op catOp) {
	if op.p == nil {
		ix.Remove(op.id)
		delete(metas, op.id)
		return
	}
	if op.terms == nil || ix.AddStored(op.id, op.terms) != nil {
		ix.Add(catalogueDoc(op.p))
	}
	metas[op.id] = metaOf(op.p, op.hash)
}

// paperMeta is what a search hit shows of a paper, and the content hash
// of the version indexed.
type paperMeta struct {
	ID, Title, TitleZh, Journal, DOI, Hash string
	Year                                   int
}

func metaOf(p *paper.Paper, hash string) paperMeta {
	return paperMeta{ID: p.ID, Title: p.Title, TitleZh: p.TitleZh, Journal: p.Journal, DOI: p.DOI, Year: p.Year, Hash: hash}
}

// cataloguePut indexes a stored paper from its catalogue terms (or logs
// it while the index is being built). The caller holds the paper's write
// lock.
func (l *Library) cataloguePut(p *paper.Paper, hash string, terms []byte) {
	l.catalogueWrite(catOp{id: p.ID, p: p, hash: hash, terms: terms})
}

// catalogueDrop removes a paper from the catalogue index (or logs it
// while the index is being built). The caller holds the paper's write
// lock.
func (l *Library) catalogueDrop(id string) { l.catalogueWrite(catOp{id: id}) }

func (l *Library) catalogueWrite(op catOp) {
	c := &l.cat
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.ix != nil:
		applyCatOp(c.ix, c.metas, op)
	case c.building != nil:
		c.log = append(c.log, op)
	}
}

// Round3 rounds a score to three decimals, as clients see scores.
func Round3(x float64) float64 { return float64(int64(x*1000+0.5)) / 1000 }
