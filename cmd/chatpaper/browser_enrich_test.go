package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/chatpaper/chatpaper/crossref/crossreftest"
	"github.com/chatpaper/chatpaper/paper"
)

// TestBrowserRetractedFlag serves the demo paper enriched from the fake
// Crossref, in which reference [62]'s work is (fictionally) retracted,
// and checks in headless Chromium that the widget on a journal's page
// and the standalone page flag the citation, show the retraction in the
// popover, and put the notice under the answer.
func TestBrowserRetractedFlag(t *testing.T) {
	chromium := chromiumPath()
	if chromium == "" {
		t.Skip("chromium not installed (scripts/test.sh installs it with apt-get when run as root): browser test skipped")
	}
	fake := crossreftest.New(t)
	var chatBase string
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/article" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Journal of Radiation Research – article</title>
<style>body { font-family: Georgia, serif; margin: 0 auto; max-width: 860px; padding: 16px; background: #fbfaf7; }</style></head>
<body><h1>Exosome-mediated cellular crosstalk within the tumor microenvironment upon irradiation</h1>
<script src="%s/widget.js" data-paper="%s" data-lang="en_US" async></script></body></html>`, chatBase, paper.DemoID)
	}))
	defer host.Close()
	s := startServer(t, t.TempDir(), map[string]string{
		"CHATPAPER_ALLOWED_ORIGINS": host.URL, "CHATPAPER_ASK_RATE": "0",
		"CHATPAPER_CROSSREF_URL": fake.URL, "CHATPAPER_CROSSREF_MAILTO": "ops@journal.example",
	})
	chatBase = s.base
	waitRef(t, s.base, paper.DemoID, 62, func(r enrichedRef) bool { return r.Status == paper.StatusRetracted })

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(900, 1300),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	browserCtx, cancelCtx := chromedp.NewContext(allocCtx)
	defer cancelCtx()
	if err := chromedp.Do(browserCtx); err != nil {
		t.Fatalf("chromium at %s is installed but could not start: %v", chromium, err)
	}
	shot := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			if !*updateScreenshots {
				return nil
			}
			png, err := chromedp.FullScreenshot(100)(ctx, t)
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join("..", "..", "docs", "screenshots", name+".png"), png, 0o644)
		})
	}
	const question = "Which exosomal microRNA causes bystander DNA damage by targeting LIG4?"
	for _, where := range []struct {
		name, url, root string
	}{
		{"widget", host.URL + "/article", shadow},
		{"page", s.base + "/papers/" + paper.DemoID, `document.querySelector("#chatpaper")`},
	} {
		q := func(sel string) string { return where.root + `.querySelector(` + "`" + sel + "`" + `)` }
		text := func(sel string) string { return q(sel) + `.textContent` }
		steps := []chromedp.Action[chromedp.Void]{
			chromedp.Navigate(where.url),
			until("the box is ready", q(".cp-root")+`.getAttribute("data-cp-ws") === "open"`),
			chromedp.SendKeys(chromedp.JSPath(q("[data-testid=cp-question]")), question),
			pressEnter(),
			until("the answer cites [62], flagged as retracted", q(`[data-testid=cp-answer][data-status=done] [data-testid=cp-cite][data-ref="62"][data-status=retracted]`)),
			until("the citation's label says it is retracted", q(`[data-testid=cp-cite][data-ref="62"]`)+`.getAttribute("aria-label").includes("Retracted")`),
			until("the notice is under the answer", text(`[data-testid=cp-answer][data-status=done] [data-testid=cp-answer-notice]`)+`.startsWith("Note: [62] was retracted (2021-03-15)")`),
			until("the reference list flags [62]", q(`[data-testid=cp-answer] .cp-ref-list [data-testid=cp-ref-status][data-status=retracted]`)),
			chromedp.Click(chromedp.JSPath(q(`[data-testid=cp-answer][data-status=done] [data-testid=cp-cite][data-ref="62"]`))),
			until("the popover shows the retraction with its date and notice link",
				`!`+q("[data-testid=cp-ref-popover]")+`.hidden && `+text("[data-testid=cp-ref-popover] [data-testid=cp-ref-status]")+`.startsWith("Retracted 2021-03-15") && `+
					q(`[data-testid=cp-ref-popover] a[href="https://doi.org/10.5555/chatpaper.notice.062r"]`)),
		}
		if where.name == "widget" {
			steps = append(steps, shot("7-retracted-citation"))
		}
		ctx, cancel := context.WithTimeout(browserCtx, time.Minute)
		err := chromedp.Do(ctx, steps...)
		cancel()
		if err != nil {
			t.Fatalf("%s: %v\nserver log (tail):\n%s", where.name, err, tail(s.stderr.String(), 3000))
		}
	}
	if !strings.Contains(s.stderr.String(), "enriched references") {
		t.Errorf("the server log does not record the enrichment")
	}
}
