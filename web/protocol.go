package web

import (
	"encoding/json"
	"io"

	"github.com/labstack/echo/v4"
)

// Websocket frame types. A client sends ask and cancel frames; the
// server answers with status…delta…citations…done, or error, per ask,
// and announces a chat session in a session frame. The SSE events of
// ask?stream=1 carry the same names.
const (
	FrameAsk     = "ask"
	FrameCancel  = "cancel"
	FrameSession = "session"
	// FrameStatus tells what an answer waits for before its first
	// delta: a rag.Stage* value in "stage".
	FrameStatus    = "status"
	FrameDelta     = "delta"
	FrameCitations = "citations"
	FrameDone      = "done"
	FrameError     = "error"
)

// Error codes: the "code" of every {"error":{"code","message"}} body
// and of every error frame (docs/API.md lists them with their statuses).
const (
	CodeNotFound             = "not_found"
	CodeMethodNotAllowed     = "method_not_allowed"
	CodeTooLarge             = "too_large"
	CodeUnsupportedMediaType = "unsupported_media_type"
	CodeBadRequest           = "bad_request"
	CodeMalformedJSON        = "malformed_json"
	CodeInvalidPaper         = "invalid_paper"
	CodeInvalidQuestion      = "invalid_question"
	CodeInvalidLang          = "invalid_lang"
	CodeInvalidLimit         = "invalid_limit"
	CodeInvalidFeedback      = "invalid_feedback"
	CodeInvalidSort          = "invalid_sort"
	CodeInvalidFormat        = "invalid_format"
	CodeInvalidSince         = "invalid_since"
	CodeNoFiles              = "no_files"
	CodeTooManyFiles         = "too_many_files"
	CodeUnauthorized         = "unauthorized"
	CodeForbidden            = "forbidden"
	CodeRateLimited          = "rate_limited"
	CodeTooManySockets       = "too_many_sockets"
	CodePaperTooLarge        = "paper_too_large"
	CodeTooManyConnections   = "too_many_connections"
	CodeShuttingDown         = "shutting_down"
	CodeUpstream             = "upstream"
	CodeInternal             = "internal"
	// CodeError is an HTTP error of a status without a code of its own.
	CodeError = "error"

	// Websocket only.
	CodeBadFrame    = "bad_frame"
	CodeUnknownType = "unknown_type"
	CodeUnknownID   = "unknown_id"
	CodeDuplicateID = "duplicate_id"
	CodeBusy        = "busy"
	CodeCancelled   = "cancelled"
)

// encodeJSON is the one JSON encoder: REST bodies, SSE event data and
// websocket frames all go through it. It does not escape HTML, so
// Chinese text, "&" and "<" reach clients as themselves, and it ends the
// value with a newline.
func encodeJSON(w io.Writer, v any, indent string) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if indent != "" {
		enc.SetIndent("", indent)
	}
	return enc.Encode(v)
}

// writeJSON writes v as the JSON response with the given status,
// indented when the request asks for ?pretty.
func writeJSON(c echo.Context, status int, v any) error {
	indent := ""
	if _, pretty := c.QueryParams()["pretty"]; pretty {
		indent = "  "
	}
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	c.Response().Status = status
	return encodeJSON(c.Response(), v, indent)
}
