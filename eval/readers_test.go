package eval_test

import (
	"testing"

	"github.com/chatpaper/chatpaper/paper"
)

// TestReadersQA runs the reader-phrased dev set on the demo paper
// (written from the article page alone, never fitted to) and holds
// floors below the values measured in docs/BENCHMARKS.md: the reader
// intents it contains are answered, and no off-topic question is.
func TestReadersQA(t *testing.T) {
	rep := runQAFile(t, "testdata/demo-readers.jsonl")
	floors := map[string]struct{ answered, cite, refusal float64 }{
		paper.LangEN: {answered: 0.2, cite: 0.05, refusal: 1},
		paper.LangZH: {answered: 0.4, cite: 0.3, refusal: 1},
	}
	for _, l := range rep.Langs {
		t.Log(l)
		f := floors[l.Lang]
		if !(l.Answered >= f.answered) {
			t.Errorf("%s: %.2f of answerable questions answered, want >= %.2f", l.Lang, l.Answered, f.answered)
		}
		if !(l.CiteGold >= f.cite) {
			t.Errorf("%s: %.2f of questions with gold references cite one, want >= %.2f", l.Lang, l.CiteGold, f.cite)
		}
		if !(l.Refusal >= f.refusal) {
			t.Errorf("%s: refusal accuracy %.2f, want >= %.2f", l.Lang, l.Refusal, f.refusal)
		}
	}
}
