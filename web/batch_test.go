package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"strings"
	"testing"

	"github.com/chatpaper/chatpaper/internal/apptest"
	"github.com/chatpaper/chatpaper/paper/pdf/pdftest"
	"github.com/chatpaper/chatpaper/rag"
	"github.com/chatpaper/chatpaper/store/sqlite"
	"github.com/chatpaper/chatpaper/web"
)

type file struct{ name, ctype, body string }

func multipartBody(t *testing.T, files []file) (string, *bytes.Buffer) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("note", "form fields are ignored")
	for _, f := range files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="file"; filename="`+f.name+`"`)
		if f.ctype != "" {
			h.Set("Content-Type", f.ctype)
		}
		w, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(f.body))
	}
	mw.Close()
	return mw.FormDataContentType(), &buf
}

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	a := apptest.Offline(t, st)
	srv := httptest.NewServer(web.New(web.Deps{Papers: a.Library, Answerer: a.Answerer, Summarizer: a.Summarizer, Hashes: st}))
	t.Cleanup(srv.Close)
	return srv
}

type batchResult struct {
	Results []struct {
		Name, ID, Format, Status string
		References, Passages     int
		Error                    *struct{ Code, Message string }
	}
	Ingested, Unchanged, Failed int
}

func TestBatch(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	jats, err := os.ReadFile("../paper/jats/testdata/pntd.0002065.nxml")
	if err != nil {
		t.Fatal(err)
	}
	files := []file{
		{"pntd.0002065.nxml", "application/octet-stream", string(jats)},
		{"scan.pdf", "application/pdf", string(pdftest.Make(pdftest.Article()))},
		{"broken.json", "application/json", `{"id":"b","abstract":"no title"}`},
		{"picture.png", "image/png", "\x89PNG"},
	}
	post := func() batchResult {
		ct, body := multipartBody(t, files)
		resp, err := adminPost(srv.URL+"/api/v1/papers:batch", ct, body)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		var out batchResult
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	out := post()
	if out.Ingested != 2 || out.Unchanged != 0 || out.Failed != 2 || len(out.Results) != 4 {
		t.Fatalf("result %+v, want 2 ingested and 2 failed of 4", out)
	}
	want := []struct{ name, id, format, status, code string }{
		{"pntd.0002065.nxml", "10.1371_journal.pntd.0002065", "jats", "ingested", ""},
		{"scan.pdf", "scan", "pdf", "ingested", ""},
		{"broken.json", "", "json", "failed", "invalid_paper"},
		{"picture.png", "", "", "failed", "unsupported_media_type"},
	}
	for i, w := range want {
		r := out.Results[i]
		code := ""
		if r.Error != nil {
			code = r.Error.Code
			if r.Error.Message == "" {
				t.Errorf("%s: error without a message", r.Name)
			}
		}
		if r.Name != w.name || r.ID != w.id || r.Format != w.format || r.Status != w.status || code != w.code {
			t.Errorf("result %d = %+v (code %q), want %+v", i, r, code, w)
		}
	}
	if out.Results[0].References != 32 || out.Results[1].References != 3 {
		t.Errorf("reference counts %d, %d; want 32, 3", out.Results[0].References, out.Results[1].References)
	}
	// The JATS article's body is retrieved by its passages; the
	// abstract-only PDF has none.
	if p := out.Results[0].Passages; p < 50 || out.Results[1].Passages != 0 {
		t.Errorf("body passages %d, %d; want many for the JATS article and 0 for the PDF", p, out.Results[1].Passages)
	}
	again := post()
	if again.Ingested != 0 || again.Unchanged != 2 || again.Failed != 2 {
		t.Errorf("second batch %+v, want the two papers unchanged", again)
	}
	// The PDF is stored and answers from its references.
	resp, err := http.Post(srv.URL+"/api/v1/papers/scan/ask", "application/json", strings.NewReader(`{"question":"How can tumour hypoxia be exploited in cancer treatment?"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ans rag.Answer
	if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil {
		t.Fatal(err)
	}
	if len(ans.Citations) == 0 || ans.Citations[0].N != 2 {
		t.Errorf("answer %q cites %+v, want [2]", ans.Answer, ans.Citations)
	}
}

func TestBatchErrors(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	ctEmpty, empty := multipartBody(t, nil)
	tests := []struct {
		name, path, ctype string
		body              *bytes.Buffer
		status            int
		code              string
	}{
		{"not multipart", "/api/v1/papers:batch", "application/json", bytes.NewBufferString(`[]`), 415, "unsupported_media_type"},
		{"no files", "/api/v1/papers:batch", ctEmpty, empty, 400, "no_files"},
		{"broken multipart", "/api/v1/papers:batch", "multipart/form-data; boundary=xyz", bytes.NewBufferString("--xyz\r\nbroken"), 400, ""},
		{"other colon verb", "/api/v1/papers:delete", "application/json", bytes.NewBufferString(`{}`), 404, "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := adminPost(srv.URL+tt.path, tt.ctype, tt.body)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var e struct {
				Error struct{ Code, Message string }
			}
			json.NewDecoder(resp.Body).Decode(&e)
			if resp.StatusCode != tt.status || (tt.code != "" && e.Error.Code != tt.code) {
				t.Errorf("status %d code %q (%s), want %d %q", resp.StatusCode, e.Error.Code, e.Error.Message, tt.status, tt.code)
			}
		})
	}
}

func TestIngestFormats(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	cr, err := os.ReadFile("../paper/crossref/testdata/10.3389_fgene.2017.00147.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, query, ctype, body string
		status                   int
		id, format               string
	}{
		{"pdf", "?id=hyp", "application/pdf", string(pdftest.Make(pdftest.Article())), 201, "hyp", "pdf"},
		{"crossref", "", "application/json", string(cr), 201, "10.3389_fgene.2017.00147", "crossref"},
		{"pdf without id", "", "application/pdf", string(pdftest.Make(pdftest.Article())), 400, "", ""},
		{"not a pdf", "?id=x", "application/pdf", "hello", 400, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := adminPost(srv.URL+"/api/v1/papers"+tt.query, tt.ctype, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var out struct{ ID, Format string }
			json.NewDecoder(resp.Body).Decode(&out)
			if resp.StatusCode != tt.status || out.ID != tt.id || out.Format != tt.format {
				t.Errorf("status %d %+v, want %d id %q format %q", resp.StatusCode, out, tt.status, tt.id, tt.format)
			}
		})
	}
}

// The batch route has its own body limit, larger than the 4 MiB of the
// others.
func TestBatchBodyLimit(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	big := strings.Repeat("not a paper line\n", (5<<20)/17)
	for _, tt := range []struct {
		name   string
		size   string
		status int
	}{
		{"5 MiB part", big, 200},
		{"over 64 MiB", strings.Repeat(big, 13), 413},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// An image: read whole, then refused at once, so the test
			// measures the limit and not a parser.
			ct, body := multipartBody(t, []file{{"big.png", "image/png", tt.size}})
			resp, err := adminPost(srv.URL+"/api/v1/papers:batch", ct, body)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if tt.status == 200 {
				var out batchResult
				if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
					t.Fatal(err)
				}
				if out.Failed != 1 || out.Results[0].Error == nil || out.Results[0].Error.Code != "unsupported_media_type" {
					t.Errorf("result %+v, want one unsupported file", out)
				}
			}
		})
	}
}

// adminPost is http.Post with web.AdminHeader, as a keyless admin client
// sending a text/plain or multipart body must.
func adminPost(url, contentType string, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodPost, url, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set(web.AdminHeader, "1")
	return http.DefaultClient.Do(req)
}
