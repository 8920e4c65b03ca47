package eval_test

import "testing"

// TestReadersQA runs the reader-phrased dev set on the demo paper.
func TestReadersQA(t *testing.T) {
	rep := runQAFile(t, "testdata/demo-readers.jsonl")
	for _, l := range rep.Langs {
		t.Log(l, "abstract@5:", l.AbstractAt5, "citation precision:", l.CitationPrecision)
	}
}
