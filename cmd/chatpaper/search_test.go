package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

type searchResp struct {
	Query  string `json:"query"`
	Lang   string `json:"lang"`
	Papers []struct {
		ID    string  `json:"id"`
		Title string  `json:"title"`
		Score float64 `json:"score"`
	} `json:"papers"`
}

// TestSearchPapers drives GET /api/v1/search through a served process:
// the demo paper and an ingested one are found by English and Chinese
// queries, the index follows ingest and delete, and bad input gets 400.
func TestSearchPapers(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir(), nil)
	search := func(q, extra string) (*http.Response, searchResp) {
		var out searchResp
		resp := do(t, "GET", s.base+"/api/v1/search?q="+url.QueryEscape(q)+extra, "", "", &out)
		return resp, out
	}
	ids := func(r searchResp) []string {
		var out []string
		for _, p := range r.Papers {
			out = append(out, p.ID)
		}
		return out
	}

	// Built lazily from the store, which holds only the demo paper.
	if resp, r := search("exosomes released by irradiated tumor cells", ""); resp.StatusCode != http.StatusOK || len(r.Papers) != 1 || r.Papers[0].ID != "exosome-irradiation" {
		t.Fatalf("demo search: status %d, papers %v", resp.StatusCode, ids(r))
	}
	if resp := do(t, "POST", s.base+"/api/v1/papers", "application/json", testPaper, nil); resp.StatusCode != http.StatusCreated {
		t.Fatalf("ingest: status %d", resp.StatusCode)
	}
	_, r := search("glacier melt sea level", "")
	if got := ids(r); len(got) == 0 || got[0] != "test-paper" {
		t.Errorf("after ingest: papers %v, want test-paper first", got)
	}
	for _, p := range r.Papers {
		if p.ID == "exosome-irradiation" {
			t.Errorf("unrelated demo paper matched glacier query: %v", r.Papers)
		}
	}
	// A Chinese query finds the English-only paper through the dictionary,
	// and zh_CN shows the Chinese title where the paper has one.
	_, r = search("冰川融化与海平面上升", "")
	if got := ids(r); len(got) == 0 || got[0] != "test-paper" || r.Lang != "zh_CN" {
		t.Errorf("Chinese query: lang %q papers %v, want zh_CN and test-paper first", r.Lang, got)
	}
	_, r = search("外泌体 放射治疗", "&lang=zh_CN&limit=1")
	if len(r.Papers) != 1 || r.Papers[0].ID != "exosome-irradiation" || !strings.ContainsRune(r.Papers[0].Title, '外') {
		t.Errorf("Chinese query for the demo: %+v, want its Chinese title", r.Papers)
	}

	if resp := do(t, "DELETE", s.base+"/api/v1/papers/test-paper", "", "", nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: status %d", resp.StatusCode)
	}
	if _, r := search("glacier melt sea level", ""); len(r.Papers) != 0 {
		t.Errorf("after delete: papers %v, want none", ids(r))
	}

	for _, tt := range []struct{ name, query, code string }{
		{"empty", "?q=", "invalid_question"},
		{"bad lang", "?q=exosome&lang=fr", "invalid_lang"},
		{"bad limit", "?q=exosome&limit=1000", "invalid_limit"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var e apiErr
			resp := do(t, "GET", s.base+"/api/v1/search"+tt.query, "", "", &e)
			if resp.StatusCode != http.StatusBadRequest || e.Error.Code != tt.code {
				t.Errorf("status %d code %q, want 400 %q", resp.StatusCode, e.Error.Code, tt.code)
			}
		})
	}
}

// TestEvalCommand runs `chatpaper eval` on the small slices the eval
// package keeps, in table and JSON form.
func TestEvalCommand(t *testing.T) {
	t.Parallel()
	td := filepath.Join("..", "..", "eval", "testdata")
	// A tiny BEIR folder: the command's wiring is under test here; the
	// ranking quality is TestBEIRSlice's job in package eval.
	beir := t.TempDir()
	files := map[string]string{
		"corpus.jsonl": `{"_id":"d1","title":"Exosome biogenesis","text":"Exosomes form in multivesicular endosomes."}
{"_id":"d2","title":"Glacier melt","text":"Greenland ice loss raises sea level."}
{"_id":"d3","title":"Radiotherapy","text":"Ionizing radiation treats solid tumors."}
`,
		"queries.jsonl":  `{"_id":"q1","text":"how do exosomes form"}` + "\n" + `{"_id":"q2","text":"sea level rise from ice loss"}` + "\n",
		"qrels/test.tsv": "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\n",
	}
	if err := os.Mkdir(filepath.Join(beir, "qrels"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(beir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"chatpaper", "eval", "--data", t.TempDir(),
		"--qa", filepath.Join(td, "exosome-irradiation-dev.jsonl"),
		"--beir", beir,
		"--pairs", filepath.Join(td, "wmt-pairs-slice")}
	var out, errb strings.Builder
	if err := run(t.Context(), args, func(string) string { return "" }, &out, &errb); err != nil {
		t.Fatalf("eval: %v\n%s", err, errb.String())
	}
	for _, want := range []string{"cite gold", "zh_CN", "bm25 (baseline)", "default: pairs+rm3", "nDCG@10", "1.0000", "zh→en", "MRR"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("eval table lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if err := run(t.Context(), append(args[:len(args):len(args)], "--json"), func(string) string { return "" }, &out, &errb); err != nil {
		t.Fatalf("eval --json: %v", err)
	}
	for _, want := range []string{`"qa"`, `"beir"`, `"ndcg_at_10"`, `"pairs"`, `"mrr"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("eval JSON lacks %s", want)
		}
	}
	if err := run(t.Context(), []string{"chatpaper", "eval", "--data", t.TempDir()}, func(string) string { return "" }, &out, &errb); err == nil {
		t.Error("eval with no input succeeded, want an error")
	}
}

// TestRerankEndpointConfigured serves with CHATPAPER_RERANK_URL pointing
// at a fake TEI server and checks questions go through it and follow
// its order.
func TestRerankEndpointConfigured(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	tei := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		var req struct {
			Query string   `json:"query"`
			Texts []string `json:"texts"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || r.URL.Path != "/rerank" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		type hit struct {
			Index int     `json:"index"`
			Score float64 `json:"score"`
		}
		out := []hit{}
		for i, tx := range req.Texts {
			s := 0.1
			if strings.HasPrefix(tx, "Kowal J") {
				s = 0.99
			}
			out = append(out, hit{i, s})
		}
		json.NewEncoder(w).Encode(out)
	}))
	defer tei.Close()
	s := startServer(t, t.TempDir(), map[string]string{"CHATPAPER_RERANK_URL": tei.URL + "/rerank"})
	var ans struct {
		Sources []struct {
			N int `json:"n"`
		} `json:"sources"`
	}
	resp := do(t, "POST", s.base+"/api/v1/papers/exosome-irradiation/ask", "application/json",
		`{"question":"Which references describe exosome biogenesis and secretion?"}`, &ans)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("ask: status %d", resp.StatusCode)
	}
	if calls.Load() != 1 || len(ans.Sources) == 0 || ans.Sources[0].N != 24 {
		t.Errorf("reranker calls %d, first source %+v; want 1 call and reference 24 first", calls.Load(), ans.Sources)
	}
}
