// Package eval measures answer quality: it runs a QA set with gold
// reference numbers against an Answerer and reports per-language scores.
package eval

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/chatpaper/chatpaper/rag"
)

// Item is one QA line: {"id","paper","lang","question","gold_refs",
// "gold_abstract","gold_section","answerable","intent","note"}.
type Item struct {
	ID           string `json:"id"`
	Paper        string `json:"paper"`
	Lang         string `json:"lang"`
	Question     string `json:"question"`
	GoldRefs     []int  `json:"gold_refs"`
	GoldAbstract bool   `json:"gold_abstract"`
	// GoldSection is the title of the body section that answers the
	// question, for full-text sets; it is reported, not scored.
	GoldSection string `json:"gold_section,omitempty"`
	Answerable  bool   `json:"answerable"`
	// Intent is the kind of question as its writer classified it
	// (abstract, metadata, reference, refs, none); it is reported, not
	// used to answer.
	Intent string `json:"intent,omitempty"`
	// Note is the set author's remark on the item.
	Note string `json:"note,omitempty"`
}

// LoadQA reads a JSONL QA set. Blank lines are skipped; a malformed line
// is an error naming its line number.
func LoadQA(r io.Reader) ([]Item, error) {
	var items []Item
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for line := 1; sc.Scan(); line++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var it Item
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&it); err != nil {
			return nil, fmt.Errorf("qa line %d: %w", line, err)
		}
		if it.Question == "" {
			return nil, fmt.Errorf("qa line %d: question is empty", line)
		}
		items = append(items, it)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read qa set: %w", err)
	}
	return items, nil
}

// Outcome is what one question got.
type Outcome struct {
	Item       Item  `json:"item"`
	Answerable bool  `json:"answerable"`
	Cited      []int `json:"cited"`
	// SourceRefs are the reference numbers citable from the top five
	// sources: a reference source's own number and the numbers a body
	// passage or caption cites. SourceRefs8 is the same for the top 8.
	SourceRefs  []int `json:"source_refs"`
	SourceRefs8 []int `json:"source_refs_at_8"`
	// BodyAt5 says whether a body passage or caption is among the top
	// five sources.
	BodyAt5   bool          `json:"body_at_5"`
	Abstract5 bool          `json:"abstract_at_5"`
	Latency   time.Duration `json:"latency_ns"`
}

// LangReport holds the scores for one language. Shares are in [0,1];
// NaN marks a score with no question to compute it on.
type LangReport struct {
	Lang      string `json:"lang"`
	Questions int    `json:"questions"`
	// CiteGold is the share of answerable questions with gold references
	// whose answer cites at least one of them.
	CiteGold float64 `json:"cite_gold"`
	// RecallAt5 is the mean share of gold references citable from the
	// top five sources; RecallAt8 from the top eight.
	RecallAt5 float64 `json:"recall_at_5"`
	RecallAt8 float64 `json:"recall_at_8"`
	// CitationPrecision is the share of cited numbers that are gold,
	// over answerable questions with gold references.
	CitationPrecision float64 `json:"citation_precision"`
	// AbstractAt5 is the share of abstract questions with an abstract
	// source among the top five.
	AbstractAt5 float64 `json:"abstract_at_5"`
	// Answered is the share of answerable questions answered at all
	// (answerable=true), whatever they cite.
	Answered float64 `json:"answered"`
	// Refusal is the share of unanswerable questions answered with
	// answerable=false and no citation.
	Refusal float64       `json:"refusal_accuracy"`
	P50     time.Duration `json:"latency_p50_ns"`
	P95     time.Duration `json:"latency_p95_ns"`
}

// Report is the result of a QA run: scores per language and over all
// questions.
type Report struct {
	Langs    []LangReport `json:"langs"`
	All      LangReport   `json:"all"`
	Outcomes []Outcome    `json:"outcomes"`
}

// RunQA asks every item (on paper when non-empty, else on the item's
// paper) and scores the answers.
func RunQA(ctx context.Context, a rag.Answerer, items []Item, paper string) (*Report, error) {
	var outs []Outcome
	for _, it := range items {
		pid := it.Paper
		if paper != "" {
			pid = paper
		}
		start := time.Now()
		ans, err := a.Ask(ctx, rag.Question{PaperID: pid, Text: it.Question, Lang: it.Lang}, nil)
		if err != nil {
			return nil, fmt.Errorf("question %s: %w", it.ID, err)
		}
		o := Outcome{Item: it, Answerable: ans.Answerable, Latency: time.Since(start), Cited: []int{}, SourceRefs: []int{}, SourceRefs8: []int{}}
		for _, c := range ans.Citations {
			o.Cited = append(o.Cited, c.N)
		}
		for i, s := range ans.Sources {
			if i == 8 {
				break
			}
			citable := s.Cites
			switch s.Kind {
			case rag.SourceReference:
				citable = []int{s.N}
			case rag.SourceAbstract:
				if i < 5 {
					o.Abstract5 = true
				}
			default:
				if i < 5 {
					o.BodyAt5 = true
				}
			}
			if i < 5 {
				o.SourceRefs = append(o.SourceRefs, citable...)
			}
			o.SourceRefs8 = append(o.SourceRefs8, citable...)
		}
		outs = append(outs, o)
	}
	return Score(outs), nil
}

// Score aggregates outcomes per language.
func Score(outs []Outcome) *Report {
	byLang := map[string][]Outcome{}
	for _, o := range outs {
		byLang[o.Item.Lang] = append(byLang[o.Item.Lang], o)
	}
	rep := &Report{Outcomes: outs}
	for lang, os := range byLang {
		rep.Langs = append(rep.Langs, scoreLang(lang, os))
	}
	sort.Slice(rep.Langs, func(i, j int) bool { return rep.Langs[i].Lang < rep.Langs[j].Lang })
	rep.All = scoreLang("all", outs)
	return rep
}

func scoreLang(lang string, outs []Outcome) LangReport {
	r := LangReport{Lang: lang, Questions: len(outs)}
	var citeN, citeHit, recallN, precN, precHit, absN, absHit, refN, refHit, ansN, ansHit float64
	var recallSum, recall8Sum float64
	var lat []time.Duration
	for _, o := range outs {
		lat = append(lat, o.Latency)
		it := o.Item
		gold := map[int]bool{}
		for _, g := range it.GoldRefs {
			gold[g] = true
		}
		if it.Answerable {
			ansN++
			if o.Answerable {
				ansHit++
			}
		}
		switch {
		case !it.Answerable:
			refN++
			if !o.Answerable && len(o.Cited) == 0 {
				refHit++
			}
		case len(it.GoldRefs) > 0:
			citeN++
			if countIn(o.Cited, gold) > 0 {
				citeHit++
			}
			recallN++
			recallSum += float64(countIn(o.SourceRefs, gold)) / float64(len(gold))
			recall8Sum += float64(countIn(o.SourceRefs8, gold)) / float64(len(gold))
			precN += float64(len(o.Cited))
			precHit += float64(countIn(o.Cited, gold))
		}
		if it.Answerable && it.GoldAbstract {
			absN++
			if o.Abstract5 && o.Answerable {
				absHit++
			}
		}
	}
	r.CiteGold = ratio(citeHit, citeN)
	r.RecallAt5 = ratio(recallSum, recallN)
	r.RecallAt8 = ratio(recall8Sum, recallN)
	r.CitationPrecision = ratio(precHit, precN)
	r.AbstractAt5 = ratio(absHit, absN)
	r.Refusal = ratio(refHit, refN)
	r.Answered = ratio(ansHit, ansN)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	r.P50, r.P95 = percentile(lat, 0.50), percentile(lat, 0.95)
	return r
}

func countIn(xs []int, set map[int]bool) int {
	n := 0
	seen := map[int]bool{}
	for _, x := range xs {
		if set[x] && !seen[x] {
			n++
			seen[x] = true
		}
	}
	return n
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return math.NaN()
	}
	return a / b
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(i, 0)]
}

// WriteTable prints the report as an aligned table.
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "lang\tquestions\tcite gold\trecall@5\trecall@8\tcite precision\tabstract@5\tanswered\trefusals\tp50\tp95\t")
	for _, l := range append(append([]LangReport(nil), r.Langs...), r.All) {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", l.Lang, l.Questions, pct(l.CiteGold), pct(l.RecallAt5), pct(l.RecallAt8),
			pct(l.CitationPrecision), pct(l.AbstractAt5), pct(l.Answered), pct(l.Refusal), l.P50.Round(time.Microsecond), l.P95.Round(time.Microsecond))
	}
	return tw.Flush()
}

func pct(x float64) string {
	if math.IsNaN(x) {
		return "-"
	}
	return fmt.Sprintf("%.2f", x)
}

// MarshalJSON writes NaN scores as null, which JSON can represent.
func (l LangReport) MarshalJSON() ([]byte, error) {
	num := func(x float64) *float64 {
		if math.IsNaN(x) {
			return nil
		}
		return &x
	}
	return json.Marshal(struct {
		Lang              string   `json:"lang"`
		Questions         int      `json:"questions"`
		CiteGold          *float64 `json:"cite_gold"`
		RecallAt5         *float64 `json:"recall_at_5"`
		RecallAt8         *float64 `json:"recall_at_8"`
		CitationPrecision *float64 `json:"citation_precision"`
		AbstractAt5       *float64 `json:"abstract_at_5"`
		Answered          *float64 `json:"answered"`
		Refusal           *float64 `json:"refusal_accuracy"`
		P50ms             float64  `json:"latency_p50_ms"`
		P95ms             float64  `json:"latency_p95_ms"`
	}{l.Lang, l.Questions, num(l.CiteGold), num(l.RecallAt5), num(l.RecallAt8), num(l.CitationPrecision), num(l.AbstractAt5),
		num(l.Answered), num(l.Refusal), float64(l.P50) / 1e6, float64(l.P95) / 1e6})
}

// String is a one-line form for logs.
func (l LangReport) String() string {
	return strings.TrimSpace(fmt.Sprintf("%s: cite_gold=%s recall@5=%s recall@8=%s answered=%s refusals=%s", l.Lang, pct(l.CiteGold), pct(l.RecallAt5), pct(l.RecallAt8), pct(l.Answered), pct(l.Refusal)))
}
