package eval_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/chatpaper/chatpaper/eval"
)

// TestBEIRSlice runs every configuration on a slice of SciFact (50 test
// queries, their judged documents and the top BM25 distractors) and
// holds the ordering the full run showed: the default beats the BM25
// baseline in the same run.
func TestBEIRSlice(t *testing.T) {
	t.Parallel()
	b, err := eval.LoadBEIR("testdata/beir-scifact-slice")
	if err != nil {
		t.Fatal(err)
	}
	rep := eval.RunBEIR(b, "scifact-slice", eval.BEIRConfigs())
	var buf bytes.Buffer
	if err := rep.WriteTable(&buf); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + buf.String())
	var base, def eval.RetrievalRow
	for _, r := range rep.Rows {
		switch {
		case strings.HasPrefix(r.Name, "bm25 (baseline)"):
			base = r
		case strings.HasPrefix(r.Name, "default:"):
			def = r
		}
	}
	if !strings.HasPrefix(base.Name, "bm25 (baseline)") || !strings.HasPrefix(def.Name, "default") {
		t.Fatalf("rows %q and %q, want the baseline and the default", base.Name, def.Name)
	}
	if !(def.NDCG10 > base.NDCG10) {
		t.Errorf("default nDCG@10 %.4f, want above the BM25 baseline %.4f", def.NDCG10, base.NDCG10)
	}
	if !(base.NDCG10 > 0.6) || !(base.Recall100 > 0.9) {
		t.Errorf("baseline nDCG@10 %.4f recall@100 %.4f, want > 0.6 and > 0.9 (the slice's known level)", base.NDCG10, base.Recall100)
	}
}

func TestNDCG(t *testing.T) {
	t.Parallel()
	rel := map[string]int{"a": 1, "b": 1}
	tests := []struct {
		ranked []string
		want   float64
	}{
		{[]string{"a", "b", "c"}, 1},
		{[]string{"c", "d"}, 0},
		{[]string{"c", "a"}, (1 / 1.5849625007211563) / (1 + 1/1.5849625007211563)},
	}
	for _, tt := range tests {
		if got := eval.NDCG(tt.ranked, rel, 10); !near(got, tt.want) {
			t.Errorf("NDCG(%v) = %.4f, want %.4f", tt.ranked, got, tt.want)
		}
	}
	if got, want := eval.Recall([]string{"a", "x"}, rel, 100), 0.5; got != want {
		t.Errorf("Recall = %v, want %v", got, want)
	}
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }

func TestLoadBEIRMissing(t *testing.T) {
	t.Parallel()
	if _, err := eval.LoadBEIR(t.TempDir()); err == nil {
		t.Error("LoadBEIR of an empty folder succeeded, want an error")
	}
}

// TestPairsSlice ranks 12 Chinese/English Medline abstract pairs (a
// slice of the WMT biomedical set) both ways and holds what the full run
// showed: the dictionary links the languages beyond shared digits and
// Latin names, and whole abstracts find their twin.
func TestPairsSlice(t *testing.T) {
	t.Parallel()
	ps, err := eval.LoadPairs("testdata/wmt-pairs-slice")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(ps), 12; got != want {
		t.Fatalf("%d pairs, want %d", got, want)
	}
	rep := eval.RunPairs(ps, eval.PairConfigs())
	var buf bytes.Buffer
	if err := rep.WriteTable(&buf); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + buf.String())
	mrr := map[string]float64{}
	for _, r := range rep.Rows {
		mrr[r.Config+" "+r.Direction] = r.MRR
	}
	for _, dir := range []string{"zh→en", "en→zh"} {
		if got := mrr["default "+dir]; !(got > 0.9) {
			t.Errorf("default %s MRR %.3f, want > 0.9", dir, got)
		}
		first := dir + " (first sentence)"
		if with, without := mrr["default "+first], mrr["bm25 without dictionary "+first]; !(with > without) {
			t.Errorf("%s: MRR with dictionary %.3f, want above %.3f without", first, with, without)
		}
	}
}
