package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

var updateScreenshots = flag.Bool("update-screenshots", false, "write the browser test's screenshots to docs/screenshots")

// chromiumPath finds Debian's chromium (scripts/test.sh installs it).
func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// shadow is the widget's shadow root on the journal's page.
const shadow = `document.querySelector(".chatpaper-widget").shadowRoot`

// until polls a JavaScript condition until it holds or ctx ends; a
// throwing expression (the widget not there yet) counts as false.
func until(what, expr string) chromedp.Action[chromedp.Void] {
	js := `(() => { try { return !!(` + expr + `); } catch (e) { return false; } })()`
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for {
			ok, err := chromedp.Evaluate[bool](js)(ctx, t)
			if err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
			if ok {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("waiting until %s: %w", what, ctx.Err())
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
}

// TestBrowserWidget loads a journal page from another origin that embeds
// the widget with one script tag, and uses it as a reader would, in
// headless Chromium.
func TestBrowserWidget(t *testing.T) {
	t.Parallel()
	chromium := chromiumPath()
	if chromium == "" {
		t.Skip("chromium not installed (scripts/test.sh installs it with apt-get when run as root): browser test skipped")
	}

	// The journal's article page, on its own origin. Its CSS is hostile
	// on purpose, and its CSP is as strict as a journal's might be: the
	// widget must work under both.
	// chatBase is the open server; keyedBase one that requires a site key.
	var chatBase, keyedBase string
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paperID := map[string]string{"/article": "exosome-irradiation", "/article2": "test-paper", "/article3": "exosome-irradiation", "/article4": "pntd"}[r.URL.Path]
		if paperID == "" {
			http.NotFound(w, r)
			return
		}
		base, extra := chatBase, ""
		if r.URL.Path == "/article3" {
			base, extra = keyedBase, ` data-key="site-abc"`
		}
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self' "+chatBase+" "+keyedBase+
			"; connect-src 'self' "+chatBase+" "+keyedBase+" ws://"+strings.TrimPrefix(chatBase, "http://")+
			" ws://"+strings.TrimPrefix(keyedBase, "http://")+"; style-src 'self' 'unsafe-inline'")
		heading := "Exosomes from irradiated cells and the bystander effect"
		if r.URL.Path == "/article4" {
			heading = "Rift Valley fever virus in sheep and goats of Zambézia Province"
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Journal of Radiation Research – article</title>
<style>
  body { font-family: Georgia, serif; margin: 0 auto; max-width: 860px; padding: 16px; background: #fbfaf7; }
  button { display: none !important; } p { color: #c00 !important; font-size: 30px !important; }
  .cp-root { border: 10px solid red !important; }
</style></head>
<body>
<h1>%s</h1>
<div class="article-meta">Journal of Radiation Research · 2024</div>
<script src="%s/widget.js" data-paper="%s" data-lang="en_US"%s async></script>
</body></html>`, heading, base, paperID, extra)
	}))
	defer host.Close()

	s := startServer(t, t.TempDir(), map[string]string{"CHATPAPER_ALLOWED_ORIGINS": host.URL, "CHATPAPER_ASK_RATE": "0"})
	chatBase = s.base
	keyed := startServer(t, t.TempDir(), map[string]string{"CHATPAPER_ALLOWED_ORIGINS": host.URL, "CHATPAPER_SITE_KEYS": "site-abc"})
	keyedBase = keyed.base
	// A paper whose references have DOIs (the demo's have none).
	if resp := do(t, "POST", s.base+"/api/v1/papers", "application/json", testPaper, nil); resp.StatusCode != http.StatusCreated {
		t.Fatalf("ingest test paper: %d", resp.StatusCode)
	}
	// A JATS article with its full text.
	jatsXML, err := os.ReadFile("../../paper/jats/testdata/pntd.0002065.nxml")
	if err != nil {
		t.Fatal(err)
	}
	if resp := do(t, "POST", s.base+"/api/v1/papers?id=pntd", "application/xml", string(jatsXML), nil); resp.StatusCode != http.StatusCreated {
		t.Fatalf("ingest JATS article: %d", resp.StatusCode)
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(900, 1200),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	browserCtx, cancelCtx := chromedp.NewContext(allocCtx)
	defer cancelCtx()
	// The first Do starts the browser, and lives as long as its context:
	// no timeout on that one.
	if err := chromedp.Do(browserCtx); err != nil {
		t.Fatalf("chromium at %s is installed but could not start: %v", chromium, err)
	}
	ctx, cancel := context.WithTimeout(browserCtx, 2*time.Minute)
	defer cancel()

	var mu sync.Mutex
	var console []string
	go func() {
		for m, err := range chromedp.Console(browserCtx) {
			if err != nil {
				return
			}
			mu.Lock()
			console = append(console, m.String())
			mu.Unlock()
		}
	}()
	fail := func(step string, err error) {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("%s: %v\nbrowser console:\n%s\nserver log (tail):\n%s", step, err, strings.Join(console, "\n"), tail(s.stderr.String(), 3000))
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
	if *updateScreenshots {
		if err := os.MkdirAll(filepath.Join("..", "..", "docs", "screenshots"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	q := func(sel string) string { return shadow + `.querySelector(` + "`" + sel + "`" + `)` }
	node := func(sel string) chromedp.JSPath { return chromedp.JSPath(q(sel)) }
	eval := func(js string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](js)(ctx, t)
			return err
		})
	}
	text := func(sel string) string { return q(sel) + `.textContent` }

	steps := []struct {
		name    string
		actions []chromedp.Action[chromedp.Void]
	}{
		{"English summary", []chromedp.Action[chromedp.Void]{
			chromedp.Navigate(host.URL + "/article"),
			until("the summary is shown in English", text("[data-testid=cp-summary-heading]")+` === "Summary" && `+text("[data-testid=cp-summary-text]")+`.length > 80`),
			until("the websocket is open", q(".cp-root")+`.getAttribute("data-cp-ws") === "open"`),
			// The host page's "button { display: none !important }" and red
			// border do not reach into the shadow root.
			until("the page's CSS does not reach the widget", `getComputedStyle(`+q("[data-testid=cp-lang-toggle]")+`).display !== "none" && getComputedStyle(`+q(".cp-root")+`).borderLeftWidth !== "10px"`),
			shot("1-summary-en"),
		}},
		{"toggle to Chinese with the keyboard", []chromedp.Action[chromedp.Void]{
			chromedp.Focus(node("[data-testid=cp-lang-toggle]")),
			chromedp.KeyEvent(kb.Enter),
			until("the Chinese heading and summary are shown", text("[data-testid=cp-summary-heading]")+` === "文章概述" && /[\u4e00-\u9fff]/.test(`+text("[data-testid=cp-summary-text]")+`)`),
			until("the UI is in Chinese", text("[data-testid=cp-ask]")+`.includes("提问") && `+text("[data-testid=cp-lang-toggle]")+`.includes("Eng")`),
			shot("2-summary-zh"),
			chromedp.Click(node("[data-testid=cp-lang-toggle]")),
			until("back in English", text("[data-testid=cp-summary-heading]")+` === "Summary"`),
		}},
		{"ask and see the answer stream in", []chromedp.Action[chromedp.Void]{
			// Record every status each answer passes through.
			eval(`window.__cpStatuses = []; new MutationObserver(ms => { for (const m of ms) for (const n of [m.target, ...m.addedNodes]) if (n.nodeType === 1) for (const a of [n, ...n.querySelectorAll("[data-testid=cp-answer]")]) if (a.matches && a.matches("[data-testid=cp-answer]")) window.__cpStatuses.push(a.getAttribute("data-status")); }).observe(` + shadow + `, {subtree: true, childList: true, attributes: true, attributeFilter: ["data-status"]}); true`),
			// Typed, and sent with Enter as the hint under the box says.
			chromedp.SendKeys(node("[data-testid=cp-question]"), "How do exosomes from irradiated cells affect bystander cells?"),
			pressEnter(),
			until("the answer is done", q(`[data-testid=cp-answer][data-status=done]`)+` && `+q(`[data-testid=cp-answer][data-status=done] [data-testid=cp-cite]`)),
			until("the question box is empty again", q("[data-testid=cp-question]")+`.value === ""`),
			until("the answer was seen streaming before done", `window.__cpStatuses.includes("streaming") && window.__cpStatuses.indexOf("streaming") < window.__cpStatuses.lastIndexOf("done")`),
			shot("3-answer"),
		}},
		{"a citation reveals its reference", []chromedp.Action[chromedp.Void]{
			chromedp.Click(node(`[data-testid=cp-answer] [data-testid=cp-cite]`)),
			until("the reference popover is open with the reference text", `!`+q("[data-testid=cp-ref-popover]")+`.hidden && `+text("[data-testid=cp-ref-popover]")+`.length > 40`),
			shot("4-citation"),
			chromedp.KeyEvent(kb.Escape),
			until("Escape closes the popover", q("[data-testid=cp-ref-popover]")+`.hidden`),
		}},
		{"reload keeps the conversation", []chromedp.Action[chromedp.Void]{
			chromedp.Reload(),
			until("the question and answer are still there", text("[data-testid=cp-messages]")+`.includes("How do exosomes from irradiated cells affect bystander cells?") && `+q(`[data-testid=cp-answer][data-status=done] [data-testid=cp-cite]`)),
			shot("5-after-reload"),
		}},
		{"readable at 360 px", []chromedp.Action[chromedp.Void]{
			chromedp.EmulateViewport(360, 800),
			until("nothing overflows horizontally at 360 px", `document.documentElement.scrollWidth <= 360 && `+q(".cp-root")+`.getBoundingClientRect().width <= 360`),
			until("the answer region is polite live", `!!`+shadow+`.querySelector("[aria-live=polite]")`),
			shot("6-mobile-360"),
			chromedp.EmulateViewport(900, 1200),
		}},
		{"a cited reference with a DOI links to it", []chromedp.Action[chromedp.Void]{
			chromedp.Navigate(host.URL + "/article2"),
			until("the test paper's box is there", text("[data-testid=cp-summary-heading]")+` === "Summary" && `+q(".cp-root")+`.getAttribute("data-cp-ws") === "open"`),
			chromedp.SendKeys(node("[data-testid=cp-question]"), "Which work used satellite gravimetry on Greenland?"),
			pressEnter(),
			until("the answer cites [1]", q(`[data-testid=cp-answer][data-status=done] [data-testid=cp-cite][data-ref="1"]`)),
			chromedp.Click(node(`[data-testid=cp-answer][data-status=done] [data-testid=cp-cite][data-ref="1"]`)),
			until("the popover links the DOI", `!`+q("[data-testid=cp-ref-popover]")+`.hidden && `+q(`[data-testid=cp-ref-popover] a[href="https://doi.org/10.1000/grace"]`)),
		}},
	}
	steps = append(steps, struct {
		name    string
		actions []chromedp.Action[chromedp.Void]
	}{"an answer from the body shows its passage with the section and citations", []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(host.URL + "/article4"),
		until("the JATS article's box is there", text("[data-testid=cp-summary-heading]")+` === "Summary" && `+q(".cp-root")+`.getAttribute("data-cp-ws") === "open"`),
		chromedp.SendKeys(node("[data-testid=cp-question]"), "How was the virus neutralization test done with Vero cells?"),
		pressEnter(),
		until("the answer is labelled with the section it comes from", q(`[data-testid=cp-answer][data-status=done] [data-testid=cp-passage]`)+` && `+text(`[data-testid=cp-answer][data-status=done] [data-testid=cp-passage]`)+` === "from §Laboratory tests"`),
		until("the passage is closed at first", q(`[data-testid=cp-answer][data-status=done] [data-testid=cp-passage-text]`)+`.hidden`),
		chromedp.Click(node(`[data-testid=cp-answer][data-status=done] [data-testid=cp-passage]`)),
		until("the passage opens with its citations", `!`+q(`[data-testid=cp-answer][data-status=done] [data-testid=cp-passage-text]`)+`.hidden && `+
			q(`[data-testid=cp-answer][data-status=done] [data-testid=cp-passage-text] [data-testid=cp-cite][data-ref="21"]`)+` && `+
			q(`[data-testid=cp-answer][data-status=done] [data-testid=cp-passage]`)+`.getAttribute("aria-expanded") === "true"`),
		chromedp.Click(node(`[data-testid=cp-answer][data-status=done] [data-testid=cp-passage-text] [data-testid=cp-cite][data-ref="21"]`)),
		until("the passage's citation opens reference 21", `!`+q("[data-testid=cp-ref-popover]")+`.hidden && `+text("[data-testid=cp-ref-popover]")+`.includes("Paweska")`),
		shot("7-body-passage"),
		chromedp.KeyEvent(kb.Escape),
	}})
	steps = append(steps, struct {
		name    string
		actions []chromedp.Action[chromedp.Void]
	}{"a widget with data-key talks to a server that requires a site key", []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(host.URL + "/article3"),
		until("the summary is shown and the websocket opens with ?key=", text("[data-testid=cp-summary-heading]")+` === "Summary" && `+q(".cp-root")+`.getAttribute("data-cp-ws") === "open"`),
		chromedp.SendKeys(node("[data-testid=cp-question]"), "What does irradiation change in exosomes?"),
		pressEnter(),
		until("the answer is done", q(`[data-testid=cp-answer][data-status=done]`)),
	}})
	steps = append(steps, struct {
		name    string
		actions []chromedp.Action[chromedp.Void]
	}{"the standalone page works under its own CSP", []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(s.base + "/papers/exosome-irradiation"),
		until("the page shows the summary and opens the websocket",
			`document.querySelector("#chatpaper [data-testid=cp-summary-heading]").textContent.length > 0 && `+
				`document.querySelector("#chatpaper .cp-root").getAttribute("data-cp-ws") === "open"`),
	}})
	for _, st := range steps {
		// Each step gets 30 s: a broken step fails fast, with its name.
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := chromedp.Do(sctx, st.actions...)
		cancel()
		if err != nil {
			fail(st.name, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, m := range console {
		if strings.Contains(m, "Content Security Policy") {
			t.Errorf("CSP violation in the browser: %s", m)
		}
	}
}

// pressEnter presses Enter as a keyboard does: one keydown carrying the
// text, so a handler that prevents the keydown also prevents the newline.
// chromedp.KeyEvent sends a separate char event, which types a newline
// into a textarea even after the keydown was handled.
func pressEnter() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		down := input.DispatchKeyEventParams{Type: kb.KeyDown, Key: "Enter", Code: "Enter",
			WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13, Text: "\r", UnmodifiedText: "\r"}
		if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, down); err != nil {
			return err
		}
		up := input.DispatchKeyEventParams{Type: kb.KeyUp, Key: "Enter", Code: "Enter",
			WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13}
		_, err := cdp.Call(ctx, t, input.DispatchKeyEvent, up)
		return err
	})
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
