package mail

// Reading the text of a message kefu receives: the plain-text part, else
// the HTML part made text, undone from quoted-printable or base64 and from
// its charset (Chinese mail readers still write GB2312, GBK or GB18030).

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"net/textproto"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/htmlindex"
)

// maxPartDepth bounds how deep multiparts may nest: mail readers nest two
// or three (mixed, related, alternative).
const maxPartDepth = 5

// errNoText is a message with no text part kefu can read.
var errNoText = errors.New("no text part")

// wordDecoder decodes headers' encoded words in any charset kefu reads.
var wordDecoder = &mime.WordDecoder{CharsetReader: charsetReader}

// addressParser reads addresses whose names are encoded in such charsets.
var addressParser = &mail.AddressParser{WordDecoder: wordDecoder}

// charsetReader reads input in charset as UTF-8. It knows the names
// browsers know (WHATWG's): GB2312 reads as GBK, its superset.
func charsetReader(charset string, input io.Reader) (io.Reader, error) {
	e, err := htmlindex.Get(charset)
	if err != nil {
		return nil, fmt.Errorf("unknown charset %q", charset)
	}
	return e.NewDecoder().Reader(input), nil
}

// part is a MIME entity: its header and its raw body.
type part struct {
	header textproto.MIMEHeader
	body   io.Reader
}

// mediaType is p's Content-Type and its parameters. Without one, or with
// one that cannot be read, a part is plain text (RFC 2045's default): the
// body of an email with no MIME headers is its text, not a file.
func (p part) mediaType() (string, map[string]string) {
	media, params, err := mime.ParseMediaType(p.header.Get("Content-Type"))
	if err != nil {
		return "text/plain", map[string]string{}
	}
	return media, params
}

// messageText returns the text of msg: its first plain-text part that is
// not an attachment, else its first HTML part as text.
func messageText(msg *mail.Message) (string, error) {
	var plain, htmlText *string
	err := walkText(part{header: textproto.MIMEHeader(msg.Header), body: msg.Body}, func(media, text string) {
		switch {
		case media == "text/plain" && plain == nil:
			plain = &text
		case media == "text/html" && htmlText == nil:
			htmlText = &text
		}
	})
	switch {
	case err != nil:
		return "", err
	case plain != nil:
		return *plain, nil
	case htmlText != nil:
		return htmlToText(*htmlText), nil
	}
	return "", errNoText
}

// walkParts calls leaf with each part under p that is not a multipart, in
// the message's order, down to maxPartDepth.
func walkParts(p part, depth int, leaf func(p part, media string, params map[string]string) error) error {
	media, params := p.mediaType()
	if !strings.HasPrefix(media, "multipart/") {
		return leaf(p, media, params)
	}
	if depth >= maxPartDepth || params["boundary"] == "" {
		return nil
	}
	r := multipart.NewReader(p.body, params["boundary"])
	for {
		sub, err := r.NextRawPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := walkParts(part{header: sub.Header, body: sub}, depth+1, leaf); err != nil {
			return err
		}
	}
}

// disposition is p's Content-Disposition: "attachment", "inline" or "".
func (p part) disposition() (string, map[string]string) {
	disp, params, _ := mime.ParseMediaType(p.header.Get("Content-Disposition"))
	return disp, params
}

// walkText calls found with each inline text part under p, decoded.
func walkText(p part, found func(media, text string)) error {
	return walkParts(p, 0, func(p part, media string, params map[string]string) error {
		if disp, _ := p.disposition(); disp == "attachment" || (media != "text/plain" && media != "text/html") {
			return nil
		}
		text, err := decodeBody(p, params["charset"])
		if err != nil {
			return err
		}
		found(media, text)
		return nil
	})
}

// decodeBody is p's body undone from its transfer encoding and charset.
func decodeBody(p part, charset string) (string, error) {
	raw, err := io.ReadAll(transferDecoded(p))
	if err != nil {
		return "", fmt.Errorf("reading a text part: %w", err)
	}
	charset = strings.ToLower(strings.TrimSpace(charset))
	if charset == "" || charset == "us-ascii" || charset == "utf-8" || charset == "utf8" {
		if utf8.Valid(raw) {
			return string(raw), nil
		}
		if charset == "" {
			charset = "gb18030" // undeclared and not UTF-8: the likeliest, a Chinese client's
		} else {
			return strings.ToValidUTF8(string(raw), "\uFFFD"), nil
		}
	}
	dec, err := charsetReader(charset, bytes.NewReader(raw))
	if err != nil {
		return "", err
	}
	text, err := io.ReadAll(dec)
	if err != nil {
		return "", fmt.Errorf("decoding %s: %w", charset, err)
	}
	return string(text), nil
}

// lineJoiner drops the line breaks and spaces of a base64 body, which
// encoding/base64 takes for corruption only at some places.
type lineJoiner struct{ r io.Reader }

func (l *lineJoiner) Read(p []byte) (int, error) {
	for {
		n, err := l.r.Read(p)
		k := 0
		for _, b := range p[:n] {
			if b != '\r' && b != '\n' && b != ' ' && b != '\t' {
				p[k] = b
				k++
			}
		}
		if k > 0 || err != nil {
			return k, err
		}
	}
}

// htmlToText is an HTML part's text: tags gone, blocks on lines of their
// own, entities decoded, and what <blockquote> quotes (the email replied
// to), <script>, <style> and <head> hold left out.
func htmlToText(s string) string {
	var b strings.Builder
	skip := map[string]int{}
	for s != "" {
		lt := strings.IndexByte(s, '<')
		if lt < 0 {
			lt = len(s)
		}
		if chunk := s[:lt]; chunk != "" && skip["blockquote"]+skip["script"]+skip["style"]+skip["head"] == 0 {
			// Runs of white space are one space, as a browser shows them.
			if isSpace(chunk[0]) {
				b.WriteByte(' ')
			}
			b.WriteString(html.UnescapeString(strings.Join(strings.Fields(chunk), " ")))
			if isSpace(chunk[len(chunk)-1]) {
				b.WriteByte(' ')
			}
		}
		s = s[lt:]
		if s == "" {
			break
		}
		end := strings.IndexByte(s, '>')
		if strings.HasPrefix(s, "<!--") {
			end = strings.Index(s, "-->")
			if end >= 0 {
				end += 2
			}
		}
		if end < 0 {
			break
		}
		tag := s[1:end]
		s = s[end+1:]
		closing := strings.HasPrefix(tag, "/")
		name := strings.ToLower(strings.TrimLeft(tag, "/"))
		if i := strings.IndexAny(name, " \t\r\n/"); i >= 0 {
			name = name[:i]
		}
		switch name {
		case "blockquote", "script", "style", "head":
			if closing {
				skip[name] = max(skip[name]-1, 0)
			} else if !strings.HasSuffix(tag, "/") {
				skip[name]++
			}
			if name == "blockquote" {
				b.WriteByte('\n')
			}
		case "br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "hr", "pre":
			b.WriteByte('\n')
		}
	}
	var lines []string
	for line := range strings.SplitSeq(b.String(), "\n") {
		lines = append(lines, strings.TrimSpace(line))
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
