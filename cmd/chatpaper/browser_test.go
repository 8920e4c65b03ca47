package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/chatpaper/chatpaper/llm/llmtest"
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
	// modelBase is a model-mode server (loopback fake model) reached
	// through a proxy the test can cut.
	var chatBase, keyedBase, modelBase string
	journal := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paperID := map[string]string{"/article": "exosome-irradiation", "/article2": "test-paper", "/article3": "exosome-irradiation",
			"/article-model": "exosome-irradiation", "/article4": "pntd"}[r.URL.Path]
		if paperID == "" {
			http.NotFound(w, r)
			return
		}
		base, extra := chatBase, ""
		switch r.URL.Path {
		case "/article3":
			base, extra = keyedBase, ` data-key="site-abc"`
		case "/article-model":
			base = modelBase
		}
		bases := []string{chatBase, keyedBase, modelBase}
		var connect []string
		for _, b := range bases {
			connect = append(connect, b, "ws://"+strings.TrimPrefix(b, "http://"))
		}
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self' "+strings.Join(bases, " ")+
			"; connect-src 'self' "+strings.Join(connect, " ")+"; style-src 'self' 'unsafe-inline'")
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
	})
	host := httptest.NewServer(journal)
	defer host.Close()
	// Another journal, whose origin the servers do not allow.
	refused := httptest.NewServer(journal)
	defer refused.Close()

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

	// Model mode: the fake model answers in Markdown with raw HTML in it,
	// slowly enough to watch it stream; after slowNext is set, the next
	// answer is slower still, so the test can cut its connection mid-answer.
	fake := llmtest.NewServer()
	defer fake.Close()
	var slowNext atomic.Bool
	fake.SetChatFn(func(r llmtest.ChatRequest) *llmtest.Reply {
		if r.Task() != "answer" {
			return nil
		}
		rep := fake.DefaultReply(r)
		md := llmtest.Split("**Bold finding:** the paper says so [1].\n\n- first point\n- second point with `code`\n\n")
		tail := llmtest.Split("\n\n<img src=x onerror=\"window.__cpXSS=1\"> <script>window.__cpXSS=2</script> [bad](javascript:window.__cpXSS=3) and [a link](https://example.org/).")
		rep.Tokens = append(append(md, rep.Tokens...), tail...)
		rep.TokenDelay = 15 * time.Millisecond
		if slowNext.CompareAndSwap(true, false) {
			rep.TokenDelay = 400 * time.Millisecond
		}
		return rep
	})
	ms := startServer(t, t.TempDir(), modelEnv(fake, "CHATPAPER_ALLOWED_ORIGINS", host.URL, "CHATPAPER_ASK_RATE", "0"))
	px := newCutProxy(t, strings.TrimPrefix(ms.base, "http://"))
	modelBase = "http://" + px.addr

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
		// What the reader saw, to tell a wrong page from a slow one.
		dctx, dcancel := context.WithTimeout(browserCtx, 5*time.Second)
		seen, _ := chromedp.Evaluate[string](`(() => { try { const r = `+shadow+`; return JSON.stringify({ih0: window.__ih, y: scrollY, ih: innerHeight, sh: document.documentElement.scrollHeight, ws: r.querySelector(".cp-root").getAttribute("data-cp-ws"), box: r.querySelector("[data-testid=cp-question]").value, sum: r.querySelector("[data-testid=cp-summary]").innerText.slice(0, 300), tops: Array.from(r.querySelectorAll(".cp-msg--user")).map(e => e.getBoundingClientRect().top)}) + Array.from(r.querySelectorAll("[data-testid=cp-answer]")).map(a => a.getAttribute("data-status") + "/" + a.getAttribute("data-answerable") + ": " + a.querySelector(".cp-answer-text").textContent.slice(0, 200)).join("\n"); } catch (e) { return document.body.innerText.slice(0, 3000); } })()`)(dctx, chromedp.FromContext(dctx).Target)
		dcancel()
		t.Logf("page at failure: %s", seen)
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("%s: %v\nbrowser console:\n%s\nserver log (tail):\n%s\nmodel-mode server log (tail):\n%s", step, err, strings.Join(console, "\n"), tail(s.stderr.String(), 3000), tail(ms.stderr.String(), 3000))
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
	// last is the last element matching sel in the widget: the newest answer.
	last := func(sel string) string {
		return `Array.from(` + shadow + `.querySelectorAll(` + "`" + sel + "`" + `)).pop()`
	}
	click := func(what, expr string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			ok, err := chromedp.Evaluate[bool](`(() => { const el = `+expr+`; if (!el) return false; el.click(); return true; })()`)(ctx, t)
			if err == nil && !ok {
				err = fmt.Errorf("nothing to click")
			}
			if err != nil {
				return fmt.Errorf("click %s: %w", what, err)
			}
			return nil
		})
	}
	consoleHas := func(what, sub string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			for {
				mu.Lock()
				found := strings.Contains(strings.Join(console, "\n"), sub)
				mu.Unlock()
				if found {
					return nil
				}
				select {
				case <-ctx.Done():
					return fmt.Errorf("waiting for the console to show %s: %w", what, ctx.Err())
				case <-time.After(100 * time.Millisecond):
				}
			}
		})
	}

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
			until("suggested questions are shown in English", q("[data-testid=cp-suggestions]")+`.hidden === false && `+
				shadow+`.querySelectorAll("[data-testid=cp-suggestion]").length >= 3 && !/[\u4e00-\u9fff]/.test(`+text("[data-testid=cp-suggestions]")+`)`),
			until("the authors are in the header", text("[data-testid=cp-authors]")+`.length > 3`),
			until("the reference list is there, collapsed", q("[data-testid=cp-references]")+`.hidden === false && !`+q("[data-testid=cp-references]")+`.open`),
			shot("1-summary-en"),
		}},
		{"a suggested question is asked by clicking it", []chromedp.Action[chromedp.Void]{
			eval(`window.__cpSuggested = ` + q("[data-testid=cp-suggestion]") + `.textContent; true`),
			click("the first suggestion", q("[data-testid=cp-suggestion]")),
			until("the suggestion was asked and answered", last(".cp-msg--user")+`.textContent.includes(window.__cpSuggested) && `+
				last("[data-testid=cp-answer]")+`.getAttribute("data-status") === "done"`),
			until("the suggestions give way to the conversation", `!`+q("[data-testid=cp-suggestions]")),
		}},
		{"toggle to Chinese with the keyboard", []chromedp.Action[chromedp.Void]{
			chromedp.Focus(node("[data-testid=cp-lang-toggle]")),
			chromedp.KeyEvent(kb.Enter),
			// The demo paper has no Chinese abstract: offline, the 中 view says
			// so in Chinese above the English summary.
			until("the Chinese heading and notice are shown", text("[data-testid=cp-summary-heading]")+` === "文章概述" && /[\u4e00-\u9fff]/.test(`+text("[data-testid=cp-summary-notice]")+`) && `+
				text("[data-testid=cp-summary-text]")+`.length > 80`),
			until("the UI is in Chinese", text("[data-testid=cp-ask]")+`.includes("提问") && `+text("[data-testid=cp-lang-toggle]")+`.includes("Eng")`),
			shot("2-summary-zh"),
			// The suggestions come back in Chinese once the chat is cleared.
			click("clear chat", q(".cp-clear")),
			until("suggested questions are shown in Chinese", shadow+`.querySelectorAll("[data-testid=cp-suggestion]").length >= 3 && `+
				`Array.from(`+shadow+`.querySelectorAll("[data-testid=cp-suggestion]")).every(b => /[\u4e00-\u9fff]/.test(b.textContent))`),
			shot("2b-suggestions-zh"),
			eval(`window.__cpSuggested = ` + q("[data-testid=cp-suggestion]") + `.textContent; true`),
			click("the first Chinese suggestion", q("[data-testid=cp-suggestion]")),
			until("the Chinese suggestion was asked and answered", last(".cp-msg--user")+`.textContent.includes(window.__cpSuggested) && `+
				last("[data-testid=cp-answer]")+`.getAttribute("data-status") === "done"`),
			chromedp.Click(node("[data-testid=cp-lang-toggle]")),
			until("back in English", text("[data-testid=cp-summary-heading]")+` === "Summary"`),
		}},
		{"ask and see the answer stream in", []chromedp.Action[chromedp.Void]{
			// Record every status each answer passes through.
			eval(`window.__cpStatuses = []; new MutationObserver(ms => { for (const m of ms) for (const n of [m.target, ...m.addedNodes]) if (n.nodeType === 1) for (const a of [n, ...n.querySelectorAll("[data-testid=cp-answer]")]) if (a.matches && a.matches("[data-testid=cp-answer]")) window.__cpStatuses.push(a.getAttribute("data-status")); }).observe(` + shadow + `, {subtree: true, childList: true, attributes: true, attributeFilter: ["data-status"]}); true`),
			// Typed, and sent with Enter as the hint under the box says.
			chromedp.SendKeys(node("[data-testid=cp-question]"), "How do exosomes from irradiated cells affect bystander cells?"),
			pressEnter(),
			until("the answer is done", last(".cp-msg--user")+`.textContent.includes("bystander cells") && `+
				last("[data-testid=cp-answer]")+`.getAttribute("data-status") === "done" && `+last("[data-testid=cp-answer]")+`.querySelector("[data-testid=cp-cite]")`),
			until("the question box is empty again", q("[data-testid=cp-question]")+`.value === ""`),
			until("the answer was seen streaming before done", `window.__cpStatuses.includes("streaming") && window.__cpStatuses.indexOf("streaming") < window.__cpStatuses.lastIndexOf("done")`),
			until("the answer is footed as a quotation", last("[data-testid=cp-answer]")+`.querySelector(".cp-answer-meta").textContent === "Quoted from the paper"`),
			shot("3-answer"),
		}},
		{"sources under an answer, collapsed until asked for", []chromedp.Action[chromedp.Void]{
			until("the sources are there and collapsed", last("[data-testid=cp-answer]")+`.querySelector("[data-testid=cp-sources]") && !`+
				last("[data-testid=cp-answer]")+`.querySelector("[data-testid=cp-sources]").open`),
			click("the sources", last("[data-testid=cp-answer]")+`.querySelector("[data-testid=cp-sources] summary")`),
			until("the sources show passages with their kind", last("[data-testid=cp-answer]")+`.querySelector("[data-testid=cp-sources]").open && `+
				last("[data-testid=cp-answer]")+`.querySelectorAll("[data-testid=cp-source] .cp-source-kind").length >= 1 && `+
				last("[data-testid=cp-answer]")+`.querySelector("[data-testid=cp-source] .cp-source-text").textContent.length > 20 && !`+
				last("[data-testid=cp-answer]")+`.querySelector("[data-testid=cp-not-relevant]")`),
			shot("7-sources"),
		}},
		{"copy an answer with its references", []chromedp.Action[chromedp.Void]{
			eval(`Object.defineProperty(navigator, "clipboard", {configurable: true, value: {writeText: t => { window.__cpCopied = t; return Promise.resolve(); }}}); true`),
			click("copy", last("[data-testid=cp-copy]")),
			until("the answer and its references were copied", `typeof window.__cpCopied === "string" && window.__cpCopied.includes("\n\nReferences:\n[") && `+
				`window.__cpCopied.startsWith(`+last("[data-testid=cp-answer]")+`.querySelector(".cp-answer-text").textContent.slice(0, 15)) && `+
				last("[data-testid=cp-copy]")+`.textContent === "Copied"`),
		}},
		{"thumbs down with a note", []chromedp.Action[chromedp.Void]{
			click("thumbs down", last("[data-testid=cp-rate-down]")),
			until("the note box opens", last("[data-testid=cp-rate-down]")+`.getAttribute("aria-pressed") === "true" && `+q("[data-testid=cp-feedback-note]")),
			chromedp.SendKeys(node("[data-testid=cp-feedback-note]"), "The dose is missing"),
			click("send the note", q("[data-testid=cp-feedback-send]")),
			until("the feedback was sent", text("[data-testid=cp-feedback-status]")+` === "Thanks for your feedback."`),
			shot("8-feedback"),
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
			chromedp.KeyEvent(kb.Escape),
			click("the reference list", q("[data-testid=cp-references] summary")),
			until("the reference list is browsable with DOI links", q("[data-testid=cp-references]")+`.open && `+
				shadow+`.querySelectorAll("[data-testid=cp-references] li").length === 3 && `+q(`[data-testid=cp-references] a[href="https://doi.org/10.1000/grace"]`)),
		}},
		{"a refusal shows the closest passages, not judged relevant", []chromedp.Action[chromedp.Void]{
			chromedp.SendKeys(node("[data-testid=cp-question]"), "What is the boiling point of liquid nitrogen?"),
			pressEnter(),
			until("the refusal is done", last(".cp-msg--user")+`.textContent.includes("liquid nitrogen") && `+last("[data-testid=cp-answer]")+`.getAttribute("data-answerable") === "false"`),
			until("the refusal is not footed as a quotation", `!`+last("[data-testid=cp-answer]")+`.querySelector(".cp-answer-meta")`),
			click("the closest passages", last("[data-testid=cp-answer]")+`.querySelector("[data-testid=cp-sources] summary")`),
			until("each passage is marked not judged relevant", last("[data-testid=cp-answer]")+`.querySelector("[data-testid=cp-sources]").open && `+
				last("[data-testid=cp-answer]")+`.querySelector(".cp-sources-title").textContent.startsWith("Closest passages") && `+
				last("[data-testid=cp-answer]")+`.querySelectorAll("[data-testid=cp-source]").length > 0 && `+
				last("[data-testid=cp-answer]")+`.querySelectorAll("[data-testid=cp-source]").length === `+last("[data-testid=cp-answer]")+`.querySelectorAll("[data-testid=cp-not-relevant]").length`),
			shot("9-refusal-sources"),
		}},
		{"an honest Chinese summary without a Chinese abstract", []chromedp.Action[chromedp.Void]{
			click("中", q("[data-testid=cp-lang-toggle]")),
			until("the notice says what a Chinese summary needs, the English text is labelled English",
				text("[data-testid=cp-summary-notice]")+`.includes("中文摘要") && `+text("[data-testid=cp-summary-notice]")+`.includes("语言模型") && !`+
					q("[data-testid=cp-summary-notice]")+`.hidden && `+text("[data-testid=cp-summary-textlang]")+` === "英文" && `+
					q("[data-testid=cp-summary-text]")+`.getAttribute("lang") === "en" && !/[\u4e00-\u9fff]/.test(`+text("[data-testid=cp-summary-text]")+`)`),
			shot("10-summary-zh-notice"),
			click("Eng", q("[data-testid=cp-lang-toggle]")),
			until("back in English", text("[data-testid=cp-summary-heading]")+` === "Summary"`),
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
	type step = struct {
		name    string
		actions []chromedp.Action[chromedp.Void]
	}
	const slowQuestion = "How do exosomes change after irradiation?"
	steps = append(steps,
		step{"the feedback is in the questions report", []chromedp.Action[chromedp.Void]{
			chromedp.Navigate(s.base + "/admin/questions"),
			// The page holds no data: it reads the report with the admin key
			// the editor types (the one serve generated in its data folder).
			eval(`document.querySelector("#key").value = "` + s.adminKey + `"; document.querySelector("#report-form").requestSubmit(); true`),
			until("the thumbs-down and its note are listed", `document.querySelector("#down").textContent.includes("The dose is missing") && `+
				`document.querySelector("#down").textContent.includes("bystander cells") && document.querySelector("#refused").textContent.includes("liquid nitrogen")`),
			shot("11-questions-report"),
		}},
		step{"a model answer streams as Markdown, citations before done, no raw HTML", []chromedp.Action[chromedp.Void]{
			chromedp.Navigate(host.URL + "/article-model"),
			until("the model-mode box is ready", text("[data-testid=cp-summary-heading]")+` === "Summary" && `+q(".cp-root")+`.getAttribute("data-cp-ws") === "open"`),
			// The same paper was discussed on the offline server in this tab.
			eval(`(() => { const c = ` + q(".cp-clear") + `; if (c && !c.hidden) c.click(); return true; })()`),
			eval(`window.__cpCiteStreaming = false; new MutationObserver(() => { if (` + shadow + `.querySelector("[data-testid=cp-answer][data-status=streaming] [data-testid=cp-cite]")) window.__cpCiteStreaming = true; }).observe(` + shadow + `, {subtree: true, childList: true, attributes: true}); true`),
			chromedp.SendKeys(node("[data-testid=cp-question]"), "How do exosomes change after irradiation?"),
			pressEnter(),
			until("the model answer is done", last("[data-testid=cp-answer]")+`.getAttribute("data-status") === "done"`),
			until("a citation was a button while the answer streamed", `window.__cpCiteStreaming === true`),
			until("the Markdown is rendered", last("[data-testid=cp-answer]")+`.querySelector(".cp-answer-text strong").textContent === "Bold finding:" && `+
				last("[data-testid=cp-answer]")+`.querySelectorAll(".cp-answer-text ul > li").length === 2 && `+
				last("[data-testid=cp-answer]")+`.querySelector(".cp-answer-text li code").textContent === "code" && `+
				last("[data-testid=cp-answer]")+`.querySelector(".cp-answer-meta").textContent === "AI answer based on the paper"`),
			until("raw HTML stays text and runs nothing", `window.__cpXSS === undefined && !`+shadow+`.querySelector(".cp-answer-text img, .cp-answer-text script, .cp-answer-text [onerror]") && `+
				last("[data-testid=cp-answer]")+`.querySelector(".cp-answer-text").textContent.includes("<img src=x") && !`+
				shadow+`.querySelector(".cp-answer-text a[href^=javascript]") && `+shadow+`.querySelector('.cp-answer-text a[href="https://example.org/"]')`),
			shot("12-model-markdown"),
		}},
		step{"retry after a dropped connection", []chromedp.Action[chromedp.Void]{
			chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error { slowNext.Store(true); return nil }),
			chromedp.SendKeys(node("[data-testid=cp-question]"), slowQuestion),
			pressEnter(),
			until("the slow answer is streaming", last("[data-testid=cp-answer]")+`.getAttribute("data-status") === "streaming" && `+
				last("[data-testid=cp-answer]")+`.querySelector(".cp-answer-text").textContent.includes("Bold")`),
			chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error { px.cut(); return nil }),
			until("the reader is told the connection was lost, the question is back in the box, and Retry is offered",
				last("[data-testid=cp-error]")+`.getAttribute("data-code") === "connection_lost" && `+q("[data-testid=cp-question]")+`.value === "`+slowQuestion+`" && `+
					last("[data-testid=cp-error]")+`.querySelector("[data-testid=cp-retry]")`),
			shot("13-connection-lost"),
			until("the websocket reconnects", q(".cp-root")+`.getAttribute("data-cp-ws") === "open"`),
			click("retry", last("[data-testid=cp-error]")+`.querySelector("[data-testid=cp-retry]")`),
			until("the retried question is answered", last("[data-testid=cp-answer]")+`.getAttribute("data-status") === "done" && `+
				last(".cp-msg--user")+`.textContent.includes("`+slowQuestion+`") && !`+shadow+`.querySelector("[data-testid=cp-error]")`),
		}},
		step{"collapsed summary and one scroll on mobile; a new answer is read from its start", []chromedp.Action[chromedp.Void]{
			chromedp.EmulateViewport(375, 800),
			chromedp.Navigate(host.URL + "/article2"),
			until("the summary starts collapsed", text("[data-testid=cp-summary-heading]")+` === "Summary" && `+q("[data-testid=cp-summary-body]")+`.hidden && `+
				q("[data-testid=cp-summary-toggle]")+`.getAttribute("aria-expanded") === "false" && `+q(".cp-root")+`.getAttribute("data-cp-ws") === "open"`),
			until("the chat does not scroll in a box of its own", `getComputedStyle(`+q("[data-testid=cp-messages]")+`).overflowY === "visible"`),
			eval(`window.__ih = [innerHeight, innerWidth, scrollY]; true`),
			chromedp.SendKeys(node("[data-testid=cp-question]"), "What causes Antarctic ice shelf collapse?"),
			pressEnter(),
			until("the answer is done", last("[data-testid=cp-answer]")+`.getAttribute("data-status") === "done"`),
			until("the new question and answer start in view", `(() => { const r = `+last(".cp-msg--user")+`.getBoundingClientRect(); return r.top >= -1 && r.top < innerHeight / 2; })()`),
			shot("14-mobile-collapsed"),
			click("show summary", q("[data-testid=cp-summary-toggle]")),
			until("the summary opens", `!`+q("[data-testid=cp-summary-body]")+`.hidden && `+q("[data-testid=cp-summary-toggle]")+`.getAttribute("aria-expanded") === "true"`),
			chromedp.EmulateViewport(900, 1200),
		}},
		step{"dark mode follows prefers-color-scheme", []chromedp.Action[chromedp.Void]{
			colorScheme("dark"),
			chromedp.Navigate(host.URL + "/article2"),
			until("the box is dark", `(() => { const m = getComputedStyle(`+q(".cp-root")+`).backgroundColor.match(/\d+/g).map(Number); return m[0] + m[1] + m[2] < 150; })() && `+
				text("[data-testid=cp-summary-heading]")+` === "Summary"`),
			shot("16-dark"),
			colorScheme(""),
		}},
		step{"the widget on a refused origin says so", []chromedp.Action[chromedp.Void]{
			chromedp.Navigate(refused.URL + "/article"),
			until("the reader sees the chat is unavailable on this site", text("[data-testid=cp-paper-title]")+` === "The chat is not available on this site."`),
			until("nothing tells the reader to check the network", `!`+text("[data-testid=cp-messages]")+`.includes("connection") && `+q("[data-testid=cp-question]")+`.disabled`),
			consoleHas("the cause and the setting", "CHATPAPER_ALLOWED_ORIGINS"),
			shot("15-refused-origin"),
		}},
	)
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

// colorScheme emulates prefers-color-scheme ("" ends the emulation).
func colorScheme(v string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: v}}})
		return err
	})
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

// cutProxy forwards loopback TCP connections to a server; cut drops the
// connections open at the time, as a network failure does, while new
// ones still get through.
type cutProxy struct {
	addr  string
	mu    sync.Mutex
	conns []net.Conn
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{addr: ln.Addr().String()}
	t.Cleanup(func() { ln.Close(); p.cut() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { io.Copy(up, c); up.Close() }()
			go func() { io.Copy(c, up); c.Close() }()
		}
	}()
	return p
}

func (p *cutProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}
