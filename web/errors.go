package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/chatpaper/chatpaper/ingest"
	"github.com/chatpaper/chatpaper/library"
	"github.com/chatpaper/chatpaper/metrics"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/rag"
	"github.com/chatpaper/chatpaper/store"
)

// Error is the body of every error response: {"error":{"code","message"}}.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// RetryAfter is set on rate_limited errors: seconds until a retry
	// may succeed (also in the Retry-After header).
	RetryAfter int `json:"retry_after,omitempty"`
}

type errorBody struct {
	Error Error `json:"error"`
}

// apiError is an error with the HTTP status and code clients see.
type apiError struct {
	status     int
	code       string
	msg        string
	retryAfter int
}

func (e *apiError) Error() string { return e.msg }

func badRequest(code, msg string) error {
	return &apiError{status: http.StatusBadRequest, code: code, msg: msg}
}

// classify maps an error to what the client is told. Errors of unknown
// kind are internal: their text may hold paths or SQL, so the client
// sees only "internal error" and the log keeps the detail.
func classify(err error) (status int, e Error) {
	var ae *apiError
	var he *echo.HTTPError
	switch {
	case errors.As(err, &ae):
		return ae.status, Error{Code: ae.code, Message: ae.msg, RetryAfter: ae.retryAfter}
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, Error{Code: CodeNotFound, Message: "paper not found"}
	case errors.Is(err, ingest.ErrUnsupportedType):
		return http.StatusUnsupportedMediaType, Error{Code: CodeUnsupportedMediaType, Message: err.Error()}
	case errors.Is(err, paper.ErrTooLarge):
		// Before ErrInvalid: a reader's limit error also counts as bad input.
		return http.StatusRequestEntityTooLarge, Error{Code: CodePaperTooLarge, Message: limitMessage(err)}
	case errors.Is(err, paper.ErrInvalid):
		return http.StatusBadRequest, Error{Code: CodeInvalidPaper, Message: err.Error()}
	case errors.Is(err, paper.ErrInvalidLang):
		return http.StatusBadRequest, Error{Code: CodeInvalidLang, Message: err.Error()}
	case errors.Is(err, rag.ErrInvalidQuestion), errors.Is(err, library.ErrInvalidQuery):
		return http.StatusBadRequest, Error{Code: CodeInvalidQuestion, Message: err.Error()}
	case errors.Is(err, rag.ErrUpstream):
		// The detail may name the endpoint's address: logged, not shown.
		return http.StatusBadGateway, Error{Code: CodeUpstream, Message: "the model endpoint failed; the answer is incomplete"}
	case errors.As(err, &he):
		code := map[int]string{
			http.StatusNotFound:              CodeNotFound,
			http.StatusMethodNotAllowed:      CodeMethodNotAllowed,
			http.StatusRequestEntityTooLarge: CodeTooLarge,
			http.StatusUnsupportedMediaType:  CodeUnsupportedMediaType,
			http.StatusBadRequest:            CodeBadRequest,
			http.StatusUnauthorized:          CodeUnauthorized,
			http.StatusForbidden:             CodeForbidden,
			http.StatusTooManyRequests:       CodeRateLimited,
		}[he.Code]
		if code == "" {
			code = CodeError
		}
		msg := http.StatusText(he.Code)
		if s, ok := he.Message.(string); ok && s != "" {
			msg = s
		}
		if he.Code == http.StatusNotFound && msg == "Not Found" {
			msg = "no such route"
		}
		return he.Code, Error{Code: code, Message: lower(msg)}
	}
	return http.StatusInternalServerError, Error{Code: CodeInternal, Message: "internal error"}
}

// limitMessage is the message of a paper limit error: the limit itself,
// without the wrapping that names internal steps.
func limitMessage(err error) string {
	var le *paper.LimitError
	if errors.As(err, &le) {
		return le.Error()
	}
	return err.Error()
}

func lower(s string) string {
	if s == "" {
		return s
	}
	b := []byte(s)
	if b[0] >= 'A' && b[0] <= 'Z' && (len(b) == 1 || b[1] < 'A' || b[1] > 'Z') {
		b[0] += 'a' - 'A'
	}
	return string(b)
}

// StatusClientClosedRequest is the status recorded (in the request log
// and the HTTP metrics) for a request whose client went away before the
// answer: nginx's 499, so it is counted apart from the server's errors.
const StatusClientClosedRequest = 499

// clientGone reports whether the request failed because its client
// went away: its context was cancelled (the connection closed) and the
// error is that cancellation, not, say, a body read that timed out
// (which also ends the context, but is the client's fault to be told).
func clientGone(c echo.Context, err error) bool {
	return err != nil && c.Request().Context().Err() != nil && errors.Is(err, context.Canceled)
}

// errorHandler writes every error in the JSON error shape and logs the
// ones that are the server's fault. A client that went away is logged at
// info and counted by metrics.ClientGone, not as a server error.
func errorHandler(log *slog.Logger, m *metrics.Metrics) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		if clientGone(c, err) {
			log.Info("client went away", "method", c.Request().Method, "path", c.Request().URL.Path,
				"request_id", c.Response().Header().Get(echo.HeaderXRequestID), "err", err)
			m.ClientGone("http")
			c.Response().WriteHeader(StatusClientClosedRequest) // nobody reads it: for the log and metrics
			return
		}
		status, body := classify(err)
		closeOnError(c, status)
		if status >= 500 {
			log.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path,
				"request_id", c.Response().Header().Get(echo.HeaderXRequestID), "err", err)
		}
		if c.Request().Method == http.MethodHead {
			err = c.NoContent(status)
		} else {
			err = writeJSON(c, status, errorBody{body})
		}
		if err != nil {
			log.Warn("write error response", "err", err)
		}
	}
}
