package web

import (
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestOneEncoder checks that REST, SSE and the websocket write JSON the
// same way: through encodeJSON, so "<", "&" and Chinese text arrive as
// themselves rather than as \u escapes on any of them.
func TestOneEncoder(t *testing.T) {
	t.Parallel()
	srv, _ := newTestServer(t, Deps{})
	const question = "a<b & 外泌体"
	want := "Answer to " + question

	_, body := request(t, "POST", srv.URL+"/api/v1/papers/p1/ask", `{"question":"`+question+`"}`, nil)
	if !strings.Contains(body, want) {
		t.Errorf("REST body %q does not hold %q verbatim", body, want)
	}
	_, body = request(t, "POST", srv.URL+"/api/v1/papers/p1/ask?stream=1", `{"question":"`+question+`"}`, nil)
	if !strings.Contains(body, "event: "+FrameDelta+"\ndata: ") || !strings.Contains(body, want) {
		t.Errorf("SSE body %q does not hold a delta event with %q verbatim", body, want)
	}

	c := dial(t, wsURL(srv, "p1"), nil)
	send(t, c, map[string]string{"type": FrameAsk, "id": "q1", "question": question})
	for {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, data, err := c.ReadMessage()
		if err != nil {
			t.Fatalf("read frame: %v", err)
		}
		if s := string(data); strings.Contains(s, `"type":"`+FrameDelta+`"`) {
			if !strings.Contains(s, want) {
				t.Errorf("websocket delta %q does not hold %q verbatim", s, want)
			}
			break
		}
	}
	c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
}
