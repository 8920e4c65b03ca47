package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"reflect"
	"slices"
	"syscall"
	"testing"
)

// TestMain lets this test binary stand in for chatpaper-bench when the
// bench starts its echo floor as a child of its own executable.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "echo-floor" {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
		err := run(ctx, os.Args, os.Stdout, os.Stderr)
		stop()
		if err != nil && !errors.Is(err, context.Canceled) {
			fmt.Fprintln(os.Stderr, "echo-floor:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// chatpaperBinary builds chatpaper for the bench to start. The binary is
// kept in the user cache, one per checkout, because go build skips the
// link when the binary there is up to date: a rerun pays nothing for it.
func chatpaperBinary(t *testing.T) string {
	t.Helper()
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(wd))
	bin := filepath.Join(cache, "chatpaper-bench-test", hex.EncodeToString(sum[:8]), "chatpaper")
	build := exec.CommandContext(t.Context(), "go", "build", "-ldflags=-s -w", "-o", bin, "github.com/chatpaper/chatpaper/cmd/chatpaper")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestBenchTiny builds chatpaper and runs every bench step at a tiny
// size in this process, the servers as child processes as in a real run,
// so the harness keeps working; the real runs are commands
// (docs/BENCHMARKS.md), not tests.
func TestBenchTiny(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds chatpaper and starts servers")
	}
	bin := chatpaperBinary(t)
	var out, errb bytes.Buffer
	args := []string{"chatpaper-bench", "-chatpaper", bin, "-json",
		"-readers", "5", "-questions", "3", "-idle", "20", "-ingest", "3",
		"-catalogue", "5", "-asks", "10", "-cache-papers", "2", "-concurrency", "2", "-search", "-model", "5", "-model-tokens", "5", "-model-rate", "1000"}
	if err := run(t.Context(), args, &out, &errb); err != nil {
		t.Fatalf("bench: %v\nstderr:\n%s", err, errb.String())
	}
	var rep struct {
		Readers struct {
			CP    map[string]any `json:"chatpaper"`
			Floor map[string]any `json:"echo_floor"`
			Ratio float64        `json:"p50_ratio"`
		} `json:"readers"`
		Idle struct {
			CP    map[string]any `json:"chatpaper"`
			Floor map[string]any `json:"echo_floor"`
		} `json:"idle"`
		Ingest    map[string]any `json:"ingest"`
		Catalogue struct {
			Asks     map[string]any `json:"asks"`
			Generate map[string]any `json:"generate"`
		} `json:"catalogue_5"`
		Beyond struct {
			Hot     map[string]any `json:"hot"`
			Uniform map[string]any `json:"uniform"`
			Zipf    map[string]any `json:"zipf"`
			Search  struct {
				Rank    float64        `json:"searched_paper_rank"`
				With    map[string]any `json:"with_search"`
				Without map[string]any `json:"without_search"`
			} `json:"search"`
		} `json:"beyond_cache_5"`
		Model map[string]any `json:"model"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, out.String())
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"readers answers", rep.Readers.CP["answers"], 15.0},
		{"readers errors", rep.Readers.CP["errors"], 0.0},
		{"floor answers", rep.Readers.Floor["answers"], 15.0},
		{"floor errors", rep.Readers.Floor["errors"], 0.0},
		{"idle opened", rep.Idle.CP["opened"], 20.0},
		{"idle floor opened", rep.Idle.Floor["opened"], 20.0},
		{"ingest errors", rep.Ingest["errors"], 0.0},
		{"catalogue papers", rep.Catalogue.Generate["papers"], 5.0},
		{"catalogue ask errors", rep.Catalogue.Asks["errors"], 0.0},
		{"catalogue wrong citations", rep.Catalogue.Asks["top_citation_not_the_asked_reference"], 0.0},
		{"beyond hot asks", rep.Beyond.Hot["asks"], 10.0},
		{"beyond uniform errors", rep.Beyond.Uniform["errors"], 0.0},
		{"beyond uniform wrong citations", rep.Beyond.Uniform["top_citation_not_the_asked_reference"], 0.0},
		{"beyond zipf asks", rep.Beyond.Zipf["asks"], 10.0},
		{"beyond zipf errors", rep.Beyond.Zipf["errors"], 0.0},
		{"search found the searched paper first", rep.Beyond.Search.Rank, 1.0},
		{"asks with the search", rep.Beyond.Search.With["asks"], 10.0},
		{"errors with the search", rep.Beyond.Search.With["errors"], 0.0},
		{"errors without the search", rep.Beyond.Search.Without["errors"], 0.0},
		{"model answers", rep.Model["answers"], 5.0},
		{"model errors", rep.Model["errors"], 0.0},
		{"model answers from the model", rep.Model["model_answers"], 5.0},
		{"model relayed tokens", rep.Model["relayed_tokens"], 25.0},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if r, ok := rep.Beyond.Uniform["throughput_ratio_to_hot"].(float64); !ok || r <= 0 {
		t.Errorf("beyond-cache throughput ratio = %v, want a positive ratio", rep.Beyond.Uniform["throughput_ratio_to_hot"])
	}
	if rep.Readers.Ratio <= 0 {
		t.Errorf("p50 ratio to the floor = %v, want a positive ratio", rep.Readers.Ratio)
	}
}

// TestSynthPaperDeterministic guards the catalogue generator: the bench
// regenerates papers to know the answer to each question it asks.
func TestSynthPaperDeterministic(t *testing.T) {
	t.Parallel()
	a, b := synthPaper(7), synthPaper(7)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("synthPaper(7) differs between calls")
	}
	if err := a.Validate(); err != nil {
		t.Fatalf("synthetic paper is invalid: %v", err)
	}
	if got, want := len(a.References), synthRefs; got != want {
		t.Errorf("references = %d, want %d", got, want)
	}
	if reflect.DeepEqual(synthPaper(8).Abstract, a.Abstract) {
		t.Error("papers 7 and 8 share an abstract")
	}
}

func TestMedian(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		xs   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{0.7}, 0.7},
		{[]float64{0.9, 0.5}, 0.7},
		{[]float64{0.6, 0.8, 0.1}, 0.6},
		{[]float64{4, 1, 3, 2}, 2.5},
	} {
		in := slices.Clone(tt.xs)
		if got := median(tt.xs); got != tt.want {
			t.Errorf("median(%v) = %v, want %v", tt.xs, got, tt.want)
		}
		if !slices.Equal(in, tt.xs) {
			t.Errorf("median reordered its input to %v", tt.xs)
		}
	}
}
