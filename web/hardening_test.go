package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

// TestStaticHasPageHeaders: the chat page's assets, and the page when
// reached under /static/, carry the page's CSP and X-Frame-Options.
func TestStaticHasPageHeaders(t *testing.T) {
	t.Parallel()
	srv, _ := newTestServer(t, Deps{})
	for _, path := range []string{"/static/", "/static/index.html", "/"} {
		resp, _ := request(t, "GET", srv.URL+path, "", nil)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d", path, resp.StatusCode)
			continue
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'self'") {
			t.Errorf("%s: CSP %q, want the page's policy", path, csp)
		}
		if xfo := resp.Header.Get("X-Frame-Options"); xfo != "SAMEORIGIN" {
			t.Errorf("%s: X-Frame-Options %q, want SAMEORIGIN", path, xfo)
		}
	}
}

// TestWSRejectsInvalidUTF8AndLongIDs: a text frame that is not UTF-8,
// and a frame whose id is longer than MaxFrameID, get an error frame
// (without the id echoed), and the connection stays usable.
func TestWSRejectsInvalidUTF8AndLongIDs(t *testing.T) {
	t.Parallel()
	srv, _ := newTestServer(t, Deps{})
	c := dial(t, wsURL(srv, "p1"), nil)
	if err := c.WriteMessage(websocket.TextMessage, []byte("{\"type\":\"ask\",\"id\":\"a\",\"question\":\"\xff\xfe\"}")); err != nil {
		t.Fatal(err)
	}
	if f := mustFrame(t, c); f.Type != "error" || f.Code != "bad_frame" || !strings.Contains(f.Message, "UTF-8") {
		t.Errorf("invalid UTF-8: %+v, want a bad_frame error about UTF-8", f)
	}
	long := strings.Repeat("x", 15<<10)
	send(t, c, map[string]string{"type": "ask", "id": long, "question": "What is this?"})
	f := mustFrame(t, c)
	if f.Type != "error" || f.Code != "bad_frame" || f.ID != "" || !strings.Contains(f.Message, "longer than 128 bytes") {
		t.Errorf("15 KiB id: %+v, want a bad_frame error without the id", f)
	}
	id := strings.Repeat("y", MaxFrameID)
	send(t, c, map[string]string{"type": "ask", "id": id, "question": "What is this?"})
	for {
		f := mustFrame(t, c)
		if f.ID != id {
			t.Fatalf("frame %+v, want the 128-byte id echoed", f)
		}
		if f.Type == "done" || f.Type == "error" {
			if f.Type == "error" {
				t.Errorf("128-byte id refused: %+v", f)
			}
			break
		}
	}
}

// TestIngestPDFBombIs400: a PDF past a reading limit is refused with 400
// and an error that names the limit, before anything is stored.
func TestIngestPDFBombIs400(t *testing.T) {
	t.Parallel()
	srv, fp := newTestServer(t, Deps{})
	var b strings.Builder
	b.WriteString("%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n3 0 obj << /Type /Page /Parent 2 0 R /Contents [")
	b.WriteString(strings.Repeat("4 0 R ", 600_000))
	b.WriteString("] >> endobj\n4 0 obj << /Length 5 >> stream\nBT ET\nendstream endobj\n")
	resp, body := request(t, "POST", srv.URL+"/api/v1/papers?id=bomb", b.String(), map[string]string{"Content-Type": "application/pdf"})
	if resp.StatusCode != http.StatusBadRequest || errorCode(t, body) != "invalid_paper" || !strings.Contains(body, "/Contents has 600000 streams") {
		t.Errorf("PDF bomb: %d %s, want 400 invalid_paper naming the /Contents limit", resp.StatusCode, body)
	}
	if fp.writes.Load() != 0 {
		t.Error("the bomb reached the store")
	}
}
