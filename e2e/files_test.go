package e2e

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

// thumbShown is a stored image bubble whose thumbnail has loaded.
const thumbShown = `Array.from(document.querySelectorAll('#messages li[id^="msg-"] [data-testid=image-thumb] img')).filter(i => i.complete && i.naturalWidth > 0)`

// TestImageFromWidgetSeenInConsole has a visitor send images from the
// widget, on a third-party site, one chosen with the attach button and one
// pasted as a screenshot; the widget shows them (fetched with the visitor's
// token, as the frame sends no cookie), and the agent sees both as
// thumbnails in the console and opens one in the viewer.
func TestImageFromWidgetSeenInConsole(t *testing.T) {
	t.Parallel() // its own kefu and browser
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	base, db, _ := kefuOnOwnDatabase(t, ctx, "files")
	host := hostPage(t, base)

	img := image.NewRGBA(image.Rect(0, 0, 640, 400))
	for y := range 400 {
		for x := range 640 {
			img.Set(x, y, color.RGBA{R: uint8(x / 3), G: uint8(y / 2), B: 160, A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	photo := filepath.Join(t.TempDir(), "garden.png")
	if err := os.WriteFile(photo, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	browser := startBrowser(t, ctx)
	agent := newTab(t, browser)
	defer screenshot(t, agent, "files-console.png")
	signIn(t, agent, base, agentEmail, agentPassword)

	visitor, widget := openWidget(t, browser, host)
	defer screenshot(t, visitor, "files-widget.png")
	do(t, widget, "visitor writes first",
		chromedp.SendKeys(chromedp.CSS(composer), "My rake broke, here is a photo\n"),
		hasText(stored, "My rake broke, here is a photo"),
		until(`document.body.dataset.liveState === "open"`))
	do(t, widget, "visitor chooses a photo",
		chromedp.SetUploadFiles(chromedp.CSS(`input[data-attach]`), []string{photo}),
		until(thumbShown+`.length === 1`))
	do(t, widget, "visitor pastes a screenshot",
		chromedp.Evaluate[chromedp.Void](`(() => {
			const c = document.createElement("canvas");
			c.width = 300; c.height = 200;
			const g = c.getContext("2d");
			g.fillStyle = "#2a7"; g.fillRect(0, 0, 300, 200);
			c.toBlob(b => {
				const dt = new DataTransfer();
				dt.items.add(new File([b], "image.png", { type: "image/png" }));
				document.querySelector("textarea[data-testid=composer]").dispatchEvent(
					new ClipboardEvent("paste", { clipboardData: dt, bubbles: true, cancelable: true }));
			}, "image/png");
		})()`),
		until(thumbShown+`.length === 2`))
	if src := get(t, widget, "the widget's thumbnail", chromedp.Evaluate[string](thumbShown+`[0].src`)); len(src) < 5 || src[:5] != "blob:" {
		t.Errorf("the widget shows its thumbnail from %q, want a blob: URL fetched with the visitor's token", src)
	}
	if n := get(t, widget, "pending uploads", chromedp.Evaluate[int](`document.querySelectorAll("#messages li.pending").length`)); n != 0 {
		t.Errorf("%d uploads still pending in the widget after their bubbles came", n)
	}

	var conv int64
	if err := db.Pool().QueryRow(ctx, "SELECT id FROM conversations WHERE kind = 'support'").Scan(&conv); err != nil {
		t.Fatal(err)
	}
	var files int
	if err := db.Pool().QueryRow(ctx, "SELECT count(*) FROM attachments WHERE conversation_id = $1", conv).Scan(&files); err != nil || files != 2 {
		t.Fatalf("%d files stored (%v), want 2", files, err)
	}
	do(t, agent, "the agent opens the chat and sees the thumbnails",
		chromedp.Navigate(fmt.Sprintf("%s/console/c/%d", base, conv)),
		until(thumbShown+`.length === 2`))
	do(t, agent, "the agent opens the photo in the viewer",
		chromedp.Click(chromedp.CSS(`#messages li[id^="msg-"] [data-testid=image-thumb]`)),
		until(`(() => { const i = document.querySelector("[data-testid=viewer-image]"); return i && i.complete && i.naturalWidth === 640; })()`))
	screenshot(t, agent, "files-console-viewer.png")
	do(t, agent, "Escape closes the viewer",
		chromedp.Evaluate[chromedp.Void](`document.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }))`),
		until(`document.querySelector("[data-testid=viewer]") === null`))
}
