package rag

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/prompts"
	"github.com/chatpaper/chatpaper/tokenize"
)

// SourceCited is the kind of a source that is the abstract of the work
// a reference cites (from enrichment), not the paper's own text.
const SourceCited = "cited"

// CitationOf returns the citation of reference r, with its cited work's
// standing when enrichment recorded one.
func CitationOf(r paper.Reference) Citation {
	return Citation{N: r.N, Text: r.Text, DOI: r.DOI, Status: r.Status, NoticeDOI: r.NoticeDOI, StatusDate: r.StatusDate}
}

// Notice returns the one-line notice, in lang, for an answer whose
// citations include retracted or withdrawn works, or "" when none do.
func Notice(lang string, cs []Citation) string {
	var fs []prompts.Flagged
	for _, c := range cs {
		if c.Status == paper.StatusRetracted || c.Status == paper.StatusWithdrawn {
			fs = append(fs, prompts.Flagged{N: c.N, Status: c.Status, Date: c.StatusDate})
		}
	}
	text, err := prompts.RetractionNotice(lang, fs)
	if err != nil {
		// Templates are embedded and tested; failing here is a bug.
		panic(err)
	}
	return text
}

var (
	refWordRe = regexp.MustCompile(`(?i)\b(?:references?|refs?\.?|citations?)\s*(?:no\.?|number|#)?\s*(\d{1,4})\b`)
	refZhRe   = regexp.MustCompile(`第\s*(\d{1,4})\s*[篇条个]|(?:参考)?文献\s*(\d{1,4})`)
)

// MentionedRefs returns the numbers of the references a question names,
// each once (bracketed ones first, in increasing order): bracketed as an answer cites them ("[49]",
// "[3, 5]"), or written out ("reference 12", "ref. 12", "第12篇",
// "文献12"). Numbers the paper does not have are the caller's to drop.
func MentionedRefs(question string) []int {
	if !strings.ContainsAny(question, asciiDigits) {
		return nil // every form names its number in ASCII digits
	}
	// The citation filter parses bracket groups as answers write them;
	// with nothing allowed, every number it finds is "dropped".
	f := NewCiteFilter(nil, nil)
	_ = f.Write(question) // no emit, no error
	_ = f.End()
	out := append([]int(nil), f.Dropped()...)
	seen := make(map[int]bool, len(out))
	for _, n := range out {
		seen[n] = true
	}
	add := func(s string) {
		if n, err := strconv.Atoi(s); err == nil && n > 0 && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	for _, m := range refWordRe.FindAllStringSubmatch(question, -1) {
		add(m[1])
	}
	for _, m := range refZhRe.FindAllStringSubmatch(question, -1) {
		if m[1] != "" {
			add(m[1])
		} else {
			add(m[2])
		}
	}
	return out
}

// namedChunks returns the positions of the reference and cited-work
// chunks of the references a question names that the paper has.
func namedChunks(p *paper.Paper, chunks []paper.Chunk, question string) []int {
	ns := MentionedRefs(question)
	if len(ns) == 0 {
		return nil
	}
	want := make(map[int]bool, len(ns))
	for _, n := range ns {
		if p.HasReference(n) {
			want[n] = true
		}
	}
	var out []int
	for i, c := range chunks {
		if (c.Kind == paper.KindReference || c.Kind == paper.KindCited) && want[c.N] {
			out = append(out, i)
		}
	}
	return out
}

// promote puts the named chunks first, as fully relevant: a reader who
// names a reference asks about it, whatever the other words match.
func promote(ranks []ranked, named []int) []ranked {
	if len(named) == 0 {
		return ranks
	}
	top := 1.0
	if len(ranks) > 0 {
		top = max(ranks[0].score, top)
	}
	out := make([]ranked, 0, len(named)+len(ranks))
	seen := make(map[int]bool, len(named))
	for _, i := range named {
		out = append(out, ranked{idx: i, score: top, lexical: true, named: true})
		seen[i] = true
	}
	for _, rk := range ranks {
		if !seen[rk.idx] {
			out = append(out, rk)
		}
	}
	return out
}

// appendQuote adds the sentence of reference n's cited abstract that
// holds most of the question's terms (the last, which usually states
// the finding, when none holds any), once per reference and at most
// two in all.
func appendQuote(qs []prompts.CitedQuote, p *paper.Paper, n int, terms []string) []prompts.CitedQuote {
	if len(qs) >= 2 {
		return qs
	}
	for _, q := range qs {
		if q.N == n {
			return qs
		}
	}
	ref, ok := p.Reference(n)
	if !ok || ref.Cited == nil || ref.Cited.Abstract == "" {
		return qs
	}
	return append(qs, prompts.CitedQuote{N: n, Quote: findingSentence(ref.Cited.Abstract, terms)})
}

// findingSentence returns the sentence of an abstract that holds most
// of terms, or its last sentence when none holds any.
func findingSentence(abstract string, terms []string) string {
	sents := paper.Sentences(abstract)
	if len(sents) == 0 {
		return abstract
	}
	want := make(map[string]bool, len(terms))
	for _, t := range terms {
		want[t] = true
	}
	best, bestN := sents[len(sents)-1], 0
	for _, s := range sents {
		n, seen := 0, map[string]bool{}
		for _, t := range tokenize.Terms(s) {
			if want[t] && !seen[t] {
				seen[t] = true
				n++
			}
		}
		if n > bestN {
			best, bestN = s, n
		}
	}
	return best
}

// ContextOf picks from retrieved sources a model's numbered context and
// abstract passages (body passages are the caller's). A reference whose cited work's abstract was
// retrieved (or whose own entry was, when the cited abstract is known)
// carries that abstract, for the prompt to mark as the cited work's.
func ContextOf(p *paper.Paper, sources []Source) (refs []prompts.ContextRef, abstract []string) {
	at := make(map[int]int)
	for _, s := range sources {
		switch s.Kind {
		case SourceReference, SourceCited:
			i, ok := at[s.N]
			if !ok {
				ref, found := p.Reference(s.N)
				if !found {
					continue
				}
				i = len(refs)
				at[s.N] = i
				refs = append(refs, prompts.ContextRef{N: s.N, Text: ref.Text})
				if ref.Cited != nil && s.Kind == SourceReference {
					refs[i].Cited = ref.Cited.Abstract
				}
			}
			if s.Kind == SourceCited {
				if ref, found := p.Reference(s.N); found && ref.Cited != nil {
					refs[i].Cited = ref.Cited.Abstract
				}
			}
		case SourceAbstract:
			abstract = append(abstract, s.Text)
		}
	}
	return refs, abstract
}
