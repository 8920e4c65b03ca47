package rag

import (
	"math"

	"github.com/chatpaper/chatpaper/tokenize"
)

// BM25 parameters: the usual Robertson defaults. Reference entries are
// short and similar in length, so length normalisation matters little.
const (
	bm25K1 = 1.2
	bm25B  = 0.75
)

// lexicon is a BM25 index over one paper's chunks.
type lexicon struct {
	docs   []map[string]float64 // term frequencies per chunk
	lens   []float64
	avgLen float64
	df     map[string]int
}

func newLexicon(texts []string) *lexicon {
	lx := &lexicon{
		docs: make([]map[string]float64, len(texts)),
		lens: make([]float64, len(texts)),
		df:   make(map[string]int),
	}
	var total float64
	for i, t := range texts {
		tf := make(map[string]float64)
		terms := tokenize.Terms(t)
		for _, term := range terms {
			tf[term]++
		}
		for term := range tf {
			lx.df[term]++
		}
		lx.docs[i] = tf
		lx.lens[i] = float64(len(terms))
		total += float64(len(terms))
	}
	if len(texts) > 0 {
		lx.avgLen = total / float64(len(texts))
	}
	return lx
}

// idf is the BM25+ style non-negative inverse document frequency.
func (lx *lexicon) idf(term string) float64 {
	n := float64(len(lx.docs))
	df := float64(lx.df[term])
	return math.Log(1 + (n-df+0.5)/(df+0.5))
}

// scores returns the BM25 score of every chunk for the weighted query
// terms.
func (lx *lexicon) scores(q *query) []float64 {
	out := make([]float64, len(lx.docs))
	for _, term := range q.terms { // in question order: same sums every run
		w := q.weights[term]
		if lx.df[term] == 0 {
			continue
		}
		idf := lx.idf(term) * w
		for i, tf := range lx.docs {
			f := tf[term]
			if f == 0 {
				continue
			}
			norm := bm25K1 * (1 - bm25B + bm25B*lx.lens[i]/lx.avgLen)
			out[i] += idf * f * (bm25K1 + 1) / (f + norm)
		}
	}
	return out
}

// has reports whether the paper contains term.
func (lx *lexicon) has(term string) bool { return lx.df[term] > 0 }
