package eval_test

import (
	"context"
	"os"
	"testing"

	"github.com/chatpaper/chatpaper/eval"
	"github.com/chatpaper/chatpaper/internal/apptest"
	"github.com/chatpaper/chatpaper/paper/jats"
	"github.com/chatpaper/chatpaper/store/sqlite"
)

// fullTextPapers are the articles of the full-text QA set, under the
// ids its items use.
var fullTextPapers = map[string]string{
	"pone.0046493": "pone.0046493.nxml",
	"pntd.0002065": "pntd.0002065.nxml",
	"elife06003":   "elife06003.xml",
}

// runFullText ingests the three articles (without their bodies when
// bodies is false, leaving abstract and references) and runs the
// full-text QA set on them.
func runFullText(t *testing.T, bodies bool) *eval.Report {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	lib := apptest.Library(t, st, nil, nil)
	eng := apptest.Extractive(lib, nil)
	for id, file := range fullTextPapers {
		data, err := os.ReadFile("../paper/jats/testdata/" + file)
		if err != nil {
			t.Fatal(err)
		}
		p, err := jats.Parse(data, id)
		if err != nil {
			t.Fatal(err)
		}
		if p.Body == nil {
			t.Fatalf("%s has no body", file)
		}
		if !bodies {
			p.Body = nil
		}
		if err := lib.Ingest(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open("testdata/fulltext-jats.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	items, err := eval.LoadQA(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 78 {
		t.Fatalf("%d items, want 78", len(items))
	}
	rep, err := eval.RunQA(ctx, eng, items, "")
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestFullTextQA runs the full-text QA set with the articles' bodies and,
// in the same run, with the bodies switched off, and holds floors on the
// run with bodies. The floors sit below the values measured when they
// were set (docs/BENCHMARKS.md) so that the test catches a regression; no
// threshold of the system was chosen on these questions.
func TestFullTextQA(t *testing.T) {
	with := runFullText(t, true)
	without := runFullText(t, false)
	for _, o := range with.Outcomes {
		t.Logf("%s %s answerable=%v cited=%v top8=%v gold=%v body@5=%v", o.Item.ID, o.Item.Lang, o.Answerable, o.Cited, o.SourceRefs8, o.Item.GoldRefs, o.BodyAt5)
	}
	for _, r := range []struct {
		name string
		rep  *eval.Report
	}{{"bodies", with}, {"no bodies", without}} {
		for _, l := range append(r.rep.Langs, r.rep.All) {
			t.Logf("%s %s", r.name, l)
		}
	}
	a := with.All
	if !(a.CiteGold >= floorCiteGold) {
		t.Errorf("with bodies, %.2f of answerable questions cite a gold reference, want >= %.2f", a.CiteGold, floorCiteGold)
	}
	if !(a.RecallAt8 >= floorRecall8) {
		t.Errorf("with bodies, recall@8 of gold references %.2f, want >= %.2f", a.RecallAt8, floorRecall8)
	}
	if !(a.Answered >= floorAnswered) {
		t.Errorf("with bodies, %.2f of answerable questions answered, want >= %.2f", a.Answered, floorAnswered)
	}
	if !(a.Refusal >= floorRefusal) {
		t.Errorf("with bodies, refusal accuracy %.2f, want >= %.2f", a.Refusal, floorRefusal)
	}
	if !(a.RecallAt8 > without.All.RecallAt8) {
		t.Errorf("recall@8 with bodies %.2f is not above without %.2f", a.RecallAt8, without.All.RecallAt8)
	}
}

// Floors of TestFullTextQA (see its comment). Measured last, with
// bodies: cite gold 0.26, recall@8 0.68, answered 0.43, refusals 0.56
// (without bodies 0.11, 0.46, 0.19 and 0.56). The refusal floor was
// lowered from 0.66 when the calibrated decision replaced the coverage
// gate: it answers more, and four of the nine unanswerable questions are
// answered with or without the bodies.
const (
	floorCiteGold = 0.10
	floorRecall8  = 0.60
	floorAnswered = 0.35
	floorRefusal  = 0.44
)
