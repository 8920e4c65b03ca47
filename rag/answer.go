package rag

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/prompts"
	"github.com/chatpaper/chatpaper/tokenize"
)

// How an extractive answer presents what retrieval found. Whether it
// answers at all is the calibrated decision's (decision.go); these only
// bound what an answer shows.
const (
	// MaxSources is how many ranked sources an answer reports.
	MaxSources = 8
	// maxCited bounds the references an extractive answer names.
	maxCited = 3
	// citeRatio keeps only references scoring close to the best one.
	citeRatio = 0.7
	// maxClosest is how many closest sources a refusal lists.
	maxClosest = 3
)

// Ask answers q from the paper's abstract and references. A reader
// intent (RecognizeIntent) is answered from the paper's structure; any
// other question from retrieval, when the calibrated decision judges the
// paper to answer it. It never invents: every cited number is a
// retrieved reference of the paper, and a refusal says so with
// Answerable false and no citations, listing the closest passages as
// near misses (Answer.Closest).
func (e *Engine) Ask(ctx context.Context, q Question, emit Emit) (*Answer, error) {
	q, err := normalizeQuestion(q)
	if err != nil {
		return nil, err
	}
	lp, err := e.load(ctx, q.PaperID)
	if err != nil {
		return nil, err
	}
	defer e.release(lp)
	if in := RecognizeIntent(q.Text); in.Kind != IntentNone {
		if ans := intentAnswer(lp.paper, q, in); ans != nil {
			if err := emitPieces(ans.Answer, emit); err != nil {
				return nil, err
			}
			return ans, nil
		}
	}
	ctxs, err := e.retrieveContext(ctx, lp, q.Text)
	if err != nil {
		return nil, fmt.Errorf("ask %q: %w", q.PaperID, err)
	}
	ans := e.compose(lp, q, ctxs)
	if err := emitPieces(ans.Answer, emit); err != nil {
		return nil, err
	}
	return ans, nil
}

func emitPieces(text string, emit Emit) error {
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

// Retrieved is the outcome of retrieval for one question: the ranked
// sources, the decision's features and verdicts, and which sources are
// relevant enough to answer from.
type Retrieved struct {
	Sources []Source
	// Relevant holds the indexes into Sources judged relevant: empty
	// unless the paper was judged to answer the question.
	Relevant []int
	// Features are what the decision was taken on, and Prob its
	// probability that the paper answers the question.
	Features Features
	Prob     float64
	// Plausible reports whether Prob reaches the model-mode floor: the
	// sources are worth a model's judgement.
	Plausible bool
	terms     []string
	ranks     []ranked
}

// Retrieve returns the paper and the sources retrieved for text, for
// answerers that compose their own answer (model mode).
func (e *Engine) Retrieve(ctx context.Context, paperID, text string) (*paper.Paper, *Retrieved, error) {
	lp, err := e.load(ctx, paperID)
	if err != nil {
		return nil, nil, err
	}
	defer e.release(lp)
	r, err := e.retrieveContext(ctx, lp, text)
	if err != nil {
		return nil, nil, fmt.Errorf("retrieve %q: %w", paperID, err)
	}
	return lp.paper, r, nil
}

func (e *Engine) retrieveContext(ctx context.Context, lp *loadedPaper, text string) (*Retrieved, error) {
	q := parseQuery(text, !e.noGlosses, lp.lex.has)
	r := &Retrieved{terms: q.terms}
	if len(q.groups) == 0 {
		return r, nil
	}
	ranks, feats, err := e.retrieve(ctx, lp, q)
	if err != nil {
		return nil, err
	}
	if e.reranker != nil {
		if rr, err := e.rerank(ctx, lp, text, ranks); err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			e.log.Warn("reranker failed; answering from the fused ranking", "paper", lp.paper.ID, "err", err)
		} else {
			ranks = rr
		}
	}
	if len(ranks) > MaxSources {
		ranks = ranks[:MaxSources]
	}
	model := decisionFor(e.embedder.Name())
	r.Features, r.Prob = feats, model.Prob(feats)
	r.Plausible = r.Prob >= model.Floor
	answerable := r.Prob >= model.Threshold
	r.ranks = ranks
	for i, rk := range ranks {
		c := lp.chunks[rk.idx]
		src := Source{Kind: SourceAbstract, Text: c.Text, Score: round3(rk.score)}
		if c.Kind == paper.KindReference {
			src.Kind, src.N = SourceReference, c.N
		}
		r.Sources = append(r.Sources, src)
		if answerable && rk.lexical && rk.score > 0 {
			r.Relevant = append(r.Relevant, i)
		}
	}
	return r, nil
}

func round3(x float64) float64 { return float64(int64(x*1000+0.5)) / 1000 }

// compose builds the extractive answer from the relevant sources.
func (e *Engine) compose(lp *loadedPaper, q Question, r *Retrieved) *Answer {
	ans := &Answer{Mode: ModeExtractive, Lang: q.Lang, Sources: r.Sources, Citations: []Citation{}}
	if ans.Sources == nil {
		ans.Sources = []Source{}
	}
	var data prompts.AnswerData
	var bestRef float64
	for _, i := range r.Relevant {
		src := r.Sources[i]
		switch src.Kind {
		case SourceReference:
			if bestRef == 0 {
				bestRef = src.Score
			}
			if len(data.Refs) >= maxCited || src.Score < citeRatio*bestRef {
				continue
			}
			ref, ok := lp.paper.Reference(src.N)
			if !ok {
				continue // cannot happen: chunks come from the paper
			}
			data.Refs = append(data.Refs, prompts.CitedRef{N: ref.N, Label: RefLabel(ref.Text, q.Lang)})
			ans.Citations = append(ans.Citations, Citation{N: ref.N, Text: ref.Text, DOI: ref.DOI})
		case SourceAbstract:
			// Quote the abstract only when it ranks among the top
			// sources; otherwise the references answer better.
			if data.Quote == "" && i < 3 && lp.chunks[r.ranks[i].idx].Kind == paper.KindAbstract {
				data.Quote = bestSentence(src.Text, r.terms)
				data.QuoteLang = tokenize.Lang(data.Quote)
			}
		}
	}
	ans.Answerable = data.Quote != "" || len(data.Refs) > 0
	if !ans.Answerable {
		ans.Closest, data.Closest = closest(lp.paper, r, q.Lang)
	}
	text, err := prompts.ExtractiveAnswer(q.Lang, data)
	if err != nil {
		// Templates are embedded and tested; failing here is a bug.
		panic(err)
	}
	ans.Answer = text
	return ans
}

// closest returns the best-ranked sources that share a term with the
// question, for a refusal to show as near misses, and their labels for
// the refusal's text. They are not citations.
func closest(p *paper.Paper, r *Retrieved, lang string) ([]Source, []prompts.CitedRef) {
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
			if ref, ok := p.Reference(s.N); ok {
				labels = append(labels, prompts.CitedRef{N: ref.N, Label: RefLabel(ref.Text, lang)})
			}
		} else {
			labels = append(labels, prompts.CitedRef{Label: shorten(s.Text, 160)})
		}
	}
	return srcs, labels
}

// bestSentence returns the sentence of a window that contains most of
// the query terms, so the quote is short and on point.
func bestSentence(window string, terms []string) string {
	sents := Sentences(window)
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

var (
	yearRe    = regexp.MustCompile(`\b(1[89]\d\d|20\d\d)\b`)
	sentEndRe = regexp.MustCompile(`[.?!]\s`)
)

// RefLabel returns a short label for a reference entry in the style
// "Valadi et al. (2007), “Title”" (or "Valadi 等（2007）《Title》" for
// zh_CN), parsed from the usual "Authors. Title. Journal. Year" form. It
// falls back to the entry itself, shortened, when the form is not found.
func RefLabel(text, lang string) string {
	loc := sentEndRe.FindStringIndex(text)
	if loc == nil {
		return shorten(text, 160)
	}
	authors := text[:loc[0]]
	rest := text[loc[1]:]
	title := rest
	if l := sentEndRe.FindStringIndex(rest); l != nil {
		title = rest[:l[0]+1]
	}
	title = strings.TrimRight(strings.TrimSpace(title), ".")
	first := strings.FieldsFunc(authors, func(r rune) bool { return r == ',' || r == ' ' })
	if len(first) == 0 || title == "" {
		return shorten(text, 160)
	}
	surname := first[0]
	year := yearRe.FindString(rest)
	many := strings.Contains(authors, ",")
	if lang == paper.LangZH {
		s := surname
		if many {
			s += " 等"
		}
		if year != "" {
			s += "（" + year + "）"
		}
		return s + "《" + shorten(title, 140) + "》"
	}
	s := surname
	if many {
		s += " et al."
	}
	if year != "" {
		s += " (" + year + ")"
	}
	return s + ", “" + shorten(title, 140) + "”"
}

func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	cut := n
	for cut > n/2 && r[cut] != ' ' {
		cut--
	}
	return strings.TrimSpace(string(r[:cut])) + "…"
}

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
