package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/chatpaper/chatpaper/config"
	"github.com/chatpaper/chatpaper/ingest"
)

// runIngest stores every paper in the files and folders given, in
// parallel, skipping papers stored unchanged, and reports failures per
// file at the end. It fails when any file failed.
func runIngest(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("ingest", stderr)
	fs.StringVar(&cfg.DataDir, "data", cfg.DataDir, "data folder (env CHATPAPER_DATA)")
	id := fs.String("id", "", "paper id, for a single file (default: the id in the file, the DOI, else the file name)")
	workers := fs.Int("j", runtime.GOMAXPROCS(0), "files parsed and embedded at once")
	mode := fs.String("progress", "auto", "progress display: auto (a bar on a terminal, lines otherwise), bar, lines or none")
	quiet := fs.Bool("q", false, "do not print a line per stored or unchanged file")
	dry := fs.Bool("n", false, "parse and check only; store nothing")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New("ingest: give one or more files or folders")
	}
	switch *mode {
	case "auto", "bar", "lines", "none":
	default:
		return fmt.Errorf("ingest: -progress %q must be auto, bar, lines or none", *mode)
	}
	items, err := ingest.Walk(fs.Args())
	if err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	if len(items) == 0 {
		return errors.New("ingest: no paper files found (looked for .json, .xml, .nxml, .jats, .pdf, .txt)")
	}
	if *id != "" {
		if len(items) != 1 {
			return fmt.Errorf("ingest: -id names one paper but %d files were given", len(items))
		}
		items[0].ID = *id
	}
	a, err := openApp(ctx, cfg, newLogger(cfg, stderr), false)
	if err != nil {
		return err
	}
	defer a.close()

	bar := newProgress(stderr, *mode, len(items), time.Now)
	opt := ingest.Options{Workers: *workers, Hashes: a.store, DryRun: *dry, Progress: func(done int, r ingest.Result) {
		bar.update(done)
		if !*quiet && r.Status != ingest.StatusFailed {
			bar.clear()
			body := ""
			if r.Passages > 0 {
				body = fmt.Sprintf(" and %d body passages", r.Passages)
			}
			fmt.Fprintf(stdout, "%s: %s %q with %d references%s (%s)\n", r.Name, r.Status, r.ID, r.References, body, r.Format)
		}
	}}
	start := time.Now()
	results := ingest.Run(ctx, items, a.papers, opt)
	bar.finish()
	elapsed := time.Since(start)

	ingested, unchanged, failed := ingest.Counts(results)
	verb := "ingested"
	if *dry {
		verb = "would ingest"
	}
	fmt.Fprintf(stdout, "%s %d, unchanged %d, failed %d of %d files in %s (%.1f files/s)\n",
		verb, ingested, unchanged, failed, len(results), elapsed.Round(time.Millisecond), float64(len(results))/elapsed.Seconds())
	if cfg.Crossref.Enabled() && ingested > 0 && !*dry {
		// Only a server enriches in the background; this process ends now.
		fmt.Fprintln(stdout, "run `chatpaper enrich` to link the new papers' references to the works they cite")
	}
	if failed == 0 {
		return nil
	}
	fmt.Fprintf(stderr, "failed files:\n")
	for _, r := range results {
		if r.Status == ingest.StatusFailed {
			fmt.Fprintf(stderr, "  %s: %v\n", r.Name, r.Err)
		}
	}
	return fmt.Errorf("ingest: %d of %d files failed", failed, len(results))
}

// progress shows how far a bulk ingest is: a bar redrawn in place on a
// terminal, or a plain line every tenth of the way otherwise.
type progress struct {
	label      string // the command, prefixed to plain lines
	w          io.Writer
	bar        bool
	quiet      bool
	total      int
	start      time.Time
	lastDraw   time.Time
	lastLine   int
	now        func() time.Time
	drawnWidth int
}

func newProgress(w io.Writer, mode string, total int, now func() time.Time) *progress {
	p := &progress{label: "ingest", w: w, total: total, now: now, start: now()}
	switch mode {
	case "bar":
		p.bar = true
	case "none":
		p.quiet = true
	case "auto":
		p.bar = isTerminal(w)
	}
	return p
}

// isTerminal reports whether w is a character device, such as a
// terminal, rather than a file or a pipe.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// status renders "done/total (pct) rate papers/s, ETA d".
func (p *progress) status(done int) string {
	el := p.now().Sub(p.start).Seconds()
	rate := 0.0
	if el > 0 {
		rate = float64(done) / el
	}
	eta := "?"
	if rate > 0 {
		eta = (time.Duration(float64(p.total-done) / rate * float64(time.Second))).Round(time.Second).String()
	}
	return fmt.Sprintf("%d/%d (%d%%) %.1f papers/s, ETA %s", done, p.total, done*100/max(p.total, 1), rate, eta)
}

func (p *progress) update(done int) {
	if p.quiet {
		return
	}
	if p.bar {
		// Redraw at most ten times a second, and always at the end.
		if t := p.now(); done == p.total || t.Sub(p.lastDraw) >= 100*time.Millisecond {
			p.lastDraw = t
			const width = 30
			fill := done * width / max(p.total, 1)
			line := fmt.Sprintf("\r[%s%s] %s", strings.Repeat("=", fill), strings.Repeat(" ", width-fill), p.status(done))
			pad := max(p.drawnWidth-len(line), 0)
			fmt.Fprint(p.w, line+strings.Repeat(" ", pad))
			p.drawnWidth = len(line)
		}
		return
	}
	step := max(p.total/10, 1)
	if done == p.total || done-p.lastLine >= step {
		p.lastLine = done
		fmt.Fprintf(p.w, "%s: %s\n", p.label, p.status(done))
	}
}

// clear removes the bar so a line can be printed in its place.
func (p *progress) clear() {
	if p.bar && p.drawnWidth > 0 {
		fmt.Fprint(p.w, "\r"+strings.Repeat(" ", p.drawnWidth)+"\r")
		p.drawnWidth = 0
	}
}

func (p *progress) finish() {
	if p.bar && p.drawnWidth > 0 {
		fmt.Fprintln(p.w)
	}
}
