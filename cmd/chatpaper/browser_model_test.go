package main

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/chatpaper/chatpaper/llm/llmtest"
)

// TestBrowserModelNotes: in model mode the chat page shows what an
// answer waits for (the status stages) and marks an answer the model's
// length limit cut.
func TestBrowserModelNotes(t *testing.T) {
	chromium := chromiumPath()
	if chromium == "" {
		t.Skip("chromium not installed (scripts/test.sh installs it with apt-get when run as root): browser test skipped")
	}
	fake := llmtest.NewServer()
	defer fake.Close()
	release := make(chan struct{})
	var once sync.Once
	long := llmtest.Split(strings.Repeat("Satellite gravimetry measures the mass of the ice sheet [1]. ", 8))
	fake.SetChatFn(func(r llmtest.ChatRequest) *llmtest.Reply {
		if r.Task() != "answer" {
			return nil
		}
		// The model takes its time: the page says what it waits for.
		<-release
		return &llmtest.Reply{Tokens: long}
	})
	s := startServer(t, t.TempDir(), modelEnv(fake, "CHATPAPER_LLM_MAX_TOKENS", "16", "CHATPAPER_ASK_RATE", "0"))
	defer s.stop(t)
	defer once.Do(func() { close(release) })
	if resp := do(t, "POST", s.base+"/api/v1/papers", "application/json", testPaper, nil); resp.StatusCode != 201 {
		t.Fatalf("ingest: %d", resp.StatusCode)
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(900, 1200),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	browserCtx, cancelCtx := chromedp.NewContext(allocCtx)
	defer cancelCtx()
	if err := chromedp.Do(browserCtx); err != nil {
		t.Fatalf("chromium at %s is installed but could not start: %v", chromium, err)
	}
	ctx, cancel := context.WithTimeout(browserCtx, time.Minute)
	defer cancel()
	q := func(sel string) string { return `document.querySelector("#chatpaper ` + sel + `")` }
	releaseModel := chromedp.Func(func(context.Context, *chromedp.Target) error {
		once.Do(func() { close(release) })
		return nil
	})
	err := chromedp.Do(ctx,
		chromedp.Navigate(s.base+"/papers/test-paper"),
		until("the websocket is open", q(".cp-root")+`.getAttribute("data-cp-ws") === "open"`),
		chromedp.SendKeys(chromedp.JSPath(q("[data-testid=cp-question]")), "How does satellite gravimetry measure Greenland ice mass loss?"),
		pressEnter(),
		until("the page says the model is writing", q(`[data-testid=cp-thinking][data-stage=writing]`)+` && `+
			q(`[data-testid=cp-thinking]`)+`.textContent.includes("Writing the answer")`),
		releaseModel,
		until("the answer is done and marked cut short", q(`[data-testid=cp-answer][data-status=done] [data-testid=cp-truncated]`)+` && `+
			q(`[data-testid=cp-truncated]`)+`.textContent.includes("length limit")`),
	)
	if err != nil {
		t.Fatalf("%v\nserver log (tail):\n%s", err, tail(s.stderr.String(), 3000))
	}
}
