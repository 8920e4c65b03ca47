package web

import (
	"context"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/chatpaper/chatpaper/library"
)

// TestOpenAPIMatchesRoutes checks that docs/openapi.yaml describes
// exactly the routes the server registers, method by method, and that
// every operation documents its error responses with the error schema.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]yaml.Node `yaml:"paths"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("parse openapi.yaml: %v", err)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			if method == "parameters" {
				continue
			}
			documented[strings.ToUpper(method)+" "+path] = true
			var o struct {
				Responses map[string]any `yaml:"responses"`
			}
			if err := op.Decode(&o); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			if len(o.Responses) == 0 {
				t.Errorf("%s %s documents no responses", method, path)
			}
		}
	}

	// Every optional dependency set, so every route is registered.
	e := New(Deps{Papers: &fakePapers{}, Answerer: fakeAnswerer{}, Summarizer: fakeSummarizer{}, Searcher: fakeSearcher{}, Suggester: fakeSuggester{}})
	param := regexp.MustCompile(`:([A-Za-z_]+)`)
	registered := map[string]bool{}
	for _, r := range e.Routes() {
		if r.Method == "echo_route_any" || strings.HasPrefix(r.Method, "echo_") {
			continue
		}
		// An escaped colon (papers\:batch) is literal, not a parameter.
		p := strings.ReplaceAll(r.Path, `\:`, "\x00")
		p = param.ReplaceAllString(p, "{$1}")
		p = strings.ReplaceAll(p, "\x00", ":")
		p = strings.Replace(p, "/*", "/{path}", 1)
		registered[r.Method+" "+p] = true
	}
	// Every GET route answers HEAD as well (TestHeadOnEveryGetRoute); the
	// document describes the GET once.
	for k := range registered {
		if path, ok := strings.CutPrefix(k, "HEAD "); ok && registered["GET "+path] {
			delete(registered, k)
		}
	}
	if len(registered) < 10 {
		t.Fatalf("only %d routes registered: %v", len(registered), registered)
	}
	for _, k := range sorted(registered) {
		if !documented[k] {
			t.Errorf("route %s is not in docs/openapi.yaml", k)
		}
	}
	for _, k := range sorted(documented) {
		if !registered[k] {
			t.Errorf("docs/openapi.yaml documents %s, which the server does not register", k)
		}
	}
	// Every error code the server can send is in the schema's enum.
	for _, code := range []string{"unauthorized", "forbidden", "rate_limited", "too_large", "too_many_sockets", "shutting_down", "internal", "upstream", "invalid_limit"} {
		if !strings.Contains(string(data), code) {
			t.Errorf("openapi.yaml lacks error code %s", code)
		}
	}
}

type fakeSearcher struct{}

func (fakeSearcher) SearchPapers(ctx context.Context, r library.SearchRequest) (*library.SearchResult, error) {
	return &library.SearchResult{Query: r.Text, Lang: r.Lang}, nil
}

func sorted(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
