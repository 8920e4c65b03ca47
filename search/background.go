package search

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"math"
	"strconv"
	"strings"
	"sync"
)

// background.txt.gz holds document frequencies of terms over a public
// corpus of biomedical abstracts (BEIR SciFact, 5183 titles and
// abstracts; see NOTICE and search/internal/gendf), as lines
// "term<TAB>df" after a first line "#docs<TAB>N". Terms in fewer than two
// documents are left out.
//
//go:embed background.txt.gz
var backgroundGz []byte

var (
	bgOnce sync.Once
	bgDF   map[string]int32
	bgN    float64
)

func loadBackground() {
	bgOnce.Do(func() {
		bgDF = make(map[string]int32, 40000)
		zr, err := gzip.NewReader(bytes.NewReader(backgroundGz))
		if err != nil {
			panic("search: embedded background table is corrupt: " + err.Error())
		}
		sc := bufio.NewScanner(zr)
		for sc.Scan() {
			t, n, ok := strings.Cut(sc.Text(), "\t")
			if !ok {
				continue
			}
			v, err := strconv.Atoi(n)
			if err != nil {
				continue
			}
			if t == "#docs" {
				bgN = float64(v)
				continue
			}
			bgDF[t] = int32(v)
		}
		if err := sc.Err(); err != nil || bgN == 0 {
			panic("search: embedded background table is corrupt")
		}
	})
}

// BackgroundIDF is the inverse document frequency of a term (as
// tokenize.Terms produces it) in the background corpus of biomedical
// abstracts: how rare the term is in scientific writing in general, as
// opposed to within one paper. Words every abstract uses ("study",
// "show", "result") get little weight, so a question is not judged
// answerable on them. A term the corpus lacks (a rare word, a Chinese
// bigram) counts as if it occurred in one document. The value is the
// same non-negative BM25 form as IDF.
func BackgroundIDF(term string) float64 {
	loadBackground()
	df := float64(bgDF[term])
	if df == 0 {
		df = 1
	}
	return math.Log(1 + (bgN-df+0.5)/(df+0.5))
}

// MaxBackgroundIDF is BackgroundIDF of a term the corpus lacks: the
// largest value it returns.
func MaxBackgroundIDF() float64 { return BackgroundIDF("\x00") }

// Rarity is a term's query weight in question answering: its
// BackgroundIDF relative to the largest, in (0,1].
func Rarity(term string) float64 { return BackgroundIDF(term) / MaxBackgroundIDF() }
