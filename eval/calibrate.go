package eval

import (
	"archive/zip"
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/chatpaper/chatpaper/embed"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/rag"
)

// CalPair is one calibration example: a question (or claim) and an
// article, labelled by whether the article answers it.
type CalPair struct {
	ID         string // "<set>:<question id>:<article id>"
	Set        string // "pubmedqa" or "scifact"
	Split      string // "train" or "test"
	Question   string
	Paper      *paper.Paper
	Answerable bool
}

// CalRow is a measured calibration pair: its features under the engine.
type CalRow struct {
	ID         string
	Set        string
	Split      string
	Answerable bool
	Features   rag.Features
}

// LoadCalibration builds the calibration set from the public benchmarks
// under dir (dir/pubmedqa and dir/beir-scifact, as in /work/shared/data),
// with a fixed split:
//
//   - PubMedQA PQA-L: each question against its own article (the
//     abstract without its conclusion) is answerable; against the other
//     article of the same split with the most similar MeSH terms
//     (Jaccard, ties to the smaller PMID) it is not. Test = the PMIDs of
//     test_ground_truth.json, train = the other 500.
//   - SciFact: a claim against an abstract holding evidence for or
//     against it is answerable; a claim without evidence against each
//     abstract it cites is not. Train = claims_train.csv, test =
//     claims_validation.csv (the BEIR test claims), from the CSV export
//     in raw/scifact_hf_csv.zip.
func LoadCalibration(dir string) ([]CalPair, error) {
	pm, err := loadPubMedQA(filepath.Join(dir, "pubmedqa"))
	if err != nil {
		return nil, err
	}
	sf, err := loadSciFactPairs(filepath.Join(dir, "beir-scifact"))
	if err != nil {
		return nil, err
	}
	return append(pm, sf...), nil
}

func loadPubMedQA(dir string) ([]CalPair, error) {
	var raw map[string]struct {
		Question string   `json:"QUESTION"`
		Contexts []string `json:"CONTEXTS"`
		Meshes   []string `json:"MESHES"`
	}
	if err := readJSON(filepath.Join(dir, "ori_pqal.json"), &raw); err != nil {
		return nil, err
	}
	var test map[string]string
	if err := readJSON(filepath.Join(dir, "test_ground_truth.json"), &test); err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(raw))
	for id := range raw {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	split := func(id string) string {
		if _, ok := test[id]; ok {
			return "test"
		}
		return "train"
	}
	meshes := map[string]map[string]bool{}
	for _, id := range ids {
		m := map[string]bool{}
		for _, x := range raw[id].Meshes {
			m[strings.ToLower(x)] = true
		}
		meshes[id] = m
	}
	art := func(id string) *paper.Paper {
		return &paper.Paper{ID: "pubmed-" + id, Abstract: strings.Join(raw[id].Contexts, " ")}
	}
	var out []CalPair
	for _, id := range ids {
		sp := split(id)
		out = append(out, CalPair{ID: "pubmedqa:" + id + ":" + id, Set: "pubmedqa", Split: sp,
			Question: raw[id].Question, Paper: art(id), Answerable: true})
		best, bestJ := "", 0.0
		for _, other := range ids {
			if other == id || split(other) != sp {
				continue
			}
			if j := jaccard(meshes[id], meshes[other]); j > bestJ {
				best, bestJ = other, j
			}
		}
		if best != "" {
			out = append(out, CalPair{ID: "pubmedqa:" + id + ":" + best, Set: "pubmedqa", Split: sp,
				Question: raw[id].Question, Paper: art(best)})
		}
	}
	return out, nil
}

func jaccard(a, b map[string]bool) float64 {
	var inter int
	for x := range a {
		if b[x] {
			inter++
		}
	}
	union := len(a) + len(b) - inter
	if union == 0 {
		return 0
	}
	return float64(inter) / float64(union)
}

func loadSciFactPairs(dir string) ([]CalPair, error) {
	docs := map[string]*paper.Paper{}
	f, err := os.Open(filepath.Join(dir, "corpus.jsonl"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var d struct {
			ID    string `json:"_id"`
			Title string `json:"title"`
			Text  string `json:"text"`
		}
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			return nil, fmt.Errorf("scifact corpus: %w", err)
		}
		docs[d.ID] = &paper.Paper{ID: "scifact-" + d.ID, Title: d.Title, Abstract: d.Text}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("scifact corpus: %w", err)
	}
	zr, err := zip.OpenReader(filepath.Join(dir, "raw", "scifact_hf_csv.zip"))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	var out []CalPair
	for _, part := range []struct{ file, split string }{{"claims_train.csv", "train"}, {"claims_validation.csv", "test"}} {
		rf, err := zr.Open(part.file)
		if err != nil {
			return nil, fmt.Errorf("scifact %s: %w", part.file, err)
		}
		rows, err := csv.NewReader(rf).ReadAll()
		rf.Close()
		if err != nil {
			return nil, fmt.Errorf("scifact %s: %w", part.file, err)
		}
		seen := map[string]bool{}
		for i, r := range rows {
			if i == 0 || len(r) < 6 {
				continue // the header
			}
			id, claim, evDoc := r[0], r[1], r[2]
			add := func(doc string, answerable bool) {
				key := "scifact:" + id + ":" + doc
				if p, ok := docs[doc]; ok && !seen[key] {
					seen[key] = true
					out = append(out, CalPair{ID: key, Set: "scifact", Split: part.split, Question: claim, Paper: p, Answerable: answerable})
				}
			}
			if evDoc != "" {
				add(evDoc, true)
				continue
			}
			for _, doc := range strings.FieldsFunc(r[5], func(c rune) bool { return c == '[' || c == ']' || c == ',' || c == ' ' }) {
				add(doc, false)
			}
		}
	}
	// A claim with evidence in one cited abstract and none in another
	// appears in rows of both kinds; keep the answerable label.
	pos := map[string]bool{}
	for _, p := range out {
		if p.Answerable {
			pos[p.ID] = true
		}
	}
	kept := out[:0]
	for _, p := range out {
		if p.Answerable || !pos[p.ID] {
			kept = append(kept, p)
		}
	}
	return kept, nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// MeasureCalibration measures every pair with the engine's features,
// using emb for the vector feature.
func MeasureCalibration(ctx context.Context, pairs []CalPair, emb embed.Embedder) ([]CalRow, error) {
	rows := make([]CalRow, 0, len(pairs))
	for _, p := range pairs {
		f, err := rag.MeasurePaper(ctx, p.Paper, p.Question, emb)
		if err != nil {
			return nil, fmt.Errorf("measure %s: %w", p.ID, err)
		}
		rows = append(rows, CalRow{ID: p.ID, Set: p.Set, Split: p.Split, Answerable: p.Answerable, Features: f})
	}
	return rows, nil
}

// calHeader is the header of the feature table.
var calHeader = []string{"id", "set", "split", "answerable", "paper_coverage", "best_coverage", "best_bm25", "best_cosine", "margin"}

// WriteCalRows writes rows as a CSV feature table.
func WriteCalRows(w io.Writer, rows []CalRow) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(calHeader); err != nil {
		return err
	}
	g := func(x float64) string { return strconv.FormatFloat(x, 'g', 17, 64) }
	for _, r := range rows {
		f := r.Features
		if err := cw.Write([]string{r.ID, r.Set, r.Split, strconv.FormatBool(r.Answerable),
			g(f.PaperCoverage), g(f.BestCoverage), g(f.BestBM25), g(f.BestCosine), g(f.Margin)}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// ReadCalRows reads a feature table written by WriteCalRows.
func ReadCalRows(r io.Reader) ([]CalRow, error) {
	recs, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("feature table: %w", err)
	}
	if len(recs) == 0 || strings.Join(recs[0], ",") != strings.Join(calHeader, ",") {
		return nil, fmt.Errorf("feature table: header must be %v", calHeader)
	}
	var out []CalRow
	for i, rec := range recs[1:] {
		if len(rec) != len(calHeader) {
			return nil, fmt.Errorf("feature table line %d: %d fields", i+2, len(rec))
		}
		var x [5]float64
		for j := range x {
			if x[j], err = strconv.ParseFloat(rec[4+j], 64); err != nil {
				return nil, fmt.Errorf("feature table line %d: %w", i+2, err)
			}
		}
		out = append(out, CalRow{ID: rec[0], Set: rec[1], Split: rec[2], Answerable: rec[3] == "true",
			Features: rag.Features{PaperCoverage: x[0], BestCoverage: x[1], BestBM25: x[2], BestCosine: x[3], Margin: x[4]}})
	}
	return out, nil
}

// Fit fits a decision model on the train rows: logistic regression by
// Newton's method (a fixed 50 steps, a small ridge penalty on the
// weights so separable data stays finite) over the features use marks,
// then its two operating points on the train rows:
//
//   - Threshold maximises Youden's J (recall of answerable plus recall
//     of refuse, minus one): an error on either side costs the same,
//     whatever the classes' shares, because the offline answer either
//     cites a wrong passage or withholds a right one;
//   - Floor is the largest probability that still keeps 99% of the
//     answerable train pairs at or above it: model mode asks the model
//     about everything but clearly irrelevant retrieval. It is never
//     above Threshold.
//
// Constants are rounded to four decimals, as they are shipped.
func Fit(rows []CalRow, use []bool, embedder string) rag.DecisionModel {
	var xs [][]float64
	var ys []float64
	for _, r := range rows {
		if r.Split != "train" {
			continue
		}
		v := r.Features.Vector()
		x := []float64{1}
		for i, u := range use {
			if u {
				x = append(x, v[i])
			}
		}
		xs = append(xs, x)
		ys = append(ys, b2f(r.Answerable))
	}
	w := logistic(xs, ys, 1e-3, 50)
	m := rag.DecisionModel{Embedder: embedder, Bias: round4(w[0]), Weights: make([]float64, len(use))}
	k := 1
	for i, u := range use {
		if u {
			m.Weights[i] = round4(w[k])
			k++
		}
	}
	var pos, neg []float64
	for _, r := range rows {
		if r.Split != "train" {
			continue
		}
		p := m.Prob(r.Features)
		if r.Answerable {
			pos = append(pos, p)
		} else {
			neg = append(neg, p)
		}
	}
	sort.Float64s(pos)
	sort.Float64s(neg)
	all := append(append([]float64(nil), pos...), neg...)
	sort.Float64s(all)
	bestJ := math.Inf(-1)
	for i := range all {
		// Cut between neighbours so the threshold does not sit on a
		// training example.
		t := all[i]
		if i > 0 {
			t = (all[i-1] + all[i]) / 2
		}
		t = round4(t)
		tpr := float64(len(pos)-countBelow(pos, t)) / float64(len(pos))
		fpr := float64(len(neg)-countBelow(neg, t)) / float64(len(neg))
		if j := tpr - fpr; j > bestJ {
			bestJ, m.Threshold = j, t
		}
	}
	if len(pos) > 0 {
		f := pos[int(0.01*float64(len(pos)))]
		m.Floor = min(math.Floor(f*1e4)/1e4, m.Threshold)
	}
	return m
}

func countBelow(sorted []float64, t float64) int { return sort.SearchFloat64s(sorted, t) }

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }

// logistic fits weights (the first column of xs is the intercept, not
// penalised) by Newton's method.
func logistic(xs [][]float64, ys []float64, lambda float64, steps int) []float64 {
	if len(xs) == 0 {
		return nil
	}
	d := len(xs[0])
	w := make([]float64, d)
	for range steps {
		g := make([]float64, d)
		h := make([][]float64, d)
		for i := range h {
			h[i] = make([]float64, d)
		}
		for n, x := range xs {
			z := 0.0
			for i := range x {
				z += w[i] * x[i]
			}
			p := 1 / (1 + math.Exp(-z))
			for i := range x {
				g[i] += (p - ys[n]) * x[i]
				for j := range x {
					h[i][j] += p * (1 - p) * x[i] * x[j]
				}
			}
		}
		for i := 1; i < d; i++ {
			g[i] += lambda * w[i]
			h[i][i] += lambda
		}
		step := solve(h, g)
		for i := range w {
			w[i] -= step[i]
		}
	}
	return w
}

// solve returns x with a·x = b by Gaussian elimination with partial
// pivoting; a and b are overwritten.
func solve(a [][]float64, b []float64) []float64 {
	n := len(b)
	for c := 0; c < n; c++ {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		a[c], a[p] = a[p], a[c]
		b[c], b[p] = b[p], b[c]
		if a[c][c] == 0 {
			continue
		}
		for r := c + 1; r < n; r++ {
			f := a[r][c] / a[c][c]
			for k := c; k < n; k++ {
				a[r][k] -= f * a[c][k]
			}
			b[r] -= f * b[c]
		}
	}
	x := make([]float64, n)
	for r := n - 1; r >= 0; r-- {
		s := b[r]
		for k := r + 1; k < n; k++ {
			s -= a[r][k] * x[k]
		}
		if a[r][r] != 0 {
			x[r] = s / a[r][r]
		}
	}
	return x
}

// Feature sets of the shipped models.
var (
	UseAll     = []bool{true, true, true, true}
	UseLexical = []bool{true, true, true, false}
)

// Calibration is the calibration command's result.
type Calibration struct {
	Local   rag.DecisionModel `json:"local"`
	Lexical rag.DecisionModel `json:"lexical"`
	// Scores are precision and recall of each decision per model, set
	// and split, at each model's threshold and floor.
	Scores []CalScore `json:"scores"`
}

// CalScore is one line of the calibration report.
type CalScore struct {
	Model, Point, Set, Split string
	Pairs                    int
	AnswerablePrecision      float64 `json:"answerable_precision"`
	AnswerableRecall         float64 `json:"answerable_recall"`
	RefusePrecision          float64 `json:"refuse_precision"`
	RefuseRecall             float64 `json:"refuse_recall"`
}

// Calibrate fits both shipped models on the train rows and scores them
// on every set and split.
func Calibrate(rows []CalRow, localEmbedder string) *Calibration {
	c := &Calibration{Local: Fit(rows, UseAll, localEmbedder), Lexical: Fit(rows, UseLexical, "")}
	for _, m := range []struct {
		name string
		m    rag.DecisionModel
	}{{"local", c.Local}, {"lexical", c.Lexical}} {
		for _, pt := range []struct {
			name string
			t    float64
		}{{"threshold", m.m.Threshold}, {"floor", m.m.Floor}} {
			for _, set := range []string{"pubmedqa", "scifact", "all"} {
				for _, split := range []string{"train", "test"} {
					c.Scores = append(c.Scores, score(rows, m.m, pt.t, set, split, m.name, pt.name))
				}
			}
		}
	}
	return c
}

func score(rows []CalRow, m rag.DecisionModel, t float64, set, split, model, point string) CalScore {
	var tp, fp, tn, fn float64
	for _, r := range rows {
		if r.Split != split || (set != "all" && r.Set != set) {
			continue
		}
		yes := m.Prob(r.Features) >= t
		switch {
		case yes && r.Answerable:
			tp++
		case yes:
			fp++
		case r.Answerable:
			fn++
		default:
			tn++
		}
	}
	return CalScore{Model: model, Point: point, Set: set, Split: split, Pairs: int(tp + fp + tn + fn),
		AnswerablePrecision: ratio(tp, tp+fp), AnswerableRecall: ratio(tp, tp+fn),
		RefusePrecision: ratio(tn, tn+fn), RefuseRecall: ratio(tn, tn+fp)}
}

// GoConstants prints the models as the Go source rag ships.
func (c *Calibration) GoConstants() string {
	f := func(m rag.DecisionModel) string {
		ws := make([]string, len(m.Weights))
		for i, w := range m.Weights {
			ws[i] = strconv.FormatFloat(w, 'f', -1, 64)
		}
		return fmt.Sprintf("Weights: []float64{%s}, Bias: %s, Threshold: %s, Floor: %s",
			strings.Join(ws, ", "), strconv.FormatFloat(m.Bias, 'f', -1, 64),
			strconv.FormatFloat(m.Threshold, 'f', -1, 64), strconv.FormatFloat(m.Floor, 'f', -1, 64))
	}
	return fmt.Sprintf("CalibratedLocal (%s over %v): %s\nCalibratedLexical (over %v): %s\n",
		c.Local.Embedder, rag.FeatureNames, f(c.Local), rag.FeatureNames[:3], f(c.Lexical))
}

// WriteTable prints the constants and the scores.
func (c *Calibration) WriteTable(w io.Writer) error {
	fmt.Fprint(w, c.GoConstants())
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "model\tpoint\tset\tsplit\tpairs\tanswerable P\tanswerable R\trefuse P\trefuse R\t")
	for _, s := range c.Scores {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t\n", s.Model, s.Point, s.Set, s.Split, s.Pairs,
			pct(s.AnswerablePrecision), pct(s.AnswerableRecall), pct(s.RefusePrecision), pct(s.RefuseRecall))
	}
	return tw.Flush()
}
