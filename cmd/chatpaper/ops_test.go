package main

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatpaper/chatpaper/llm/llmtest"
)

// TestServeOps checks the operational endpoints of the real program:
// readiness with the store check, metrics that move with an ask, an
// admin key that is required once configured, and a shutdown that tells
// an open websocket "going away" and lets run return.
func TestServeOps(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir(), map[string]string{
		"CHATPAPER_ADMIN_KEYS":       "k-123",
		"CHATPAPER_SHUTDOWN_TIMEOUT": "3s",
	})

	var ready struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}
	if resp := do(t, "GET", s.base+"/readyz", "", "", &ready); resp.StatusCode != http.StatusOK || ready.Checks["store"] != "ok" {
		t.Errorf("readyz = %d %+v, want 200 with store ok", resp.StatusCode, ready)
	}

	var e apiErr
	resp := do(t, "DELETE", s.base+"/api/v1/papers/exosome-irradiation", "", "", &e)
	if resp.StatusCode != http.StatusUnauthorized || e.Error.Code != "unauthorized" {
		t.Errorf("delete without key = %d %+v, want 401 unauthorized", resp.StatusCode, e)
	}
	if resp := do(t, "GET", s.base+"/api/v1/papers/exosome-irradiation", "", "", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("paper gone after a refused delete: %d", resp.StatusCode)
	}

	conn, _, err := websocket.DefaultDialer.Dial(s.wsURL("exosome-irradiation"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	send(t, conn, `{"type":"ask","id":"q1","question":"How do exosomes from irradiated cells affect bystander cells?","lang":"en_US"}`)
	readUntilDone(t, conn, "q1")

	req, _ := http.NewRequest("GET", s.base+"/metrics", nil)
	mresp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	_, _ = io.Copy(&b, mresp.Body)
	mresp.Body.Close()
	for _, want := range []string{
		`chatpaper_asks_total{mode="extractive",transport="ws"} 1`,
		`chatpaper_open_websockets 1`,
		`chatpaper_http_request_duration_seconds_count{method="DELETE",route="/api/v1/papers/:id",status="401"} 1`,
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("metrics lack %q", want)
		}
	}

	// SIGTERM: the socket hears 1001 and run returns (stop fails the
	// test if it does not within 15 s, or if run returns an error).
	ended := make(chan error, 1)
	go func() {
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, _, err := conn.ReadMessage()
		ended <- err
	}()
	s.stop(t)
	err = <-ended
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
		t.Errorf("socket ended with %v, want close 1001 going away", err)
	}
}

// TestServeOpsModelMode checks what model mode adds to operations: the
// endpoint is a /readyz check, tokens and dropped citations are counted,
// and asks are labelled by the answer's mode.
func TestServeOpsModelMode(t *testing.T) {
	t.Parallel()
	fake := llmtest.NewServer()
	defer fake.Close()
	s := startServer(t, t.TempDir(), modelEnv(fake))
	if resp := do(t, "POST", s.base+"/api/v1/papers", "application/json", testPaper, nil); resp.StatusCode != http.StatusCreated {
		t.Fatalf("ingest status %d", resp.StatusCode)
	}
	var ready struct {
		Checks map[string]string `json:"checks"`
	}
	if resp := do(t, "GET", s.base+"/readyz", "", "", &ready); resp.StatusCode != http.StatusOK || ready.Checks["model"] != "ok" {
		t.Errorf("readyz = %d %+v, want 200 with model ok", resp.StatusCode, ready)
	}

	conn, _ := dialSession(t, s, "test-paper", "")
	if a := askWS(t, conn, "q1", "Which work used satellite gravimetry on Greenland?"); a.err != nil || a.done == nil {
		t.Fatalf("answer failed: %+v", a.err)
	}
	out := scrapeMetrics(t, s.base)
	for _, want := range []string{
		`chatpaper_asks_total{mode="llm",transport="ws"} 1`,
		`chatpaper_model_tokens_total{kind="completion",model="fake-model"}`,
		`chatpaper_model_tokens_total{kind="prompt",model="fake-model"}`,
		`chatpaper_citations_dropped_total 1`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %q", want)
		}
	}

	fake.Close()
	if resp := do(t, "GET", s.base+"/readyz", "", "", &ready); resp.StatusCode != http.StatusServiceUnavailable || ready.Checks["model"] != "failed" {
		t.Errorf("readyz with the endpoint down = %d %+v, want 503 with model failed", resp.StatusCode, ready)
	}
}

func scrapeMetrics(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
