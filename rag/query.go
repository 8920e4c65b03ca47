package rag

import (
	"strings"

	"github.com/chatpaper/chatpaper/dict"
	"github.com/chatpaper/chatpaper/tokenize"
)

// query is a question prepared for retrieval. Its terms come in groups
// of alternatives: an English question has one group per content term;
// a Chinese word becomes one group holding the stems of its English
// glosses and its own character bigrams, so it matches an English paper
// through any of its translations and a Chinese abstract directly,
// without one polysemous word outweighing the rest of the question.
type query struct {
	groups [][]string
	// weights are the BM25 weights of the distinct terms: 1 for an
	// English term, shared among a Chinese word's translations.
	weights map[string]float64
	// terms are the distinct terms in question order, for picking the
	// quoted sentence.
	terms []string
	// embedText is what the question vector is computed from: the
	// question plus the English glosses of its Chinese words.
	embedText string
}

// parseQuery turns question text into a query. Words that merely frame
// a question ("which studies", 哪些文献) are dropped. Without glosses
// (a measurement only) Chinese is matched by character bigrams alone.
func parseQuery(text string, glosses bool) *query {
	q := &query{weights: map[string]float64{}, embedText: text}
	for _, tok := range tokenize.Scan(text) {
		if (tok.CJK && glosses) || framing[tok.Term] {
			continue
		}
		q.add([]string{tok.Term})
		q.addWeight(tok.Term, 1)
	}
	if !glosses || !tokenize.HasCJK(text) {
		return q
	}
	var gloss []string
	for _, w := range dict.Translate(text) {
		if w.Stop || (len(w.En) == 0 && len([]rune(w.Zh)) == 1) {
			continue // a function word or an unknown lone character
		}
		stems, framed := glossTerms(w.En)
		if framed || (len(w.En) > 0 && len(stems) == 0) {
			continue // frames the question, or translates to stop words only
		}
		gloss = append(gloss, w.En...)
		// The word's weight is shared among its glosses (each term of a
		// multi-word gloss gets its gloss's share) and, separately,
		// among its own bigrams: either side alone can match fully.
		var group []string
		for _, ts := range stems {
			for _, t := range ts {
				group = appendNew(group, t)
				q.addWeight(t, 1/float64(len(stems)))
			}
		}
		bigrams := tokenize.Terms(w.Zh)
		for _, t := range bigrams {
			group = appendNew(group, t)
			q.addWeight(t, 1/float64(len(bigrams)))
		}
		q.add(group)
	}
	q.embedText = text + " " + strings.Join(gloss, " ")
	return q
}

func (q *query) add(group []string) {
	if len(group) > 0 {
		q.groups = append(q.groups, group)
	}
}

func (q *query) addWeight(t string, w float64) {
	if _, ok := q.weights[t]; !ok {
		q.terms = append(q.terms, t)
	}
	q.weights[t] += w
}

// glossTerms returns the content stems of each gloss, and whether the
// word merely frames the question: at least half of its stems are
// framing words (研究: research, study, look into).
func glossTerms(glosses []string) ([][]string, bool) {
	var out [][]string
	var all, framed int
	for _, g := range glosses {
		var ts []string
		for _, t := range tokenize.Terms(g) {
			all++
			if framing[t] {
				framed++
				continue
			}
			ts = append(ts, t)
		}
		if len(ts) > 0 {
			out = append(out, ts)
		}
	}
	return out, all > 0 && 2*framed >= all
}

func appendNew(xs []string, x string) []string {
	for _, y := range xs {
		if y == x {
			return xs
		}
	}
	return append(xs, x)
}
