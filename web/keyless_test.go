package web

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

// TestKeylessAdminForwarding is the table of forwarding headers ×
// trusted-proxy settings × peers for the keyless-admin rule: a request is
// admitted only from a loopback peer that is not a configured proxy and
// carries no forwarding header of any kind, whatever its value.
func TestKeylessAdminForwarding(t *testing.T) {
	t.Parallel()
	headers := []struct{ name, value string }{{"", ""}}
	for _, h := range ForwardingHeaders {
		headers = append(headers, struct{ name, value string }{h, "203.0.113.9"})
	}
	for _, v := range []string{"127.0.0.2", "::1", "1.2.3.4, 127.0.0.2", "not-an-ip", "unknown", "", "for=127.0.0.1"} {
		headers = append(headers, struct{ name, value string }{"X-Forwarded-For", v})
	}
	headers = append(headers, struct{ name, value string }{"Forwarded", "for=127.0.0.1"},
		struct{ name, value string }{"X-Real-IP", "127.0.0.1"})
	proxies := map[string][]netip.Prefix{
		"none":         nil,
		"127.0.0.1/32": {netip.MustParsePrefix("127.0.0.1/32")},
		"127.0.0.0/8":  {netip.MustParsePrefix("127.0.0.0/8")},
		"::1/128":      {netip.MustParsePrefix("::1/128")},
		"10.0.0.0/8":   {netip.MustParsePrefix("10.0.0.0/8")},
	}
	peers := []string{"127.0.0.1:5000", "127.0.0.2:5000", "[::1]:5000", "203.0.113.9:5000", "10.1.2.3:5000", "garbage"}
	n := 0
	for _, h := range headers {
		for pname, ps := range proxies {
			for _, peer := range peers {
				r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8080/api/v1/papers", strings.NewReader("{}"))
				r.Header.Set("Content-Type", "application/json")
				r.RemoteAddr = peer
				if h.name != "" {
					r.Header[http.CanonicalHeaderKey(h.name)] = []string{h.value}
				}
				loopback := strings.HasPrefix(peer, "127.") || strings.HasPrefix(peer, "[::1]")
				inProxies := false
				if a, err := netip.ParseAddrPort(peer); err == nil {
					for _, p := range ps {
						inProxies = inProxies || p.Contains(a.Addr())
					}
				}
				want := loopback && !inProxies && h.name == ""
				err := keylessAdmin(r, Security{TrustedProxies: ps})
				if got := err == nil; got != want {
					t.Errorf("header %s=%q, proxies %s, peer %s: admitted = %v, want %v (%v)", h.name, h.value, pname, peer, got, want, err)
				}
				n++
			}
		}
	}
	t.Logf("%d combinations", n)
}

// TestKeylessAdminBrowser: from a loopback peer with no proxy, keyless
// admin still refuses what a web page in a local browser could send:
// another origin or site, a rebound host name, and CORS-simple bodies.
func TestKeylessAdminBrowser(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		method string
		host   string
		hdr    map[string]string
		hosts  []string
		want   bool
		reason string
	}{
		{"json from curl", "POST", "127.0.0.1:8080", map[string]string{"Content-Type": "application/json"}, nil, true, ""},
		{"json to localhost", "POST", "localhost:8080", map[string]string{"Content-Type": "application/json; charset=utf-8"}, nil, true, ""},
		{"json to [::1]", "POST", "[::1]:8080", map[string]string{"Content-Type": "application/json"}, nil, true, ""},
		{"pdf", "POST", "127.0.0.1:8080", map[string]string{"Content-Type": "application/pdf"}, nil, true, ""},
		{"delete", "DELETE", "127.0.0.1:8080", nil, nil, true, ""},
		{"same-origin page", "POST", "127.0.0.1:8080", map[string]string{"Content-Type": "application/json", "Origin": "http://127.0.0.1:8080", "Sec-Fetch-Site": "same-origin"}, nil, true, ""},
		{"text/plain with admin header", "POST", "127.0.0.1:8080", map[string]string{"Content-Type": "text/plain", AdminHeader: "1"}, nil, true, ""},
		{"configured host", "POST", "chatpaper.internal:8080", map[string]string{"Content-Type": "application/json"}, []string{"chatpaper.internal"}, true, ""},

		{"text/plain", "POST", "127.0.0.1:8080", map[string]string{"Content-Type": "text/plain;charset=UTF-8"}, nil, false, AdminHeader},
		{"multipart", "POST", "127.0.0.1:8080", map[string]string{"Content-Type": "multipart/form-data; boundary=x"}, nil, false, AdminHeader},
		{"form", "POST", "127.0.0.1:8080", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, nil, false, AdminHeader},
		{"no content type", "POST", "127.0.0.1:8080", nil, nil, false, AdminHeader},
		{"unparsable content type", "POST", "127.0.0.1:8080", map[string]string{"Content-Type": "text/plain; ;;="}, nil, false, AdminHeader},
		{"other origin", "POST", "127.0.0.1:8080", map[string]string{"Content-Type": "application/json", "Origin": "http://evil.example"}, nil, false, "cross-origin"},
		{"other port", "POST", "127.0.0.1:8080", map[string]string{"Content-Type": "application/json", "Origin": "http://127.0.0.1:3000"}, nil, false, "cross-origin"},
		{"null origin", "POST", "127.0.0.1:8080", map[string]string{"Content-Type": "application/json", "Origin": "null"}, nil, false, "cross-origin"},
		{"cross-site", "POST", "127.0.0.1:8080", map[string]string{"Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"}, nil, false, "cross-site"},
		{"same-site", "POST", "127.0.0.1:8080", map[string]string{"Content-Type": "application/json", "Sec-Fetch-Site": "same-site"}, nil, false, "cross-site"},
		{"dns rebinding", "POST", "evil.example:8080", map[string]string{"Content-Type": "application/json", "Origin": "http://evil.example:8080"}, nil, false, "not a loopback name"},
		{"rebinding, text/plain", "POST", "evil.example:8080", map[string]string{"Content-Type": "text/plain"}, nil, false, "not a loopback name"},
		{"empty host", "POST", "", map[string]string{"Content-Type": "application/json"}, nil, false, "not a loopback name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, "/api/v1/papers", strings.NewReader("{}"))
			r.RemoteAddr = "127.0.0.1:5000"
			r.Host = tt.host
			r.Header.Del("Content-Type")
			for k, v := range tt.hdr {
				r.Header.Set(k, v)
			}
			err := keylessAdmin(r, Security{AdminHosts: tt.hosts})
			if got := err == nil; got != tt.want {
				t.Fatalf("admitted = %v, want %v (%v)", got, tt.want, err)
			}
			if err != nil && !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("err = %q, want it to mention %q", err, tt.reason)
			}
		})
	}
}

// TestKeylessAdminRefusedOverHTTP: the refusals reach clients as 403
// forbidden and the store is not written.
func TestKeylessAdminRefusedOverHTTP(t *testing.T) {
	t.Parallel()
	srv, fp := newTestServer(t, Deps{})
	for i, hdr := range []map[string]string{
		{"Content-Type": "text/plain"},
		{"Content-Type": "application/json", "Origin": "http://evil.example"},
		{"Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"},
		{"Content-Type": "application/json", "X-Real-IP": "203.0.113.9"},
		{"Content-Type": "application/json", "Via": "1.1 nginx"},
	} {
		resp, body := request(t, "POST", srv.URL+"/api/v1/papers", ingestBody, hdr)
		if resp.StatusCode != http.StatusForbidden || errorCode(t, body) != "forbidden" {
			t.Errorf("%d %v: status %d %s, want 403 forbidden", i, hdr, resp.StatusCode, body)
		}
	}
	if got := fp.writes.Load(); got != 0 {
		t.Errorf("store written %d times by refused requests", got)
	}
	resp, body := request(t, "POST", srv.URL+"/api/v1/papers", ingestBody, map[string]string{"Content-Type": "application/json"})
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("plain JSON from loopback: %d %s", resp.StatusCode, body)
	}
}
