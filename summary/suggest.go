package summary

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/chatpaper/chatpaper/library"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/prompts"
	"github.com/chatpaper/chatpaper/rag"
	"github.com/chatpaper/chatpaper/tokenize"
)

// Suggester produces the suggested questions of a paper in one language.
type Suggester interface {
	Suggestions(ctx context.Context, paperID, lang string) (*paper.Suggestions, error)
}

// Asker answers a normalised question (rag.NormalizeQuestion) over a
// paper the caller holds; suggestions keep only the questions it answers
// (rag.Extractive, retrieval only, no model).
type Asker interface {
	AskLoaded(ctx context.Context, lp *library.Loaded, q rag.Question, emit rag.Emit) (*rag.Answer, error)
}

// Acquirer hands out a paper pinned for use (library.Library).
type Acquirer interface {
	Acquire(ctx context.Context, id string) (*library.Loaded, error)
}

var (
	_ Asker    = (*rag.Extractive)(nil)
	_ Acquirer = (*library.Library)(nil)
)

// ExtractiveSuggester suggests questions without a model.
type ExtractiveSuggester struct {
	papers Acquirer
	asker  Asker
}

var _ Suggester = ExtractiveSuggester{}

// NewExtractiveSuggester returns the offline suggester over papers,
// checking candidates with asker.
func NewExtractiveSuggester(papers Acquirer, asker Asker) ExtractiveSuggester {
	return ExtractiveSuggester{papers: papers, asker: asker}
}

// MaxSuggestions bounds the suggested questions of one paper.
const MaxSuggestions = 4

// Suggestions returns questions built from the paper itself (its key
// terms, what it cites, its main finding and methods) that the paper
// answers: each candidate is asked, and only those judged answerable are
// suggested, so a reader who clicks one gets an answer rather than a
// refusal. Asking is retrieval only, well under a millisecond each. The
// candidates are all asked of one acquired version of the paper: one use
// of it, as a reader's question is.
func (x ExtractiveSuggester) Suggestions(ctx context.Context, paperID, lang string) (*paper.Suggestions, error) {
	if !paper.ValidLang(lang) {
		return nil, fmt.Errorf("%w: lang %q must be en_US or zh_CN", paper.ErrInvalidLang, lang)
	}
	lp, err := x.papers.Acquire(ctx, paperID)
	if err != nil {
		return nil, err
	}
	defer lp.Release()
	s := ExtractiveSuggestions(lp.Paper(), lang)
	if s.Questions, err = x.answerableLoaded(ctx, lp, lang, s.Questions); err != nil {
		return nil, err
	}
	return s, nil
}

// answerable keeps, in order, up to MaxSuggestions of qs that the paper
// answers, asking them all of one acquired version of it.
func (x ExtractiveSuggester) answerable(ctx context.Context, paperID, lang string, qs []string) ([]string, error) {
	lp, err := x.papers.Acquire(ctx, paperID)
	if err != nil {
		return nil, err
	}
	defer lp.Release()
	return x.answerableLoaded(ctx, lp, lang, qs)
}

// answerableLoaded is answerable over a paper the caller holds.
func (x ExtractiveSuggester) answerableLoaded(ctx context.Context, lp *library.Loaded, lang string, qs []string) ([]string, error) {
	out := []string{}
	for _, text := range qs {
		if len(out) == MaxSuggestions {
			break
		}
		q, err := rag.NormalizeQuestion(rag.Question{PaperID: lp.Paper().ID, Text: text, Lang: lang})
		if err != nil {
			continue
		}
		ans, err := x.asker.AskLoaded(ctx, lp, q, nil)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			continue
		}
		if ans.Answerable {
			out = append(out, text)
		}
	}
	return out, nil
}

// ExtractiveSuggestions lists the candidate questions for p in lang,
// best first, built without a model from p's key terms and reference
// list. They are not yet checked against the paper:
// ExtractiveSuggester.Suggestions keeps those it answers.
func ExtractiveSuggestions(p *paper.Paper, lang string) *paper.Suggestions {
	terms := KeyTerms(p, 2)
	w := prompts.SuggestionWording(lang)
	refs := len(p.References) > 0
	type cand struct {
		tmpl string
		term int // 0: none, else the 1-based key term it takes
		refs bool
	}
	cands := []cand{
		{w.About, 1, false}, {w.Discuss, 1, false}, {w.Role, 1, false}, {w.CitedOn, 2, true},
		{w.Methods, 0, false}, {w.MainFinding, 0, false}, {w.About, 2, false}, {w.Discuss, 2, false},
		{w.Known, 1, false}, {w.Role, 2, false}, {w.Cited, 0, true},
	}
	var qs []string
	seen := map[string]bool{}
	for _, c := range cands {
		if c.refs && !refs || c.term > len(terms) {
			continue
		}
		q := c.tmpl
		if c.term > 0 {
			q = fmt.Sprintf(c.tmpl, terms[c.term-1])
		}
		if !seen[q] {
			seen[q] = true
			qs = append(qs, q)
		}
	}
	return &paper.Suggestions{PaperID: p.ID, Lang: lang, Questions: qs, Source: "extractive"}
}

var (
	wordRE   = regexp.MustCompile(`[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*`)
	clauseRE = regexp.MustCompile(`[.,;:()\[\]!?"“”]`)
)

// KeyTerms returns up to n display phrases that name what p is about:
// two-word phrases and single words of the title and English abstract,
// scored by how often they occur (title occurrences count triple) with
// phrases preferred, and none contained in a better one. Stop words never
// start or end a phrase.
func KeyTerms(p *paper.Paper, n int) []string {
	type cand struct {
		display string
		score   float64
		words   int
		first   int
	}
	cands := map[string]*cand{}
	order := 0
	add := func(text string, weight float64) {
		// Phrases do not run across punctuation: split into clauses first.
		for _, clause := range clauseRE.Split(text, -1) {
			words := wordRE.FindAllString(clause, -1)
			stems := make([]string, len(words))
			for i, w := range words {
				// A stop word has no terms; miR-21 has two.
				if ts := tokenize.Terms(w); len(ts) > 0 && len(w) >= 3 {
					stems[i] = strings.Join(ts, "-")
				}
			}
			see := func(key, display string, nw int) {
				c := cands[key]
				if c == nil {
					order++
					c = &cand{display: display, words: nw, first: order}
					cands[key] = c
				}
				c.score += weight
			}
			for i, w := range words {
				if stems[i] == "" {
					continue
				}
				if len(w) >= 5 || isAcronym(w) {
					see(stems[i], displayWord(w), 1)
				}
				if i+1 < len(words) && stems[i+1] != "" {
					see(stems[i]+" "+stems[i+1], displayWord(w)+" "+displayWord(words[i+1]), 2)
				}
			}
		}
	}
	add(p.Title, 3)
	add(p.Abstract, 1)
	var list []*cand
	for _, c := range cands {
		// A phrase must recur (or be in the title) to be a key term.
		if c.score >= 2 {
			list = append(list, c)
		}
	}
	sort.Slice(list, func(i, j int) bool {
		si, sj := list[i].score*float64(list[i].words), list[j].score*float64(list[j].words)
		if si != sj {
			return si > sj
		}
		return list[i].first < list[j].first
	})
	var out []string
	for _, c := range list {
		if len(out) == n {
			break
		}
		overlap := false
		for _, o := range out {
			if strings.Contains(strings.ToLower(o), strings.ToLower(c.display)) || strings.Contains(strings.ToLower(c.display), strings.ToLower(o)) {
				overlap = true
				break
			}
		}
		if !overlap {
			out = append(out, c.display)
		}
	}
	return out
}

func isAcronym(w string) bool {
	up := 0
	for _, r := range w {
		if r >= 'A' && r <= 'Z' {
			up++
		}
	}
	return len(w) >= 2 && up >= 2
}

// displayWord keeps acronyms and gene names (any capital after the first
// letter, or a digit) as written and lower-cases ordinary words.
func displayWord(w string) string {
	for i, r := range w {
		if i > 0 && (r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return w
		}
	}
	return strings.ToLower(w)
}
