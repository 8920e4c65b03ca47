package rerank

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"
)

func TestHTTPRerank(t *testing.T) {
	t.Parallel()
	texts := []string{"exosome biogenesis", "glacier melt", "exosome secretion"}
	tests := []struct {
		name, api, reply string
		wantBody         []string // request fields that must be present
	}{
		{"tei", APITEI, `[{"index":2,"score":0.7},{"index":0,"score":0.9},{"index":1,"score":0.01}]`, []string{"query", "texts"}},
		{"cohere", APICohere, `{"results":[{"index":0,"relevance_score":0.9},{"index":2,"relevance_score":0.7},{"index":1,"relevance_score":0.01}]}`, []string{"model", "query", "documents"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var body map[string]any
				if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
					t.Errorf("decode request: %v", err)
				}
				for _, f := range tt.wantBody {
					if _, ok := body[f]; !ok {
						t.Errorf("request lacks %q: %v", f, body)
					}
				}
				if got := body["query"]; got != "how are exosomes made" {
					t.Errorf("query = %v", got)
				}
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(tt.reply))
			}))
			defer srv.Close()
			h, err := New(srv.URL+"/rerank", tt.api, "bge-reranker", 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			got, err := h.Rerank(context.Background(), "how are exosomes made", texts)
			if err != nil {
				t.Fatal(err)
			}
			if want := []float64{0.9, 0.01, 0.7}; !slices.Equal(got, want) {
				t.Errorf("scores = %v, want %v", got, want)
			}
		})
	}
}

func TestHTTPRerankErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		reply  string
	}{
		{"server error", http.StatusInternalServerError, `{"error":"overloaded"}`},
		{"not json", http.StatusOK, `<html>`},
		{"missing text", http.StatusOK, `[{"index":0,"score":0.5}]`},
		{"bad index", http.StatusOK, `[{"index":0,"score":0.5},{"index":7,"score":0.1}]`},
		{"no score", http.StatusOK, `[{"index":0},{"index":1}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.reply))
			}))
			defer srv.Close()
			h, err := New(srv.URL, APITEI, "", 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := h.Rerank(context.Background(), "q", []string{"a", "b"}); err == nil {
				t.Error("Rerank succeeded, want an error")
			}
		})
	}
	if _, err := New("http://127.0.0.1:1/rerank", "bogus", "", time.Second); err == nil {
		t.Error("New with an unknown api succeeded")
	}
	if _, err := New("", APITEI, "", time.Second); err == nil {
		t.Error("New without a url succeeded")
	}
}

func TestHTTPRerankCancelled(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	defer srv.Close()
	h, _ := New(srv.URL, APITEI, "", 10*time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Rerank(ctx, "q", []string{"a"}); err == nil {
		t.Error("Rerank with a cancelled context succeeded")
	}
}
