package web

import (
	"os"
	"os/exec"
	"testing"
)

// TestJavaScript runs the chat script's unit tests (Markdown rendering,
// link filtering, citations) under node, when node is installed; the
// browser test covers the same code in Chromium.
func TestJavaScript(t *testing.T) {
	t.Parallel()
	node, err := exec.LookPath("node")
	if err != nil {
		if ci := os.Getenv("CI"); ci != "" && ci != "false" && ci != "0" {
			t.Log("node not installed: the JavaScript unit tests run only in the browser test")
		}
		t.Skip("node not installed")
	}
	out, err := exec.Command(node, "jstest/markdown.test.js").CombinedOutput()
	if err != nil {
		t.Fatalf("node jstest/markdown.test.js: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
