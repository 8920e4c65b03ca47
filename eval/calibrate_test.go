package eval_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"reflect"
	"testing"

	"github.com/chatpaper/chatpaper/embed"
	"github.com/chatpaper/chatpaper/eval"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/rag"
)

func loadTrainTable(t *testing.T) []eval.CalRow {
	t.Helper()
	f, err := os.Open("testdata/calibration-train.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := eval.ReadCalRows(f)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestShippedDecisionIsCalibrated refits the decision models on the
// shipped train feature table (what `chatpaper eval --calibrate` measures
// on the train split) and checks the constants rag ships are exactly
// what the calibration prints.
func TestShippedDecisionIsCalibrated(t *testing.T) {
	t.Parallel()
	rows := loadTrainTable(t)
	if len(rows) < 1800 {
		t.Fatalf("%d train rows, want the whole train split", len(rows))
	}
	for _, r := range rows {
		if r.Split != "train" {
			t.Fatalf("row %s is from split %q: the table must hold train pairs only", r.ID, r.Split)
		}
	}
	c := eval.Calibrate(rows, rag.CalibratedLocal.Embedder)
	if !reflect.DeepEqual(c.Local, rag.CalibratedLocal) {
		t.Errorf("calibration prints\n%+v\nrag ships\n%+v", c.Local, rag.CalibratedLocal)
	}
	if !reflect.DeepEqual(c.Lexical, rag.CalibratedLexical) {
		t.Errorf("calibration prints\n%+v\nrag ships\n%+v", c.Lexical, rag.CalibratedLexical)
	}
	if got, want := rag.CalibratedLocal.Embedder, embed.NewLocal(0).Name(); got != want {
		t.Errorf("local model calibrated for embedder %q, the local embedder is %q: rerun the calibration", got, want)
	}
}

// TestCalibrationTableIsCurrent measures a slice of the train pairs,
// copied raw into testdata, with today's code and checks the features
// equal the shipped table's, so the table cannot silently go stale when
// tokenizing or scoring changes.
func TestCalibrationTableIsCurrent(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("testdata/calibration-slice.json")
	if err != nil {
		t.Fatal(err)
	}
	var slice []struct{ ID, Question, Title, Abstract string }
	if err := json.Unmarshal(b, &slice); err != nil {
		t.Fatal(err)
	}
	byID := map[string]rag.Features{}
	for _, r := range loadTrainTable(t) {
		byID[r.ID] = r.Features
	}
	emb := embed.NewLocal(0)
	for _, s := range slice {
		want, ok := byID[s.ID]
		if !ok {
			t.Errorf("slice pair %s is not in the table", s.ID)
			continue
		}
		got, err := rag.MeasurePaper(context.Background(), &paper.Paper{ID: "x", Title: s.Title, Abstract: s.Abstract}, s.Question, emb)
		if err != nil {
			t.Fatal(err)
		}
		g, w := append(got.Vector(), got.Margin), append(want.Vector(), want.Margin)
		for i := range g {
			if math.Abs(g[i]-w[i]) > 1e-9 {
				t.Errorf("%s: features %+v, table has %+v: regenerate the table with `chatpaper eval --calibrate DIR --calibrate-table FILE`", s.ID, got, want)
				break
			}
		}
	}
}

func TestFitSeparates(t *testing.T) {
	t.Parallel()
	var rows []eval.CalRow
	for i := range 200 {
		x := float64(i) / 200
		rows = append(rows, eval.CalRow{Split: "train", Answerable: x >= 0.5, Features: rag.Features{PaperCoverage: x, BestCoverage: x}})
	}
	m := eval.Fit(rows, eval.UseLexical, "")
	if m.Weights[0] <= 0 || m.Weights[1] <= 0 {
		t.Errorf("weights %v, want positive on coverage", m.Weights)
	}
	for _, r := range rows {
		if got := m.Prob(r.Features) >= m.Threshold; got != r.Answerable {
			t.Errorf("coverage %.3f: decided %v, want %v (threshold %.4f)", r.Features.PaperCoverage, got, r.Answerable, m.Threshold)
		}
	}
	if !(m.Floor <= m.Threshold) {
		t.Errorf("floor %.4f above threshold %.4f", m.Floor, m.Threshold)
	}
}
