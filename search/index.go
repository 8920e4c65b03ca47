// Package search is ChatPaper's corpus-level retrieval: an inverted
// index (postings) ranking documents by BM25, optionally expanded by
// RM3 pseudo-relevance feedback and fused with a TF-IDF cosine over the
// same postings. It serves "which of our papers discuss X?" and the BEIR
// evaluation; it holds only term statistics, never vectors from a model,
// so it works fully offline and adds nothing per document but postings.
package search

import (
	"math"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/chatpaper/chatpaper/tokenize"
)

// Options tune ranking. The zero value is not useful; start from
// DefaultOptions or BM25Only.
type Options struct {
	// BM25 holds the term-saturation and length-normalisation
	// parameters.
	BM25
	// FeedbackDocs and FeedbackTerms configure RM3: the top
	// FeedbackDocs documents of a first BM25 pass contribute their
	// FeedbackTerms most likely terms to a second pass. Zero disables it.
	FeedbackDocs  int `json:"rm3_docs"`
	FeedbackTerms int `json:"rm3_terms"`
	// OrigWeight is the weight of the original query in RM3's
	// interpolation with the feedback terms, in (0,1].
	OrigWeight float64 `json:"rm3_original_weight"`
	// VectorWeight, in [0,1), is the weight of the TF-IDF cosine in the
	// fused score; the rest goes to the max-normalised BM25 score.
	VectorWeight float64 `json:"cosine_weight"`
	// TitleRepeat counts a document's title terms this many times, so
	// the title weighs more than one abstract sentence.
	TitleRepeat int `json:"title_repeat"`
	// BigramWeight, when positive, also indexes adjacent term pairs and
	// adds the query's pairs with this weight relative to its terms: a
	// cheap proximity signal (phrases such as "gene expression").
	BigramWeight float64 `json:"pair_weight"`
	// NoGlosses turns off the dictionary translation of Chinese words
	// (an ablation: only shared digits and Latin terms then link the
	// two languages).
	NoGlosses bool `json:"no_glosses,omitempty"`
}

// BM25Only is plain BM25 with the Anserini parameters BEIR reports: the
// baseline the fused default is measured against.
func BM25Only() Options { return Options{BM25: BM25{K1: 0.9, B: 0.4}, TitleRepeat: 1} }

// DefaultOptions is the configuration measured best on BEIR SciFact
// (docs/BENCHMARKS.md): BM25 with the Robertson parameters, adjacent
// term pairs and RM3 feedback. A TF-IDF cosine fused on top measured no
// gain there, so it is off.
func DefaultOptions() Options {
	return Options{BM25: Robertson, FeedbackDocs: 5, FeedbackTerms: 30, OrigWeight: 0.7, BigramWeight: 0.1, TitleRepeat: 1}
}

// Doc is one document to index.
type Doc struct {
	ID    string
	Title string
	Text  string
}

// Hit is one ranked document.
type Hit struct {
	ID    string  `json:"id"`
	Score float64 `json:"score"`
}

// Index is an in-memory inverted index. It is safe for concurrent use:
// searches share a read lock, Add and Remove take the write lock.
type Index struct {
	opts Options

	mu    sync.RWMutex
	ids   []string // ordinal → id; "" marks a removed document
	ord   map[string]int
	lens  []float32
	terms [][]int32 // ordinal → its distinct words' ids, for removal and RM3
	tfs   [][]float32
	// pairKeys holds each document's distinct adjacent word pairs as
	// pairKey of their word ids, ascending, and pairTFs their
	// frequencies. Pairs have no postings: a query's few pairs find
	// their documents by intersecting their words' postings, so the
	// index holds no dictionary of the (mostly unique) pairs of a
	// catalogue.
	pairKeys [][]uint64
	pairTFs  [][]float32
	// Words are numbered as first seen: words maps a word to its id,
	// names and post are by id. A word no live document holds keeps its
	// id with no postings.
	words    map[string]int32
	names    []string
	post     [][]Posting
	live     int
	totalLen float64
	norms    []float64 // TF-IDF vector norms; nil when stale
}

func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

// New returns an empty index ranking with opts.
func New(opts Options) *Index {
	if opts.TitleRepeat < 1 {
		opts.TitleRepeat = 1
	}
	return &Index{opts: opts, ord: make(map[string]int), words: make(map[string]int32)}
}

// Options returns the ranking configuration.
func (ix *Index) Options() Options { return ix.opts }

// Len is the number of indexed documents.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.live
}

// analyzed is a document as the index holds it: its distinct words in
// sorted order, its distinct adjacent pairs as indexes into words in
// sorted order, the frequencies of both, and its length.
type analyzed struct {
	words []string
	wtf   []float32
	pairs [][2]int32
	ptf   []float32
	n     float32
}

// analyze tokenizes d as the index's options say: the title TitleRepeat
// times, adjacent pairs when BigramWeight is set, and the English
// glosses of Chinese words unless NoGlosses.
func (o Options) analyze(d Doc) analyzed {
	tf := make(map[string]float32)
	ptf := make(map[[2]string]float32)
	var n float32
	count := func(text string) {
		ts := tokenize.Terms(text)
		for i, t := range ts {
			tf[t]++
			n++
			if o.BigramWeight > 0 && i > 0 {
				ptf[[2]string{ts[i-1], t}]++
			}
		}
		if o.NoGlosses {
			return
		}
		addGlosses(text, func(t string, w float64) {
			tf[t] += float32(w)
			n += float32(w)
		})
	}
	for range max(o.TitleRepeat, 1) {
		count(d.Title)
	}
	count(d.Text)
	a := analyzed{words: make([]string, 0, len(tf)), n: n}
	for t := range tf {
		a.words = append(a.words, t)
	}
	sort.Strings(a.words)
	a.wtf = make([]float32, len(a.words))
	at := make(map[string]int32, len(a.words))
	for i, t := range a.words {
		a.wtf[i] = tf[t]
		at[t] = int32(i)
	}
	// Both words of a pair are words of the document.
	a.pairs = make([][2]int32, 0, len(ptf))
	for p := range ptf {
		a.pairs = append(a.pairs, [2]int32{at[p[0]], at[p[1]]})
	}
	sort.Slice(a.pairs, func(i, j int) bool {
		x, y := a.pairs[i], a.pairs[j]
		return x[0] < y[0] || (x[0] == y[0] && x[1] < y[1])
	})
	a.ptf = make([]float32, len(a.pairs))
	for i, p := range a.pairs {
		a.ptf[i] = ptf[[2]string{a.words[p[0]], a.words[p[1]]}]
	}
	return a
}

// Add indexes d, replacing a document with the same id. A replaced or
// removed document's slot is not reused: re-ingesting is rare next to
// searching, and stable ordinals keep removal simple.
func (ix *Index) Add(d Doc) {
	a := ix.opts.analyze(d)
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.addLocked(d.ID, a)
}

// AddStored indexes the document id from its stored form (EncodeDoc
// with this index's options), replacing a document with the same id, as
// Add would index the document it was encoded from. A form that is
// malformed or was made with other options or another version of the
// analysis is an error (ErrStaleDoc), and nothing changes.
func (ix *Index) AddStored(id string, b []byte) error {
	a, err := ix.opts.decodeDoc(b)
	if err != nil {
		return err
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.addLocked(id, a)
	return nil
}

func (ix *Index) wordID(t string) int32 {
	id, ok := ix.words[t]
	if !ok {
		id = int32(len(ix.names))
		ix.words[t] = id
		ix.names = append(ix.names, t)
		ix.post = append(ix.post, nil)
	}
	return id
}

// docPairs returns a document's pairs as ascending pair keys of its word
// ids, with their frequencies.
func docPairs(ids []int32, pairs [][2]int32, ptf []float32) ([]uint64, []float32) {
	keys := make([]uint64, len(pairs))
	tfs := make([]float32, len(pairs))
	for i, p := range pairs {
		keys[i] = pairKey(ids[p[0]], ids[p[1]])
	}
	order := make([]int, len(pairs))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(i, j int) bool { return keys[order[i]] < keys[order[j]] })
	sorted := make([]uint64, len(pairs))
	for i, k := range order {
		sorted[i], tfs[i] = keys[k], ptf[k]
	}
	return sorted, tfs
}

func (ix *Index) addLocked(docID string, a analyzed) {
	ix.removeLocked(docID)
	o := len(ix.ids)
	ids := make([]int32, len(a.words))
	for i, t := range a.words {
		ids[i] = ix.wordID(t)
		ix.post[ids[i]] = append(ix.post[ids[i]], Posting{Doc: int32(o), TF: a.wtf[i]})
	}
	keys, ptfs := docPairs(ids, a.pairs, a.ptf)
	ix.ids = append(ix.ids, docID)
	ix.lens = append(ix.lens, a.n)
	ix.terms = append(ix.terms, ids)
	ix.tfs = append(ix.tfs, a.wtf)
	ix.pairKeys = append(ix.pairKeys, keys)
	ix.pairTFs = append(ix.pairTFs, ptfs)
	ix.ord[docID] = o
	ix.live++
	ix.totalLen += float64(a.n)
	ix.norms = nil
}

// Remove forgets the document with id, if indexed.
func (ix *Index) Remove(id string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.removeLocked(id)
}

func (ix *Index) removeLocked(id string) {
	o, ok := ix.ord[id]
	if !ok {
		return
	}
	delete(ix.ord, id)
	for _, t := range ix.terms[o] {
		ps := ix.post[t]
		for i, p := range ps {
			if int(p.Doc) == o {
				ps = append(ps[:i], ps[i+1:]...)
				break
			}
		}
		if len(ps) == 0 {
			ps = nil
		}
		ix.post[t] = ps
	}
	ix.ids[o] = ""
	ix.live--
	ix.totalLen -= float64(ix.lens[o])
	ix.terms[o], ix.tfs[o], ix.pairKeys[o], ix.pairTFs[o] = nil, nil, nil, nil
	ix.norms = nil
}

// postings returns the documents holding term, a word or a pair; a
// pair's are found by intersecting its words' postings.
func (ix *Index) postings(term string) []Posting {
	i := strings.IndexByte(term, 0)
	if i < 0 {
		id, ok := ix.words[term]
		if !ok {
			return nil
		}
		return ix.post[id]
	}
	a, okA := ix.words[term[:i]]
	b, okB := ix.words[term[i+1:]]
	if !okA || !okB {
		return nil
	}
	return ix.pairPostings(a, b)
}

// pairPostings returns the documents holding the pair of words a, b, in
// ascending order.
func (ix *Index) pairPostings(a, b int32) []Posting {
	pa, pb := ix.post[a], ix.post[b]
	k := pairKey(a, b)
	var out []Posting
	for i, j := 0, 0; i < len(pa) && j < len(pb); {
		switch da, db := pa[i].Doc, pb[j].Doc; {
		case da < db:
			i++
		case da > db:
			j++
		default:
			keys := ix.pairKeys[da]
			if n, ok := slices.BinarySearch(keys, k); ok {
				out = append(out, Posting{Doc: da, TF: ix.pairTFs[da][n]})
			}
			i++
			j++
		}
	}
	return out
}

// idf is the inverse document frequency of the term held by the
// documents ps among the live documents.
func (ix *Index) idf(ps []Posting) float64 { return IDF(ix.live, len(ps)) }

// IDF returns term's inverse document frequency in the index (0 for a
// term no document contains).
func (ix *Index) IDF(term string) float64 {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	ps := ix.postings(term)
	if len(ps) == 0 {
		return 0
	}
	return ix.idf(ps)
}

// weights is a weighted bag of index terms.
type weights map[string]float64

// sorted returns the terms in order, so scores are summed in the same
// order on every run and ties break the same way.
func (q weights) sorted() []string {
	ts := make([]string, 0, len(q))
	for t := range q {
		ts = append(ts, t)
	}
	sort.Strings(ts)
	return ts
}

// pair is the index term of two adjacent terms. The separator cannot
// occur inside a term.
func pair(a, b string) string { return a + "\x00" + b }

// weightsOf returns the weighted index terms of text: ParseQuery's,
// with adjacent pairs when the index has them.
func (ix *Index) weightsOf(text string) weights {
	pq := ParseQuery(text, QueryOptions{NoGlosses: ix.opts.NoGlosses, Pairs: ix.opts.BigramWeight > 0})
	q := make(weights, len(pq.Weights)+len(pq.Pairs))
	for t, w := range pq.Weights {
		q[t] = w
	}
	for _, p := range pq.Pairs {
		q[p] += ix.opts.BigramWeight
	}
	return q
}

// Search ranks the documents for the query text and returns up to k
// hits, best first. Chinese words in the text also search for their
// English translations.
// Documents sharing no term with the text are not returned.
func (ix *Index) Search(text string, k int) []Hit { return ix.search(ix.weightsOf(text), k) }

func (ix *Index) search(q weights, k int) []Hit {
	if len(q) == 0 || k <= 0 {
		return nil
	}
	// The cosine needs document norms, which every update invalidates;
	// recompute them under the write lock and retry, since another
	// update may land between the locks.
	for {
		ix.mu.RLock()
		if ix.opts.VectorWeight == 0 || ix.norms != nil {
			break
		}
		ix.mu.RUnlock()
		ix.mu.Lock()
		if ix.norms == nil {
			ix.computeNorms()
		}
		ix.mu.Unlock()
	}
	defer ix.mu.RUnlock()
	if ix.live == 0 {
		return nil
	}
	scores := ix.bm25(q)
	if ix.opts.FeedbackDocs > 0 && ix.opts.FeedbackTerms > 0 {
		if fq := ix.rm3(q, scores); fq != nil {
			// Feedback reorders the documents that match the query; it
			// does not add ones sharing none of its terms, which a
			// reader would see as unrelated.
			second := ix.bm25(fq)
			for d := range scores {
				scores[d] = second[d]
			}
		}
	}
	if w := ix.opts.VectorWeight; w > 0 {
		cos := ix.cosine(q)
		var maxBM float64
		for _, s := range scores {
			maxBM = max(maxBM, s)
		}
		for d, s := range scores {
			scores[d] = Fuse(s, maxBM, cos[d], w)
		}
	}
	return topK(ix.ids, scores, k)
}

// bm25 scores every document containing a query term.
func (ix *Index) bm25(q weights) map[int]float64 {
	avg := ix.totalLen / float64(ix.live)
	scores := make(map[int]float64, 256)
	add := func(d int32, s float64) { scores[int(d)] += s }
	for _, t := range q.sorted() {
		w := q[t]
		ps := ix.postings(t)
		if len(ps) == 0 || w == 0 {
			continue
		}
		ix.opts.BM25.accumulate(ps, ix.idf(ps), w, ix.lens, avg, add)
	}
	return scores
}

// rm3 builds the expanded query: the original terms (normalised to sum
// one) interpolated with the relevance model estimated from the top
// documents of the first pass.
func (ix *Index) rm3(q weights, first map[int]float64) weights {
	top := topOrdinals(ix.ids, first, ix.opts.FeedbackDocs)
	if len(top) == 0 {
		return nil
	}
	// Document weights: first-pass scores softened by exp, so the best
	// document does not drown the rest.
	var z float64
	ws := make([]float64, len(top))
	best := first[top[0]]
	for i, d := range top {
		ws[i] = math.Exp(first[d] - best)
		z += ws[i]
	}
	rel := make(map[string]float64)
	for i, d := range top {
		for j, id := range ix.terms[d] {
			t := ix.names[id]
			rel[t] += ws[i] / z * float64(ix.tfs[d][j]) / float64(ix.lens[d]) * ix.idf(ix.post[id])
		}
	}
	type tw struct {
		t string
		w float64
	}
	cand := make([]tw, 0, len(rel))
	for t, w := range rel {
		cand = append(cand, tw{t, w})
	}
	sort.Slice(cand, func(i, j int) bool {
		if cand[i].w != cand[j].w {
			return cand[i].w > cand[j].w
		}
		return cand[i].t < cand[j].t
	})
	if len(cand) > ix.opts.FeedbackTerms {
		cand = cand[:ix.opts.FeedbackTerms]
	}
	var relSum, qSum float64
	for _, c := range cand {
		relSum += c.w
	}
	for _, t := range q.sorted() {
		qSum += q[t]
	}
	if relSum == 0 || qSum == 0 {
		return nil
	}
	a := ix.opts.OrigWeight
	out := make(weights, len(q)+len(cand))
	for t, w := range q {
		out[t] += a * w / qSum
	}
	for _, c := range cand {
		out[c.t] += (1 - a) * c.w / relSum
	}
	return out
}

// tfidf is the weight of a term occurring tf times: sublinear in tf.
func tfidf(tf, idf float64) float64 {
	if tf < 1 {
		return tf * idf // a shared gloss weight, below one occurrence
	}
	return (1 + math.Log(tf)) * idf
}

func (ix *Index) computeNorms() {
	norms := make([]float64, len(ix.ids))
	for _, ps := range ix.post {
		idf := ix.idf(ps)
		for _, p := range ps {
			w := tfidf(float64(p.TF), idf)
			norms[p.Doc] += w * w
		}
	}
	// Pairs have no postings to count their documents from: count them
	// here (the cosine is an option, off by default).
	df := make(map[uint64]int)
	for _, keys := range ix.pairKeys {
		for _, k := range keys {
			df[k]++
		}
	}
	for d, keys := range ix.pairKeys {
		for j, k := range keys {
			w := tfidf(float64(ix.pairTFs[d][j]), IDF(ix.live, df[k]))
			norms[d] += w * w
		}
	}
	for i := range norms {
		norms[i] = math.Sqrt(norms[i])
	}
	ix.norms = norms
}

// cosine is the TF-IDF cosine of q with every document sharing a term.
func (ix *Index) cosine(q weights) map[int]float64 {
	out := make(map[int]float64, 256)
	var qn float64
	for _, t := range q.sorted() {
		qtf := q[t]
		ps := ix.postings(t)
		if len(ps) == 0 || qtf <= 0 {
			continue
		}
		idf := ix.idf(ps)
		qw := tfidf(max(qtf, 1), idf) * min(qtf, 1)
		qn += qw * qw
		for _, p := range ps {
			out[int(p.Doc)] += qw * tfidf(float64(p.TF), idf)
		}
	}
	if qn == 0 {
		return out
	}
	qn = math.Sqrt(qn)
	for d, s := range out {
		if n := ix.norms[d]; n > 0 {
			out[d] = s / (qn * n)
		}
	}
	return out
}

func topOrdinals(ids []string, scores map[int]float64, k int) []int {
	cands := make([]Scored, 0, len(scores))
	for d, s := range scores {
		if s > 0 && ids[d] != "" {
			cands = append(cands, Scored{Doc: d, Score: s})
		}
	}
	top := TopK(cands, k)
	out := make([]int, len(top))
	for i, c := range top {
		out[i] = c.Doc
	}
	return out
}

func topK(ids []string, scores map[int]float64, k int) []Hit {
	ds := topOrdinals(ids, scores, k)
	out := make([]Hit, len(ds))
	for i, d := range ds {
		out[i] = Hit{ID: ids[d], Score: scores[d]}
	}
	return out
}
