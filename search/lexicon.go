package search

import (
	"sort"

	"github.com/chatpaper/chatpaper/tokenize"
)

// absentBoost weighs query terms found nowhere in the paper in Coverage.
const absentBoost = 1.5

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

// Coverage is the share of the query's IDF mass that document d
// contains: 1 when every query term occurs in it, 0 when none does. It
// is the relevance signal the answerability decision rests on, because
// unlike raw BM25 it is comparable across questions. A group of
// alternative terms (the translations of one Chinese word) counts once,
// by its rarest member the paper contains; a term the paper never uses
// counts against the question (absentBoost), as evidence it is about
// something else ("treatment for diabetes").
func (lx *Lexicon) Coverage(q *Query, d int) float64 {
	var have, all float64
	for _, g := range q.Groups {
		var inPaper, inChunk, absent float64
		for _, term := range g {
			w := lx.idfOf(term)
			if len(lx.post[term]) == 0 {
				absent = max(absent, w*absentBoost)
				continue
			}
			inPaper = max(inPaper, w)
			if lx.has(term, d) {
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
