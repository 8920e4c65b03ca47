package search

import (
	"slices"
	"strings"

	"github.com/chatpaper/chatpaper/dict"
	"github.com/chatpaper/chatpaper/tokenize"
)

// Query is a question or search text prepared for scoring. Its terms
// come in groups of alternatives: an English text has one group per
// content term; a Chinese word becomes one group holding the stems of
// its English glosses and its own character bigrams, so it matches an
// English document through any of its translations and a Chinese one
// directly, without one polysemous word outweighing the rest.
type Query struct {
	Groups [][]string
	// Weights are the BM25 weights of the distinct terms: per
	// occurrence of an English term 1, or its Rarity; a Chinese word's
	// weight shared among its glosses and, separately, among its bigrams.
	Weights map[string]float64
	// Terms are the distinct terms in text order.
	Terms []string
	// Pairs are the adjacent term pairs of the text (see QueryOptions).
	Pairs []string
	// EmbedText is what a text vector is computed from: the text plus
	// the English glosses of its Chinese words.
	EmbedText string
}

// QueryOptions choose what ParseQuery keeps.
type QueryOptions struct {
	// Rarity weighs each term by its rarity in scientific writing
	// (Rarity) instead of 1, so words that frame a question rather than
	// name its subject ("which studies describe…", 哪些文献研究了…) weigh
	// little without a list of them. Question answering weighs so;
	// catalogue search, measured on BEIR with unit weights, does not.
	Rarity bool
	// Vocabulary, when set, reports whether the document searched holds
	// a term: a Chinese word's glosses whose every term it holds are
	// searched instead of the table's first-listed ones (裂解 → lysis,
	// not pyrolysis, in a paper about lysis).
	Vocabulary func(term string) bool
	// NoGlosses matches Chinese by its character bigrams alone, without
	// the dictionary (an ablation of the bilingual pair run).
	NoGlosses bool
	// Pairs also collects adjacent term pairs, for an index built with
	// term pairs.
	Pairs bool
}

// ParseQuery is the one query builder: question answering and catalogue
// search both turn text into terms and weights through it.
func ParseQuery(text string, o QueryOptions) *Query {
	q := &Query{Weights: map[string]float64{}, EmbedText: text}
	glosses := !o.NoGlosses
	weight := func(t string) float64 {
		if o.Rarity {
			return Rarity(t)
		}
		return 1
	}
	for _, tok := range tokenize.Scan(text) {
		if tok.CJK && glosses {
			continue
		}
		q.add([]string{tok.Term})
		q.addWeight(tok.Term, weight(tok.Term))
	}
	if o.Pairs {
		ts := tokenize.Terms(text)
		for i := 1; i < len(ts); i++ {
			q.Pairs = append(q.Pairs, pair(ts[i-1], ts[i]))
		}
	}
	if !glosses || !tokenize.HasCJK(text) {
		return q
	}
	var gloss []string
	for _, w := range dict.Translate(text) {
		if w.Stop || (len(w.En) == 0 && len([]rune(w.Zh)) == 1) {
			continue // a function word or an unknown lone character
		}
		chosen := chooseGlosses(w, o.Vocabulary)
		stems := glossTerms(chosen)
		if len(chosen) > 0 && len(stems) == 0 {
			continue // translates to stop words only
		}
		gloss = append(gloss, chosen...)
		// The word's weight (its rarest gloss term's, with Rarity) is
		// shared among its glosses (each term of a multi-word gloss gets
		// its gloss's share) and, separately, among its own bigrams:
		// either side alone can match fully.
		unit := 1.0
		if o.Rarity && len(stems) > 0 {
			unit = 0
			for _, ts := range stems {
				for _, t := range ts {
					unit = max(unit, Rarity(t))
				}
			}
		}
		var group []string
		for _, ts := range stems {
			for _, t := range ts {
				group = appendNew(group, t)
				q.addWeight(t, unit/float64(len(stems)))
			}
		}
		bigrams := tokenize.Terms(w.Zh)
		for _, t := range bigrams {
			group = appendNew(group, t)
			q.addWeight(t, unit/float64(len(bigrams)))
		}
		q.add(group)
	}
	q.EmbedText = text + " " + strings.Join(gloss, " ")
	return q
}

func (q *Query) add(group []string) {
	if len(group) > 0 {
		q.Groups = append(q.Groups, group)
	}
}

func (q *Query) addWeight(t string, w float64) {
	if _, ok := q.Weights[t]; !ok {
		q.Terms = append(q.Terms, t)
	}
	q.Weights[t] += w
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

// chooseGlosses returns the glosses of w to search with: those of its
// senses whose every term the document holds, or its default glosses
// when none does or no document is known.
func chooseGlosses(w dict.Word, vocab func(string) bool) []string {
	if vocab == nil {
		return w.En
	}
	var in []string
	for _, g := range w.Senses {
		ts := tokenize.Terms(g)
		if len(ts) > 0 && !slices.ContainsFunc(ts, func(t string) bool { return !vocab(t) }) {
			in = append(in, g)
		}
	}
	if len(in) == 0 {
		return w.En
	}
	return in
}

func appendNew(xs []string, x string) []string {
	if slices.Contains(xs, x) {
		return xs
	}
	return append(xs, x)
}
