package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chatpaper/chatpaper/ingest/ingesttest"
)

func TestIngestFolderWithBrokenFiles(t *testing.T) {
	t.Parallel()
	corpus, data := t.TempDir(), t.TempDir()
	bad, err := ingesttest.WriteCorpus(corpus, 7, 50, 5)
	if err != nil {
		t.Fatal(err)
	}
	ingestRun := func() (string, string, error) {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), []string{"chatpaper", "ingest", "-data", data, "-j", "3", corpus},
			func(string) string { return "" }, &stdout, &stderr)
		return stdout.String(), stderr.String(), err
	}
	stdout, stderr, err := ingestRun()
	if err == nil || !strings.Contains(err.Error(), "5 of 50 files failed") {
		t.Fatalf("err = %v, want 5 of 50 failed", err)
	}
	if !strings.Contains(stdout, "ingested 45, unchanged 0, failed 5 of 50 files") {
		t.Errorf("stdout = %q, want the summary", stdout)
	}
	// Not a terminal: plain progress lines, ending at 100%.
	if !strings.Contains(stderr, "ingest: 50/50 (100%)") || strings.Contains(stderr, "\r") {
		t.Errorf("stderr has no plain progress lines:\n%s", stderr)
	}
	report := stderr[strings.Index(stderr, "failed files:"):]
	for _, b := range bad {
		if !strings.Contains(report, filepath.Join(corpus, b)+": ") {
			t.Errorf("failure report does not name %s:\n%s", b, report)
		}
	}
	if got := strings.Count(report, "\n  "); got != 5 {
		t.Errorf("report lists %d files, want 5:\n%s", got, report)
	}

	// A second run skips every stored paper and still reports the five.
	stdout, _, err = ingestRun()
	if err == nil {
		t.Fatal("second run succeeded with broken files")
	}
	if !strings.Contains(stdout, "ingested 0, unchanged 45, failed 5 of 50 files") {
		t.Errorf("second run stdout = %q, want all unchanged", stdout)
	}

	// The stored papers answer questions.
	var out bytes.Buffer
	if err := run(context.Background(), []string{"chatpaper", "ask", "-data", data, "-paper", "gen-00000", "What", "is", "study", "0", "about?"},
		func(string) string { return "" }, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
}

func TestIngestFlags(t *testing.T) {
	t.Parallel()
	one := t.TempDir()
	if _, err := ingesttest.WriteCorpus(one, 1, 2, 0); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want string
	}{
		{nil, "give one or more files or folders"},
		{[]string{"-progress", "sometimes", one}, "must be auto, bar, lines or none"},
		{[]string{"/does/not/exist"}, "no such file"},
		{[]string{t.TempDir()}, "no paper files found"},
		{[]string{"-id", "x", one}, "-id names one paper but 2 files"},
	}
	for _, tt := range tests {
		args := append([]string{"chatpaper", "ingest", "-data", t.TempDir()}, tt.args...)
		err := run(context.Background(), args, func(string) string { return "" }, &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: err = %v, want %q", tt.args, err, tt.want)
		}
	}
}

func TestProgressBar(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	now := time.Unix(0, 0)
	p := newProgress(&buf, "bar", 100, func() time.Time { return now })
	now = now.Add(2 * time.Second)
	p.update(50)
	if got, want := buf.String(), "\r[===============               ] 50/100 (50%) 25.0 papers/s, ETA 2s"; got != want {
		t.Errorf("bar = %q, want %q", got, want)
	}
	buf.Reset()
	now = now.Add(10 * time.Millisecond)
	p.update(51) // too soon to redraw
	if buf.Len() != 0 {
		t.Errorf("redrew after 10ms: %q", buf.String())
	}
	now = now.Add(2 * time.Second)
	p.update(100)
	p.finish()
	if got := buf.String(); !strings.Contains(got, "100/100 (100%)") || !strings.HasSuffix(got, "\n") {
		t.Errorf("final bar = %q", got)
	}
}
