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

// absentBoost weighs query terms found nowhere in the paper.
const absentBoost = 1.5

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

// coverage is the share of the query's IDF mass that chunk i contains:
// 1 when every query term occurs in it, 0 when none does. It is the
// relevance signal the answerability decision rests on, because unlike
// raw BM25 it is comparable across questions. A group of alternative
// terms (the translations of one Chinese word) counts once, by its
// rarest member the paper contains.
func (lx *lexicon) coverage(q *query, i int) float64 {
	var have, all float64
	for _, g := range q.groups {
		var inPaper, inChunk, absent float64
		for _, term := range g {
			w := lx.idf(term)
			if lx.df[term] == 0 {
				// A term the paper never uses is evidence the question is
				// about something else ("treatment for diabetes").
				absent = max(absent, w*absentBoost)
				continue
			}
			inPaper = max(inPaper, w)
			if lx.docs[i][term] > 0 {
				inChunk = max(inChunk, w)
			}
		}
		if inPaper == 0 {
			all += absent
			continue
		}
		all += inPaper
		have += inChunk
	}
	if all == 0 {
		return 0
	}
	return have / all
}
