package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chatpaper/chatpaper/crossref/crossreftest"
	"github.com/chatpaper/chatpaper/llm/llmtest"
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

type enrichedRef struct {
	N          int    `json:"n"`
	DOI        string `json:"doi"`
	Status     string `json:"status"`
	NoticeDOI  string `json:"notice_doi"`
	StatusDate string `json:"status_date"`
	Cited      *struct {
		DOI        string  `json:"doi"`
		Match      string  `json:"match"`
		MatchScore float64 `json:"match_score"`
		Abstract   string  `json:"abstract"`
	} `json:"cited"`
}

type enrichedPaper struct {
	References []enrichedRef `json:"references"`
}

type enrichedAnswer struct {
	Answer     string `json:"answer"`
	Answerable bool   `json:"answerable"`
	Mode       string `json:"mode"`
	Notice     string `json:"notice"`
	Citations  []struct {
		N          int    `json:"n"`
		Status     string `json:"status"`
		NoticeDOI  string `json:"notice_doi"`
		StatusDate string `json:"status_date"`
	} `json:"citations"`
	Sources []struct {
		Kind string `json:"kind"`
		N    int    `json:"n"`
	} `json:"sources"`
}

// waitRef polls the paper until reference n satisfies ok.
func waitRef(t *testing.T, base, id string, n int, ok func(enrichedRef) bool) enrichedRef {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var last enrichedRef
	for time.Now().Before(deadline) {
		var p enrichedPaper
		do(t, "GET", base+"/api/v1/papers/"+id, "", "", &p)
		for _, r := range p.References {
			if r.N == n {
				last = r
				if ok(r) {
					return r
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("reference %d of %s never enriched; last %+v", n, id, last)
	return last
}

func ask(t *testing.T, base, id, question, lang string) enrichedAnswer {
	t.Helper()
	var a enrichedAnswer
	body, _ := json.Marshal(map[string]string{"question": question, "lang": lang})
	if resp := do(t, "POST", base+"/api/v1/papers/"+id+"/ask", "application/json", string(body), &a); resp.StatusCode != http.StatusOK {
		t.Fatalf("ask %q: %d", question, resp.StatusCode)
	}
	return a
}

// TestEnrichDemoEndToEnd serves the demo paper with the fake Crossref
// holding records for some of its references, one retracted: the
// references gain DOIs and abstracts, the retracted one is flagged in
// the API and in an answer citing it, and "what did [49] find" is
// answered from [49]'s own abstract.
func TestEnrichDemoEndToEnd(t *testing.T) {
	t.Parallel()
	fake := crossreftest.New(t)
	srv := startServer(t, t.TempDir(), map[string]string{
		"CHATPAPER_CROSSREF_URL": fake.URL, "CHATPAPER_CROSSREF_MAILTO": "ops@journal.example", "CHATPAPER_CROSSREF_BACKOFF": "50ms",
	})
	r62 := waitRef(t, srv.base, paper.DemoID, 62, func(r enrichedRef) bool { return r.Status != "" })
	if r62.Status != "retracted" || r62.NoticeDOI != "10.5555/chatpaper.notice.062r" || r62.StatusDate != "2021-03-15" || r62.DOI != "10.5555/chatpaper.demo.062" {
		t.Errorf("[62] = %+v, want retracted with its notice", r62)
	}
	var p enrichedPaper
	do(t, "GET", srv.base+"/api/v1/papers/"+paper.DemoID, "", "", &p)
	byN := map[int]enrichedRef{}
	for _, r := range p.References {
		byN[r.N] = r
	}
	if r := byN[49]; r.DOI != "10.5555/chatpaper.demo.049" || r.Cited == nil || r.Cited.Match != "query" || r.Cited.MatchScore < 0.95 ||
		!strings.Contains(r.Cited.Abstract, "CD29/CD81 complex") || r.Status != "" {
		t.Errorf("[49] = %+v (cited %+v)", r, r.Cited)
	}
	if r := byN[44]; r.Status != "corrected" || r.NoticeDOI != "10.5555/chatpaper.notice.044c" {
		t.Errorf("[44] = %+v, want corrected", r)
	}
	if r := byN[78]; r.Cited != nil || r.DOI != "" {
		t.Errorf("near-miss [78] was linked: %+v", r)
	}
	if ua := fake.Requests()[0].Header.Get("User-Agent"); !strings.Contains(ua, "mailto:ops@journal.example") {
		t.Errorf("User-Agent %q lacks the contact address", ua)
	}

	// What did [49] find? Answered from [49]'s abstract, cited as [49].
	for _, lang := range []string{paper.LangEN, paper.LangZH} {
		a := ask(t, srv.base, paper.DemoID, "What did [49] find?", lang)
		t.Logf("%s: what did [49] find? %s", lang, a.Answer)
		cited49 := false
		for _, c := range a.Citations {
			cited49 = cited49 || c.N == 49
		}
		if !a.Answerable || !cited49 || !strings.Contains(a.Answer, "[49]") || !strings.Contains(a.Answer, "CD29") {
			t.Errorf("%s: what did [49] find = %+v", lang, a)
		}
		if want := map[string]string{paper.LangEN: "from the cited work, not from this paper", paper.LangZH: "出自该被引文献，而非本文"}[lang]; !strings.Contains(a.Answer, want) {
			t.Errorf("%s: the answer does not say the statement comes from the cited work:\n%s", lang, a.Answer)
		}
		hasCited := false
		for _, s := range a.Sources {
			hasCited = hasCited || (s.Kind == "cited" && s.N == 49)
		}
		if !hasCited {
			t.Errorf("%s: sources %+v lack [49]'s abstract", lang, a.Sources)
		}
	}
	// An answer citing the retracted [62] carries the flag and a notice.
	for lang, want := range map[string]string{paper.LangEN: "Note: [62] was retracted (2021-03-15)", paper.LangZH: "注意：[62] 已被撤稿（2021-03-15）"} {
		a := ask(t, srv.base, paper.DemoID, "Which exosomal microRNA causes bystander DNA damage by targeting LIG4?", lang)
		t.Logf("%s: %s\n  notice: %s", lang, a.Answer, a.Notice)
		flagged := false
		for _, c := range a.Citations {
			flagged = flagged || (c.N == 62 && c.Status == "retracted" && c.NoticeDOI != "")
		}
		if !flagged || !strings.HasPrefix(a.Notice, want) {
			t.Errorf("%s: answer citing [62] = %+v", lang, a)
		}
	}
	// An answer citing no flagged work has no notice.
	if a := ask(t, srv.base, paper.DemoID, "What is ExoCarta?", paper.LangEN); a.Notice != "" {
		t.Errorf("notice on an answer citing nothing flagged: %q", a.Notice)
	}
}

// TestEnrichFaults: with Crossref down, slow or rate-limiting, ingest
// still answers 201 at once and questions are answered; the enrichment
// happens once Crossref recovers.
func TestEnrichFaults(t *testing.T) {
	t.Parallel()
	faults := map[string]*crossreftest.Fault{
		"down": crossreftest.Down,
		"slow": {Delay: time.Hour},
		"429":  {Status: http.StatusTooManyRequests, RetryAfter: "1"},
	}
	for name, f := range faults {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fake := crossreftest.New(t)
			fake.SetFault(f)
			srv := startServer(t, t.TempDir(), map[string]string{
				"CHATPAPER_CROSSREF_URL": fake.URL, "CHATPAPER_CROSSREF_MAILTO": "ops@journal.example",
				"CHATPAPER_CROSSREF_TIMEOUT": "200ms", "CHATPAPER_CROSSREF_RETRIES": "1", "CHATPAPER_CROSSREF_BACKOFF": "100ms",
			})
			const doc = `{"id":"cites-retracted","title":"A paper citing a retracted work","abstract":"Bystander DNA damage after irradiation is carried by exosomes.",
				"references":[{"n":1,"text":"Mo LJ, Song M, Huang QH, et al. Exosome-packaged miR-1246 contributes to bystander DNA damage by targeting LIG4. Br J Cancer. 2018; 119: 492-502.","doi":"10.5555/chatpaper.demo.062"}]}`
			start := time.Now()
			var created map[string]any
			resp := do(t, "POST", srv.base+"/api/v1/papers", "application/json", doc, &created)
			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("ingest: %d %v", resp.StatusCode, created)
			}
			if el := time.Since(start); el > 3*time.Second {
				t.Errorf("ingest took %s with Crossref %s", el, name)
			}
			start = time.Now()
			if a := ask(t, srv.base, "cites-retracted", "Does exosome-packaged miR-1246 contribute to bystander DNA damage?", paper.LangEN); !a.Answerable {
				t.Errorf("ask with Crossref %s: %+v", name, a)
			}
			if el := time.Since(start); el > 3*time.Second {
				t.Errorf("ask took %s with Crossref %s", el, name)
			}
			// Wait until Crossref has been tried, then let it recover.
			for deadline := time.Now().Add(10 * time.Second); fake.Count("/works/10.5555/chatpaper.demo.062") == 0 && time.Now().Before(deadline); {
				time.Sleep(10 * time.Millisecond)
			}
			fake.SetFault(nil)
			r := waitRef(t, srv.base, "cites-retracted", 1, func(r enrichedRef) bool { return r.Status != "" })
			if r.Status != "retracted" {
				t.Errorf("after recovery: %+v", r)
			}
		})
	}
}

// TestEnrichModelMode: the model is given [49]'s abstract marked as the
// cited work's, and a model answer citing the retracted [62] gets the
// notice, in the reader's language.
func TestEnrichModelMode(t *testing.T) {
	t.Parallel()
	fake := llmtest.NewServer()
	defer fake.Close()
	cr := crossreftest.New(t)
	s := startServer(t, t.TempDir(), modelEnv(fake, "CHATPAPER_CROSSREF_URL", cr.URL, "CHATPAPER_CROSSREF_MAILTO", "ops@journal.example"))
	waitRef(t, s.base, paper.DemoID, 62, func(r enrichedRef) bool { return r.Status != "" })
	waitRef(t, s.base, paper.DemoID, 49, func(r enrichedRef) bool { return r.Cited != nil && r.Cited.Abstract != "" })

	a := ask(t, s.base, paper.DemoID, "What did [49] find?", paper.LangEN)
	pr := lastChat(t, fake, "answer")
	if user := pr.Text("user"); !strings.Contains(user, "Abstract of the cited work [49] (from that work, not from this paper): ") || !strings.Contains(user, "CD29/CD81") {
		t.Errorf("the model's context lacks [49]'s abstract marked as the cited work's:\n%s", user)
	}
	if sys := pr.Text("system"); !strings.Contains(sys, "is what that cited work itself reports") {
		t.Errorf("the system prompt lacks the cited-work rule:\n%s", sys)
	}
	if a.Mode != "llm" || len(a.Citations) == 0 || a.Citations[0].N != 49 {
		t.Errorf("model answer = %+v, want [49] cited first", a)
	}
	for lang, want := range map[string]string{paper.LangEN: "Note: [62] was retracted (2021-03-15)", paper.LangZH: "注意：[62] 已被撤稿（2021-03-15）"} {
		a := ask(t, s.base, paper.DemoID, "Which exosomal microRNA causes bystander DNA damage by targeting LIG4?", lang)
		cited := false
		for _, c := range a.Citations {
			cited = cited || (c.N == 62 && c.Status == "retracted")
		}
		if a.Mode != "llm" || !cited || !strings.HasPrefix(a.Notice, want) {
			t.Errorf("%s: model answer citing [62] = %+v", lang, a)
		}
	}
}
