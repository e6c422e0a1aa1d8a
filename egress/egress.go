// Package egress makes the HTTP clients that kefu calls other servers with:
// browsers' push services and host sites' webhook receivers. Their
// addresses come from outside (a browser, an admin), so a client refuses to
// connect to loopback, private, link-local and other non-public addresses.
// The check runs on the address actually dialled, after the name was
// resolved: a name that leads to 127.0.0.1 is refused like 127.0.0.1.
package egress

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// ErrNotPublic is wrapped by the error of a connection refused because its
// address is not public.
var ErrNotPublic = errors.New("not a public address")

// notPublic lists the ranges that are not reachable on the public
// internet, or that reach back into this network, besides those netip
// names (unspecified, loopback, private, link-local, multicast).
var notPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),      // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),  // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),   // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),  // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),    // reserved, and the broadcast address
	netip.MustParsePrefix("fec0::/10"),      // deprecated site-local
	netip.MustParsePrefix("64:ff9b:1::/48"), // local-use IPv4/IPv6 translation
	netip.MustParsePrefix("100::/64"),       // discard-only
	netip.MustParsePrefix("2001:db8::/32"),  // documentation
	netip.MustParsePrefix("2001:10::/28"),   // ORCHID
}

// nat64 is the well-known prefix that embeds an IPv4 address in IPv6.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// Public reports whether ip is a public unicast address.
func Public(ip netip.Addr) bool {
	ip = ip.Unmap().WithZone("")
	if !ip.IsValid() || ip.IsUnspecified() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsMulticast() {
		return false
	}
	if nat64.Contains(ip) {
		b := ip.As16()
		return Public(netip.AddrFrom4([4]byte(b[12:])))
	}
	for _, p := range notPublic {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// Dialer returns a dialer that refuses to connect to an address that is
// not Public, unless allowPrivate.
func Dialer(allowPrivate bool) *net.Dialer {
	d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		d.Control = func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("cannot check the address %q: %w", address, ErrNotPublic)
			}
			if !Public(ap.Addr()) {
				return fmt.Errorf("refused to connect to %s: %w", ap.Addr(), ErrNotPublic)
			}
			return nil
		}
	}
	return d
}

// Transport returns an HTTP transport, like http.DefaultTransport, that
// dials through Dialer(allowPrivate). It connects directly, never through
// a proxy from the environment: the check must see the real destination.
func Transport(allowPrivate bool) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	t.DialContext = Dialer(allowPrivate).DialContext
	return t
}
