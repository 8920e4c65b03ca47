package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/chatpaper/chatpaper/metrics"
)

// Security is the server's access policy. The zero value serves readers
// from any client, admin endpoints keyless to loopback clients only (see
// keylessAdmin), the API to same-origin pages only, and sets no rate
// limits.
type Security struct {
	// AdminKeys may ingest and delete papers (Authorization: Bearer).
	// With none, admin endpoints serve only requests keylessAdmin admits.
	AdminKeys []string
	// AdminHosts are host names, besides loopback names and addresses,
	// that a keyless admin request may name in its Host header.
	AdminHosts []string
	// SiteKeys, when set, are required on the reader endpoints, in the
	// X-ChatPaper-Key header, as a Bearer token, or as ?key=.
	SiteKeys []string
	// AllowedOrigins may call the API from a browser (CORS) and open the
	// websocket, besides the server's own origin; "*" allows any.
	AllowedOrigins []string
	// AskRate is the questions per minute one client IP may ask over REST
	// and websocket together; 0 turns the limit off.
	AskRate int
	// MaxSocketsPerIP bounds one client IP's open websockets; 0 = none.
	MaxSocketsPerIP int
	// TrustedProxies are the peers whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// Now is the clock of the rate limits; nil means time.Now.
	Now func() time.Time
}

// SiteKeyHeader carries a site key on reader requests.
const SiteKeyHeader = "X-ChatPaper-Key"

// keySet compares a presented key against every configured key in time
// independent of which key (if any) matches and of the keys' lengths:
// all keys are hashed to a fixed size and every one is compared.
type keySet [][sha256.Size]byte

func newKeySet(keys []string) keySet {
	ks := make(keySet, 0, len(keys))
	for _, k := range keys {
		ks = append(ks, sha256.Sum256([]byte(k)))
	}
	return ks
}

func (ks keySet) match(got string) bool {
	if got == "" {
		return false
	}
	g := sha256.Sum256([]byte(got))
	ok := 0
	for i := range ks {
		ok |= subtle.ConstantTimeCompare(g[:], ks[i][:])
	}
	return ok == 1
}

func bearer(r *http.Request) string {
	h := r.Header.Get(echo.HeaderAuthorization)
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// ipExtractor returns how the client IP is found: the peer address, or,
// from a trusted proxy, the right-most untrusted X-Forwarded-For entry.
// Echo would trust loopback and private peers by default; ChatPaper
// trusts only what is configured.
func ipExtractor(proxies []netip.Prefix) echo.IPExtractor {
	if len(proxies) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, p := range proxies {
		opts = append(opts, echo.TrustIPRange(&net.IPNet{
			IP:   net.IP(p.Addr().AsSlice()),
			Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen()),
		}))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// ForwardingHeaders are the headers by which proxies tell whose request
// they pass on. A keyless admin request must carry none of them: a
// same-host proxy makes every reader's request come from loopback.
var ForwardingHeaders = []string{
	"X-Forwarded-For", "Forwarded", "X-Real-IP", "True-Client-IP", "CF-Connecting-IP", "Via",
	"X-Forwarded-Host", "X-Forwarded-Proto", "X-Client-IP", "X-Cluster-Client-IP", "Fastly-Client-IP",
}

// AdminHeader, sent with any value, makes an admin request one a browser
// must preflight, for bodies whose content type would not (text/plain,
// multipart/form-data, application/x-www-form-urlencoded).
const AdminHeader = "X-ChatPaper-Admin"

// keylessAdmin decides whether an admin request may go ahead without a
// key, which only happens when no admin key is configured. It admits a
// request only when all of these hold, and otherwise says which failed:
//   - the TCP peer is a loopback address and not a configured proxy, and
//     the request carries none of ForwardingHeaders (so it did not come
//     through a proxy on this machine);
//   - Host is a loopback name or address, or one of AdminHosts (a page
//     whose name was rebound to 127.0.0.1 names its own host);
//   - Origin, if sent, is the server's own, and Sec-Fetch-Site, if sent,
//     is same-origin or none (a page on another site, in a browser on
//     this machine, is refused);
//   - the request is not one a browser sends without a CORS preflight:
//     its method is not POST, or its content type is not a CORS-simple
//     one, or it carries AdminHeader. As the server answers no
//     preflight for admin routes, other origins cannot send it at all.
func keylessAdmin(r *http.Request, sec Security) error {
	forbid := func(msg string) error {
		return &apiError{status: http.StatusForbidden, code: CodeForbidden,
			msg: "keyless admin request refused: " + msg + "; set CHATPAPER_ADMIN_KEYS and send Authorization: Bearer KEY"}
	}
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil || !peer.Addr().Unmap().IsLoopback() {
		return forbid("the client is not on this machine")
	}
	for _, p := range sec.TrustedProxies {
		if p.Contains(peer.Addr().Unmap()) || p.Contains(peer.Addr()) {
			return forbid("the peer is a configured proxy")
		}
	}
	for _, h := range ForwardingHeaders {
		if _, ok := r.Header[http.CanonicalHeaderKey(h)]; ok {
			return forbid("the request came through a proxy (" + h + ")")
		}
	}
	if !adminHost(r.Host, sec.AdminHosts) {
		return forbid(fmt.Sprintf("host %q is not a loopback name or a configured admin host", r.Host))
	}
	if o, ok := r.Header[echo.HeaderOrigin]; ok {
		u, err := url.Parse(strings.Join(o, ""))
		if err != nil || u.Host == "" || !strings.EqualFold(u.Host, r.Host) || (u.Scheme != "http" && u.Scheme != "https") {
			return forbid("cross-origin request")
		}
	}
	if v := r.Header.Get("Sec-Fetch-Site"); v != "" && v != "same-origin" && v != "none" {
		return forbid("cross-site request (Sec-Fetch-Site: " + v + ")")
	}
	if r.Method == http.MethodPost && r.Header.Get(AdminHeader) == "" && simpleContentType(r.Header.Get(echo.HeaderContentType)) {
		return forbid("a text/plain, form or multipart body needs the " + AdminHeader + " header")
	}
	return nil
}

// simpleContentType reports whether a browser may send a body of this
// type to another origin without a preflight. An unparsable type counts
// as simple: it is refused rather than guessed at.
func simpleContentType(ct string) bool {
	if strings.TrimSpace(ct) == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return true
	}
	switch mt {
	case "text/plain", "multipart/form-data", "application/x-www-form-urlencoded":
		return true
	}
	return false
}

// adminHost reports whether host (with or without a port) is a loopback
// address, "localhost" or a name under .localhost, or one of extra.
func adminHost(host string, extra []string) bool {
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	h = strings.ToLower(strings.TrimSuffix(strings.Trim(h, "[]"), "."))
	if h == "" {
		return false
	}
	if a, err := netip.ParseAddr(h); err == nil {
		return a.Unmap().IsLoopback()
	}
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	for _, e := range extra {
		if strings.EqualFold(h, e) {
			return true
		}
	}
	return false
}

// requireAdmin guards the endpoints that change stored papers. It runs
// before the handler, so a refused request never reaches the store.
func requireAdmin(sec Security) echo.MiddlewareFunc {
	keys := newKeySet(sec.AdminKeys)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if len(keys) == 0 {
				if err := keylessAdmin(c.Request(), sec); err != nil {
					return err
				}
				return next(c)
			}
			if !keys.match(bearer(c.Request())) {
				c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="chatpaper"`)
				return &apiError{status: http.StatusUnauthorized, code: CodeUnauthorized,
					msg: "a valid admin API key is required: Authorization: Bearer KEY"}
			}
			return next(c)
		}
	}
}

// requireSiteKey guards the reader endpoints when site keys are set. An
// admin key is accepted too.
func requireSiteKey(sec Security) echo.MiddlewareFunc {
	if len(sec.SiteKeys) == 0 {
		return func(next echo.HandlerFunc) echo.HandlerFunc { return next }
	}
	keys := newKeySet(append(append([]string{}, sec.SiteKeys...), sec.AdminKeys...))
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			k := r.Header.Get(SiteKeyHeader)
			if k == "" {
				k = bearer(r)
			}
			if k == "" {
				k = c.QueryParam("key")
			}
			if !keys.match(k) {
				return &apiError{status: http.StatusUnauthorized, code: CodeUnauthorized,
					msg: "a valid site key is required: header " + SiteKeyHeader + " or ?key="}
			}
			return next(c)
		}
	}
}

// originPolicy is the one allowlist behind both CORS and the websocket's
// CheckOrigin.
type originPolicy struct {
	any     bool
	origins map[string]bool
}

func newOriginPolicy(allowed []string) originPolicy {
	p := originPolicy{origins: map[string]bool{}}
	for _, o := range allowed {
		if o == "*" {
			p.any = true
		}
		p.origins[strings.ToLower(strings.TrimRight(o, "/"))] = true
	}
	return p
}

// allow reports whether a request with this Origin may use the API:
// clients that send no Origin (not browsers), pages of the server's own
// host, and the allowlist.
func (p originPolicy) allow(r *http.Request) bool {
	o := r.Header.Get(echo.HeaderOrigin)
	if o == "" {
		return true
	}
	if p.any || p.origins[strings.ToLower(o)] {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host)
}

// cors answers browsers on /api/ for the allowlisted origins only; with
// no allowlist it adds nothing, so browsers keep the same-origin policy.
func cors(p originPolicy) echo.MiddlewareFunc {
	skip := func(c echo.Context) bool { return !strings.HasPrefix(c.Request().URL.Path, "/api/") }
	if len(p.origins) == 0 {
		return func(next echo.HandlerFunc) echo.HandlerFunc { return next }
	}
	origins := make([]string, 0, len(p.origins))
	for o := range p.origins {
		origins = append(origins, o)
	}
	if p.any {
		origins = []string{"*"}
	}
	return middleware.CORSWithConfig(middleware.CORSConfig{
		Skipper:       skip,
		AllowOrigins:  origins,
		AllowMethods:  []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodDelete},
		AllowHeaders:  []string{echo.HeaderContentType, echo.HeaderAuthorization, SiteKeyHeader},
		ExposeHeaders: []string{echo.HeaderRetryAfter, echo.HeaderXRequestID},
		MaxAge:        600,
	})
}

// securityHeaders sets the headers every response carries; pages add
// their Content-Security-Policy in pageHeaders.
func securityHeaders() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h := c.Response().Header()
			h.Set(echo.HeaderXContentTypeOptions, "nosniff")
			h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
			if strings.HasPrefix(c.Request().URL.Path, "/api/") {
				h.Set(echo.HeaderContentSecurityPolicy, "default-src 'none'; frame-ancestors 'none'")
			}
			return next(c)
		}
	}
}

// pageCSP is the policy of the chat page: only its own scripts and
// styles, and connections back to its own host (the websocket included,
// spelled out for browsers whose 'self' does not cover ws:).
func pageCSP(host string) string {
	if !validHost(host) {
		return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
			"base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
	}
	return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"connect-src 'self' ws://" + host + " wss://" + host + "; " +
		"base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
}

// pageHeaders sets the chat page's Content-Security-Policy.
func pageHeaders() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h := c.Response().Header()
			h.Set(echo.HeaderContentSecurityPolicy, pageCSP(c.Request().Host))
			h.Set(echo.HeaderXFrameOptions, "SAMEORIGIN")
			return next(c)
		}
	}
}

// retryAfterSeconds rounds a wait up to whole seconds, at least one.
func retryAfterSeconds(d time.Duration) int {
	s := int((d + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return s
}

func rateLimited(d time.Duration) error {
	s := retryAfterSeconds(d)
	return &apiError{status: http.StatusTooManyRequests, code: CodeRateLimited,
		msg: fmt.Sprintf("too many questions from this address: try again in %d s", s), retryAfter: s}
}

// limitAsks applies the per-IP ask rate to a REST route.
func limitAsks(l *ipLimiter, m *metrics.Metrics) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if ok, wait := l.allow(c.RealIP()); !ok {
				m.RateLimited("ask")
				c.Response().Header().Set(echo.HeaderRetryAfter, strconv.Itoa(retryAfterSeconds(wait)))
				return rateLimited(wait)
			}
			return next(c)
		}
	}
}

// validHost reports whether a Host header is safe to copy into a policy.
func validHost(h string) bool {
	if h == "" {
		return false
	}
	for _, r := range h {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == ':', r == '[', r == ']':
		default:
			return false
		}
	}
	return true
}
