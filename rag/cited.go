package rag

import (
	"regexp"
	"strconv"

	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/prompts"
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
// in order, each once: bracketed as an answer cites them ("[49]",
// "[3, 5]"), or written out ("reference 12", "ref. 12", "第12篇",
// "文献12"). Numbers the paper does not have are the caller's to drop.
func MentionedRefs(question string) []int {
	out := ParseCitations(question)
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
