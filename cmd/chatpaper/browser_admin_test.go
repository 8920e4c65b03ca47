package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserCrossSiteAdmin opens, in headless Chromium on the server's
// machine, a page on another origin that tries to ingest papers through
// fetch: a text/plain page-text body, a multipart batch and a JSON
// paper, with and without CORS. It also plays DNS rebinding: a page whose
// own host name (evil.test) resolves to 127.0.0.1 posts JSON to its
// "own" origin, which is the server. Every attempt fails, against a
// server with keyless admin (loopback only) and one with the generated
// admin key, and the paper list is unchanged.
func TestBrowserCrossSiteAdmin(t *testing.T) {
	chromium := chromiumPath()
	if chromium == "" {
		t.Skip("chromium not installed (scripts/test.sh installs it with apt-get when run as root): browser test skipped")
	}
	keyless := startServer(t, t.TempDir(), map[string]string{"CHATPAPER_KEYLESS_ADMIN": "1"})
	keyed := startServer(t, t.TempDir(), nil)

	// The attacker's page: on its own origin, it fires every attempt at
	// the server named by ?target= and reports what the browser let it
	// see.
	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><html><head><meta charset="utf-8"><title>evil</title></head><body>
<script>
window.attack = async (target) => {
  const paper = JSON.stringify({id: "evil", title: "Planted", abstract: "Planted by another origin.", references: []});
  const text = "Planted title\n\nAbstract\nPlanted by another origin through a page-text ingest.\n";
  const fd = new FormData();
  fd.append("files", new Blob([paper], {type: "application/json"}), "evil.json");
  const tries = {
    "text/plain no-cors": () => fetch(target + "/api/v1/papers?id=evil", {method: "POST", mode: "no-cors", headers: {"Content-Type": "text/plain"}, body: text}),
    "text/plain cors": () => fetch(target + "/api/v1/papers?id=evil", {method: "POST", body: text}),
    "multipart batch no-cors": () => fetch(target + "/api/v1/papers:batch", {method: "POST", mode: "no-cors", body: fd}),
    "json no-cors": () => fetch(target + "/api/v1/papers", {method: "POST", mode: "no-cors", headers: {"Content-Type": "application/json"}, body: paper}),
    "json cors": () => fetch(target + "/api/v1/papers", {method: "POST", headers: {"Content-Type": "application/json"}, body: paper}),
    "json with admin header": () => fetch(target + "/api/v1/papers", {method: "POST", headers: {"Content-Type": "application/json", "X-ChatPaper-Admin": "1"}, body: paper}),
    "delete": () => fetch(target + "/api/v1/papers/exosome-irradiation", {method: "DELETE", mode: "no-cors"}),
  };
  const out = {};
  for (const [name, f] of Object.entries(tries)) {
    try { const r = await f(); out[name] = r.type === "opaque" ? "opaque" : String(r.status); }
    catch (e) { out[name] = "blocked"; }
  }
  return JSON.stringify(out);
};
</script></body></html>`)
	}))
	defer attacker.Close()

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		// evil.test is the attacker's name; it "rebinds" to this machine.
		chromedp.Flag("host-resolver-rules", "MAP evil.test 127.0.0.1"),
		chromedp.UserDataDir(t.TempDir()),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	browserCtx, cancelCtx := chromedp.NewContext(allocCtx)
	defer cancelCtx()
	if err := chromedp.Do(browserCtx); err != nil {
		t.Fatalf("chromium at %s is installed but could not start: %v", chromium, err)
	}
	ctx, cancel := context.WithTimeout(browserCtx, 2*time.Minute)
	defer cancel()

	list := func(s *server) []string {
		var out struct {
			Papers []struct {
				ID string `json:"id"`
			} `json:"papers"`
		}
		do(t, "GET", s.base+"/api/v1/papers", "", "", &out)
		var ids []string
		for _, p := range out.Papers {
			ids = append(ids, p.ID)
		}
		return ids
	}
	evilPage := func(base string) string { // the attacker's page, by name
		u, _ := url.Parse(base)
		return "http://evil.test:" + u.Port() + "/"
	}
	for _, s := range []*server{keyless, keyed} {
		before := list(s)
		if len(before) == 0 {
			t.Fatal("no demo paper to protect")
		}
		// Cross-origin: the attacker's page on its own server.
		for _, page := range []string{attacker.URL + "/", evilPage(attacker.URL)} {
			if err := chromedp.Do(ctx, chromedp.Navigate(page)); err != nil {
				t.Fatalf("open %s: %v", page, err)
			}
			res, err := chromedp.Run(ctx, chromedp.Evaluate[string](`attack(`+"`"+s.base+"`"+`)`, chromedp.EvalAwaitPromise))
			if err != nil {
				t.Fatalf("attack from %s: %v", page, err)
			}
			t.Logf("from %s against %s: %s", page, s.base, res)
			for _, ok := range []string{`"200"`, `"201"`, `"204"`} {
				if strings.Contains(res, ok) {
					t.Errorf("from %s: an attempt succeeded: %s", page, res)
				}
			}
		}
		// DNS rebinding: the page's own origin is the server under the
		// attacker's name, so the browser sends JSON without a preflight.
		rebound := evilPage(s.base)
		if err := chromedp.Do(ctx, chromedp.Navigate(rebound)); err != nil {
			t.Fatalf("open %s: %v", rebound, err)
		}
		res, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch("/api/v1/papers", {method: "POST", headers: {"Content-Type": "application/json", "X-ChatPaper-Admin": "1"},
			body: JSON.stringify({id: "evil", title: "Planted", abstract: "Planted by a rebound name.", references: []})}).then(r => r.status + " " + r.headers.get("content-type"))`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("rebinding attempt: %v", err)
		}
		t.Logf("rebound %s: %s", rebound, res)
		if want := "401"; s == keyless {
			if !strings.HasPrefix(res, "403") {
				t.Errorf("rebinding against keyless admin: %s, want 403", res)
			}
		} else if !strings.HasPrefix(res, want) {
			t.Errorf("rebinding against the keyed server: %s, want %s", res, want)
		}
		if after := list(s); !reflect.DeepEqual(after, before) {
			t.Errorf("paper list changed from %v to %v", before, after)
		}
	}
	// The same JSON ingest from a client that is not a browser works on
	// the keyless server: the refusals are about the browser, not JSON.
	if resp := do(t, "POST", keyless.base+"/api/v1/papers", "application/json", testPaper, nil); resp.StatusCode != http.StatusCreated {
		t.Errorf("keyless JSON ingest from curl-like client: %d", resp.StatusCode)
	}
}
