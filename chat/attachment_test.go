package chat

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"
)

func pngOf(w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	img.Set(0, 0, color.RGBA{R: 200, A: 255})
	var buf bytes.Buffer
	_ = png.Encode(&buf, img)
	return buf.Bytes()
}

func sayOf(err error) string {
	var v *ValidationError
	if errors.As(err, &v) {
		return v.Say
	}
	return ""
}

func TestPrepareUpload(t *testing.T) {
	var jpg, gf bytes.Buffer
	_ = jpeg.Encode(&jpg, image.NewRGBA(image.Rect(0, 0, 800, 400)), nil)
	_ = gif.Encode(&gf, image.NewPaletted(image.Rect(0, 0, 10, 10), []color.Color{color.Black}), nil)
	// A PNG header that claims 100000 x 100000 pixels: refused from its header.
	bomb := pngOf(1, 1)
	copy(bomb[16:24], []byte{0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0})
	binary.BigEndian.PutUint32(bomb[29:33], crc32.ChecksumIEEE(bomb[12:29]))
	pdf := []byte("%PDF-1.4\n%…\n1 0 obj\n<<>>\nendobj\n")
	svg := []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)
	tests := []struct {
		name    string
		data    []byte
		max     int64
		say     string
		typ     MessageType
		ct      string
		outName string
	}{
		{name: "a.png", data: pngOf(640, 480), typ: Image, ct: "image/png", outName: "a.png"},
		{name: "photo.jpg", data: jpg.Bytes(), typ: Image, ct: "image/jpeg", outName: "photo.jpg"},
		{name: "anim.gif", data: gf.Bytes(), typ: Image, ct: "image/png", outName: "anim.png"},
		// The content decides, not the name.
		{name: "report.png", data: pdf, typ: File, ct: "application/pdf", outName: "report.png"},
		{name: "cat.txt", data: pngOf(2, 2), typ: Image, ct: "image/png", outName: "cat.txt"},
		{name: "x.svg", data: svg, typ: File, ct: "text/xml; charset=utf-8", outName: "x.svg"},
		{name: `C:\Users\me\notes.txt`, data: []byte("hello"), typ: File, ct: "text/plain; charset=utf-8", outName: "notes.txt"},
		{name: "page.txt", data: []byte("<!DOCTYPE html><html><script>alert(1)</script>"), say: "error.file.type"},
		{name: "empty.txt", data: nil, say: "error.file.empty"},
		{name: "big.txt", data: []byte("hello world"), max: 5, say: "error.file.tooLarge"},
		{name: "bomb.png", data: bomb, say: "error.file.imagePixels"},
		{name: "broken.png", data: pngOf(4, 4)[:40], say: "error.file.image"},
		{name: "", data: []byte("hi"), say: "error.file.name"},
		{name: "a\x00b", data: []byte("hi"), say: "error.file.name"},
		{name: strings.Repeat("名", MaxFileNameChars+1), data: []byte("hi"), say: "error.file.nameTooLong"},
		{name: "bad\xff", data: []byte("hi"), say: "error.body.notUTF8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			max := tt.max
			if max == 0 {
				max = DefaultMaxUpload
			}
			u, err := PrepareUpload(tt.name, tt.data, max)
			if tt.say != "" {
				if sayOf(err) != tt.say {
					t.Fatalf("err = %v, want %s", err, tt.say)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if u.Type != tt.typ || u.ContentType != tt.ct || u.Name != tt.outName {
				t.Fatalf("got %s %q %q, want %s %q %q", u.Type, u.ContentType, u.Name, tt.typ, tt.ct, tt.outName)
			}
			if tt.typ == Image && (len(u.Thumb) == 0 || u.Width == 0) {
				t.Fatalf("image without thumbnail or size: %d bytes, %dx%d", len(u.Thumb), u.Width, u.Height)
			}
		})
	}
}

func TestThumbnailFits(t *testing.T) {
	u, err := PrepareUpload("wide.png", pngOf(1000, 250), DefaultMaxUpload)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(u.Thumb))
	if err != nil || cfg.Width != ThumbSide || cfg.Height != 80 {
		t.Fatalf("thumbnail %dx%d (%v), want %dx80", cfg.Width, cfg.Height, err, ThumbSide)
	}
	if u.Width != 1000 || u.Height != 250 {
		t.Fatalf("size %dx%d", u.Width, u.Height)
	}
}

func TestAttachmentInline(t *testing.T) {
	for ct, want := range map[string]string{
		"image/png": "image", "image/jpeg": "image", "audio/mpeg": "audio", "audio/ogg": "audio", "video/mp4": "video",
		"text/xml; charset=utf-8": "", "application/pdf": "", "image/bmp": "", "text/plain; charset=utf-8": "",
	} {
		a := Attachment{ContentType: ct}
		if a.Media() != want || a.Inline() != (want != "") {
			t.Errorf("%s: media %q inline %v, want %q", ct, a.Media(), a.Inline(), want)
		}
	}
}

func TestMessageTypeSaid(t *testing.T) {
	for typ, want := range map[MessageType]bool{Text: true, Image: true, File: true, System: false, Note: false} {
		if typ.Said() != want {
			t.Errorf("%s.Said() = %v", typ, !want)
		}
	}
}
