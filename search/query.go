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
	// Weights are the BM25 weights of the distinct terms: 1 per
	// occurrence of an English term; a Chinese word's unit weight shared
	// among its glosses and, separately, among its bigrams.
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
	// DropFraming drops words that frame a question rather than name its
	// subject ("which studies describe…", 哪些文献研究了…). Question
	// answering drops them; catalogue search, measured on BEIR with
	// them, keeps them.
	DropFraming bool
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
	for _, tok := range tokenize.Scan(text) {
		if (tok.CJK && glosses) || (o.DropFraming && framing[tok.Term]) {
			continue
		}
		q.add([]string{tok.Term})
		q.addWeight(tok.Term, 1)
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
		stems, framed := glossTerms(w.En, o.DropFraming)
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

// glossTerms returns the content stems of each gloss, and whether the
// word merely frames the question: at least half of its stems are
// framing words (研究: research, study, look into). Without dropFraming
// every stem is content.
func glossTerms(glosses []string, dropFraming bool) ([][]string, bool) {
	var out [][]string
	var all, framed int
	for _, g := range glosses {
		var ts []string
		for _, t := range tokenize.Terms(g) {
			all++
			if dropFraming && framing[t] {
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
	if slices.Contains(xs, x) {
		return xs
	}
	return append(xs, x)
}

// framing are stems of words that frame a question rather than name its
// subject ("Which studies describe…"). Dropping them keeps a question
// from being judged answerable merely because the paper, too, contains
// "study".
var framing = stemSet(`which what who whom whose how why when where is are paper papers article review
		reviews study studies studied reference references referenced cite cited cites citation work works describe
		describes described discuss discusses discussed report reports reported show shows shown showed find found
		finds propose proposes proposed examine examines examined concern concerns concerning according author authors
		research researches publication published tell explain list mention mentioned say says said do does did
		investigate investigated investigates literature source sources evidence papers`)

func stemSet(words string) map[string]bool {
	m := make(map[string]bool)
	for _, t := range tokenize.Terms(words) {
		m[t] = true
	}
	return m
}
