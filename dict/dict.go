// Package dict translates Chinese text into English terms offline, so a
// Chinese question can be searched against an English paper without a
// model. It segments Chinese by forward maximum matching (never letting a
// word swallow the start of a longer one) over a shipped
// Chinese→English term table (zh-en.txt.gz, generated from CC-CEDICT plus
// a biomedical supplement by dict/internal/gendict; see NOTICE) and maps
// each word to its first glosses.
package dict

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"hash/fnv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

//go:embed zh-en.txt.gz
var tableGz []byte

// maxWordRunes bounds the headword length forward maximum matching
// tries; longer CC-CEDICT entries are idioms, not terms.
const maxWordRunes = 8

var (
	loadOnce sync.Once
	table    map[string][]string
	loadErr  error
)

func load() (map[string][]string, error) {
	loadOnce.Do(func() {
		zr, err := gzip.NewReader(bytes.NewReader(tableGz))
		if err != nil {
			loadErr = fmt.Errorf("dict: open table: %w", err)
			return
		}
		m := make(map[string][]string, 90000)
		sc := bufio.NewScanner(zr)
		for sc.Scan() {
			w, gs, ok := strings.Cut(sc.Text(), "\t")
			if ok {
				m[w] = strings.Split(gs, ";")
			}
		}
		if err := sc.Err(); err != nil {
			loadErr = fmt.Errorf("dict: read table: %w", err)
			return
		}
		table = m
	})
	return table, loadErr
}

// Load reads the embedded table once; later calls are free. Callers that
// want the cost at start-up rather than on the first Chinese question
// call it early. It fails only if the embedded data is corrupt.
func Load() error {
	_, err := load()
	return err
}

// Word is one segment of Chinese text with its English glosses (none
// for a character the table lacks or a function word).
type Word struct {
	Zh string
	En []string
	// Senses are all the glosses the table holds for the word, in
	// table order; En is Senses except for a single character, whose
	// first gloss alone is the default. A caller that knows the
	// document's vocabulary can choose among Senses instead.
	Senses []string
	// Stop marks a function or question word, which carries no topic.
	Stop bool
}

// segment splits a run of Han characters into words of the table (or
// single characters) by forward maximum matching, with one correction:
// a word must not swallow the first character of a longer known word
// that starts right after its own first character. Where it would, the
// first character stands alone and matching resumes at the next one, so
// 对外泌体 is 对 + 外泌体, not 对外 + 泌 + 体. It returns the word
// lengths in runes, in order.
func segment(m map[string][]string, run []rune) []int {
	longest := func(i int) int {
		n := min(maxWordRunes, len(run)-i)
		for ; n > 1; n-- {
			if _, ok := m[string(run[i:i+n])]; ok {
				break
			}
		}
		return n
	}
	var out []int
	for i := 0; i < len(run); {
		n := longest(i)
		if n > 1 && i+1 < len(run) {
			if l := longest(i + 1); l > 1 && i+1+l > i+n {
				n = 1
			}
		}
		out = append(out, n)
		i += n
	}
	return out
}

// Translate segments the Han runs of text and returns each word with its
// glosses, in text order. Non-Han text is skipped: callers tokenize it
// as it is. Function words (的, 哪些 …) come back without glosses, and a
// single character, being ambiguous, keeps only its first gloss.
func Translate(text string) []Word {
	m, err := load()
	if err != nil {
		return nil
	}
	var out []Word
	var run []rune
	flush := func() {
		for _, n := range segment(m, run) {
			w := string(run[:n])
			run = run[n:]
			if _, stop := stopWords[w]; stop {
				out = append(out, Word{Zh: w, Stop: true})
				continue
			}
			gs := m[w]
			word := Word{Zh: w, En: gs, Senses: gs}
			if n == 1 && len(gs) > 1 {
				word.En = gs[:1]
			}
			out = append(out, word)
		}
		run = run[:0]
	}
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		i += size
		if unicode.Is(unicode.Han, r) {
			run = append(run, r)
			continue
		}
		flush()
	}
	flush()
	return out
}

// stopWords are Chinese function words and question words whose glosses
// ("of", "which", "have") only add noise to a query.
var stopWords = func() map[string]struct{} {
	m := map[string]struct{}{}
	for _, w := range strings.Fields(`的 了 是 在 和 与 及 以及 或 或者 有 有哪些 哪些 哪 哪个 什么 怎么 怎样 如何 为什么
		吗 呢 吧 啊 这 那 这些 那些 其 之 也 都 而 并 并且 被 把 将 对 对于 从 向 于 由 给 就 还 又 中 上 下
		个 些 一些 该 此 等 等等 我 你 他 她 它 我们 你们 他们 请 能 能否 可以 会 是否 哪里 多少 吗？ 呀
		所 以 为 因为 所以 但 但是 如果 则 即 即使 因此 关于 根据 通过 其中 之间 之一 时 后 前 最 用于 用来 使用`) {
		m[w] = struct{}{}
	}
	return m
}()

// Fingerprint identifies the shipped dictionary: it changes whenever the
// table does, so a stored analysis of text (which the dictionary's
// glosses are part of) can tell it was made with another one.
var Fingerprint = sync.OnceValue(func() uint64 {
	h := fnv.New64a()
	h.Write(tableGz)
	return h.Sum64()
})
