package embed

import (
	"context"
	"fmt"
	"math"
	"sync"

	"github.com/chatpaper/chatpaper/tokenize"
)

// DefaultDim is the dimension of Local's vectors. 1024 buckets keep hash
// collisions rare for paper-sized vocabularies while a chunk's vector
// stays 4 KiB.
const DefaultDim = 1024

// Local is the embedded default embedder: feature hashing of stemmed
// words, word bigrams and character n-grams (Chinese character bigrams
// come from the tokenizer), with sublinear term weights. It is pure Go,
// deterministic and needs no network or model files. The zero value is
// not usable; call NewLocal.
type Local struct {
	dim int
}

var _ Embedder = (*Local)(nil)

// NewLocal returns a Local embedder producing dim-dimensional vectors
// (DefaultDim when dim <= 0).
func NewLocal(dim int) *Local {
	if dim <= 0 {
		dim = DefaultDim
	}
	return &Local{dim: dim}
}

// Name identifies the algorithm version and dimension, so vectors stored
// by an older version are recognised as stale.
func (l *Local) Name() string { return fmt.Sprintf("local-hash-v1-%d", l.dim) }

// Embed embeds each text. It never fails except on a cancelled context.
func (l *Local) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		if i%64 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("local embed: %w", err)
			}
		}
		out[i] = l.vector(t)
	}
	return out, nil
}

// Feature weights: whole-word evidence dominates; bigrams reward phrase
// matches; character n-grams give partial credit for morphological
// variants the stemmer misses (exosomal / exosome, tumour / tumor).
const (
	weightWord   = 1.0
	weightBigram = 0.6
	weightGram   = 0.25
)

func (l *Local) vector(text string) []float32 {
	// Features are counted by their FNV-1a hash, the hash that picks
	// their bucket and sign, so no feature string is ever built. Two
	// features would share a count only if their 64-bit hashes were
	// equal, where they already share bucket and sign.
	counts := countsPool.Get().(map[uint64]float64)
	defer func() {
		// A map grown by a long text stays big when cleared, and
		// iterating it costs its size: only question-sized maps return.
		if len(counts) <= maxPooledCounts {
			clear(counts)
			countsPool.Put(counts)
		}
	}()
	toks := tokenize.Scan(text)
	for i, t := range toks {
		counts[fnvString(fnvWord, t.Term)] += weightWord
		if i > 0 && toks[i-1].CJK == t.CJK {
			counts[fnvString(fnvByte(fnvString(fnvBigram, toks[i-1].Term), ' '), t.Term)] += weightBigram
		}
		if !t.CJK && len(t.Word) > 4 {
			addGrams(counts, t.Word)
		}
	}
	// Features sharing a bucket are summed in float64, where sums of a
	// few float32 weights this close in size are exact: the result does
	// not depend on the map's iteration order, so a text embeds to the
	// same bits every time.
	acc := accPool.Get().(*bucketSums)
	if len(acc.sum) < l.dim {
		acc.sum = make([]float64, l.dim)
	}
	sum, touched := acc.sum[:l.dim], acc.touched[:0]
	for h, c := range counts {
		idx := int(h % uint64(l.dim))
		w := float32(1 + math.Log(c)) // sublinear: repeated terms saturate
		if c < 1 {
			w = float32(c)
		}
		if h>>63 == 1 {
			w = -w // signed hashing keeps collisions unbiased
		}
		if sum[idx] == 0 {
			touched = append(touched, int32(idx))
		}
		sum[idx] += float64(w)
	}
	v := make([]float32, l.dim)
	for _, i := range touched { // twice if its sum was 0 on the way
		if x := sum[i]; x != 0 {
			v[i], sum[i] = float32(x), 0
		}
	}
	acc.touched = touched
	accPool.Put(acc)
	normalize(v)
	return v
}

// bucketSums is one vector's per-bucket sums, all zero between uses, and
// the buckets a use touched.
type bucketSums struct {
	sum     []float64
	touched []int32
}

var accPool = sync.Pool{New: func() any { return new(bucketSums) }}

// countsPool holds emptied feature-count maps: a map sized for a
// question is most of what embedding one allocates.
var countsPool = sync.Pool{New: func() any { return make(map[uint64]float64, 64) }}

const maxPooledCounts = 256

// addGrams adds the word's character 4-grams with boundary markers
// ("<word>"), each weighted so a word's n-grams together weigh about
// weightGram.
func addGrams(counts map[uint64]float64, word string) {
	n := len(word) + 2 - 3 // 4-grams of "<" + word + ">"
	if n <= 0 {
		return
	}
	per := weightGram / float64(n) * 3
	at := func(k int) byte { // byte k of "<" + word + ">"
		switch k {
		case 0:
			return '<'
		case len(word) + 1:
			return '>'
		}
		return word[k-1]
	}
	for i := 0; i+4 <= len(word)+2; i++ {
		h := fnvGram
		for k := i; k < i+4; k++ {
			h = fnvByte(h, at(k))
		}
		counts[h] += per
	}
}

// FNV-1a, 64-bit (hash/fnv's New64a), computed in place, and its state
// after each feature kind's prefix.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

var (
	fnvWord   = fnvString(fnvOffset, "w:")
	fnvBigram = fnvString(fnvOffset, "b:")
	fnvGram   = fnvString(fnvOffset, "g:")
)

func fnvByte(h uint64, b byte) uint64 { return (h ^ uint64(b)) * fnvPrime }

func fnvString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h = fnvByte(h, s[i])
	}
	return h
}

func normalize(v []float32) {
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	if sum == 0 {
		return
	}
	inv := float32(1 / math.Sqrt(sum))
	for i := range v {
		v[i] *= inv
	}
}
