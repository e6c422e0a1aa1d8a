// Package mailtest runs an SMTP server on a loopback port for tests: it
// speaks STARTTLS (or TLS from the start) with a certificate of its own,
// asks for a password, records the messages it accepts, and answers a
// recipient with an SMTP error when a test asks it to.
package mailtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// User and Password are what the server asks for.
const (
	User     = "kefu"
	Password = "s3cret-smtp"
)

// Message is one message the server accepted.
type Message struct {
	From string
	To   []string
	Raw  []byte
	// Header and Body are Raw parsed by net/mail.
	Header mail.Header
	Body   []byte
}

// Server is a running test SMTP server.
type Server struct {
	srv      *smtp.Server
	addr     string
	implicit bool
	client   *tls.Config

	mu       sync.Mutex
	messages []Message
	answers  []*smtp.SMTPError // the next recipients' answers, in order
	logins   int
}

// Start runs a server until t ends. implicitTLS: TLS from the start
// (smtps://), else STARTTLS (smtp://).
func Start(t testing.TB, implicitTLS bool) *Server {
	t.Helper()
	cert, pool := certificate(t)
	s := &Server{implicit: implicitTLS, client: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }))
	s.srv.Domain = "localhost"
	s.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	s.srv.ReadTimeout, s.srv.WriteTimeout = 10*time.Second, 10*time.Second
	s.srv.MaxMessageBytes = 10 << 20
	var l net.Listener
	var err error
	if implicitTLS {
		l, err = tls.Listen("tcp", "127.0.0.1:0", s.srv.TLSConfig)
	} else {
		l, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	s.addr = l.Addr().String()
	go func() { _ = s.srv.Serve(l) }()
	t.Cleanup(func() { _ = s.srv.Close() })
	return s
}

// URL is the server's KEFU_SMTP_URL, with its user and password.
func (s *Server) URL() *url.URL {
	scheme := "smtp"
	if s.implicit {
		scheme = "smtps"
	}
	return &url.URL{Scheme: scheme, User: url.UserPassword(User, Password), Host: s.addr}
}

// TLS is a client configuration that trusts the server's certificate.
func (s *Server) TLS() *tls.Config { return s.client.Clone() }

// Answer makes the server answer the next recipients with code (4xx or
// 5xx), one each, in order.
func (s *Server) Answer(codes ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, code := range codes {
		class := code / 100
		s.answers = append(s.answers, &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{class, 0, 0},
			Message: "test answer " + strconv.Itoa(code)})
	}
}

// Messages returns the messages accepted so far, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// session is one client's connection.
type session struct {
	s      *Server
	authed bool
	msg    Message
}

func (se *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (se *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != User || pass != Password {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "bad credentials"}
		}
		se.authed = true
		se.s.mu.Lock()
		se.s.logins++
		se.s.mu.Unlock()
		return nil
	}), nil
}

func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	if !se.authed {
		return smtp.ErrAuthRequired
	}
	se.msg = Message{From: from}
	return nil
}

func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	se.s.mu.Lock()
	defer se.s.mu.Unlock()
	if len(se.s.answers) > 0 {
		a := se.s.answers[0]
		se.s.answers = se.s.answers[1:]
		return a
	}
	se.msg.To = append(se.msg.To, to)
	return nil
}

func (se *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := se.msg
	m.Raw = raw
	parsed, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "unreadable message"}
	}
	m.Header = parsed.Header
	if m.Body, err = io.ReadAll(parsed.Body); err != nil {
		return err
	}
	se.s.mu.Lock()
	se.s.messages = append(se.s.messages, m)
	se.s.mu.Unlock()
	return nil
}

func (se *session) Reset()        { se.msg = Message{} }
func (se *session) Logout() error { return nil }

// certificate makes a self-signed certificate for 127.0.0.1 and localhost,
// and the pool that trusts it.
func certificate(t testing.TB) (tls.Certificate, *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mailtest"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// Parts returns m's text parts by media type ("text/plain", "text/html"),
// decoded: its body alone, or each part of a multipart one.
func (m Message) Parts() (map[string]string, error) {
	out := map[string]string{}
	media, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(media, "multipart/") {
		out[media] = string(m.Body)
		return out, nil
	}
	r := multipart.NewReader(bytes.NewReader(m.Body), params["boundary"])
	for {
		p, err := r.NextPart() // quoted-printable is decoded here
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(p)
		if err != nil {
			return nil, err
		}
		media, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		out[media] = string(b)
	}
}
