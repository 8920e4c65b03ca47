package search

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/chatpaper/chatpaper/tokenize"
)

// Lexicon is an immutable BM25 index over one paper's passages: one
// flat array of postings grouped by term, the idf of each term computed
// once at build. It is safe for concurrent use.
type Lexicon struct {
	bm25 BM25
	// The distinct terms, sorted, end to end in one string: term i is
	// terms[ends[i-1]:ends[i]]. One allocation instead of a map entry
	// and a string per term.
	terms string
	ends  []uint32
	stats []termStats // by term
	post  []Posting   // every term's postings, grouped by term
	lens  []float32
	avg   float64
}

// termStats locate one term's postings in Lexicon.post.
type termStats struct {
	idf        float64
	start, end int32
}

// NewLexicon indexes texts, one document per text, in order: document i
// is texts[i].
func NewLexicon(texts []string, p BM25) *Lexicon {
	lx, _ := NewLexiconTerms(texts, nil, p) // no stored terms: nothing to decode
	return lx
}

// EncodeTerms returns text's terms in the compact form a store keeps
// next to a chunk: the document length, then each distinct term (in
// order of first occurrence) with its frequency, as uvarints and
// length-prefixed bytes. NewLexiconTerms rebuilds postings from it
// without tokenizing again.
func EncodeTerms(text string) []byte {
	terms := tokenize.Terms(text)
	tf := make(map[string]uint64, len(terms))
	order := make([]string, 0, len(terms))
	for _, t := range terms {
		if tf[t] == 0 {
			order = append(order, t)
		}
		tf[t]++
	}
	size := binary.MaxVarintLen64
	for _, t := range order {
		size += len(t) + 2*binary.MaxVarintLen64
	}
	b := make([]byte, 0, size)
	b = binary.AppendUvarint(b, uint64(len(terms)))
	for _, t := range order {
		b = binary.AppendUvarint(b, uint64(len(t)))
		b = append(b, t...)
		b = binary.AppendUvarint(b, tf[t])
	}
	return b[:len(b):len(b)]
}

var errTerms = errors.New("malformed stored terms")

// decodeTerms calls fn for each term of an EncodeTerms form and returns
// the document length.
func decodeTerms(b []byte, fn func(term []byte, tf uint64)) (uint64, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 {
		return 0, errTerms
	}
	b = b[k:]
	for len(b) > 0 {
		l, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < l {
			return 0, errTerms
		}
		term := b[k : k+int(l)]
		b = b[k+int(l):]
		f, k := binary.Uvarint(b)
		if k <= 0 || f == 0 {
			return 0, errTerms
		}
		b = b[k:]
		fn(term, f)
	}
	return n, nil
}

// NewLexiconTerms indexes texts like NewLexicon, taking document i's
// terms from stored[i] (an EncodeTerms form) where stored has one, which
// skips tokenizing; a missing or empty stored[i] tokenizes texts[i].
// Malformed stored terms are an error.
func NewLexiconTerms(texts []string, stored [][]byte, p BM25) (*Lexicon, error) {
	lx := &Lexicon{bm25: p, lens: make([]float32, len(texts))}
	ids := make(map[string]int32) // term → its id while building
	type entry struct {
		term int32
		tf   float32
	}
	var entries []entry // every document's (term, tf), document by document
	starts := make([]int32, len(texts)+1)
	var df []int32
	var total float64
	for i, t := range texts {
		starts[i] = int32(len(entries))
		b := []byte(nil)
		if i < len(stored) {
			b = stored[i]
		}
		if len(b) == 0 {
			b = EncodeTerms(t)
		}
		n, err := decodeTerms(b, func(term []byte, f uint64) {
			id, ok := ids[string(term)]
			if !ok {
				id = int32(len(df))
				ids[string(term)] = id
				df = append(df, 0)
			}
			df[id]++
			entries = append(entries, entry{id, float32(f)})
		})
		if err != nil {
			return nil, fmt.Errorf("lexicon: document %d: %w", i, err)
		}
		lx.lens[i] = float32(n)
		total += float64(n)
	}
	starts[len(texts)] = int32(len(entries))
	if len(texts) > 0 {
		lx.avg = total / float64(len(texts))
	}
	lx.stats = make([]termStats, len(df))
	var off int32
	for id, n := range df {
		lx.stats[id] = termStats{idf: IDF(len(texts), int(n)), start: off, end: off}
		off += n
	}
	lx.post = make([]Posting, len(entries))
	for d := range texts {
		for _, e := range entries[starts[d]:starts[d+1]] {
			st := &lx.stats[e.term]
			lx.post[st.end] = Posting{Doc: int32(d), TF: e.tf}
			st.end++
		}
	}
	// Lay the terms out sorted, their stats in the same order.
	sorted := make([]string, 0, len(ids))
	size := 0
	for t := range ids {
		sorted = append(sorted, t)
		size += len(t)
	}
	sort.Strings(sorted)
	var b strings.Builder
	b.Grow(size)
	lx.ends = make([]uint32, len(sorted))
	stats := make([]termStats, len(sorted))
	for i, t := range sorted {
		b.WriteString(t)
		lx.ends[i] = uint32(b.Len())
		stats[i] = lx.stats[ids[t]]
	}
	lx.terms, lx.stats = b.String(), stats
	return lx, nil
}

// term returns the i-th term in sorted order.
func (lx *Lexicon) term(i int) string {
	start := uint32(0)
	if i > 0 {
		start = lx.ends[i-1]
	}
	return lx.terms[start:lx.ends[i]]
}

// Len is the number of documents.
func (lx *Lexicon) Len() int { return len(lx.lens) }

// postings returns term's postings and idf; ok is false when no
// document holds term.
func (lx *Lexicon) postings(term string) (ps []Posting, idf float64, ok bool) {
	i := sort.Search(len(lx.ends), func(i int) bool { return lx.term(i) >= term })
	if i == len(lx.ends) || lx.term(i) != term {
		return nil, 0, false
	}
	st := lx.stats[i]
	return lx.post[st.start:st.end], st.idf, true
}

// Scores returns the BM25 score of every document for q's weighted
// terms, summed in q's term order so scores are the same on every run.
func (lx *Lexicon) Scores(q *Query) []float64 {
	return lx.ScoresInto(make([]float64, len(lx.lens)), q)
}

// ScoresInto is Scores writing into out, which must have Len elements
// (reused by callers that score many questions); it returns out.
func (lx *Lexicon) ScoresInto(out []float64, q *Query) []float64 {
	clear(out)
	add := func(d int32, s float64) { out[d] += s }
	for _, term := range q.Terms {
		ps, idf, ok := lx.postings(term)
		if !ok {
			continue
		}
		lx.bm25.accumulate(ps, idf, q.Weights[term], lx.lens, lx.avg, add)
	}
	return out
}

// Has reports whether any document holds term.
func (lx *Lexicon) Has(term string) bool {
	_, _, ok := lx.postings(term)
	return ok
}

// Postings returns the documents holding term, in ascending order.
// Callers must not modify them.
func (lx *Lexicon) Postings(term string) []Posting {
	ps, _, _ := lx.postings(term)
	return ps
}

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

// Bytes is the approximate heap the lexicon holds.
func (lx *Lexicon) Bytes() int64 {
	return int64(len(lx.post))*8 + int64(len(lx.stats))*16 + int64(len(lx.lens))*4 + int64(len(lx.terms)) + int64(len(lx.ends))*4
}
