package web

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/chatpaper/chatpaper/rag"
)

// sseWriter writes server-sent events. The response starts with the
// first event, so an error before it (a bad question, an unknown paper)
// still gets the ordinary JSON error response and status.
type sseWriter struct {
	c       echo.Context
	started bool
}

func (w *sseWriter) event(name string, data any) error {
	if !w.started {
		h := w.c.Response().Header()
		h.Set(echo.HeaderContentType, "text/event-stream; charset=utf-8")
		h.Set(echo.HeaderCacheControl, "no-cache")
		// Tell nginx-like proxies not to buffer the stream.
		h.Set("X-Accel-Buffering", "no")
		w.c.Response().WriteHeader(http.StatusOK)
		w.started = true
	}
	var b bytes.Buffer
	if err := encodeJSON(&b, data, ""); err != nil {
		return err
	}
	if _, err := fmt.Fprintf(w.c.Response(), "event: %s\ndata: %s\n\n", name, bytes.TrimSuffix(b.Bytes(), []byte("\n"))); err != nil {
		return err
	}
	w.c.Response().Flush()
	return nil
}

// streamAsk answers with server-sent events mirroring the websocket
// frames: delta events, then citations and done, or an error event.
func streamAsk(c echo.Context, a rag.Answerer, q rag.Question, rec questionRecorder, log *slog.Logger) error {
	w := &sseWriter{c: c}
	ctx := c.Request().Context()
	ans, err := a.Ask(ctx, q, func(d string) error {
		return w.event(FrameDelta, map[string]string{"text": d})
	})
	if err != nil {
		if !w.started {
			return err
		}
		if ctx.Err() != nil {
			return nil // the client left; nobody to tell
		}
		status, e := classify(err)
		if status >= 500 {
			log.Error("streamed ask failed", "paper", q.PaperID, "err", err)
		}
		return w.event(FrameError, e)
	}
	if err := w.event(FrameCitations, map[string]any{"citations": nonNilCitations(ans.Citations)}); err != nil {
		return nil
	}
	_ = w.event(FrameDone, answerResponse{Answer: ans, QuestionID: rec.record(ctx, q, ans)})
	return nil
}
