package main

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/chatpaper/chatpaper/store/postgres/pgtest"
)

// TestQuestionsReport asks, rates and reads the questions report through
// the whole server, on the embedded store and on PostgreSQL.
func TestQuestionsReport(t *testing.T) {
	for _, tt := range []struct {
		name string
		env  func(t *testing.T) map[string]string
	}{
		{"sqlite", func(t *testing.T) map[string]string { return map[string]string{} }},
		{"postgres", func(t *testing.T) map[string]string {
			return map[string]string{"CHATPAPER_DATABASE_URL": pgtest.Schema(t)}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := tt.env(t)
			env["CHATPAPER_ADMIN_KEYS"] = "admin-1"
			env["CHATPAPER_LOG_LEVEL"] = "warn"
			s := startServer(t, t.TempDir(), env)
			if resp := do(t, "POST", s.base+"/api/v1/papers", "application/json", testPaper, nil); resp.StatusCode != 401 {
				t.Fatalf("ingest without the admin key: %d", resp.StatusCode)
			}
			req, _ := http.NewRequest("POST", s.base+"/api/v1/papers", strings.NewReader(testPaper))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer admin-1")
			if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 201 {
				t.Fatalf("ingest: %v %v", resp, err)
			}

			var ids []string
			for _, q := range []string{
				"Which work used satellite gravimetry on Greenland?",
				"which work used satellite gravimetry on Greenland",
				"What is the boiling point of liquid nitrogen?",
			} {
				var ans struct {
					QuestionID string `json:"question_id"`
				}
				do(t, "POST", s.base+"/api/v1/papers/test-paper/ask", "application/json", `{"question":"`+q+`","lang":"en_US"}`, &ans)
				if ans.QuestionID == "" {
					t.Fatalf("answer to %q has no question_id", q)
				}
				ids = append(ids, ans.QuestionID)
			}
			if resp := do(t, "POST", s.base+"/api/v1/papers/test-paper/feedback", "application/json",
				`{"question_id":"`+ids[2]+`","rating":"down","note":"needs the methods section"}`, nil); resp.StatusCode != 200 {
				t.Fatalf("feedback: %d", resp.StatusCode)
			}

			report := func(query, key string) (*http.Response, string) {
				req, _ := http.NewRequest("GET", s.base+"/api/v1/reports/questions"+query, nil)
				if key != "" {
					req.Header.Set("Authorization", "Bearer "+key)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp, string(b)
			}
			if resp, _ := report("", ""); resp.StatusCode != 401 {
				t.Errorf("report without a key: %d, want 401", resp.StatusCode)
			}
			if resp, _ := report("?format=csv", "wrong"); resp.StatusCode != 401 {
				t.Errorf("CSV report with a wrong key: %d, want 401", resp.StatusCode)
			}
			resp, body := report("?sort=down", "admin-1")
			if resp.StatusCode != 200 || !strings.Contains(body, `"totals":{"asked":3,"refused":1,"up":0,"down":1}`) ||
				!strings.Contains(body, `"title":"Glacier melt and sea level rise"`) {
				t.Fatalf("report: %d %s", resp.StatusCode, body)
			}
			if i, j := strings.Index(body, "liquid nitrogen"), strings.Index(body, "satellite gravimetry"); i < 0 || j < 0 || i > j {
				t.Errorf("sort=down does not put the thumbs-down first: %s", body)
			}
			resp, body = report("?format=csv&paper=test-paper", "admin-1")
			rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
			if err != nil || resp.StatusCode != 200 || len(rows) != 3 {
				t.Fatalf("CSV report: %d %v %q", resp.StatusCode, err, body)
			}
			// The two spellings of the gravimetry question are one line,
			// asked twice; the most asked comes first by default.
			if rows[1][3] != "2" || !strings.Contains(rows[1][2], "gravimetry") || rows[2][6] != "1" || rows[2][10] != "needs the methods section" {
				t.Errorf("CSV rows = %q", rows)
			}
			if strings.Contains(body, "127.0.0.1") {
				t.Error("the report holds a client IP")
			}
		})
	}
}

// TestQuestionsNotRecordedWithZeroRetention turns the questions log off.
func TestQuestionsNotRecordedWithZeroRetention(t *testing.T) {
	s := startServer(t, t.TempDir(), map[string]string{"CHATPAPER_QUESTION_RETENTION_DAYS": "0", "CHATPAPER_LOG_LEVEL": "warn"})
	var ans map[string]any
	do(t, "POST", s.base+"/api/v1/papers/exosome-irradiation/ask", "application/json", `{"question":"What dose was used?"}`, &ans)
	if _, ok := ans["question_id"]; ok || ans["answer"] == nil {
		t.Errorf("answer with retention 0 = %v, want an answer without a question_id", ans)
	}
	req, _ := http.NewRequest("GET", s.base+"/api/v1/reports/questions", nil)
	req.Header.Set("Authorization", "Bearer "+s.adminKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var rep struct {
		Totals struct{ Asked int }
	}
	if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil || resp.StatusCode != 200 {
		t.Fatalf("report: %d %v", resp.StatusCode, err)
	}
	if rep.Totals.Asked != 0 {
		t.Errorf("report counts %d questions with retention 0", rep.Totals.Asked)
	}
}
