package mail

// The inbound listener (KEFU_SMTP_LISTEN): a small SMTP server that takes
// what comes back to the addresses kefu's emails carry. A reply to
// reply+<token>@ joins the conversation the token signs, as the visitor's
// message, if it comes from the visitor's address; a delivery status
// notification to bounce+<token>@ marks the email the token signs bounced.
// Everything else is refused at RCPT, before any data is taken.

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/mail"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-smtp"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/i18n"
	"github.com/kefu-im/kefu/store"
)

// InboundConfig is the listener's domain and limits.
type InboundConfig struct {
	// Domain is the reply domain (the mail worker's ReplyDomain): only its
	// reply+ and bounce+ addresses are taken.
	Domain string
	// MaxBytes bounds a message (default 10 MB).
	MaxBytes int64
	// MaxRecipients bounds a message's recipients (default 10).
	MaxRecipients int
	// Timeout bounds each read and write on a connection, and each step of
	// storing what came (default 1 minute).
	Timeout time.Duration
	// Grace is how long connections may finish when the listener stops
	// (default 10 s).
	Grace time.Duration
	// Now is the clock addresses expire by (time.Now when nil).
	Now func() time.Time
	// Files prepares a reply's files as the widget's uploads are, against
	// KEFU_MAX_UPLOAD (nil: one of the listener's own, against
	// chat.DefaultMaxUpload).
	Files *chat.Preparer
	// Language names a file that came without a name (the instance's;
	// "": i18n.Default).
	Language string
}

// DefaultInboundConfig is how kefu listens, but for its domain.
var DefaultInboundConfig = InboundConfig{MaxBytes: 10 << 20, MaxRecipients: 10, Timeout: time.Minute,
	Grace: 10 * time.Second, Now: time.Now}

// Inbox is what the listener needs of the store.
type Inbox interface {
	MailSecret(ctx context.Context) (string, error)
	MailReplier(ctx context.Context, conversationID int64) (store.MailReplier, error)
	SendFromVisitor(ctx context.Context, s store.Send) (chat.Message, bool, error)
	MailBounced(ctx context.Context, b store.Bounce) error
}

// Inbound is the inbound listener.
type Inbound struct {
	inbox  Inbox
	cfg    InboundConfig
	logger *slog.Logger
	srv    *smtp.Server

	mu     sync.Mutex
	secret string // mail_secret, once read
}

// NewInbound returns a listener that stores through inbox. Fields of cfg
// left zero take DefaultInboundConfig's values; Domain is required.
func NewInbound(inbox Inbox, cfg InboundConfig, logger *slog.Logger) (*Inbound, error) {
	if cfg.Domain == "" || strings.ContainsAny(cfg.Domain, "@ \r\n") {
		return nil, errors.New("mail: the inbound listener needs a reply domain")
	}
	d := DefaultInboundConfig
	cfg.MaxBytes, cfg.MaxRecipients = cmp.Or(cfg.MaxBytes, d.MaxBytes), cmp.Or(cfg.MaxRecipients, d.MaxRecipients)
	cfg.Timeout, cfg.Grace = cmp.Or(cfg.Timeout, d.Timeout), cmp.Or(cfg.Grace, d.Grace)
	if cfg.Now == nil {
		cfg.Now = d.Now
	}
	if cfg.Files == nil {
		cfg.Files = chat.NewPreparer(chat.DefaultMaxUpload)
	}
	cfg.Language = cmp.Or(cfg.Language, i18n.Default)
	in := &Inbound{inbox: inbox, cfg: cfg, logger: logger}
	in.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &inboundSession{in: in}, nil }))
	in.srv.Domain = cfg.Domain
	in.srv.MaxMessageBytes = cfg.MaxBytes
	in.srv.MaxRecipients = cfg.MaxRecipients
	in.srv.ReadTimeout, in.srv.WriteTimeout = cfg.Timeout, cfg.Timeout
	in.srv.ErrorLog = slog.NewLogLogger(logger.Handler(), slog.LevelWarn)
	return in, nil
}

// Serve takes mail on l until ctx ends, then stops accepting and gives the
// connections open the grace period to finish before it closes them. It
// returns nil once stopped, or why it could not serve.
func (in *Inbound) Serve(ctx context.Context, l net.Listener) error {
	served := make(chan error, 1)
	go func() { served <- in.srv.Serve(l) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	graceCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), in.cfg.Grace)
	defer cancel()
	if err := in.srv.Shutdown(graceCtx); err != nil {
		_ = in.srv.Close()
	}
	if err := <-served; err != nil && !errors.Is(err, smtp.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}

// key returns the key that signs the addresses: "" before any email was
// sent, which verifies nothing.
func (in *Inbound) key(ctx context.Context) (string, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.secret != "" {
		return in.secret, nil
	}
	s, err := in.inbox.MailSecret(ctx)
	if errors.Is(err, chat.ErrNotFound) {
		return "", nil
	}
	in.secret = s
	return s, err
}

// SMTP answers. Their words are the protocol's, in English.
var (
	errNoMailbox    = smtpError(550, 5, 1, 1, "No such mailbox here")
	errForged       = smtpError(550, 5, 7, 1, "This reply address is not one kefu made")
	errExpired      = smtpError(550, 5, 7, 1, "This reply address has expired; please reply through the link in the email")
	errNoChat       = smtpError(550, 5, 1, 1, "No such conversation")
	errNotVisitor   = smtpError(550, 5, 7, 1, "The sender is not this conversation's visitor")
	errUnwelcome    = smtpError(550, 5, 7, 1, "This sender may not write to this conversation")
	errRefused      = smtpError(550, 5, 7, 1, "The message was refused")
	errOneEach      = smtpError(452, 4, 5, 3, "One conversation per message; send the rest again")
	errUnreadable   = smtpError(554, 5, 6, 0, "The message cannot be read")
	errNoReply      = smtpError(550, 5, 6, 0, "No reply was found above the quoted email")
	errNoFileKept   = smtpError(550, 5, 6, 0, "No text above the quoted email, and no file of a kind and size kefu keeps")
	errTryLater     = smtpError(451, 4, 3, 0, "Cannot take the message now; please try again later")
	errNotRecipient = smtpError(503, 5, 5, 1, "No valid recipient")
)

func smtpError(code, class, subject, detail int, msg string) *smtp.SMTPError {
	return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{class, subject, detail}, Message: msg}
}

// inboundSession is one connection's transaction: its envelope sender, and
// the one conversation or email its recipients name.
type inboundSession struct {
	in     *Inbound
	from   string // the envelope sender, "" for the null sender of reports
	reply  *store.MailReplier
	bounce int64
}

func (s *inboundSession) Reset() { s.from, s.reply, s.bounce = "", nil, 0 }

func (s *inboundSession) Logout() error { return nil }

func (s *inboundSession) Mail(from string, _ *smtp.MailOptions) error {
	s.Reset()
	if from != "" && !chat.ValidEmail(from) {
		return smtpError(553, 5, 1, 7, "The sender is not an email address")
	}
	s.from = from
	return nil
}

// Rcpt takes a reply or bounce address whose token verifies. A reply
// address also needs its conversation's visitor, not disabled, to be the
// envelope sender: the null sender is let through to Data, which drops
// what it sends (automatic replies).
func (s *inboundSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	r, ok := parseRecipient(to, s.in.cfg.Domain)
	if !ok {
		return errNoMailbox
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.in.cfg.Timeout)
	defer cancel()
	secret, err := s.in.key(ctx)
	if err != nil {
		s.in.logger.Warn("inbound email: reading the mail secret", "err", err)
		return errTryLater
	}
	purpose := ReplyPurpose
	if r.bounce {
		purpose = BouncePurpose
	}
	id, err := auth.VerifyAddress(r.token, purpose, secret, s.in.cfg.Now())
	switch {
	case errors.Is(err, auth.ErrLinkExpired):
		return errExpired
	case err != nil:
		return errForged
	}
	if r.bounce {
		if s.reply != nil || (s.bounce != 0 && s.bounce != id) {
			return errOneEach
		}
		s.bounce = id
		return nil
	}
	if s.bounce != 0 || (s.reply != nil && s.reply.ConversationID != id) {
		return errOneEach
	}
	rep, err := s.in.inbox.MailReplier(ctx, id)
	switch {
	case errors.Is(err, chat.ErrNotFound):
		return errNoChat
	case err != nil:
		s.in.logger.Warn("inbound email: reading the conversation", "conversation_id", id, "err", err)
		return errTryLater
	case rep.Disabled:
		return errUnwelcome
	case s.from != "" && (rep.Email == "" || !strings.EqualFold(s.from, rep.Email)):
		return errNotVisitor
	}
	s.reply = &rep
	return nil
}

// Data reads the message and stores what it says.
func (s *inboundSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err // too large: go-smtp's answer
	}
	if s.reply == nil && s.bounce == 0 {
		return errNotRecipient
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return errUnreadable
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.in.cfg.Timeout)
	defer cancel()
	if s.bounce != 0 {
		return s.in.takeBounce(ctx, s.bounce, msg)
	}
	return s.in.takeReply(ctx, *s.reply, s.from, msg, raw)
}

// takeReply stores the reply msg (raw) from the envelope sender from as
// rep's visitor's messages, as the widget would: in their open support
// chat, or a new one. Its text is one message, then each of its files one
// more, as the widget's uploads are prepared; a file kefu does not keep is
// left out, and the rest are stored. A message that came already is not
// stored twice, nor any of its files.
func (in *Inbound) takeReply(ctx context.Context, rep store.MailReplier, from string, msg *mail.Message, raw []byte) error {
	log := in.logger.With("conversation_id", rep.ConversationID, "visitor_id", rep.VisitorID)
	if from == "" || automatic(msg.Header) {
		// An out-of-office answer, or a report: nothing a person said.
		log.Info("inbound email: an automatic message was dropped")
		return nil
	}
	authors, err := addressParser.ParseList(msg.Header.Get("From"))
	if err != nil || len(authors) != 1 || !strings.EqualFold(authors[0].Address, rep.Email) {
		return errNotVisitor
	}
	text, err := messageText(msg)
	if err != nil && !errors.Is(err, errNoText) {
		return errUnreadable
	}
	// No text above the quote is no message: the files may still be one.
	body, err := chat.ValidateBody(clipBody(StripQuoted(text)))
	if err != nil {
		body = ""
	}
	files, total, err := messageFiles(raw, in.cfg.Files.Max)
	if err != nil {
		return errUnreadable
	}
	if body == "" && total == 0 {
		return errNoReply
	}
	id := replyID(msg, raw)
	if body != "" {
		m, created, err := in.inbox.SendFromVisitor(ctx, store.Send{SenderID: rep.VisitorID, Body: body, ClientMsgID: id})
		if err != nil {
			if refused(err) {
				log.Info("inbound email: the reply was refused", "err", err)
				return errRefused
			}
			log.Warn("inbound email: storing the reply", "err", err)
			return errTryLater
		}
		log.Info("inbound email: a reply joined the conversation", "message_id", m.ID, "stored_in", m.ConversationID, "repeat", !created)
	}
	kept, refusal := 0, error(nil)
	for _, f := range files {
		err := in.takeFile(ctx, rep, id, f, log)
		switch {
		case err == nil:
			kept++
		case refused(err):
			refusal = err
		default:
			return errTryLater // tried again, what is stored is found stored
		}
	}
	if dropped := total - kept; dropped > 0 {
		log.Info("inbound email: files of a reply were left out", "kept", kept, "left_out", dropped, "err", refusal)
	}
	if body == "" && kept == 0 {
		var ve *chat.ValidationError
		if refusal != nil && !errors.As(refusal, &ve) {
			return errRefused // the visitor, not the files: a block, the grade
		}
		return errNoFileKept
	}
	return nil
}

// takeFile stores file f of the reply whose client message id is replyID
// as rep's visitor's image or file, prepared as an upload is: nil once it
// is stored, now or before, a refusal (refused) for a file kefu does not
// keep, or why it could not be stored now.
func (in *Inbound) takeFile(ctx context.Context, rep store.MailReplier, replyID string, f mailFile, log *slog.Logger) error {
	if f.err != nil {
		return chat.Invalid("file", "error.file.missing") // a body its mail reader encoded wrong
	}
	name := f.name
	if name == "" {
		name = i18n.For(in.cfg.Language).T("mail.inbound.file", "N", f.index+1) + extensions[f.media]
	}
	up, err := in.cfg.Files.Prepare(ctx, name, f.data)
	if err != nil {
		return err
	}
	m, created, err := in.inbox.SendFromVisitor(ctx, store.Send{SenderID: rep.VisitorID, ClientMsgID: fileID(replyID, f.index),
		Type: up.Type, Body: up.Name, File: &up})
	if err != nil {
		if !refused(err) {
			log.Warn("inbound email: storing a reply's file", "err", err)
		}
		return err
	}
	log.Info("inbound email: a reply's file joined the conversation", "message_id", m.ID, "stored_in", m.ConversationID, "repeat", !created)
	return nil
}

// takeBounce records what the report msg says of email mailID: a failure
// is recorded against it; a delay or a delivery changes nothing. Anything
// but a report is dropped: automatic answers go to the envelope sender too.
func (in *Inbound) takeBounce(ctx context.Context, mailID int64, msg *mail.Message) error {
	log := in.logger.With("mail_id", mailID)
	d, err := parseDSN(msg)
	if err != nil {
		log.Info("inbound email: a message to a bounce address that is no report was dropped", "err", err)
		return nil
	}
	if d.Action != "failed" {
		return nil
	}
	err = in.inbox.MailBounced(ctx, store.Bounce{MailID: mailID, Status: d.code(), Error: d.words(), Permanent: d.permanent(),
		Recipient: d.Recipient, At: in.cfg.Now()})
	switch {
	case errors.Is(err, store.ErrNotSentYet):
		return errTryLater
	case errors.Is(err, chat.ErrNotFound):
		log.Info("inbound email: a bounce of an email no longer kept was dropped")
		return nil
	case err != nil:
		log.Warn("inbound email: recording a bounce", "err", err)
		return errTryLater
	}
	log.Info("inbound email: an email bounced", "status", d.Status, "permanent", d.permanent())
	return nil
}

// automatic reports whether h is an automatic message's (RFC 3834's
// Auto-Submitted, and the fields older responders write instead).
func automatic(h mail.Header) bool {
	if a := strings.ToLower(strings.TrimSpace(h.Get("Auto-Submitted"))); a != "" && a != "no" {
		return true
	}
	if h.Get("X-Autoreply") != "" || h.Get("X-Autorespond") != "" {
		return true
	}
	switch strings.ToLower(strings.TrimSpace(h.Get("Precedence"))) {
	case "bulk", "junk", "list", "auto_reply":
		return true
	}
	media, _, _ := strings.Cut(strings.ToLower(h.Get("Content-Type")), ";")
	return strings.TrimSpace(media) == "multipart/report"
}

// refused reports whether err is kefu refusing the message itself (a
// block, the word filter, the grade), which no later try changes.
func refused(err error) bool {
	var ve *chat.ValidationError
	var re *chat.RefusedError
	return errors.As(err, &ve) || errors.As(err, &re) || errors.Is(err, chat.ErrChatUnavailable) ||
		errors.Is(err, chat.ErrMessageBlocked) || errors.Is(err, chat.ErrNotAllowed) || errors.Is(err, chat.ErrNotDelivered) ||
		errors.Is(err, chat.ErrConversationNotAllowed) || errors.Is(err, chat.ErrNotFound) || errors.Is(err, chat.ErrConflict)
}

// replyID is the client message id of a reply: its Message-ID's hash, so
// that a delivery tried again stores one message; without one, the whole
// message's.
func replyID(msg *mail.Message, raw []byte) string {
	key := []byte(strings.TrimSpace(msg.Header.Get("Message-Id")))
	if len(key) == 0 {
		key = raw
	}
	sum := sha256.Sum256(key)
	return "mail-" + hex.EncodeToString(sum[:24])
}

// clipBody cuts a reply longer than a message may be, marking the cut.
func clipBody(s string) string {
	s = strings.ReplaceAll(s, "\x00", "")
	if utf8.RuneCountInString(s) <= chat.MaxBodyChars {
		return s
	}
	return string([]rune(s)[:chat.MaxBodyChars-1]) + "…"
}
