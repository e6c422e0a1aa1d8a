package chat

import (
	"errors"
	"net/netip"
	"time"
)

// ErrNotDelivered: the message was not delivered. It is all the one who
// wrote is told when they and the other side have blocked one another, so
// that a block is not revealed (Tencent IM's 20007 without its meaning).
var ErrNotDelivered = errors.New("not delivered")

// ErrChatUnavailable: an agent blocked this visitor, or the address they
// write from; their widget says chat is unavailable.
var ErrChatUnavailable = errors.New("chat unavailable")

// VisitorBlock is an agent's block of a visitor: by the visitor themselves
// (until lifted), or by the address they started a chat from (until
// Until).
type VisitorBlock struct {
	ID        int64
	VisitorID int64 // 0: a block by address
	Visitor   string
	Address   string // "": a block by visitor
	Until     time.Time
	By        string
	CreatedAt time.Time
}

// AddressBlocks are how long an agent may block a visitor's address, as
// the visitor panel names them.
var AddressBlocks = map[string]time.Duration{
	"1h":  time.Hour,
	"24h": 24 * time.Hour,
	"7d":  7 * 24 * time.Hour,
}

// AddressBlockFor returns how long the panel's choice name blocks an
// address: 0 for "" (the visitor alone), else one of AddressBlocks.
func AddressBlockFor(name string) (time.Duration, error) {
	if name == "" {
		return 0, nil
	}
	d, ok := AddressBlocks[name]
	if !ok {
		return 0, Invalid("address", "error.block.address")
	}
	return d, nil
}

// AddressBlockable refuses, with a ValidationError of field "address", an
// address that is not one visitor's own as kefu sees it: a loopback,
// private, link-local or unspecified one, which is what a visitor seems to
// write from behind a proxy or on a local network, so that blocking it
// would block every visitor who comes the same way.
func AddressBlockable(addr netip.Addr) error {
	addr = addr.Unmap()
	if !addr.IsValid() || addr.IsLoopback() || addr.IsPrivate() || addr.IsUnspecified() ||
		addr.IsLinkLocalUnicast() || addr.IsLinkLocalMulticast() {
		return Invalid("address", "error.block.sharedAddress", "Address", addr.String())
	}
	return nil
}
