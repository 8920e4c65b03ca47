package embed

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"

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
	counts := make(map[string]float64, 64)
	toks := tokenize.Scan(text)
	for i, t := range toks {
		counts["w:"+t.Term] += weightWord
		if i > 0 && toks[i-1].CJK == t.CJK {
			counts["b:"+toks[i-1].Term+" "+t.Term] += weightBigram
		}
		if !t.CJK && len(t.Word) > 4 {
			addGrams(counts, t.Word)
		}
	}
	v := make([]float32, l.dim)
	for f, c := range counts {
		h := hash64(f)
		idx := int(h % uint64(l.dim))
		w := float32(1 + math.Log(c)) // sublinear: repeated terms saturate
		if c < 1 {
			w = float32(c)
		}
		if h>>63 == 1 {
			w = -w // signed hashing keeps collisions unbiased
		}
		v[idx] += w
	}
	normalize(v)
	return v
}

// addGrams adds the word's character 4-grams with boundary markers, each
// weighted so a word's n-grams together weigh about weightGram.
func addGrams(counts map[string]float64, word string) {
	w := "<" + word + ">"
	n := len(w) - 3
	if n <= 0 {
		return
	}
	per := weightGram / float64(n) * 3
	for i := 0; i+4 <= len(w); i++ {
		counts["g:"+w[i:i+4]] += per
	}
}

func hash64(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
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
