package pdf

import (
	"errors"
	"fmt"
	"time"
)

// Limits bound what one document may cost to read, so a small hostile
// file cannot make the extractor allocate or spin without end. Every
// limit is per document; the first one reached stops the extraction with
// a *paper.ParseError naming it.
type Limits struct {
	// Bytes is the budget of bytes produced while reading: every stream
	// decoded (inflated, hex-decoded, or an unfiltered stream's raw
	// bytes), every time it is used (a stream referenced twice is
	// charged twice), the joined content of each page, and streams
	// reached through forms, fonts and object streams. Each amount is
	// charged before it is allocated.
	Bytes int64
	// Contents is the most entries one page's /Contents array may have.
	Contents int
	// Objects is the most objects the file and its object streams may
	// define.
	Objects int
	// Text is the most bytes of text the document may yield.
	Text int
	// Timeout bounds the wall-clock time of one extraction.
	Timeout time.Duration
}

// DefaultLimits are the limits Text and Parse apply. A long article
// decodes to a few MiB of content and holds a few thousand objects.
var DefaultLimits = Limits{
	Bytes:    64 << 20,
	Contents: 4096,
	Objects:  200_000,
	Text:     8 << 20,
	Timeout:  10 * time.Second,
}

// ErrLimit is matched (errors.Is) by the error of a document that
// reached one of its Limits; the error's message says which.
var ErrLimit = errors.New("the PDF exceeds a reading limit")

// limitError is the error of the first limit a document reached.
func limitError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrLimit}, args...)...)
}

// meter charges a document's work against its Limits. Once a limit is
// reached it keeps failing, so callers deep in the extractor may simply
// stop and let Text report the error.
type meter struct {
	lim      Limits
	used     int64
	text     int
	deadline time.Time
	err      error
	ticks    int
}

func newMeter(lim Limits) *meter {
	return &meter{lim: lim, deadline: time.Now().Add(lim.Timeout)}
}

// charge accounts for n bytes about to be produced and reports whether
// they fit in the budget. An amount that does not fit is still charged
// in full: the budget is spent and the document fails.
func (m *meter) charge(n int) bool {
	if m.err != nil {
		return false
	}
	if n < 0 || int64(n) > m.lim.Bytes-m.used {
		m.used = m.lim.Bytes
		m.fail(limitError("more than %d MiB would be decoded", m.lim.Bytes>>20))
		return false
	}
	m.used += int64(n)
	return true
}

// refund returns n bytes charged but not produced.
func (m *meter) refund(n int) {
	if m.err == nil && n > 0 {
		m.used -= int64(n)
	}
}

// chargeText accounts for n bytes of extracted text.
func (m *meter) chargeText(n int) bool {
	if m.err != nil {
		return false
	}
	if m.text += n; m.text > m.lim.Text {
		m.fail(limitError("more than %d MiB of text", m.lim.Text>>20))
		return false
	}
	return true
}

// ok reports whether work may go on: no limit reached and, checked every
// few hundred calls so the clock is cheap, time left.
func (m *meter) ok() bool {
	if m.err != nil {
		return false
	}
	if m.ticks++; m.ticks%256 == 0 && time.Now().After(m.deadline) {
		m.fail(limitError("reading took longer than %s", m.lim.Timeout))
		return false
	}
	return true
}

func (m *meter) fail(err error) {
	if m.err == nil {
		m.err = err
	}
}
