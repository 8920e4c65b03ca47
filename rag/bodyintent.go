package rag

import (
	"regexp"
	"strconv"

	"github.com/chatpaper/chatpaper/library"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/prompts"
	"github.com/chatpaper/chatpaper/tokenize"
)

// Bounds of an answer to a reader intent from the body. They keep the
// answer readable; they are length limits, not tuned ones.
const (
	// maxIntentQuotes bounds the body sentences a conclusions, methods
	// or results answer quotes.
	maxIntentQuotes = 4
	// maxCiting bounds the citing sentences a reference answer quotes.
	maxCiting = 3
)

// Section titles that name the part of a body an intent asks for, in
// the words journals head them with (IMRaD and its common variants, and
// their Chinese equivalents).
var (
	conclusionTitle = regexp.MustCompile(`(?i)\bconclu|concluding|summary and outlook|结论|总结`)
	discussionTitle = regexp.MustCompile(`(?i)\bdiscussion\b|讨论`)
	methodsTitle    = regexp.MustCompile(`(?i)\bmethod|\bmaterials?\b|experimental procedures|\bstudy design|patients and|participants and|方法|材料`)
	resultsTitle    = regexp.MustCompile(`(?i)^results?\b|\bresults\b|\bfindings\b|结果`)
)

// span is a section of a body with its subsections: the sections from
// index first up to, not including, end.
type span struct {
	first, end int
	title      string
}

// findSection returns the first section, highest in the outline, whose
// title matches re, with its subsections.
func findSection(b *paper.Body, re *regexp.Regexp) (span, bool) {
	best := -1
	for i, s := range b.Sections {
		if s.Title == "" || !re.MatchString(s.Title) {
			continue
		}
		if best < 0 || s.Level < b.Sections[best].Level {
			best = i
		}
	}
	if best < 0 {
		return span{}, false
	}
	end := best + 1
	for end < len(b.Sections) && b.Sections[end].Level > b.Sections[best].Level {
		end++
	}
	return span{first: best, end: end, title: b.Sections[best].Title}, true
}

// sectionIntent answers a methods or results intent from the body
// section that holds them: it names the section and its subsections and
// quotes the first sentence of each part (the section's own paragraphs,
// then each subsection's), up to maxIntentQuotes. ok is false when the
// paper has no body or no such section.
func sectionIntent(p *paper.Paper, re *regexp.Regexp) (d prompts.IntentData, srcs []Source, ok bool) {
	if p.Body == nil {
		return d, nil, false
	}
	sp, found := findSection(p.Body, re)
	if !found {
		return d, nil, false
	}
	d.Section = sp.title
	for i := sp.first; i < sp.end; i++ {
		s := &p.Body.Sections[i]
		if i > sp.first && s.Title != "" {
			d.Parts = append(d.Parts, s.Title)
		}
		sents := s.Sentences()
		if len(sents) == 0 || len(d.Quotes) == maxIntentQuotes {
			continue
		}
		d.Quotes = append(d.Quotes, quoteSentence(p, paper.SectionTitle(p.Body, i), false, sents[0]))
		srcs = append(srcs, sentenceSource(p, i, 0))
	}
	return d, srcs, len(d.Quotes) > 0
}

// bodyConclusions answers a conclusions intent from the body: the
// conclusion section when there is one (its first sentences), else the
// sentences of the discussion that state a conclusion (see
// ConclusionSentences), the last ones first chosen. ok is false when the
// body has neither section.
func bodyConclusions(p *paper.Paper) (d prompts.IntentData, srcs []Source, ok bool) {
	if p.Body == nil {
		return d, nil, false
	}
	sp, found := findSection(p.Body, conclusionTitle)
	whole := found
	if !found {
		if sp, found = findSection(p.Body, discussionTitle); !found {
			return d, nil, false
		}
	}
	type at struct {
		sec, k int
		s      paper.Sentence
	}
	var all []at
	for i := sp.first; i < sp.end; i++ {
		for k, s := range p.Body.Sections[i].Sentences() {
			all = append(all, at{i, k, s})
		}
	}
	var pick []at
	if whole {
		pick = all[:min(len(all), maxIntentQuotes)]
	} else {
		texts := make([]string, len(all))
		for j, a := range all {
			texts[j] = a.s.Text
		}
		idx := conclusionIndexes(texts)
		idx = idx[max(0, len(idx)-maxIntentQuotes):]
		for _, j := range idx {
			pick = append(pick, all[j])
		}
	}
	if len(pick) == 0 {
		return d, nil, false
	}
	d.FromBody, d.Section = true, sp.title
	for _, a := range pick {
		d.Quotes = append(d.Quotes, quoteSentence(p, paper.SectionTitle(p.Body, a.sec), false, a.s))
		srcs = append(srcs, sentenceSource(p, a.sec, a.k))
	}
	return d, srcs, true
}

// citingSentences returns up to maxCiting sentences of the body that
// cite reference n, in document order, with their sources.
func citingSentences(p *paper.Paper, n int) ([]prompts.BodyQuote, []Source) {
	if p.Body == nil {
		return nil, nil
	}
	var qs []prompts.BodyQuote
	var srcs []Source
	for i := range p.Body.Sections {
		for k, s := range p.Body.Sections[i].Sentences() {
			if len(qs) == maxCiting {
				return qs, srcs
			}
			if containsInt(s.Cites, n) {
				qs = append(qs, quoteSentence(p, paper.SectionTitle(p.Body, i), false, s))
				srcs = append(srcs, sentenceSource(p, i, k))
			}
		}
	}
	for _, c := range p.Body.Captions {
		for _, s := range c.Sentences {
			if len(qs) == maxCiting {
				return qs, srcs
			}
			if containsInt(s.Cites, n) {
				name := paper.CaptionName(c)
				qs = append(qs, quoteSentence(p, name, true, s))
				src := Source{Kind: SourceCaption, ID: c.ID, Section: name, Text: c.Text(), Score: 1}
				if x, ok := paper.PassageByID(p, library.WindowSentences, c.ID); ok {
					src.Cites = x.Cites
				}
				srcs = append(srcs, src)
			}
		}
	}
	return qs, srcs
}

// quoteSentence is a body sentence as an answer quotes it: with its
// section, and with the numbers it cites that its text does not already
// show in brackets.
func quoteSentence(p *paper.Paper, section string, caption bool, s paper.Sentence) prompts.BodyQuote {
	shown := map[int]bool{}
	for _, mk := range paper.FindMarks(s.Text, p.HasReference) {
		for _, n := range mk.Refs {
			shown[n] = true
		}
	}
	q := prompts.BodyQuote{Section: section, Caption: caption, Text: s.Text, Lang: tokenize.Lang(s.Text)}
	for _, n := range s.Cites {
		if !shown[n] {
			q.Cites = append(q.Cites, n)
		}
	}
	return q
}

// sentenceSource returns the body passage holding sentence k of section
// i as a source: the window of library.WindowSentences sentences that
// starts at it, or the section's last window when it is near the end.
func sentenceSource(p *paper.Paper, i, k int) Source {
	sents := p.Body.Sections[i].Sentences()
	size := min(library.WindowSentences, len(sents))
	start := min(k, len(sents)-size)
	id := sents[start].ID + "+" + strconv.Itoa(size)
	src := Source{Kind: SourceBody, ID: id, Section: paper.SectionTitle(p.Body, i), Text: sents[k].Text, Score: 1}
	if x, ok := paper.PassageByID(p, library.WindowSentences, id); ok {
		src.Text, src.Cites = x.Text, x.Cites
	}
	return src
}

func containsInt(xs []int, n int) bool {
	for _, x := range xs {
		if x == n {
			return true
		}
	}
	return false
}

// citeQuotes cites, in ans, every reference the quoted sentences cite
// (in the text or after it), in order, each once.
func citeQuotes(p *paper.Paper, ans *Answer, qs []prompts.BodyQuote) {
	for _, q := range qs {
		var ns []int
		for _, mk := range paper.FindMarks(q.Text, p.HasReference) {
			ns = append(ns, mk.Refs...)
		}
		ns = append(ns, q.Cites...)
		for _, n := range ns {
			if containsCitation(ans.Citations, n) {
				continue
			}
			if ref, ok := p.Reference(n); ok {
				ans.Citations = append(ans.Citations, Citation{N: ref.N, Text: ref.Text, DOI: ref.DOI})
			}
		}
	}
}

func containsCitation(cs []Citation, n int) bool {
	for _, c := range cs {
		if c.N == n {
			return true
		}
	}
	return false
}
