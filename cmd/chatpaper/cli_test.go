package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCmd runs one chatpaper command through run and returns its output.
func runCmd(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	err = run(context.Background(), append([]string{"chatpaper"}, args...), func(string) string { return "" }, &out, &errb)
	return out.String(), errb.String(), err
}

func TestCLIIngestAskEval(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	jsonFile := filepath.Join(dir, "test-paper.json")
	if err := os.WriteFile(jsonFile, []byte(testPaper), 0o644); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile("../../paper/testdata/exosome-irradiation.page.txt")
	if err != nil {
		t.Fatal(err)
	}
	pageFile := filepath.Join(dir, "exo.page.txt")
	if err := os.WriteFile(pageFile, page, 0o644); err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(dir, "broken.json")
	if err := os.WriteFile(broken, []byte(`{"id":"b",`), 0o644); err != nil {
		t.Fatal(err)
	}

	out, errOut, err := runCmd(t, "ingest", "--data", data, jsonFile, pageFile, broken)
	if err == nil || !strings.Contains(err.Error(), "1 of 3 files failed") {
		t.Errorf("ingest err = %v, want 1 of 3 failed", err)
	}
	if !strings.Contains(out, `ingested "test-paper" with 3 references`) || !strings.Contains(out, `ingested "exo" with 103 references`) {
		t.Errorf("ingest output:\n%s", out)
	}
	if !strings.Contains(errOut, "broken.json") {
		t.Errorf("ingest errors do not name the broken file:\n%s", errOut)
	}

	out, _, err = runCmd(t, "ask", "--data", data, "--paper", "exo", "What is ExoCarta?")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "[26]") || !strings.Contains(out, "\n[26] Keerthikumar S") {
		t.Errorf("ask output:\n%s", out)
	}

	out, _, err = runCmd(t, "eval", "--data", data, "--paper", "exo", "--qa", "../../eval/testdata/exosome-irradiation-dev.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "en_US") || !strings.Contains(out, "zh_CN") || !strings.Contains(out, "cite gold") {
		t.Errorf("eval output:\n%s", out)
	}
	if _, _, err := runCmd(t, "frobnicate"); err == nil {
		t.Error("unknown command succeeded")
	}
}

// A JATS article ingests with its body, and the eval command runs a QA
// set with the body and without it in one run.
func TestCLIIngestBodyEvalBoth(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	out, _, err := runCmd(t, "ingest", "--data", data, "-id", "pntd.0002065", "../../paper/jats/testdata/pntd.0002065.nxml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `ingested "pntd.0002065" with 32 references and `) || !strings.Contains(out, " body passages (jats)") {
		t.Errorf("ingest output:\n%s", out)
	}
	qa := filepath.Join(dir, "qa.jsonl")
	if err := os.WriteFile(qa, []byte(`{"id":"q1","paper":"pntd.0002065","lang":"en_US","question":"virus neutralization test in 96-well microplates using Vero cells","gold_refs":[21],"answerable":true}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, err = runCmd(t, "eval", "--data", data, "--qa", qa, "--bodies", "both", "--json")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `"qa":`) || !strings.Contains(out, `"qa_no_body":`) || !strings.Contains(out, `"recall_at_8"`) {
		t.Errorf("eval output:\n%s", out)
	}
	if _, _, err := runCmd(t, "eval", "--data", data, "--qa", qa, "--bodies", "sometimes"); err == nil {
		t.Error("eval accepted -bodies sometimes")
	}
}
