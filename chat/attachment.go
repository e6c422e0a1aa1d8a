package chat

import (
	"bytes"
	"image"
	"image/draw"
	_ "image/gif" // decoded, then re-encoded as PNG
	"image/jpeg"
	"image/png"
	"net/http"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	xdraw "golang.org/x/image/draw"
	_ "golang.org/x/image/webp" // decoded, then re-encoded as PNG
)

// Attachment limits.
const (
	// DefaultMaxUpload is the largest file kefu takes when KEFU_MAX_UPLOAD
	// does not say otherwise: 20 MB.
	DefaultMaxUpload = 20 << 20
	// MaxFileNameChars bounds a file's name, in characters.
	MaxFileNameChars = 200
	// MaxImagePixels bounds an image's width times height, checked from its
	// header before it is decoded: a small file must not become gigabytes
	// in memory.
	MaxImagePixels = 25_000_000
	// ThumbSide is the longest side of a thumbnail, in pixels.
	ThumbSide = 320
)

// Attachment is the file an image or file message carries, as readers are
// told of it. Token is random and unguessable: with the reader's right to
// the conversation it is what fetches the file.
type Attachment struct {
	Token       string
	Name        string
	ContentType string
	Size        int64
	// Width and Height are an image's, in pixels (0 for other files).
	Width, Height int
}

// Media is how a reader's page shows the attachment: "image" (a thumbnail
// and a viewer), "audio" or "video" (played inline), or "" (a card to
// download it).
func (a Attachment) Media() string {
	switch a.ContentType {
	case "image/png", "image/jpeg":
		return "image"
	case "audio/mpeg", "audio/wave", "audio/ogg":
		return "audio"
	case "video/mp4", "video/webm":
		return "video"
	}
	return ""
}

// Inline reports whether the file is served to be shown in the browser:
// only images kefu re-encoded itself, and sound and video, which a browser
// plays and never runs. Everything else is served as a download.
func (a Attachment) Inline() bool { return a.Media() != "" }

// Upload is a file as it is to be stored: checked, its type taken from its
// content, an image re-encoded (which also drops its metadata) and given a
// thumbnail.
type Upload struct {
	Name        string
	ContentType string
	Type        MessageType // Image or File
	Data        []byte
	Thumb       []byte // images only
	Width       int
	Height      int
}

// fileTypes are the types sniffed from content (http.DetectContentType)
// that kefu keeps as files, by the type they are served with. Web pages,
// fonts, scripts and PostScript are refused; SVG (sniffed as XML) is kept,
// but as a download only, like every file that is not Inline.
var fileTypes = map[string]string{
	"application/pdf":              "application/pdf",
	"application/zip":              "application/zip",
	"application/x-gzip":           "application/gzip",
	"application/x-rar-compressed": "application/vnd.rar",
	"application/octet-stream":     "application/octet-stream",
	"text/plain; charset=utf-8":    "text/plain; charset=utf-8",
	"text/plain; charset=utf-16be": "text/plain; charset=utf-16be",
	"text/plain; charset=utf-16le": "text/plain; charset=utf-16le",
	"text/xml; charset=utf-8":      "text/xml; charset=utf-8",
	"image/bmp":                    "image/bmp",
	"image/x-icon":                 "image/x-icon",
	"audio/mpeg":                   "audio/mpeg",
	"audio/wave":                   "audio/wave",
	"audio/aiff":                   "audio/aiff",
	"audio/basic":                  "audio/basic",
	"audio/midi":                   "audio/midi",
	"application/ogg":              "audio/ogg",
	"video/mp4":                    "video/mp4",
	"video/webm":                   "video/webm",
	"video/avi":                    "video/x-msvideo",
}

// imageTypes are the images kefu decodes and re-encodes.
var imageTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true}

// PrepareUpload checks a file a person sends, named name, of at most max
// bytes: its type from its content, not its name, and the name itself. An
// image is re-encoded (PNG, or JPEG for a JPEG; a GIF becomes its first
// frame) and thumbnailed, after its dimensions are checked from its header.
func PrepareUpload(name string, data []byte, max int64) (Upload, error) {
	var u Upload
	var err error
	if u.Name, err = ValidateFileName(name); err != nil {
		return u, err
	}
	switch {
	case len(data) == 0:
		return u, Invalid("file", "error.file.empty")
	case int64(len(data)) > max:
		return u, TooLarge(max)
	}
	sniffed := http.DetectContentType(data)
	if imageTypes[sniffed] {
		return prepareImage(u, data)
	}
	ct, ok := fileTypes[sniffed]
	if !ok {
		return u, Invalid("file", "error.file.type")
	}
	u.ContentType, u.Type, u.Data = ct, File, data
	return u, nil
}

// TooLarge is the refusal of a file over max bytes.
func TooLarge(max int64) error {
	return Invalid("file", "error.file.tooLarge", "Max", max>>20)
}

func prepareImage(u Upload, data []byte) (Upload, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width < 1 || cfg.Height < 1 {
		return u, Invalid("file", "error.file.image")
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxImagePixels {
		return u, Invalid("file", "error.file.imagePixels", "Max", MaxImagePixels/1_000_000)
	}
	img, format, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return u, Invalid("file", "error.file.image")
	}
	b := img.Bounds()
	u.Type, u.Width, u.Height = Image, b.Dx(), b.Dy()
	thumb := thumbnail(img)
	if u.Data, u.ContentType, err = encode(img, format == "jpeg"); err != nil {
		return u, Invalid("file", "error.file.image")
	}
	if u.Thumb, _, err = encode(thumb, format == "jpeg"); err != nil {
		return u, Invalid("file", "error.file.image")
	}
	if format != "jpeg" && format != "png" {
		u.Name = strings.TrimSuffix(u.Name, path.Ext(u.Name)) + ".png"
	}
	return u, nil
}

// encode writes img as JPEG (photos) or PNG (everything else, which may be
// transparent).
func encode(img image.Image, asJPEG bool) ([]byte, string, error) {
	var buf bytes.Buffer
	if asJPEG {
		err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 88})
		return buf.Bytes(), "image/jpeg", err
	}
	err := png.Encode(&buf, img)
	return buf.Bytes(), "image/png", err
}

// thumbnail scales img to fit ThumbSide, never up.
func thumbnail(img image.Image) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= ThumbSide && h <= ThumbSide {
		return img
	}
	if w >= h {
		h, w = max(1, h*ThumbSide/w), ThumbSide
	} else {
		w, h = max(1, w*ThumbSide/h), ThumbSide
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	xdraw.ApproxBiLinear.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
	return dst
}

// ValidateFileName keeps the last element of a file's name (a browser may
// send a path), trimmed, and checks it is UTF-8 of 1 to MaxFileNameChars
// characters without control characters.
func ValidateFileName(name string) (string, error) {
	if !utf8.ValidString(name) {
		return "", errNotUTF8()
	}
	name = strings.TrimSpace(name[strings.LastIndexAny(name, `/\`)+1:])
	n := utf8.RuneCountInString(name)
	switch {
	case n == 0 || name == "." || name == "..":
		return "", Invalid("name", "error.file.name")
	case n > MaxFileNameChars:
		return "", Invalid("name", "error.file.nameTooLong", "Max", MaxFileNameChars)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return "", Invalid("name", "error.file.name")
	}
	return name, nil
}

// HostAttachment is an attachment as the host API and webhooks tell of it.
// URL is relative to kefu's base URL, and is fetched with an API key that
// may read the conversation.
type HostAttachment struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	Width       int    `json:"width,omitempty"`
	Height      int    `json:"height,omitempty"`
	URL         string `json:"url"`
}

// ForHost is a as the host API and webhooks tell of it (nil for nil).
func (a *Attachment) ForHost() *HostAttachment {
	if a == nil {
		return nil
	}
	return &HostAttachment{Name: a.Name, ContentType: a.ContentType, Size: a.Size, Width: a.Width, Height: a.Height,
		URL: "/api/v1/files/" + a.Token}
}
