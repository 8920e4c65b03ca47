package rag

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/search"
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

// PaperSearcher finds papers by what their title and abstract discuss.
type PaperSearcher interface {
	SearchPapers(ctx context.Context, r SearchRequest) (*SearchResult, error)
}

var _ PaperSearcher = (*Engine)(nil)

// corpusDoc is what the corpus index holds of a paper: both titles and
// both abstracts, so a query in either language finds it.
func corpusDoc(p *paper.Paper) search.Doc {
	return search.Doc{
		ID:    p.ID,
		Title: strings.TrimSpace(p.Title + " " + p.TitleZh),
		Text:  strings.TrimSpace(p.Abstract + " " + p.AbstractZh),
	}
}

// SearchPapers ranks every stored paper's title and abstract for the
// request with the corpus index (search.DefaultOptions: BM25, term
// pairs and RM3, Chinese matched through the shipped dictionary).
func (e *Engine) SearchPapers(ctx context.Context, r SearchRequest) (*SearchResult, error) {
	r.Text = strings.TrimSpace(r.Text)
	if r.Text == "" {
		return nil, fmt.Errorf("%w: query is empty", ErrInvalidQuestion)
	}
	if n := utf8.RuneCountInString(r.Text); n > MaxQuestionRunes {
		return nil, fmt.Errorf("%w: query has %d characters, at most %d are allowed", ErrInvalidQuestion, n, MaxQuestionRunes)
	}
	if r.Limit < 0 || r.Limit > MaxSearchLimit {
		return nil, fmt.Errorf("%w: limit %d must be between 1 and %d", ErrInvalidQuestion, r.Limit, MaxSearchLimit)
	}
	if r.Limit == 0 {
		r.Limit = DefaultSearchLimit
	}
	q, err := normalizeQuestion(Question{Text: r.Text, Lang: r.Lang})
	if err != nil {
		return nil, err
	}
	ix, err := e.corpusIndex(ctx)
	if err != nil {
		return nil, err
	}
	res := &SearchResult{Query: r.Text, Lang: q.Lang, Papers: []PaperHit{}}
	hits := ix.Search(r.Text, r.Limit)
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, h := range hits {
		p, ok := e.corpusPapers[h.ID]
		if !ok {
			continue // deleted between search and lookup
		}
		title := p.Title
		if q.Lang == paper.LangZH && p.TitleZh != "" {
			title = p.TitleZh
		}
		res.Papers = append(res.Papers, PaperHit{ID: p.ID, Title: title, Journal: p.Journal, Year: p.Year, DOI: p.DOI, Score: round3(h.Score)})
	}
	return res, nil
}

// corpusIndex returns the corpus index, building it from the store on
// first use. Ingest and Delete keep it current afterwards.
func (e *Engine) corpusIndex(ctx context.Context) (*search.Index, error) {
	e.mu.Lock()
	ix := e.corpus
	e.mu.Unlock()
	if ix != nil {
		return ix, nil
	}
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	e.mu.Lock()
	ix = e.corpus
	e.mu.Unlock()
	if ix != nil {
		return ix, nil
	}
	infos, err := e.store.Papers(ctx)
	if err != nil {
		return nil, fmt.Errorf("build search index: %w", err)
	}
	ix = search.New(search.DefaultOptions())
	papers := make(map[string]paperMeta, len(infos))
	for _, info := range infos {
		p, err := e.store.Paper(ctx, info.ID)
		if err != nil {
			return nil, fmt.Errorf("build search index: %w", err)
		}
		ix.Add(corpusDoc(p))
		papers[p.ID] = metaOf(p)
	}
	e.mu.Lock()
	e.corpus, e.corpusPapers = ix, papers
	e.mu.Unlock()
	return ix, nil
}

// paperMeta is what a search hit shows of a paper.
type paperMeta struct {
	ID, Title, TitleZh, Journal, DOI string
	Year                             int
}

func metaOf(p *paper.Paper) paperMeta {
	return paperMeta{ID: p.ID, Title: p.Title, TitleZh: p.TitleZh, Journal: p.Journal, DOI: p.DOI, Year: p.Year}
}

// corpusPut indexes a stored paper if the corpus index is built. The
// caller holds writeMu.
func (e *Engine) corpusPut(p *paper.Paper) {
	e.mu.Lock()
	ix := e.corpus
	if ix != nil {
		e.corpusPapers[p.ID] = metaOf(p)
	}
	e.mu.Unlock()
	if ix != nil {
		ix.Add(corpusDoc(p))
	}
}

// corpusDrop removes a paper from the corpus index if it is built. The
// caller holds writeMu.
func (e *Engine) corpusDrop(id string) {
	e.mu.Lock()
	ix := e.corpus
	if ix != nil {
		delete(e.corpusPapers, id)
	}
	e.mu.Unlock()
	if ix != nil {
		ix.Remove(id)
	}
}
