package main

import (
	"archive/zip"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeCalibrationDir writes a tiny calibration folder in the layout of
// /work/shared/data: two PubMedQA articles per split, and SciFact claims
// with and without evidence.
func writeCalibrationDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	pm := filepath.Join(dir, "pubmedqa")
	sf := filepath.Join(dir, "beir-scifact", "raw")
	for _, d := range []string{pm, sf} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	art := func(q, ctx string, mesh ...string) map[string]any {
		return map[string]any{"QUESTION": q, "CONTEXTS": []string{ctx}, "MESHES": mesh}
	}
	pqal := map[string]any{
		"1": art("Does aspirin reduce stroke recurrence?", "Aspirin reduced stroke recurrence in a cohort of 400 patients.", "Aspirin", "Stroke"),
		"2": art("Is statin use linked to stroke outcome?", "Statin use was associated with better outcome after stroke.", "Stroke", "Statins"),
		"3": art("Does exercise lower blood pressure in the elderly?", "Aerobic exercise lowered systolic blood pressure in elderly adults.", "Exercise", "Blood Pressure"),
		"4": art("Does salt intake raise blood pressure?", "Higher sodium intake raised blood pressure in a trial.", "Sodium", "Blood Pressure"),
	}
	writeJSON(t, filepath.Join(pm, "ori_pqal.json"), pqal)
	writeJSON(t, filepath.Join(pm, "test_ground_truth.json"), map[string]string{"3": "yes", "4": "yes"})
	corpus := `{"_id": "10", "title": "Vitamin D and fractures", "text": "Vitamin D supplements reduced hip fractures.", "metadata": {}}
{"_id": "11", "title": "Coffee and sleep", "text": "Coffee late in the day shortened sleep.", "metadata": {}}
`
	if err := os.WriteFile(filepath.Join(dir, "beir-scifact", "corpus.jsonl"), []byte(corpus), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(sf, "scifact_hf_csv.zip"))
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for name, body := range map[string]string{
		"claims_train.csv":      "id,claim,evidence_doc_id,evidence_label,evidence_sentences,cited_doc_ids\n1,Vitamin D prevents hip fractures.,10,SUPPORT,[0],[10]\n2,Coffee improves memory.,,,[],[11]\n",
		"claims_validation.csv": "id,claim,evidence_doc_id,evidence_label,evidence_sentences,cited_doc_ids\n3,Late coffee shortens sleep.,11,SUPPORT,[0],[11]\n4,Vitamin D cures the flu.,,,[],[10]\n",
	} {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCLICalibrate(t *testing.T) {
	t.Parallel()
	dir := writeCalibrationDir(t)
	table := filepath.Join(t.TempDir(), "features.csv")
	out, _, err := runCmd(t, "eval", "--calibrate", dir, "--calibrate-table", table)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CalibratedLocal", "CalibratedLexical", "Threshold:", "answerable P", "refuse R", "pubmedqa", "scifact"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	b, err := os.ReadFile(table)
	if err != nil {
		t.Fatal(err)
	}
	// A header, 4 PubMedQA pairs per split (own and nearest-MeSH article)
	// and 4 SciFact pairs.
	if n := strings.Count(string(b), "\n"); n != 1+8+4 {
		t.Errorf("feature table has %d lines, want 13:\n%s", n, b)
	}
	if _, _, err := runCmd(t, "eval", "--calibrate", t.TempDir()); err == nil || !strings.Contains(err.Error(), "ori_pqal.json") {
		t.Errorf("missing data: err = %v, want one naming the missing file", err)
	}
}
