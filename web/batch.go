package web

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"runtime"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/chatpaper/chatpaper/ingest"
	"github.com/chatpaper/chatpaper/store"
)

// BatchPath is the bulk ingest route. Echo reads ":" as the start of a
// parameter, so routes.go registers it with the colon escaped.
const BatchPath = "/api/v1/papers:batch"

// Bounds of one batch request: the whole body, and the number of files.
const (
	MaxBatchBytes = "64M"
	MaxBatchFiles = 1000
)

// batchItem is one entry of the batch response.
type batchItem struct {
	Name       string `json:"name"`
	ID         string `json:"id,omitempty"`
	Format     string `json:"format,omitempty"`
	Status     string `json:"status"`
	References int    `json:"references,omitempty"`
	Passages   int    `json:"passages,omitempty"`
	Error      *Error `json:"error,omitempty"`
}

// batchResponse is the body of a batch response.
type batchResponse struct {
	Results   []batchItem `json:"results"`
	Ingested  int         `json:"ingested"`
	Unchanged int         `json:"unchanged"`
	Failed    int         `json:"failed"`
}

// handleBatch ingests every file part of a multipart/form-data body, in
// parallel, and answers 200 with a result per part in upload order. A
// part's format comes from its Content-Type and its bytes; its id from
// its content (JSON id, DOI) or else its file name. Failing parts do not
// stop the others. hashes, when not nil, lets unchanged papers be skipped.
func handleBatch(ps Papers, hashes store.Store, log *slog.Logger) echo.HandlerFunc {
	return func(c echo.Context) error {
		mt, _, _ := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
		if mt != echo.MIMEMultipartForm {
			return &apiError{status: http.StatusUnsupportedMediaType, code: CodeUnsupportedMediaType,
				msg: fmt.Sprintf("content type %q is not supported: send multipart/form-data with one part per file", mt)}
		}
		mr, err := c.Request().MultipartReader()
		if err != nil {
			return badRequest(CodeBadRequest, "malformed multipart body: "+err.Error())
		}
		var items []ingest.Item
		for {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return bodyError(err)
			}
			name := part.FileName()
			if name == "" {
				// Plain form fields carry no file: ignore them.
				part.Close()
				continue
			}
			if len(items) == MaxBatchFiles {
				return badRequest(CodeTooManyFiles, fmt.Sprintf("a batch holds at most %d files", MaxBatchFiles))
			}
			data, err := io.ReadAll(part)
			part.Close()
			if err != nil {
				return bodyError(err)
			}
			ct := part.Header.Get(echo.HeaderContentType)
			items = append(items, ingest.Item{Name: name, Data: data, ContentType: ct})
		}
		if len(items) == 0 {
			return badRequest(CodeNoFiles, "the batch has no file parts")
		}
		results := ingest.Run(c.Request().Context(), items, ps, ingest.Options{Workers: runtime.GOMAXPROCS(0), Hashes: hashes})
		out := batchResponse{Results: make([]batchItem, len(results))}
		out.Ingested, out.Unchanged, out.Failed = ingest.Counts(results)
		for i, r := range results {
			out.Results[i] = batchItem{Name: r.Name, ID: r.ID, Format: r.Format, Status: r.Status, References: r.References, Passages: r.Passages}
			if r.Err != nil {
				status, e := classify(r.Err)
				if status >= 500 {
					log.Error("batch item failed", "name", r.Name, "request_id", c.Response().Header().Get(echo.HeaderXRequestID), "err", r.Err)
				}
				out.Results[i].Error = &e
			}
		}
		return writeJSON(c, http.StatusOK, out)
	}
}

// isBatch reports whether the request is for the batch route, whose body
// limit is larger than the others'.
func isBatch(c echo.Context) bool {
	return strings.TrimSuffix(c.Request().URL.Path, "/") == BatchPath
}
