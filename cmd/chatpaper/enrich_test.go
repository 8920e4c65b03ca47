package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/chatpaper/chatpaper/crossref/crossreftest"
	"github.com/chatpaper/chatpaper/paper"
)

func runEnv(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	err = run(context.Background(), append([]string{"chatpaper"}, args...), func(k string) string { return env[k] }, &out, &errb)
	return out.String(), errb.String(), err
}

func TestCLIEnrich(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	fake := crossreftest.New(t)
	env := map[string]string{"CHATPAPER_CROSSREF_URL": fake.URL, "CHATPAPER_CROSSREF_MAILTO": "ops@journal.example", "CHATPAPER_CROSSREF_RETRIES": "0"}

	if _, _, err := runEnv(t, nil, "enrich", "--data", data); err == nil || !strings.Contains(err.Error(), "CHATPAPER_CROSSREF_URL") {
		t.Errorf("enrich without a registry: %v, want it to name CHATPAPER_CROSSREF_URL", err)
	}
	// The store gets the demo paper (ask stores it in an empty store).
	if _, _, err := runEnv(t, nil, "ask", "--data", data, "What is ExoCarta?"); err != nil {
		t.Fatal(err)
	}
	// Crossref down: the command reports the paper as left for later.
	fake.SetFault(crossreftest.Down)
	out, errOut, err := runEnv(t, env, "enrich", "--data", data, "--progress", "lines")
	if err == nil || !strings.Contains(err.Error(), "1 of 1 papers incomplete") || !strings.Contains(errOut, paper.DemoID+":") {
		t.Errorf("enrich with Crossref down: err %v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
	}
	fake.SetFault(nil)
	out, errOut, err = runEnv(t, env, "enrich", "--data", data, "--progress", "lines")
	if err != nil {
		t.Fatalf("enrich: %v\n%s", err, errOut)
	}
	if !strings.Contains(out, "enriched 1 papers: 6 of 103 references linked (6 by bibliographic match") || !strings.Contains(out, "2 flagged; 6 works fetched") {
		t.Errorf("enrich output:\n%s", out)
	}
	if !strings.Contains(errOut, "enrich: 1/1 (100%)") {
		t.Errorf("no progress line:\n%s", errOut)
	}
	// Nothing new to do: no work fetched again.
	if out, _, err := runEnv(t, env, "enrich", "--data", data, "--progress", "none"); err != nil || !strings.Contains(out, "0 works fetched") {
		t.Errorf("second enrich: %v\n%s", err, out)
	}
	if out, _, err := runEnv(t, env, "enrich", "--data", data, "--progress", "none", "--refresh"); err != nil || !strings.Contains(out, "6 works fetched") {
		t.Errorf("refresh: %v\n%s", err, out)
	}
	if _, _, err := runEnv(t, env, "enrich", "--data", data, "no-such-paper"); err == nil {
		t.Error("enrich of a missing paper succeeded")
	}
}
