package egress_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/kefu-im/kefu/egress"
)

func TestPublic(t *testing.T) {
	for addr, want := range map[string]bool{
		"93.184.215.14":         true,
		"2606:2800:21f:cb07::1": true,
		"8.8.8.8":               true,
		"127.0.0.1":             false,
		"127.8.9.10":            false,
		"::1":                   false,
		"0.0.0.0":               false,
		"::":                    false,
		"10.1.2.3":              false,
		"172.16.0.1":            false,
		"172.31.255.255":        false,
		"172.32.0.1":            true,
		"192.168.1.1":           false,
		"169.254.169.254":       false, // cloud metadata
		"100.64.0.1":            false,
		"fd00::1":               false,
		"fe80::1%eth0":          false,
		"::ffff:127.0.0.1":      false,
		"::ffff:10.0.0.1":       false,
		"64:ff9b::7f00:1":       false, // 127.0.0.1 through NAT64
		"64:ff9b::808:808":      true,  // 8.8.8.8 through NAT64
		"224.0.0.1":             false,
		"ff02::1":               false,
		"255.255.255.255":       false,
	} {
		if got := egress.Public(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Public(%s) = %v, want %v", addr, got, want)
		}
	}
}

// TestNamesAreCheckedWhenDialling: a name is refused for the address it
// resolves to, at connect time, unless private addresses are allowed.
func TestNamesAreCheckedWhenDialling(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	for _, host := range []string{"localhost", "127.0.0.1"} {
		url := "http://" + net.JoinHostPort(host, port) + "/"
		resp, err := (&http.Client{Transport: egress.Transport(false)}).Get(url)
		if err == nil {
			resp.Body.Close()
			t.Fatalf("GET %s: %s, want refused", url, resp.Status)
		}
		if !errors.Is(err, egress.ErrNotPublic) {
			t.Fatalf("GET %s: %v, want %v", url, err, egress.ErrNotPublic)
		}
		resp, err = (&http.Client{Transport: egress.Transport(true)}).Get(url)
		if err != nil {
			t.Fatalf("GET %s with private addresses allowed: %v", url, err)
		}
		resp.Body.Close()
	}
	if _, err := egress.Dialer(false).DialContext(context.Background(), "tcp", net.JoinHostPort("localhost", port)); !errors.Is(err, egress.ErrNotPublic) {
		t.Fatalf("dialling localhost: %v, want %v", err, egress.ErrNotPublic)
	}
}
