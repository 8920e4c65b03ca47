package search

import (
	"sort"

	"github.com/chatpaper/chatpaper/tokenize"
)

// Lexicon is an immutable BM25 index over one paper's passages: postings
// per term, the idf of each term computed once at build. It is safe for
// concurrent use.
type Lexicon struct {
	bm25 BM25
	post map[string][]Posting
	idf  map[string]float64
	lens []float32
	avg  float64
}

// NewLexicon indexes texts, one document per text, in order: document i
// is texts[i].
func NewLexicon(texts []string, p BM25) *Lexicon {
	lx := &Lexicon{bm25: p, post: make(map[string][]Posting), lens: make([]float32, len(texts))}
	var total float64
	tf := make(map[string]float32)
	for i, t := range texts {
		clear(tf)
		terms := tokenize.Terms(t)
		for _, term := range terms {
			tf[term]++
		}
		for term, f := range tf {
			lx.post[term] = append(lx.post[term], Posting{Doc: int32(i), TF: f})
		}
		lx.lens[i] = float32(len(terms))
		total += float64(len(terms))
	}
	if len(texts) > 0 {
		lx.avg = total / float64(len(texts))
	}
	lx.idf = make(map[string]float64, len(lx.post))
	for term, ps := range lx.post {
		lx.idf[term] = IDF(len(texts), len(ps))
	}
	return lx
}

// Len is the number of documents.
func (lx *Lexicon) Len() int { return len(lx.lens) }

// idfOf is the idf of term, also for a term no document holds (as if one
// hypothetical document did not: the weight of its absence).
func (lx *Lexicon) idfOf(term string) float64 {
	if w, ok := lx.idf[term]; ok {
		return w
	}
	return IDF(len(lx.lens), 0)
}

// Scores returns the BM25 score of every document for q's weighted
// terms, summed in q's term order so scores are the same on every run.
func (lx *Lexicon) Scores(q *Query) []float64 {
	out := make([]float64, len(lx.lens))
	add := func(d int32, s float64) { out[d] += s }
	for _, term := range q.Terms {
		ps := lx.post[term]
		if len(ps) == 0 {
			continue
		}
		lx.bm25.accumulate(ps, lx.idf[term], q.Weights[term], lx.lens, lx.avg, add)
	}
	return out
}

// has reports whether document d holds term.
func (lx *Lexicon) has(term string, d int) bool {
	ps := lx.post[term]
	i := sort.Search(len(ps), func(i int) bool { return int(ps[i].Doc) >= d })
	return i < len(ps) && int(ps[i].Doc) == d
}

// Has reports whether any document holds term.
func (lx *Lexicon) Has(term string) bool { return len(lx.post[term]) > 0 }

// Postings returns the documents holding term, in ascending order.
// Callers must not modify them.
func (lx *Lexicon) Postings(term string) []Posting { return lx.post[term] }

// DocLen is the length in terms of document d, and AvgLen the mean.
func (lx *Lexicon) DocLen(d int) float64 { return float64(lx.lens[d]) }

// AvgLen is the mean document length in terms.
func (lx *Lexicon) AvgLen() float64 { return lx.avg }

// Params are the BM25 parameters the lexicon scores with.
func (lx *Lexicon) Params() BM25 { return lx.bm25 }

// TermScore is the BM25 contribution of a term of weighted idf idfw
// occurring tf times in document d.
func (lx *Lexicon) TermScore(idfw, tf float64, d int) float64 {
	return lx.bm25.term(idfw, tf, float64(lx.lens[d]), lx.avg)
}
