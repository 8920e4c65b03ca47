package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/rag"
	"github.com/chatpaper/chatpaper/report"
	"github.com/chatpaper/chatpaper/store"
)

// questionRecorder writes each answered question to the questions log,
// for the report. It records what was asked and how it went, never who
// asked: no IP address, no session.
type questionRecorder struct {
	log store.QuestionLog // nil records nothing
	l   *slog.Logger
	now func() time.Time
}

// record logs q and its answer and returns the record's id, which the
// reader's feedback names; "" when nothing was recorded. A failure to
// record is logged and does not fail the answer.
func (r questionRecorder) record(ctx context.Context, q rag.Question, ans *rag.Answer) string {
	if r.log == nil || ans == nil {
		return ""
	}
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read does not fail
	lang := ans.Lang
	if lang == "" {
		lang = q.Lang
	}
	rec := &store.QuestionRecord{
		ID: hex.EncodeToString(b[:]), PaperID: q.PaperID, Question: strings.TrimSpace(q.Text),
		Lang: lang, Mode: ans.Mode, Answerable: ans.Answerable, Asked: r.now(),
	}
	// The answer is already complete: recording it should not be cut
	// short by the reader leaving.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := r.log.RecordQuestion(ctx, rec); err != nil {
		r.l.Warn("record question", "paper", q.PaperID, "err", err)
		return ""
	}
	return rec.ID
}

// answerResponse is the REST answer with the id feedback refers to.
type answerResponse struct {
	*rag.Answer
	QuestionID string `json:"question_id,omitempty"`
}

// feedbackRequest is the body of POST /papers/{id}/feedback.
type feedbackRequest struct {
	QuestionID string `json:"question_id"`
	// Rating is "up", "down" or "none" (withdraws a rating).
	Rating string `json:"rating"`
	Note   string `json:"note"`
}

var ratings = map[string]int{"up": store.RatingUp, "down": store.RatingDown, "none": store.RatingNone}

// handleFeedback records a reader's 👍/👎 and note on an answered
// question, replacing their earlier feedback on it.
func handleFeedback(ql store.QuestionLog) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := paperID(c)
		if err != nil {
			return err
		}
		var req feedbackRequest
		if err := json.NewDecoder(c.Request().Body).Decode(&req); err != nil {
			return jsonError(err)
		}
		rating, ok := ratings[req.Rating]
		if !ok {
			return badRequest(CodeInvalidFeedback, fmt.Sprintf(`rating %q must be "up", "down" or "none"`, req.Rating))
		}
		note := strings.TrimSpace(req.Note)
		if n := utf8.RuneCountInString(note); n > store.MaxNoteRunes {
			return badRequest(CodeInvalidFeedback, fmt.Sprintf("note of %d characters exceeds the limit of %d", n, store.MaxNoteRunes))
		}
		if req.QuestionID == "" || len(req.QuestionID) > 64 {
			return badRequest(CodeInvalidFeedback, "question_id is required: the id the answer came with")
		}
		if ql == nil {
			return &apiError{status: http.StatusNotFound, code: CodeNotFound, msg: "questions are not recorded on this server"}
		}
		if err := ql.RateQuestion(c.Request().Context(), id, req.QuestionID, rating, note); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return &apiError{status: http.StatusNotFound, code: CodeNotFound,
					msg: fmt.Sprintf("no answered question %q about paper %q", req.QuestionID, id)}
			}
			return err
		}
		return writeJSON(c, http.StatusOK, map[string]any{"question_id": req.QuestionID, "rating": req.Rating, "note": note})
	}
}

// maxReportRecords bounds the records one report reads.
const maxReportRecords = 200_000

// handleQuestionsReport serves the questions report as JSON, or as CSV
// with ?format=csv (or Accept: text/csv).
func handleQuestionsReport(ql store.QuestionLog, ps Papers, now func() time.Time) echo.HandlerFunc {
	return func(c echo.Context) error {
		f := store.QuestionFilter{PaperID: c.QueryParam("paper"), Limit: maxReportRecords}
		if f.PaperID != "" && !paper.ValidID(f.PaperID) {
			return badRequest(CodeInvalidPaper, fmt.Sprintf("paper %q is not a valid paper id", f.PaperID))
		}
		var since *time.Time
		if s := c.QueryParam("since"); s != "" {
			t, err := parseSince(s, now())
			if err != nil {
				return err
			}
			f.Since, since = t, &t
		}
		sortBy := c.QueryParam("sort")
		if sortBy == "" {
			sortBy = report.SortAsked
		}
		if !report.ValidSort(sortBy) {
			return badRequest(CodeInvalidSort, fmt.Sprintf("sort %q must be asked, refused or down", sortBy))
		}
		format := c.QueryParam("format")
		if format == "" && strings.Contains(c.Request().Header.Get(echo.HeaderAccept), "text/csv") {
			format = "csv"
		}
		if format != "" && format != "json" && format != "csv" {
			return badRequest(CodeInvalidFormat, fmt.Sprintf("format %q must be json or csv", format))
		}
		ctx := c.Request().Context()
		var recs []store.QuestionRecord
		if ql != nil {
			var err error
			if recs, err = ql.Questions(ctx, f); err != nil {
				return err
			}
		}
		titles := map[string]string{}
		list, err := ps.Papers(ctx)
		if err != nil {
			return err
		}
		for _, p := range list {
			titles[p.ID] = p.Title
		}
		rep := report.Build(recs, titles, sortBy, now())
		rep.Since, rep.PaperID = since, f.PaperID
		c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
		if format == "csv" {
			c.Response().Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
			c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="chatpaper-questions.csv"`)
			c.Response().WriteHeader(http.StatusOK)
			return rep.WriteCSV(c.Response())
		}
		return writeJSON(c, http.StatusOK, rep)
	}
}

// parseSince reads ?since= as an RFC 3339 time, a date, or a number of
// days back ("30d").
func parseSince(s string, now time.Time) (time.Time, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(d); err == nil && n >= 0 && n <= 100_000 {
			return now.Add(-time.Duration(n) * 24 * time.Hour), nil
		}
	}
	for _, layout := range []string{time.RFC3339, time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, badRequest(CodeInvalidSince, fmt.Sprintf("since %q must be an RFC 3339 time, a date (2026-03-01) or days back (30d)", s))
}

// handleSuggestions serves a paper's suggested questions in ?lang=.
func handleSuggestions(s Suggester) echo.HandlerFunc {
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
		sug, err := s.Suggestions(c.Request().Context(), id, lang)
		if err != nil {
			return err
		}
		return writeJSON(c, http.StatusOK, sug)
	}
}
