package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/chatpaper/chatpaper/chat"
	"github.com/chatpaper/chatpaper/ingest"
	"github.com/chatpaper/chatpaper/library"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/rag"
	"github.com/chatpaper/chatpaper/store"
)

func handleHealth() echo.HandlerFunc {
	return func(c echo.Context) error {
		return writeJSON(c, http.StatusOK, map[string]string{"status": "ok"})
	}
}

func handleListPapers(ps Papers) echo.HandlerFunc {
	return func(c echo.Context) error {
		list, err := ps.Papers(c.Request().Context())
		if err != nil {
			return err
		}
		if list == nil {
			list = []store.PaperInfo{}
		}
		return writeJSON(c, http.StatusOK, map[string]any{"papers": list})
	}
}

// paperID returns the :id path parameter, refusing ids no paper can have
// so they never reach the store.
func paperID(c echo.Context) (string, error) {
	id := c.Param("id")
	if !paper.ValidID(id) {
		return "", store.ErrNotFound
	}
	return id, nil
}

func handleGetPaper(ps Papers) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := paperID(c)
		if err != nil {
			return err
		}
		p, err := ps.Paper(c.Request().Context(), id)
		if err != nil {
			return err
		}
		out := *p
		if out.References == nil {
			out.References = []paper.Reference{}
		}
		return writeJSON(c, http.StatusOK, out)
	}
}

func handleDeletePaper(ps Papers) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := paperID(c)
		if err != nil {
			return err
		}
		if err := ps.Delete(c.Request().Context(), id); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	}
}

// handleIngest stores one paper given in any format ingest.Detect reads:
// ChatPaper JSON, article page text (text/plain), JATS XML, Crossref work
// JSON or PDF. ?id= names the paper; without it the id comes from the
// content (JSON id, DOI), which page text and PDF do not have.
func handleIngest(ps Papers) echo.HandlerFunc {
	return func(c echo.Context) error {
		ct := c.Request().Header.Get(echo.HeaderContentType)
		if _, err := ingest.Detect(nil, ct); err != nil {
			return err
		}
		body, err := io.ReadAll(c.Request().Body)
		if err != nil {
			return bodyError(err)
		}
		p, format, err := ingest.Parse(body, ct, c.QueryParam("id"), "")
		if err != nil {
			return err
		}
		if err := ps.Ingest(c.Request().Context(), p); err != nil {
			return err
		}
		out := map[string]any{"id": p.ID, "references": len(p.References), "format": format}
		if n := len(paper.BodyPassages(p, library.WindowSentences)); n > 0 {
			out["passages"] = n
		}
		return writeJSON(c, http.StatusCreated, out)
	}
}

// bodyError turns a failed body read into the client's error: the body
// limit middleware reports an oversized body as a read error.
func bodyError(err error) error {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		return he
	}
	if strings.Contains(err.Error(), "too large") {
		return echo.ErrStatusRequestEntityTooLarge
	}
	return badRequest(CodeBadRequest, "could not read request body")
}

func handleSummary(s Summarizer) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := paperID(c)
		if err != nil {
			return err
		}
		lang := c.QueryParam("lang")
		if lang == "" {
			lang = paper.LangEN
		}
		if !paper.ValidLang(lang) {
			return badRequest(CodeInvalidLang, fmt.Sprintf("lang %q must be en_US or zh_CN", lang))
		}
		sum, err := s.Summary(c.Request().Context(), id, lang)
		if err != nil {
			return err
		}
		return writeJSON(c, http.StatusOK, sum)
	}
}

// askRequest is the body of POST /papers/{id}/ask.
type askRequest struct {
	Question  string `json:"question"`
	Lang      string `json:"lang"`
	SessionID string `json:"session_id"`
}

// handleAsk answers one question; with ?stream=1 as server-sent events.
func handleAsk(ps Papers, a rag.Answerer, rec questionRecorder, heartbeat time.Duration, log *slog.Logger) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := paperID(c)
		if err != nil {
			return err
		}
		var req askRequest
		dec := json.NewDecoder(c.Request().Body)
		if err := dec.Decode(&req); err != nil {
			return jsonError(err)
		}
		q := rag.Question{PaperID: id, Text: req.Question, Lang: req.Lang, SessionID: req.SessionID}
		if c.QueryParam("stream") == "1" {
			// What is wrong with the request itself is found before the
			// stream starts, and answered with its status.
			if _, err := rag.NormalizeQuestion(q); err != nil {
				return err
			}
			if q.SessionID != "" && !chat.ValidSessionID(q.SessionID) {
				return fmt.Errorf("%w: session_id %q must be 1-128 letters, digits, '.', '_' or '-'", rag.ErrInvalidQuestion, q.SessionID)
			}
			// An unknown paper stays a 404, as it is without streaming:
			// one primary-key read, before the headers are sent.
			if _, err := ps.Paper(c.Request().Context(), id); err != nil {
				return err
			}
			return streamAsk(c, a, q, rec, heartbeat, log)
		}
		ans, err := a.Ask(c.Request().Context(), q, nil)
		if err != nil {
			return err
		}
		return writeJSON(c, http.StatusOK, answerResponse{Answer: answerBody(ans), QuestionID: rec.record(c.Request().Context(), q, ans)})
	}
}

// answerBody is an answer as every transport sends it: citations and
// sources are arrays, empty rather than null or left out.
func answerBody(a *rag.Answer) *rag.Answer {
	out := *a
	out.Citations = nonNilCitations(a.Citations)
	if out.Sources == nil {
		out.Sources = []rag.Source{}
	}
	return &out
}

// jsonError describes a JSON decoding failure for the client.
func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return badRequest(CodeMalformedJSON, fmt.Sprintf("malformed JSON at byte %d: %v", syn.Offset, err))
	case errors.As(err, &typ):
		return badRequest(CodeMalformedJSON, fmt.Sprintf("field %q must be a %s", typ.Field, typ.Type))
	case errors.Is(err, io.EOF):
		return badRequest(CodeMalformedJSON, "request body is empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest(CodeMalformedJSON, "request body ends in the middle of JSON")
	}
	return bodyError(err)
}
