package chat

import (
	"errors"
	"net/netip"
	"testing"
	"time"
)

func TestAddressBlockFor(t *testing.T) {
	for _, c := range []struct {
		name string
		want time.Duration
		ok   bool
	}{
		{"", 0, true},
		{"1h", time.Hour, true},
		{"24h", 24 * time.Hour, true},
		{"7d", 7 * 24 * time.Hour, true},
		{"30d", 0, false},
		{"forever", 0, false},
	} {
		got, err := AddressBlockFor(c.name)
		var ve *ValidationError
		switch {
		case c.ok && (err != nil || got != c.want):
			t.Errorf("%q: %v, %v; want %v", c.name, got, err, c.want)
		case !c.ok && (!errors.As(err, &ve) || ve.Say != "error.block.address"):
			t.Errorf("%q: %v; want error.block.address", c.name, err)
		}
	}
}

func TestAddressBlockable(t *testing.T) {
	for _, c := range []struct {
		addr string
		ok   bool
	}{
		{"203.0.113.9", true},
		{"8.8.8.8", true},
		{"2001:db8::1", true},
		{"::ffff:203.0.113.9", true},
		{"127.0.0.1", false},
		{"::1", false},
		{"10.1.2.3", false},
		{"172.16.0.1", false},
		{"192.168.1.10", false},
		{"fd00::1", false},
		{"169.254.1.1", false},
		{"fe80::1", false},
		{"0.0.0.0", false},
		{"::", false},
		{"::ffff:192.168.1.10", false},
	} {
		err := AddressBlockable(netip.MustParseAddr(c.addr))
		var ve *ValidationError
		switch {
		case c.ok && err != nil:
			t.Errorf("%s: refused: %v", c.addr, err)
		case !c.ok && (!errors.As(err, &ve) || ve.Field != "address" || ve.Say != "error.block.sharedAddress"):
			t.Errorf("%s: %v, want the shared-address refusal", c.addr, err)
		}
	}
}
