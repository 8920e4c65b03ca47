package library

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/chatpaper/chatpaper/paper"
)

// WindowSentences is how many abstract sentences one chunk holds. Windows
// overlap by all but one sentence, so every pair of neighbouring
// sentences is retrievable together and no sentence is cut off from its
// context.
const WindowSentences = 2

// Chunks splits a paper into retrievable chunks: the title (and Chinese
// title), the abstracts in overlapping sentence windows, and one chunk per
// reference carrying its number. The order is stable, so chunk positions
// can key stored vectors.
func Chunks(p *paper.Paper) []paper.Chunk {
	var out []paper.Chunk
	if p.Title != "" {
		out = append(out, paper.Chunk{ID: "t0", Kind: paper.KindTitle, Lang: "en", Text: p.Title})
	}
	if p.TitleZh != "" {
		out = append(out, paper.Chunk{ID: "t1", Kind: paper.KindTitle, Lang: "zh", Text: p.TitleZh})
	}
	for i, w := range windows(Sentences(p.Abstract), WindowSentences) {
		out = append(out, paper.Chunk{ID: "a" + strconv.Itoa(i), Kind: paper.KindAbstract, Lang: "en", Text: w})
	}
	for i, w := range windows(Sentences(p.AbstractZh), WindowSentences) {
		out = append(out, paper.Chunk{ID: "z" + strconv.Itoa(i), Kind: paper.KindAbstract, Lang: "zh", Text: w})
	}
	for _, r := range p.References {
		out = append(out, paper.Chunk{ID: "r" + strconv.Itoa(r.N), Kind: paper.KindReference, N: r.N, Lang: "en", Text: r.Text})
	}
	return out
}

func windows(sents []string, size int) []string {
	if len(sents) <= size {
		if len(sents) == 0 {
			return nil
		}
		return []string{JoinSentences(sents)}
	}
	out := make([]string, 0, len(sents)-size+1)
	for i := 0; i+size <= len(sents); i++ {
		out = append(out, JoinSentences(sents[i:i+size]))
	}
	return out
}

// JoinSentences joins sentences into text, with a space between them
// unless the first ends in Chinese.
func JoinSentences(s []string) string {
	var b strings.Builder
	for i, x := range s {
		if i > 0 && !endsCJK(s[i-1]) {
			b.WriteByte(' ')
		}
		b.WriteString(x)
	}
	return b.String()
}

func endsCJK(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r == '。' || r == '！' || r == '？' || r == '；' || unicode.Is(unicode.Han, r)
}

// abbreviations end with a period but do not end a sentence.
var abbreviations = map[string]bool{
	"e.g.": true, "i.e.": true, "al.": true, "etc.": true, "vs.": true, "fig.": true,
	"figs.": true, "ref.": true, "refs.": true, "no.": true, "approx.": true, "ca.": true,
	"dr.": true, "mr.": true, "ms.": true, "st.": true, "eq.": true, "cf.": true,
}

// Sentences splits English or Chinese prose into sentences. English
// sentences end at '.', '?' or '!' followed by a space and a capital,
// digit or quote, except after common abbreviations and initials;
// Chinese ones end at '。', '！', '？' or '；'.
func Sentences(text string) []string {
	text = strings.Join(strings.Fields(text), " ")
	if text == "" {
		return nil
	}
	var out []string
	start := 0
	runes := []rune(text)
	for i := 0; i < len(runes); i++ {
		r := runes[i]
		switch r {
		case '。', '！', '？', '；':
			j := i + 1
			for j < len(runes) && (runes[j] == '”' || runes[j] == '"' || runes[j] == '）') {
				j++
			}
			out = appendSentence(out, string(runes[start:j]))
			start, i = j, j-1
		case '.', '?', '!':
			j := i + 1
			for j < len(runes) && (runes[j] == '"' || runes[j] == '”' || runes[j] == ')' || runes[j] == '’') {
				j++
			}
			if j+1 >= len(runes) || runes[j] != ' ' {
				continue
			}
			next := runes[j+1]
			if !(unicode.IsUpper(next) || unicode.IsDigit(next) || next == '“' || next == '"' || unicode.Is(unicode.Han, next)) {
				continue
			}
			if r == '.' && isAbbreviation(runes[start:i+1]) {
				continue
			}
			out = appendSentence(out, string(runes[start:j]))
			start, i = j+1, j
		}
	}
	return appendSentence(out, string(runes[start:]))
}

func appendSentence(out []string, s string) []string {
	if s = strings.TrimSpace(s); s != "" {
		out = append(out, s)
	}
	return out
}

// isAbbreviation reports whether the sentence-so-far ends in a known
// abbreviation or a single capital initial ("Smith J.").
func isAbbreviation(upto []rune) bool {
	k := len(upto) - 1
	for k > 0 && upto[k-1] != ' ' {
		k--
	}
	word := strings.ToLower(string(upto[k:]))
	if abbreviations[word] {
		return true
	}
	w := []rune(string(upto[k:]))
	return len(w) == 2 && unicode.IsUpper(w[0])
}
