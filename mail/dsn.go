package mail

// Delivery status notifications (RFC 3464): a multipart/report whose
// message/delivery-status part holds a block of fields about the message,
// then a block per recipient: Action (failed, delayed, delivered …),
// Status (5.1.1), Diagnostic-Code ("smtp; 550 5.1.1 User unknown") and
// Final-Recipient ("rfc822; sam@example.net").

import (
	"bufio"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"net/textproto"
	"regexp"
	"strconv"
	"strings"
)

// dsn is what a report says of the one recipient kefu's email had.
type dsn struct {
	// Action is the recipient's action, lower case: "failed" is a bounce.
	Action string
	// Status is the enhanced status code (5.1.1).
	Status string
	// Diagnostic is the remote server's answer, as the report quotes it.
	Diagnostic string
	// Recipient is the address it was for ("": the report names none).
	Recipient string
}

// errNotDSN is a message that is no delivery status notification: an
// automatic reply sent to the bounce address, say.
var errNotDSN = errors.New("not a delivery status notification")

// maxDSNFields bounds the blocks of fields a report may hold.
const maxDSNFields = 50

// parseDSN reads msg as a delivery status notification and returns what it
// says of its first failed recipient, else of its first recipient.
func parseDSN(msg *mail.Message) (dsn, error) {
	media, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || media != "multipart/report" || params["boundary"] == "" {
		return dsn{}, errNotDSN
	}
	r := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := r.NextRawPart()
		if err == io.EOF {
			return dsn{}, errNotDSN
		}
		if err != nil {
			return dsn{}, err
		}
		media, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if media != "message/delivery-status" && media != "message/global-delivery-status" {
			continue
		}
		return readDeliveryStatus(part{header: p.Header, body: p})
	}
}

// readDeliveryStatus reads the blocks of a message/delivery-status part.
func readDeliveryStatus(p part) (dsn, error) {
	text, err := decodeBody(p, "utf-8")
	if err != nil {
		return dsn{}, err
	}
	tp := textproto.NewReader(bufio.NewReader(strings.NewReader(strings.TrimLeft(text, "\r\n") + "\r\n\r\n")))
	var found []dsn
	for i := 0; i < maxDSNFields; i++ {
		h, err := tp.ReadMIMEHeader()
		if len(h) > 0 && i > 0 { // the first block is the message's
			found = append(found, dsn{Action: strings.ToLower(strings.TrimSpace(h.Get("Action"))),
				Status: strings.TrimSpace(h.Get("Status")), Diagnostic: typedValue(h.Get("Diagnostic-Code")),
				Recipient: typedValue(h.Get("Final-Recipient"))})
		}
		if err != nil {
			break
		}
		for { // blocks may be parted by more than one empty line
			b, err := tp.R.Peek(1)
			if err != nil || (b[0] != '\r' && b[0] != '\n') {
				break
			}
			_, _ = tp.R.ReadByte()
		}
		if _, err := tp.R.Peek(1); err != nil {
			break
		}
	}
	if len(found) == 0 {
		return dsn{}, errNotDSN
	}
	for _, d := range found {
		if d.Action == "failed" {
			return d, nil
		}
	}
	return found[0], nil
}

// typedValue is a field's value without its type: "rfc822; sam@example.net"
// is sam@example.net, with white space as one space.
func typedValue(v string) string {
	if _, rest, ok := strings.Cut(v, ";"); ok {
		v = rest
	}
	return strings.Join(strings.Fields(v), " ")
}

// replyCode finds the SMTP reply code an SMTP diagnostic starts with.
var replyCode = regexp.MustCompile(`^([245][0-9][0-9])\b`)

// code is the SMTP reply code d quotes (0: none).
func (d dsn) code() int {
	if m := replyCode.FindStringSubmatch(d.Diagnostic); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

// permanent reports whether the address will not work: a status of class 5.
func (d dsn) permanent() bool { return strings.HasPrefix(d.Status, "5") }

// words are d's status and diagnostic for the admin page, which marks the
// row bounced in the reader's language: the server's words alone, without
// the recipient's address, which the page shows beside them, whether the
// diagnostic quotes it bare or in angle brackets.
func (d dsn) words() string {
	diag := d.Diagnostic
	if d.Recipient != "" {
		diag = replaceFold(diag, "<"+d.Recipient+">", "<recipient>")
		diag = replaceFold(diag, d.Recipient, "<recipient>")
	}
	return strings.TrimSpace(d.Status + ": " + diag)
}

// replaceFold replaces every old in s, in any case, by new.
func replaceFold(s, old, new string) string {
	low, lowOld := strings.ToLower(s), strings.ToLower(old)
	if len(low) != len(s) || old == "" {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(low, lowOld)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString(new)
		s, low = s[i+len(old):], low[i+len(old):]
	}
}
