package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

// asset is a file served from memory: its body, its gzip-compressed body
// when that is smaller, and validators, all computed once at start-up.
type asset struct {
	body, gz []byte
	ctype    string
	cache    string
	// etag names the identity body; etagGz the compressed one (a
	// different representation needs a different entity tag).
	etag, etagGz string
}

// Cache policies. Asset URLs are not fingerprinted, so browsers keep them
// for a short while and then revalidate with the ETag (a 304 is a few
// bytes); pages always revalidate.
const (
	cacheAsset = "public, max-age=300"
	cachePage  = "no-cache"
)

// minGzip is the size below which compressing is not worth a header.
const minGzip = 512

func newAsset(body []byte, ctype, cache string) *asset {
	sum := sha256.Sum256(body)
	tag := hex.EncodeToString(sum[:8])
	a := &asset{body: body, ctype: ctype, cache: cache, etag: `"` + tag + `"`, etagGz: `"` + tag + `-gz"`}
	if len(body) >= minGzip {
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression) // the level is valid
		zw.Write(body)
		zw.Close()
		if b.Len() < len(body) {
			a.gz = b.Bytes()
		}
	}
	return a
}

// serve writes the asset, compressed when the client accepts gzip, or a
// 304 when the client's copy is current. HEAD gets the same headers.
func (a *asset) serve(c echo.Context) error {
	r := c.Request()
	h := c.Response().Header()
	h.Set(echo.HeaderCacheControl, a.cache)
	if a.gz != nil {
		h.Add(echo.HeaderVary, echo.HeaderAcceptEncoding)
	}
	body, etag := a.body, a.etag
	if a.gz != nil && acceptsGzip(r.Header.Get(echo.HeaderAcceptEncoding)) {
		body, etag = a.gz, a.etagGz
		h.Set(echo.HeaderContentEncoding, "gzip")
	}
	h.Set("ETag", etag)
	if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatch(inm, a.etag, a.etagGz) {
		h.Del(echo.HeaderContentEncoding)
		return c.NoContent(http.StatusNotModified)
	}
	h.Set(echo.HeaderContentLength, strconv.Itoa(len(body)))
	return c.Blob(http.StatusOK, a.ctype, body)
}

// acceptsGzip reports whether an Accept-Encoding value allows gzip (by
// name or "*") and does not refuse it with q=0.
func acceptsGzip(ae string) bool {
	for _, part := range strings.Split(ae, ",") {
		name, params, _ := strings.Cut(part, ";")
		name = strings.TrimSpace(name)
		if !strings.EqualFold(name, "gzip") && name != "*" {
			continue
		}
		for _, p := range strings.Split(params, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if q, err := strconv.ParseFloat(strings.TrimSpace(v), 64); strings.EqualFold(k, "q") && err == nil && q == 0 {
				return false
			}
		}
		return true
	}
	return false
}

// etagMatch reports whether an If-None-Match list names one of tags.
func etagMatch(inm string, tags ...string) bool {
	for _, t := range strings.Split(inm, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" {
			return true
		}
		for _, want := range tags {
			if t == want {
				return true
			}
		}
	}
	return false
}
