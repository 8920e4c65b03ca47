package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chatpaper/chatpaper/paper"
)

func paperJSON(id string, nrefs int, abstract string) string {
	p := map[string]any{"id": id, "title": "Limits", "abstract": abstract}
	var rs []map[string]any
	for i := 1; i <= nrefs; i++ {
		rs = append(rs, map[string]any{"n": i, "text": fmt.Sprintf("Author %d. A study of item %d in depth. J Test. 2020;%d:1-9.", i, i, i)})
	}
	p["references"] = rs
	b, _ := json.Marshal(p)
	return string(b)
}

// TestIngestLimits: a paper over a per-paper cap, or larger than the
// paper cache could ever hold, is refused at ingest with 413
// paper_too_large naming the setting, and nothing is stored.
func TestIngestLimits(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir(), map[string]string{
		"CHATPAPER_MAX_REFERENCES": "150", "CHATPAPER_MAX_PAPER_BYTES": "65536",
	})
	tests := []struct {
		name, body, setting string
	}{
		{"references", paperJSON("l1", 151, "Short."), "CHATPAPER_MAX_REFERENCES"},
		{"text bytes", paperJSON("l2", 1, strings.Repeat("Long abstract sentence. ", 3000)), "CHATPAPER_MAX_PAPER_BYTES"},
	}
	for _, tt := range tests {
		var e apiErr
		resp := do(t, "POST", s.base+"/api/v1/papers", "application/json", tt.body, &e)
		if resp.StatusCode != http.StatusRequestEntityTooLarge || e.Error.Code != "paper_too_large" || !strings.Contains(e.Error.Message, tt.setting) {
			t.Errorf("%s: %d %+v, want 413 paper_too_large naming %s", tt.name, resp.StatusCode, e, tt.setting)
		}
	}
	if resp := do(t, "POST", s.base+"/api/v1/papers", "application/json", paperJSON("ok", 150, "Short."), nil); resp.StatusCode != http.StatusCreated {
		t.Errorf("paper within the caps: %d", resp.StatusCode)
	}

	// Body passages, counted as the library splits the body (two-sentence
	// windows): 30 sentences make 29 passages.
	bodied := func(id string, sentences int) string {
		var ss []paper.Sentence
		for i := 0; i < sentences; i++ {
			ss = append(ss, paper.Sentence{Text: fmt.Sprintf("Finding %d held in every cohort.", i+1)})
		}
		p := paper.Paper{ID: id, Title: "Bodied", Abstract: "Short.", References: []paper.Reference{{N: 1, Text: "A ref."}},
			Body: &paper.Body{Sections: []paper.Section{{Title: "Results", Level: 1, Paragraphs: []paper.Paragraph{{Sentences: ss}}}}}}
		b, _ := json.Marshal(p)
		return string(b)
	}
	sb := startServer(t, t.TempDir(), map[string]string{"CHATPAPER_MAX_BODY_PASSAGES": "20"})
	var eb apiErr
	if resp := do(t, "POST", sb.base+"/api/v1/papers", "application/json", bodied("long", 30), &eb); resp.StatusCode != http.StatusRequestEntityTooLarge ||
		eb.Error.Code != "paper_too_large" || !strings.Contains(eb.Error.Message, "CHATPAPER_MAX_BODY_PASSAGES") {
		t.Errorf("body over the passage cap: %d %+v, want 413 naming CHATPAPER_MAX_BODY_PASSAGES", resp.StatusCode, eb)
	}
	if resp := do(t, "POST", sb.base+"/api/v1/papers", "application/json", bodied("short", 21), nil); resp.StatusCode != http.StatusCreated {
		t.Errorf("body of 20 passages: %d, want 201", resp.StatusCode)
	}

	// 1 MiB of cache holds about 170 chunks of 1024 dimensions; 400
	// references are as many chunks.
	big := startServer(t, t.TempDir(), map[string]string{"CHATPAPER_CACHE_MB": "1"})
	var e apiErr
	resp := do(t, "POST", big.base+"/api/v1/papers", "application/json", paperJSON("huge", 400, "Short."), &e)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || e.Error.Code != "paper_too_large" || !strings.Contains(e.Error.Message, "CHATPAPER_CACHE_MB") {
		t.Errorf("paper larger than the cache: %d %+v, want 413 naming CHATPAPER_CACHE_MB", resp.StatusCode, e)
	}
	var list struct {
		Papers []struct{ ID string } `json:"papers"`
	}
	do(t, "GET", big.base+"/api/v1/papers", "", "", &list)
	for _, p := range list.Papers {
		if p.ID == "huge" {
			t.Error("the refused paper was stored")
		}
	}
}
