package rag

import (
	"context"
	"fmt"
	"slices"
	"unicode/utf8"

	"github.com/chatpaper/chatpaper/library"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/prompts"
	"github.com/chatpaper/chatpaper/tokenize"
)

// How an extractive answer presents what retrieval found. Whether it
// answers at all is the calibrated decision's (decision.go); these only
// bound what an answer shows.
const (
	// maxCited bounds the references an extractive answer names.
	maxCited = 3
	// maxQuotes bounds the body sentences an extractive answer quotes,
	// to keep the answer short; it is a length limit, not a tuned one.
	maxQuotes = 2
	// citeRatio keeps only references scoring close to the best one.
	citeRatio = 0.7
	// maxClosest is how many closest sources a refusal lists.
	maxClosest = 3
)

// Acquirer hands out loaded papers (package library).
type Acquirer interface {
	Acquire(ctx context.Context, id string) (*library.Loaded, error)
}

// Extractive answers questions without a model: from the paper's body,
// abstract and references, quoting and citing what was retrieved. It is
// safe for concurrent use.
type Extractive struct {
	papers    Acquirer
	retriever *Retriever
	summarize Summarize // nil: summary intents go through retrieval
}

var _ Answerer = (*Extractive)(nil)

// NewExtractive returns an extractive answerer over papers.
func NewExtractive(papers Acquirer, r *Retriever) *Extractive {
	return &Extractive{papers: papers, retriever: r}
}

// SetSummarize makes summary questions ("What is this paper about?")
// answered with fn's summary box. Call it before x answers.
func (x *Extractive) SetSummarize(fn Summarize) { x.summarize = fn }

// Ask answers q from the paper's abstract and references. A reader
// intent (RecognizeIntent) is answered from the paper's structure; any
// other question from retrieval, when the calibrated decision judges the
// paper to answer it. It never invents: every cited number is a
// retrieved reference of the paper, and a refusal says so with
// Answerable false and no citations, listing the closest passages as
// near misses (Answer.Closest).
func (x *Extractive) Ask(ctx context.Context, q Question, emit Emit) (*Answer, error) {
	q, err := NormalizeQuestion(q)
	if err != nil {
		return nil, err
	}
	ReportStage(ctx, StageSearching)
	lp, err := x.papers.Acquire(ctx, q.PaperID)
	if err != nil {
		return nil, err
	}
	defer lp.Release()
	return x.AskLoaded(ctx, lp, q, emit)
}

// AskLoaded is Ask over a paper the caller holds, for a question already
// normalised (NormalizeQuestion): model mode's fallback answers from the
// version it retrieved from.
func (x *Extractive) AskLoaded(ctx context.Context, lp *library.Loaded, q Question, emit Emit) (*Answer, error) {
	if in := RecognizeIntent(q.Text); in.Kind != IntentNone {
		var sum *paper.Summary
		if in.Kind == IntentSummary && x.summarize != nil {
			s, err := x.summarize(ctx, q.PaperID, q.Lang)
			if err != nil {
				return nil, fmt.Errorf("ask %q: %w", q.PaperID, err)
			}
			sum = s
		}
		if ans := IntentAnswer(lp.Paper(), q, in, sum); ans != nil {
			if err := EmitPieces(ans.Answer, emit); err != nil {
				return nil, err
			}
			return ans, nil
		}
	}
	r, err := x.retriever.Retrieve(ctx, lp, q.Text)
	if err != nil {
		return nil, fmt.Errorf("ask %q: %w", q.PaperID, err)
	}
	ans := compose(lp, q, r)
	if err := EmitPieces(ans.Answer, emit); err != nil {
		return nil, err
	}
	return ans, nil
}

// EmitPieces streams text through emit (when not nil) as Pieces.
func EmitPieces(text string, emit Emit) error {
	if emit == nil {
		return nil
	}
	for _, d := range Pieces(text) {
		if err := emit(d); err != nil {
			return err
		}
	}
	return nil
}

// compose builds the extractive answer from the relevant sources: the
// best sentences of the body passages among the top sources, quoted with
// their section and citing what they cite; then the best references; and,
// when no body passage answers, the best abstract sentence.
func compose(lp *library.Loaded, q Question, r *Retrieved) *Answer {
	p, chunks := lp.Paper(), lp.Chunks()
	ans := &Answer{Mode: ModeExtractive, Lang: q.Lang, Sources: r.Sources, Citations: []Citation{}}
	if ans.Sources == nil {
		ans.Sources = []Source{}
	}
	data := prompts.AnswerData{FullText: p.Body != nil}
	var quotes []prompts.CitedQuote
	cite := func(n int) {
		if len(data.Refs) >= maxCited {
			return
		}
		for _, c := range ans.Citations {
			if c.N == n {
				return
			}
		}
		ref, ok := p.Reference(n)
		if !ok {
			return // cannot happen: validation ties citations to references
		}
		label, _ := lp.RefLabel(n, q.Lang)
		data.Refs = append(data.Refs, prompts.CitedRef{N: ref.N, Label: label})
		ans.Citations = append(ans.Citations, CitationOf(ref))
	}
	for _, i := range r.Relevant {
		src := r.Sources[i]
		if (src.Kind == SourceBody || src.Kind == SourceCaption) && i < 3 && len(data.Body) < maxQuotes {
			if bq, ok := bodyQuote(p, src, r.terms); ok {
				data.Body = append(data.Body, bq.quote)
				for _, n := range bq.cites {
					cite(n)
				}
			}
		}
	}
	var bestRef float64
	for _, i := range r.Relevant {
		src := r.Sources[i]
		switch src.Kind {
		case SourceReference, SourceCited:
			if bestRef == 0 {
				bestRef = src.Score
			}
			if src.Score < citeRatio*bestRef {
				continue
			}
			cite(src.N)
			if src.Kind == SourceCited && slices.ContainsFunc(ans.Citations, func(c Citation) bool { return c.N == src.N }) {
				quotes = appendQuote(quotes, p, src.N, r.terms)
			}
		case SourceAbstract:
			// Quote the abstract only when it ranks among the top
			// sources and the body had nothing to quote; otherwise the
			// body and the references answer better.
			if len(data.Body) == 0 && data.Quote == "" && i < 3 && chunks[r.ranks[i].idx].Kind == paper.KindAbstract {
				data.Quote = bestSentence(src.Text, r.terms)
				data.QuoteLang = tokenize.Lang(data.Quote)
			}
		}
	}
	ans.Answerable = len(data.Body) > 0 || data.Quote != "" || len(data.Refs) > 0
	if !ans.Answerable {
		ans.Closest, data.Closest = Closest(lp, r, q.Lang)
	}
	text, err := prompts.ExtractiveAnswer(q.Lang, data)
	if err != nil {
		// Templates are embedded and tested; failing here is a bug.
		panic(err)
	}
	if ans.Answerable {
		// What cited works report in their own abstracts follows, marked
		// as theirs.
		if extra, err := prompts.CitedWorkQuotes(q.Lang, quotes); err != nil {
			panic(err)
		} else if extra != "" && q.Lang == paper.LangZH {
			text += extra // Chinese runs on without a space
		} else if extra != "" {
			text += " " + extra
		}
	}
	ans.Answer = text
	ans.Notice = Notice(q.Lang, ans.Citations)
	return ans
}

// Closest returns the best-ranked sources of r that share a term with
// the question, for a refusal to show as near misses, and their labels
// for the refusal's text. They are not citations.
func Closest(lp *library.Loaded, r *Retrieved, lang string) ([]Source, []prompts.CitedRef) {
	var srcs []Source
	var labels []prompts.CitedRef
	for i, s := range r.Sources {
		if len(srcs) == maxClosest {
			break
		}
		if i >= len(r.ranks) || !r.ranks[i].lexical {
			continue
		}
		srcs = append(srcs, s)
		if s.Kind == SourceReference {
			if label, ok := lp.RefLabel(s.N, lang); ok {
				labels = append(labels, prompts.CitedRef{N: s.N, Label: label})
			}
		} else {
			labels = append(labels, prompts.CitedRef{Label: paper.Shorten(s.Text, 160)})
		}
	}
	return srcs, labels
}

// bestSentence returns the sentence of a window that contains most of
// the query terms, so the quote is short and on point.
func bestSentence(window string, terms []string) string {
	sents := paper.Sentences(window)
	if len(sents) <= 1 {
		return window
	}
	want := make(map[string]bool, len(terms))
	for _, t := range terms {
		want[t] = true
	}
	best, bestN := sents[0], -1
	for _, s := range sents {
		n := 0
		for _, t := range tokenize.Terms(s) {
			if want[t] {
				n++
				want[t] = false // count each query term once per sentence
			}
		}
		for _, t := range terms {
			want[t] = true
		}
		if n > bestN {
			best, bestN = s, n
		}
	}
	return best
}

// RefLabel returns a short label for a reference entry in the style
// "Valadi et al. (2007), “Title”" (or "Valadi 等（2007）《Title》" for
// zh_CN); see paper.ReferenceLabel.
func RefLabel(text, lang string) string { return paper.ReferenceLabel(text, lang) }

// Pieces splits an answer into the deltas it is streamed as: a few words
// (or Chinese characters) at a time, so clients render it progressively.
// The pieces concatenate to text exactly.
func Pieces(text string) []string {
	var out []string
	start, words, runes := 0, 0, 0
	for i, r := range text {
		runes++
		if r == ' ' {
			words++
		}
		if words >= 4 || (tokenize.IsCJK(r) && runes >= 8) {
			out = append(out, text[start:i+utf8.RuneLen(r)])
			start, words, runes = i+utf8.RuneLen(r), 0, 0
		}
	}
	if start < len(text) {
		out = append(out, text[start:])
	}
	return out
}
