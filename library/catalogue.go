package library

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/search"
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
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, h := range hits {
		p, ok := l.metas[h.ID]
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

// corpusIndex returns the catalogue index, building it from the store on
// first use. Ingest and Delete keep it current afterwards.
func (l *Library) catalogueIndex(ctx context.Context) (*search.Index, error) {
	l.mu.Lock()
	ix := l.catalogue
	l.mu.Unlock()
	if ix != nil {
		return ix, nil
	}
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	l.mu.Lock()
	ix = l.catalogue
	l.mu.Unlock()
	if ix != nil {
		return ix, nil
	}
	infos, err := l.store.Papers(ctx)
	if err != nil {
		return nil, fmt.Errorf("build search index: %w", err)
	}
	ix = search.New(search.DefaultOptions())
	papers := make(map[string]paperMeta, len(infos))
	for _, info := range infos {
		p, err := l.store.Paper(ctx, info.ID)
		if err != nil {
			return nil, fmt.Errorf("build search index: %w", err)
		}
		ix.Add(catalogueDoc(p))
		papers[p.ID] = metaOf(p)
	}
	l.mu.Lock()
	l.catalogue, l.metas = ix, papers
	l.mu.Unlock()
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

// cataloguePut indexes a stored paper if the catalogue index is built.
// The caller holds writeMu.
func (l *Library) cataloguePut(p *paper.Paper) {
	l.mu.Lock()
	ix := l.catalogue
	if ix != nil {
		l.metas[p.ID] = metaOf(p)
	}
	l.mu.Unlock()
	if ix != nil {
		ix.Add(catalogueDoc(p))
	}
}

// catalogueDrop removes a paper from the catalogue index if it is
// built. The caller holds writeMu.
func (l *Library) catalogueDrop(id string) {
	l.mu.Lock()
	ix := l.catalogue
	if ix != nil {
		delete(l.metas, id)
	}
	l.mu.Unlock()
	if ix != nil {
		ix.Remove(id)
	}
}

// Round3 rounds a score to three decimals, as clients see scores.
func Round3(x float64) float64 { return float64(int64(x*1000+0.5)) / 1000 }
