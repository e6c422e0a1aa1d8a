package handlers

import (
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/kefu-im/kefu/store"
)

// Sign-in limits: attempts that did not succeed, counted over 15 minutes,
// per account and per address.
var loginLimits = store.LoginLimits{Window: 15 * time.Minute, PerAccount: 5, PerAddress: 30}

// Budgets of the widget's public endpoints, per client address and shared
// by every instance. A widget asks for a visitor token when its visitor
// first writes, and exchanges an identity token when its page opens the
// widget for a signed-in user. Many people may share one address (an
// office, a mobile carrier's NAT), so these are generous: they stop a
// script, not a crowd.
var (
	visitorBudget  = store.Budget{Name: "widget_visitors", Limit: 120, Window: 10 * time.Minute}
	identifyBudget = store.Budget{Name: "widget_identify", Limit: 240, Window: 10 * time.Minute}
	// uploadBudget is per visitor, not per address: each file may be up to
	// KEFU_MAX_UPLOAD, so one visitor sends a few dozen at most in a window.
	uploadBudget = store.Budget{Name: "widget_uploads", Limit: 60, Window: 10 * time.Minute}
)

// limitKey is what per-address limits count by: the address itself, or for
// IPv6 its /64 network, since one host commonly has a whole /64 to itself.
func limitKey(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	if ip = ip.Unmap(); ip.Is4() {
		return ip.String()
	}
	return netip.PrefixFrom(ip.WithZone(""), 64).Masked().String()
}

// setRetryAfter tells the client how long to wait, in whole seconds.
func setRetryAfter(w http.ResponseWriter, d time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(int((d+time.Second-1)/time.Second)))
}

// wholeMinutes is d in whole minutes, rounded up, and at least 1.
func wholeMinutes(d time.Duration) int {
	return max(1, int((d+time.Minute-1)/time.Minute))
}
