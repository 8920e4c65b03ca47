package rag

import (
	"context"
	"regexp"
	"strconv"
	"strings"

	"github.com/chatpaper/chatpaper/library"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/prompts"
	"github.com/chatpaper/chatpaper/tokenize"
)

// Summarize returns the summary box of a paper in a language (package
// summary provides it).
type Summarize func(ctx context.Context, paperID, lang string) (*paper.Summary, error)

// IntentAnswer answers a reader intent from the paper's structure, or
// returns nil when the paper has no part that answers it (methods or
// results of a paper without a body, a summary intent without sum): the
// question then goes through retrieval like any other. sum is the
// paper's summary in q's language, needed for IntentSummary only.
//
// With a body, conclusions come from its conclusion section (else the
// conclusion sentences of its discussion, else the abstract's), methods
// and results from those sections, and a reference's answer quotes the
// sentences citing it; the answer cites what the quoted sentences cite,
// and its sources are the passages holding them. A reference whose cited
// work's abstract enrichment found also quotes what that work reports,
// marked as the cited work's, and citations of retracted works bring the
// notice.
func IntentAnswer(p *paper.Paper, q Question, in Intent, sum *paper.Summary) *Answer {
	ans := &Answer{Mode: ModeExtractive, Lang: q.Lang, Citations: []Citation{}, Sources: []Source{}}
	var d prompts.IntentData
	var quotes []prompts.CitedQuote
	kind := string(in.Kind)
	switch in.Kind {
	case IntentSummary:
		if sum == nil || sum.Summary == "" {
			return nil
		}
		// An English summary served for zh_CN is marked by its TextLang, not
		// by a prefix in the text.
		d.Text = sum.Summary
		d.TextLang = tokenize.Lang(d.Text)
		ans.Sources = abstractSources(p, q.Lang)
	case IntentConclusions:
		if bd, srcs, ok := bodyConclusions(p); ok {
			d = bd
			ans.Sources = srcs
			citeQuotes(p, ans, d.Quotes)
			break
		}
		abs := readerAbstract(p, q.Lang)
		sents := ConclusionSentences(abs)
		if len(sents) == 0 {
			return nil
		}
		d.Text = paper.JoinSentences(sents)
		d.TextLang = tokenize.Lang(d.Text)
		ans.Sources = []Source{{Kind: SourceAbstract, Text: d.Text, Score: 1}}
	case IntentMetadata:
		found := false
		for _, f := range in.Fields {
			v := metaValue(p, f, q.Lang)
			found = found || v != ""
			d.Fields = append(d.Fields, prompts.MetaField{Name: f, Value: v})
		}
		if !found {
			// Nothing asked for is on record: say so, and it is not an
			// answer.
			text, err := prompts.IntentAnswer(q.Lang, kind, d)
			if err != nil {
				panic(err) // templates are embedded and tested
			}
			ans.Answer = text
			return ans
		}
	case IntentReference:
		ref, ok := p.Reference(in.Ref)
		d.N, d.Found = in.Ref, ok
		if len(p.References) == 0 {
			return nil
		}
		d.First, d.Last = p.References[0].N, p.References[len(p.References)-1].N
		if !ok {
			text, err := prompts.IntentAnswer(q.Lang, kind, d)
			if err != nil {
				panic(err)
			}
			ans.Answer = text
			return ans
		}
		d.Text = RefLabel(ref.Text, q.Lang) + " — " + ref.Text
		ans.Citations = []Citation{CitationOf(ref)}
		ans.Sources = []Source{{Kind: SourceReference, N: ref.N, Text: ref.Text, Score: 1}}
		if ref.Cited != nil && ref.Cited.Abstract != "" {
			// What the cited work itself reports, from its own abstract.
			quotes = appendQuote(quotes, p, ref.N, tokenize.Terms(q.Text))
			ans.Sources = append(ans.Sources, Source{Kind: SourceCited, N: ref.N, Text: ref.Cited.Abstract, Score: 1})
		}
		d.TextLang = "en"
		var srcs []Source
		d.Citing, srcs = citingSentences(p, ref.N)
		ans.Sources = append(ans.Sources, srcs...)
	case IntentMethods, IntentResults:
		// Methods and results are sections of a paper's body; without
		// one (or without such a section), retrieval answers as it can.
		re := methodsTitle
		if in.Kind == IntentResults {
			re = resultsTitle
		}
		bd, srcs, ok := sectionIntent(p, re)
		if !ok {
			return nil
		}
		d, ans.Sources = bd, srcs
		citeQuotes(p, ans, d.Quotes)
	default:
		return nil
	}
	text, err := prompts.IntentAnswer(q.Lang, kind, d)
	if err != nil {
		panic(err)
	}
	if extra, err := prompts.CitedWorkQuotes(q.Lang, quotes); err != nil {
		panic(err)
	} else if extra != "" && q.Lang == paper.LangZH {
		text += extra
	} else if extra != "" {
		text += " " + extra
	}
	ans.Answer, ans.Answerable = text, true
	ans.Notice = Notice(q.Lang, ans.Citations)
	return ans
}

// readerAbstract is the abstract in the reader's language when the paper
// has one, else the other.
func readerAbstract(p *paper.Paper, lang string) string {
	if lang == paper.LangZH && p.AbstractZh != "" {
		return p.AbstractZh
	}
	if p.Abstract != "" {
		return p.Abstract
	}
	return p.AbstractZh
}

func abstractSources(p *paper.Paper, lang string) []Source {
	var out []Source
	for _, c := range library.Chunks(&paper.Paper{Abstract: readerAbstract(p, lang)}) {
		if len(out) == MaxSources {
			break
		}
		if c.Kind == paper.KindAbstract {
			out = append(out, Source{Kind: SourceAbstract, Text: c.Text, Score: 1})
		}
	}
	return out
}

func metaValue(p *paper.Paper, field, lang string) string {
	switch field {
	case FieldAuthors:
		sep := ", "
		if lang == paper.LangZH {
			sep = "、"
		}
		return strings.Join(p.Authors, sep)
	case FieldJournal:
		return p.Journal
	case FieldYear:
		if p.Year > 0 {
			return strconv.Itoa(p.Year)
		}
	case FieldDOI:
		return p.DOI
	}
	return ""
}

var (
	// conclusionCue marks a sentence that states a conclusion, in the
	// phrasing structured and unstructured abstracts use for it.
	conclusionCue = regexp.MustCompile(`(?i)\b(in conclusion|we conclude|conclusions?:|taken together|in summary|to summari[sz]e|overall,|collectively|these (findings|results|data|observations) (suggest|indicate|show|demonstrate|support|reveal)|our (findings|results|data) (suggest|indicate|show|demonstrate|support)|(suggest|suggests|indicate|indicates|demonstrate|demonstrates) that)\b|综上|总之|总而言之|结论|提示|表明`)
	// aimCue marks a sentence that states what the paper does rather
	// than what it found ("Here, we review…").
	aimCue = regexp.MustCompile(`(?i)^(here,? we|in this (review|study|paper|article)|this (review|study|paper|article) (aims|describes|summari[sz]es|discusses|reviews))|\bwe (review|discuss|summari[sz]e|describe|aimed|sought)\b|本文(综述|总结|介绍|讨论)|本综述`)
)

// ConclusionSentences returns the sentences of an abstract that state
// its conclusions: those with a conclusion cue ("In conclusion", "these
// results suggest", 综上…), or else its last sentence that is not a
// statement of aim, which is where an unstructured abstract concludes.
func ConclusionSentences(abstract string) []string {
	sents := paper.Sentences(abstract)
	var out []string
	for _, i := range conclusionIndexes(sents) {
		out = append(out, sents[i])
	}
	return out
}

// conclusionIndexes returns the positions of the sentences stating a
// conclusion, as ConclusionSentences chooses them.
func conclusionIndexes(sents []string) []int {
	var out []int
	for i, s := range sents {
		if conclusionCue.MatchString(s) {
			out = append(out, i)
		}
	}
	if len(out) > 0 {
		return out
	}
	for i := len(sents) - 1; i >= 0; i-- {
		if !aimCue.MatchString(sents[i]) {
			return []int{i}
		}
	}
	return nil
}
