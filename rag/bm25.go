package rag

import (
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/search"
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
	vocab  []string // the distinct terms, sorted
	// abbrevs are the abbreviations the paper defines.
	abbrevs []Abbrev
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
	lx.vocab = make([]string, 0, len(lx.df))
	for t := range lx.df {
		lx.vocab = append(lx.vocab, t)
	}
	sort.Strings(lx.vocab)
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

// paperAbbrevs returns the abbreviations p's abstract defines.
func paperAbbrevs(p *paper.Paper) []Abbrev { return Abbreviations(p.Abstract) }

// expand adds the paper's own alternatives to q's groups, so a question
// matches the paper whichever of two equivalent forms either uses:
//
//   - an abbreviation the paper defines ("dendritic cells (DCs)"): a
//     question naming the short form also searches for the long form's
//     rarest term, and one naming every term of the long form also
//     searches for the short form;
//   - another form of a word the paper lacks: a question term of at
//     least five letters that the paper does not contain also searches
//     for the paper's terms that extend it, or that it extends, by at
//     most three letters — the derivational endings the stemmer leaves
//     apart ("deliv" of delivering and "deliveri" of delivery,
//     "secret" and "secretori").
func (lx *lexicon) expand(q *query) {
	for _, a := range lx.abbrevs {
		sf := tokenize.Terms(a.Short)
		lf := tokenize.Terms(a.Long)
		if len(sf) != 1 || len(lf) == 0 {
			continue
		}
		rare := lf[0]
		for _, t := range lf[1:] {
			if search.BackgroundIDF(t) > search.BackgroundIDF(rare) {
				rare = t
			}
		}
		for gi, g := range q.groups {
			if slices.Contains(g, sf[0]) && !slices.Contains(g, rare) {
				q.groups[gi] = append(g, rare)
				q.addWeight(rare, q.weights[sf[0]])
			}
		}
		if all(lf, func(t string) bool { _, ok := q.weights[t]; return ok }) {
			for gi, g := range q.groups {
				if slices.Contains(g, rare) && !slices.Contains(g, sf[0]) {
					q.groups[gi] = append(g, sf[0])
					q.addWeight(sf[0], q.weights[rare])
				}
			}
		}
	}
	for gi, g := range q.groups {
		for _, t := range g {
			if lx.has(t) || !formVariantCandidate(t) {
				continue
			}
			for _, v := range lx.vocab {
				if formVariant(t, v) && !slices.Contains(q.groups[gi], v) {
					q.groups[gi] = append(q.groups[gi], v)
					q.addWeight(v, q.weights[t])
				}
			}
		}
	}
}

func all(xs []string, f func(string) bool) bool {
	for _, x := range xs {
		if !f(x) {
			return false
		}
	}
	return true
}

func formVariantCandidate(t string) bool {
	if len(t) < 5 {
		return false
	}
	for i := 0; i < len(t); i++ {
		if t[i] < 'a' || t[i] > 'z' {
			return false
		}
	}
	return true
}

// formVariant reports whether stems a and b are forms of one word: the
// shorter, of at least five letters, begins the longer, which adds at
// most three letters.
func formVariant(a, b string) bool {
	if a == b || !formVariantCandidate(b) {
		return false
	}
	if len(a) > len(b) {
		a, b = b, a
	}
	return len(a) >= 5 && len(b)-len(a) <= 3 && strings.HasPrefix(b, a)
}
