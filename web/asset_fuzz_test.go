package web

import (
	"testing"
	"time"
)

// FuzzRequestHeaders holds the header and query parsers of the asset and
// report routes to never panicking, and to their invariants: a leading
// gzip "q=0" is a refusal whatever follows (the first gzip entry
// decides), an ETag list naming the tag matches it, and a days-back since
// is never after now.
func FuzzRequestHeaders(f *testing.F) {
	for _, s := range []string{"gzip", "br, gzip;q=0.5", "gzip;q=0", "*", `"abc", W/"def"`, "30d", "2026-03-01", "2026-03-01T10:00:00Z", ";;,,", "gzip;q=", "-1d"} {
		f.Add(s)
	}
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		_ = acceptsGzip(s)
		if acceptsGzip("gzip;q=0, " + s) {
			t.Fatalf("gzip;q=0 before %q accepted gzip", s)
		}
		if !etagMatch(s+`,"tag"`, `"tag"`) {
			t.Fatalf("etagMatch(%q) misses the tag", s+`,"tag"`)
		}
		_ = etagMatch(s, `"a"`, `"b"`)
		if got, err := parseSince(s, now); err == nil && len(s) > 1 && s[len(s)-1] == 'd' && got.After(now) {
			t.Fatalf("parseSince(%q) = %v, after now", s, got)
		}
	})
}
