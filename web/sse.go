package web

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/chatpaper/chatpaper/rag"
)

// defaultSSEHeartbeat is how often a stream with nothing to say sends a
// comment: proxies and browsers drop a connection silent for a minute,
// and the reader's page learns the server is still there.
const defaultSSEHeartbeat = 15 * time.Second

// sseWriter writes server-sent events; the answer's goroutine and the
// heartbeat share it.
type sseWriter struct {
	c  echo.Context
	mu sync.Mutex
	// failed is set once a write failed: the client is gone.
	failed bool
}

// start sends the headers and a first comment at once, so the client
// and any proxy see the stream open before the answer's first words.
func (w *sseWriter) start() error {
	h := w.c.Response().Header()
	h.Set(echo.HeaderContentType, "text/event-stream; charset=utf-8")
	h.Set(echo.HeaderCacheControl, "no-cache")
	// Tell nginx-like proxies not to buffer the stream.
	h.Set("X-Accel-Buffering", "no")
	w.c.Response().WriteHeader(http.StatusOK)
	return w.comment("stream open")
}

func (w *sseWriter) write(s string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.failed {
		return errClosed
	}
	if _, err := fmt.Fprint(w.c.Response(), s); err != nil {
		w.failed = true
		return err
	}
	w.c.Response().Flush()
	return nil
}

func (w *sseWriter) comment(text string) error { return w.write(": " + text + "\n\n") }

func (w *sseWriter) event(name string, data any) error {
	var b bytes.Buffer
	if err := encodeJSON(&b, data, ""); err != nil {
		return err
	}
	return w.write(fmt.Sprintf("event: %s\ndata: %s\n\n", name, bytes.TrimSuffix(b.Bytes(), []byte("\n"))))
}

// heartbeat sends a comment every interval until ctx ends.
func (w *sseWriter) heartbeat(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if w.comment("keep-alive") != nil {
				return
			}
		}
	}
}

// streamAsk answers with server-sent events mirroring the websocket
// frames: status events while the answer is prepared, delta events,
// then citations and done, or an error event. The request was checked
// before: the stream starts at once, so what goes wrong from here on
// (an unknown paper included) is an error event.
func streamAsk(c echo.Context, a rag.Answerer, q rag.Question, rec questionRecorder, heartbeat time.Duration, log *slog.Logger) error {
	w := &sseWriter{c: c}
	if err := w.start(); err != nil {
		return nil // the client left
	}
	beatCtx, stop := context.WithCancel(c.Request().Context())
	beats := make(chan struct{})
	go func() {
		defer close(beats)
		w.heartbeat(beatCtx, heartbeat)
	}()
	defer func() {
		stop()
		<-beats
	}()
	ctx := rag.WithProgress(c.Request().Context(), func(stage string) {
		_ = w.event(FrameStatus, map[string]string{"stage": stage})
	})
	ans, err := a.Ask(ctx, q, func(d string) error {
		return w.event(FrameDelta, map[string]string{"text": d})
	})
	if err != nil {
		if c.Request().Context().Err() != nil {
			return nil // the client left; nobody to tell
		}
		status, e := classify(err)
		if status >= 500 {
			log.Error("streamed ask failed", "paper", q.PaperID, "err", err)
		}
		_ = w.event(FrameError, e)
		return nil
	}
	if err := w.event(FrameCitations, map[string]any{"citations": nonNilCitations(ans.Citations)}); err != nil {
		return nil
	}
	_ = w.event(FrameDone, answerResponse{Answer: answerBody(ans), QuestionID: rec.record(ctx, q, ans)})
	return nil
}
