package rag

import (
	"strings"

	"github.com/chatpaper/chatpaper/dict"
	"github.com/chatpaper/chatpaper/search"
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
	// weights are the BM25 weights of the distinct terms: a term's
	// background rarity (its search.BackgroundIDF over the largest
	// value), shared among a Chinese word's translations. Words that
	// every abstract uses ("study", "describe") so weigh little in the
	// ranking without a list of words that frame questions.
	weights map[string]float64
	// terms are the distinct terms in question order, for picking the
	// quoted sentence and summing scores in a fixed order.
	terms []string
	// embedText is what the question vector is computed from: the
	// question plus the English glosses of its Chinese words.
	embedText string
}

// vocabulary reports whether a term occurs in the paper; nil means no
// paper is known.
type vocabulary func(term string) bool

// parseQuery turns question text into a query. Chinese words are
// translated with the shipped dictionary: when vocab is given, a word's
// glosses whose terms all occur in the paper are preferred to the
// table's first-listed ones (裂解 → lysis, not pyrolysis, in a paper
// about lysis). Without glosses (a measurement only) Chinese is matched
// by character bigrams alone.
func parseQuery(text string, glosses bool, vocab vocabulary) *query {
	q := &query{weights: map[string]float64{}, embedText: text}
	for _, tok := range tokenize.Scan(text) {
		if tok.CJK && glosses {
			continue
		}
		q.add([]string{tok.Term})
		q.addWeight(tok.Term, rarity(tok.Term))
	}
	if !glosses || !tokenize.HasCJK(text) {
		return q
	}
	var gloss []string
	for _, w := range dict.Translate(text) {
		if w.Stop || (len(w.En) == 0 && len([]rune(w.Zh)) == 1) {
			continue // a function word or an unknown lone character
		}
		chosen := chooseGlosses(w, vocab)
		stems := glossTerms(chosen)
		if len(chosen) > 0 && len(stems) == 0 {
			continue // translates to stop words only
		}
		gloss = append(gloss, chosen...)
		// The word's weight is shared among its glosses (each term of a
		// multi-word gloss gets its gloss's share) and, separately,
		// among its own bigrams: either side alone can match fully.
		var group []string
		var wordRarity float64
		for _, ts := range stems {
			for _, t := range ts {
				wordRarity = max(wordRarity, rarity(t))
			}
		}
		if len(stems) == 0 {
			wordRarity = 1 // no gloss: the bigrams are all there is
		}
		for _, ts := range stems {
			for _, t := range ts {
				group = appendNew(group, t)
				q.addWeight(t, wordRarity/float64(len(stems)))
			}
		}
		bigrams := tokenize.Terms(w.Zh)
		for _, t := range bigrams {
			group = appendNew(group, t)
			q.addWeight(t, wordRarity/float64(len(bigrams)))
		}
		q.add(group)
	}
	q.embedText = text + " " + strings.Join(gloss, " ")
	return q
}

// rarity is a term's query weight: its background IDF relative to the
// rarest possible term, in (0,1].
func rarity(t string) float64 { return search.BackgroundIDF(t) / search.MaxBackgroundIDF() }

// chooseGlosses returns the glosses of w to search with: those of its
// senses whose every content term occurs in the paper, or its default
// glosses when none does or no paper is known.
func chooseGlosses(w dict.Word, vocab vocabulary) []string {
	if vocab == nil {
		return w.En
	}
	var in []string
	for _, g := range w.Senses {
		ts := tokenize.Terms(g)
		if len(ts) == 0 {
			continue
		}
		all := true
		for _, t := range ts {
			if !vocab(t) {
				all = false
				break
			}
		}
		if all {
			in = append(in, g)
		}
	}
	if len(in) == 0 {
		return w.En
	}
	return in
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

// glossTerms returns the content stems of each gloss.
func glossTerms(glosses []string) [][]string {
	var out [][]string
	for _, g := range glosses {
		if ts := tokenize.Terms(g); len(ts) > 0 {
			out = append(out, ts)
		}
	}
	return out
}

func appendNew(xs []string, x string) []string {
	for _, y := range xs {
		if y == x {
			return xs
		}
	}
	return append(xs, x)
}
