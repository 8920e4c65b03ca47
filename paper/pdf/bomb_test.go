package pdf_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/paper/pdf"
)

// rawPDF writes a PDF of the given objects, numbered from 1; object 1
// must be the catalog.
func rawPDF(objs []string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	for i, o := range objs {
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	b.WriteString("trailer\n<< /Root 1 0 R >>\n%%EOF\n")
	return b.Bytes()
}

func rawStream(dict string, body []byte) string {
	return fmt.Sprintf("<< %s /Length %d >>\nstream\n%s\nendstream", dict, len(body), body)
}

// repeatedStream is one page whose /Contents array names the same
// unfiltered stream of size bytes n times.
func repeatedStream(n, size int) []byte {
	refs := strings.Repeat("4 0 R ", n)
	body := append([]byte("BT ET\n"), bytes.Repeat([]byte(" "), max(size-6, 0))...)
	return rawPDF([]string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /Contents [" + refs + "] >>",
		rawStream("", body),
	})
}

// repeatedPages is pages pages, each naming a 4 KiB stream perPage
// times: every page stays under the /Contents cap, the document does not
// stay under the byte budget.
func repeatedPages(pages, perPage int) []byte {
	objs := []string{"<< /Type /Catalog /Pages 2 0 R >>", ""}
	refs := strings.Repeat("3 0 R ", perPage)
	objs = append(objs, rawStream("", append([]byte("BT ET\n"), bytes.Repeat([]byte(" "), 4<<10-6)...)))
	var kids strings.Builder
	for i := 0; i < pages; i++ {
		fmt.Fprintf(&kids, "%d 0 R ", len(objs)+1)
		objs = append(objs, "<< /Type /Page /Parent 2 0 R /Contents ["+refs+"] >>")
	}
	objs[1] = fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", kids.String(), pages)
	return rawPDF(objs)
}

// overCap is 64 MiB and 4 KiB of zeros, zlib-compressed (65 KB): one
// stream just over the byte budget. It is a file because compressing it
// takes seconds under the race detector.
var overCap = sync.OnceValue(func() []byte {
	b, err := os.ReadFile("testdata/zeros-64MiB-4KiB.zlib")
	if err != nil {
		panic(err)
	}
	return b
})

// flateOverCap is n Flate streams (distinct objects) each inflating to
// just over the 64 MiB budget, all on one page.
func flateOverCap(n int) []byte {
	objs := []string{"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>", ""}
	var refs strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&refs, "%d 0 R ", len(objs)+1)
		objs = append(objs, rawStream("/Filter /FlateDecode", overCap()))
	}
	objs[2] = "<< /Type /Page /Parent 2 0 R /Contents [" + refs.String() + "] >>"
	return rawPDF(objs)
}

// selfForm is a page drawing a form that draws itself twice: without a
// budget the work doubles with every level of nesting allowed.
func selfForm() []byte {
	form := []byte(strings.Repeat(" ", 1<<20) + "/X Do /X Do")
	return rawPDF([]string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /Resources 5 0 R /Contents 4 0 R >>",
		rawStream("", []byte("/X Do")),
		"<< /XObject << /X 6 0 R >> >>",
		rawStream("/Type /XObject /Subtype /Form /Resources 5 0 R", form),
	})
}

type bomb struct {
	name string
	make func() []byte
	want string // in the error message
}

var bombs = []bomb{
	{"600000 refs to one 16 KiB unfiltered stream", func() []byte { return repeatedStream(600_000, 16<<10) }, "/Contents has 600000 streams"},
	{"600000 refs to one 4 KiB stream", func() []byte { return repeatedStream(600_000, 4<<10) }, "/Contents has 600000 streams"},
	{"4 KiB stream repeated under the contents cap", func() []byte { return repeatedPages(8, 4000) }, "more than 64 MiB would be decoded"},
	{"58 Flate streams just over the cap", func() []byte { return flateOverCap(58) }, "more than 64 MiB would be decoded"},
	{"form drawing itself", selfForm, "more than 64 MiB would be decoded"},
	{"too many objects", func() []byte {
		return []byte("%PDF-1.4\n" + strings.Repeat("1 0 obj null\n", pdf.DefaultLimits.Objects+1))
	}, "more than 200000 objects"},
}

const bombChildEnv = "CHATPAPER_PDF_BOMB_CHILD"

// TestBombs reads each hostile shape in a child process of its own (this
// test binary run again) and asserts two things: the shape stops at the
// first limit it reaches with an error that is bad input (a 400) and
// says which limit, and the child's peak resident memory, as the kernel
// reports it in the child's rusage, stays under maxBombRSS.
func TestBombs(t *testing.T) {
	if v := os.Getenv(bombChildEnv); v != "" {
		i, _ := strconv.Atoi(v)
		b := bombs[i]
		data := b.make()
		if len(data) > 4<<20 {
			t.Fatalf("bomb is %d bytes, more than the 4 MiB upload limit", len(data))
		}
		// The wall-clock bound has its own test (TestTextLimits); here it
		// is lifted so that on a slow or busy machine each shape still
		// meets the limit it is about.
		lim := pdf.DefaultLimits
		lim.Timeout = time.Hour
		_, err := pdf.TextLimits(data, lim)
		if !errors.Is(err, paper.ErrInvalid) || !errors.Is(err, pdf.ErrLimit) {
			t.Fatalf("err = %v, want one matching paper.ErrInvalid and pdf.ErrLimit", err)
		}
		if !strings.Contains(err.Error(), b.want) {
			t.Fatalf("err = %q, want it to say %q", err, b.want)
		}
		return
	}
	for i, b := range bombs {
		t.Run(b.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestBombs$", "-test.count=1")
			cmd.Env = append(os.Environ(), bombChildEnv+"="+strconv.Itoa(i))
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("child: %v\n%s", err, out)
			}
			ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
			if !ok {
				t.Skip("no rusage on this platform")
			}
			rss := int64(ru.Maxrss) << 10 // KiB on Linux
			t.Logf("peak RSS %d MiB (bound %d MiB)", rss>>20, maxBombRSS>>20)
			if rss > maxBombRSS {
				t.Errorf("peak RSS %d MiB exceeds %d MiB", rss>>20, maxBombRSS>>20)
			}
		})
	}
}

func TestTextLimits(t *testing.T) {
	t.Parallel()
	lim := pdf.DefaultLimits
	lim.Bytes = 1 << 40
	lim.Timeout = time.Millisecond
	if _, err := pdf.TextLimits(flateOverCap(58), lim); !errors.Is(err, pdf.ErrLimit) || !strings.Contains(err.Error(), "took longer than 1ms") {
		t.Errorf("timeout: err = %v, want the time limit", err)
	}
	lim = pdf.DefaultLimits
	lim.Text = 10
	if _, err := pdf.TextLimits(objStmPDF(), lim); !errors.Is(err, pdf.ErrLimit) || !strings.Contains(err.Error(), "of text") {
		t.Errorf("text: err = %v, want the text limit", err)
	}
	// A normal file is well within every limit.
	if _, err := pdf.TextLimits(objStmPDF(), pdf.DefaultLimits); err != nil {
		t.Errorf("normal file: %v", err)
	}
}
