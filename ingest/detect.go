// Package ingest turns files in any supported format into papers and
// stores them, one at a time or in bulk with bounded parallelism. It
// detects the format (ChatPaper JSON, article page text, JATS XML,
// Crossref work JSON, PDF) from the content type and by sniffing the
// bytes, so the CLI and the HTTP API accept the same inputs.
package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"strings"

	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/paper/crossref"
	"github.com/chatpaper/chatpaper/paper/jats"
	"github.com/chatpaper/chatpaper/paper/pdf"
)

// Formats Detect reports.
const (
	FormatJSON     = paper.FormatJSON
	FormatPageText = paper.FormatPageText
	FormatJATS     = jats.Format
	FormatCrossref = crossref.Format
	FormatPDF      = pdf.Format
)

// ErrUnsupportedType is matched by the error Detect returns for a media
// type ChatPaper does not read. It is not bad content but a bad label, so
// HTTP answers it with 415 rather than 400.
var ErrUnsupportedType = errors.New("unsupported content type")

// MediaTypes lists the media types Detect accepts, for error messages and
// documentation. Others (such as application/octet-stream) fall back to
// sniffing as noted in Detect.
var MediaTypes = []string{
	"application/json", "text/plain", "application/xml", "text/xml", "application/jats+xml", "application/pdf",
}

// Detect returns the format of data. A media type names the family:
// application/pdf is PDF; application/xml, text/xml and any "+xml" type
// are JATS; application/json and any "+json" type are ChatPaper JSON
// unless the object is a Crossref work. text/plain, application/octet-
// stream, multipart's default, form encoding and no type at all leave it
// to the bytes: "%PDF-" is PDF, a leading "<" is JATS, a JSON object is
// Crossref or ChatPaper JSON by its keys, and anything else is page text.
// Sniffing overrides text/plain too, because files are often uploaded
// with the wrong label. Other media types return an error matching
// ErrUnsupportedType.
func Detect(data []byte, contentType string) (string, error) {
	if contentType != "" {
		mt, _, err := mime.ParseMediaType(contentType)
		if err != nil {
			return "", fmt.Errorf("%w: malformed %q", ErrUnsupportedType, contentType)
		}
		switch {
		case mt == "application/pdf" || mt == "application/x-pdf":
			return FormatPDF, nil
		case mt == "application/xml" || mt == "text/xml" || strings.HasSuffix(mt, "+xml"):
			return FormatJATS, nil
		case mt == "application/json" || mt == "text/json" || strings.HasSuffix(mt, "+json"):
			if crossref.Looks(data) {
				return FormatCrossref, nil
			}
			return FormatJSON, nil
		case mt == "text/plain", mt == "application/octet-stream", mt == "application/x-www-form-urlencoded":
		default:
			return "", fmt.Errorf("%w %q: send one of %s", ErrUnsupportedType, mt, strings.Join(MediaTypes, ", "))
		}
	}
	return sniff(data), nil
}

func sniff(data []byte) string {
	if pdf.Looks(data) {
		return FormatPDF
	}
	head := bytes.TrimLeft(data[:min(len(data), 4096)], " \t\r\n\ufeff")
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	head = bytes.TrimLeft(head, " \t\r\n")
	switch {
	case len(head) > 0 && head[0] == '<':
		// Markup is read as JATS; HTML then fails with "no <article>",
		// which says more than a page-text error would.
		return FormatJATS
	case len(head) > 1 && head[0] == '{':
		if crossref.Looks(data) {
			return FormatCrossref
		}
		return FormatJSON
	}
	return FormatPageText
}

// Parse detects the format of data and parses it. id, when set, names the
// paper (and must agree with an "id" in ChatPaper JSON). Otherwise the
// paper takes the id its source gives (the JSON "id", or an id made from
// the DOI of a JATS article or Crossref work) and, failing that,
// fallbackID, which callers set from the file name. Every error matches
// paper.ErrInvalid or ErrUnsupportedType.
func Parse(data []byte, contentType, id, fallbackID string) (*paper.Paper, string, error) {
	format, err := Detect(data, contentType)
	if err != nil {
		return nil, "", err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, format, &paper.ParseError{Format: format, Msg: "empty input"}
	}
	var p *paper.Paper
	switch format {
	case FormatPDF:
		p, err = pdf.Parse(data, firstNonEmpty(id, fallbackID))
	case FormatJATS:
		p, err = withFallback(id, fallbackID, func(id string) (*paper.Paper, error) { return jats.Parse(data, id) })
	case FormatCrossref:
		p, err = withFallback(id, fallbackID, func(id string) (*paper.Paper, error) { return crossref.Parse(data, id) })
	case FormatJSON:
		if id == "" && !hasJSONID(data) {
			id = fallbackID
		}
		p, err = paper.Parse(data, "application/json", id)
	default:
		p, err = paper.ParsePageText(data, firstNonEmpty(id, fallbackID))
	}
	return p, format, err
}

// withFallback parses with id, or when id is empty without one (letting
// the DOI name the paper) and then, if there was no DOI, with fallback.
func withFallback(id, fallback string, parse func(string) (*paper.Paper, error)) (*paper.Paper, error) {
	if id != "" || fallback == "" {
		return parse(id)
	}
	p, err := parse("")
	var pe *paper.ParseError
	if err != nil && errors.As(err, &pe) && pe.Field == "id" {
		return parse(fallback)
	}
	return p, err
}

func hasJSONID(data []byte) bool {
	var v struct {
		ID *string `json:"id"`
	}
	return json.Unmarshal(data, &v) == nil && v.ID != nil && strings.TrimSpace(*v.ID) != ""
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x = strings.TrimSpace(x); x != "" {
			return x
		}
	}
	return ""
}
