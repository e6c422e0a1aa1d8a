package chat

import (
	"errors"
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
