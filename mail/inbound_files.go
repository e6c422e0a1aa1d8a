package mail

// The files of a reply by email: its attachments, and the images its
// writer pasted into it (inline parts with a Content-ID). Each becomes the
// visitor's image or file message, prepared as the widget's uploads are.

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strconv"
	"strings"
)

// maxReplyFiles bounds the files one reply by email adds to the
// conversation; those after are dropped.
const maxReplyFiles = 10

// mailFile is a file part of a message, decoded.
type mailFile struct {
	// index is the file's place among the message's files, from 0: with
	// the message's id, the id of the message it becomes.
	index int
	// name is the name its writer's mail reader gave it ("": none).
	name string
	// media is the type its mail reader declared, which kefu does not
	// trust: it names a file that has no name.
	media string
	data  []byte
	// err is why its body could not be read (nil: read).
	err error
}

// notFiles are the parts that are no file a person attached: signatures
// of the message, and reports.
var notFiles = map[string]bool{
	"application/pkcs7-signature": true, "application/x-pkcs7-signature": true,
	"application/pgp-signature": true, "application/pgp-encrypted": true,
	"message/delivery-status": true, "message/disposition-notification": true,
}

// messageFiles returns the first maxReplyFiles files of the message raw,
// in order, each read up to max+1 bytes (enough to know it is too large),
// and how many there were in all. A file is a part that is not text read
// as the message's (walkText's), whether an attachment or inline.
func messageFiles(raw []byte, max int64) ([]mailFile, int, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, 0, err
	}
	var files []mailFile
	n := 0
	err = walkFiles(part{header: textproto.MIMEHeader(msg.Header), body: msg.Body}, func(p part, media, name string) {
		if n < maxReplyFiles {
			data, err := io.ReadAll(io.LimitReader(transferDecoded(p), max+1))
			files = append(files, mailFile{index: n, name: name, media: media, data: data, err: err})
		}
		n++
	})
	return files, n, err
}

// walkFiles calls found with each file part under p, its declared type
// and its name.
func walkFiles(p part, found func(p part, media, name string)) error {
	return walkParts(p, 0, func(p part, media string, params map[string]string) error {
		disp, dparams := p.disposition()
		switch {
		case (media == "text/plain" || media == "text/html") && disp != "attachment":
			return nil // the message's text (walkText)
		case notFiles[media]:
			return nil
		}
		found(p, media, fileName(dparams["filename"], params["name"]))
		return nil
	})
}

// fileName is a part's name: its Content-Disposition's filename (RFC 2231
// may have encoded it), else its Content-Type's name, which mail readers
// often encode as RFC 2047 words instead (QQ Mail, Outlook).
func fileName(filename, name string) string {
	s := filename
	if s == "" {
		s = name
	}
	if decoded, err := wordDecoder.DecodeHeader(s); err == nil {
		s = decoded
	}
	return strings.TrimSpace(s)
}

// transferDecoded is p's body undone from its transfer encoding.
func transferDecoded(p part) io.Reader {
	switch strings.ToLower(strings.TrimSpace(p.header.Get("Content-Transfer-Encoding"))) {
	case "quoted-printable":
		return quotedprintable.NewReader(p.body)
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, &lineJoiner{r: p.body})
	}
	return p.body
}

// extensions name a file that came without a name by its declared type;
// its content decides what kefu keeps it as.
var extensions = map[string]string{
	"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp",
	"application/pdf": ".pdf",
}

// fileID is the client message id of the file at index of the reply whose
// id is replyID: a delivery tried again stores each file once.
func fileID(replyID string, index int) string {
	return replyID + "-f" + strconv.Itoa(index)
}
