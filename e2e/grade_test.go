package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// People of the grade test, created with `kefu user add` before kefu's first start.
const (
	miaEmail, noorEmail, fredEmail = "mia@example.com", "noor@example.com", "fred@example.com"
	memberPassword                 = "a member's password"
)

// TestGradeSwitch (issue #4): kefu starts at grade 0 from a KEFU_CONFIG
// file; the admin switches the grade to 100 on the settings page; then Mia,
// a member who is not customer service, is refused when she tries to write
// to Noor, another such member, with the reason in the page, but can still
// write to her friend Fred; and the audit log shows the change.
func TestGradeSwitch(t *testing.T) {
	t.Parallel() // its own kefu and browser
	ctx, cancel := context.WithTimeout(t.Context(), routingTimeout)
	defer cancel()
	dir := tempDir(t, "grade")
	data := filepath.Join(dir, "data")
	settings := filepath.Join(dir, "config.json")
	if err := os.WriteFile(settings, []byte(`{"customer_service_uids": [], "conversation_grade": 0}`), 0o644); err != nil {
		t.Fatal(err)
	}
	db := "DATABASE_URL=" + ownDatabase(t, ctx)
	for _, u := range []struct{ email, name string }{{miaEmail, "Mia"}, {noorEmail, "Noor"}, {fredEmail, "Fred"}} {
		userAdd(t, ctx, data, u.email, u.name, memberPassword, "KEFU_CONFIG="+settings, db)
	}
	stop, addr, err := startKefu(kefuBin, data, "", "KEFU_CONFIG="+settings, db)
	if err != nil {
		t.Fatalf("starting kefu: %v\nkefu's output:\n%s", err, kefuLog.String())
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("stopping kefu: %v", err)
		}
	})
	base := "http://" + addr

	browser := startBrowser(t, ctx)
	admin, mia, fred := newTab(t, browser), newTab(t, browser), newTab(t, browser)
	defer screenshot(t, admin, "grade-audit.png")
	defer screenshot(t, mia, "grade-refused.png")
	signIn(t, admin, base, agentEmail, agentPassword)
	signIn(t, mia, base, miaEmail, memberPassword)
	signIn(t, fred, base, fredEmail, memberPassword)

	// Mia invites Fred from the People page; Fred sees it counted and accepts.
	do(t, mia, "Mia finds Fred",
		chromedp.Navigate(base+"/console/people?q=fred"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=person] input[name=message]`), "Hi Fred, it's Mia"))
	submit(t, mia, "Mia invites Fred", `[data-testid=person] button[data-testid=invite]`, 200)
	do(t, mia, "Mia is told", hasText(`[data-testid=notice]`, "Invitation sent."))
	do(t, fred, "Fred sees the invitation counted, live", hasText(`[data-testid=invites-badge]`, "1"))
	submitLink(t, fred, "Fred opens his friends", `[data-testid=nav-friends]`)
	do(t, fred, "Fred reads the invitation", hasText(`[data-testid=received-invite] q`, "Hi Fred, it's Mia"))
	submit(t, fred, "Fred accepts", `[data-testid=received-invite] button[data-testid=accept]`, 200)
	do(t, fred, "Mia is Fred's friend", hasText(`[data-testid=friend] strong`, "Mia"))

	// The admin switches the grade from 0 to 100.
	do(t, admin, "the admin opens the settings",
		chromedp.Navigate(base+"/admin/settings"),
		until(`document.querySelector("[data-testid=grade-0]").checked`),
		chromedp.Click(chromedp.CSS(`[data-testid=grade-100]`)))
	submit(t, admin, "the admin raises the grade to 100", `[data-testid=save-grade]`, 200)
	do(t, admin, "the grade is 100",
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=notice]`)),
		until(`document.querySelector("[data-testid=grade-100]").checked`))

	// Mia may no longer write to Noor, and is told why in the page.
	do(t, mia, "Mia finds Noor", chromedp.Navigate(base+"/console/people?q=noor"))
	submit(t, mia, "Mia tries to write to Noor", `[data-testid=person] button[data-testid=message]`, 403)
	do(t, mia, "Mia is told why",
		hasText(`[data-testid=refusal]`, "Here you can only start a conversation with customer service, your friends, or people in a group with you."))

	// Writing to her friend Fred still works, live on his side.
	do(t, fred, "Fred waits on the console", chromedp.Navigate(base+"/console"), until(`document.body.dataset.liveState === "open"`))
	do(t, mia, "Mia finds Fred again", chromedp.Navigate(base+"/console/people?q=fred"))
	submit(t, mia, "Mia writes to Fred", `[data-testid=person] button[data-testid=message]`, 200)
	do(t, mia, "Mia writes to Fred",
		hasText(`[data-testid=pane-title]`, "Fred"),
		until(`document.body.dataset.liveState === "open"`),
		chromedp.SendKeys(chromedp.CSS(composer), "Fred, are we still on for Friday?"),
		chromedp.Click(chromedp.CSS(sendBtn)),
		hasText(stored, "Fred, are we still on for Friday?"))
	do(t, fred, "Fred sees Mia's message in his list",
		hasText(`#conversation-list [data-testid=preview]`, "Fred, are we still on for Friday?"))

	// The audit log shows the change: who, what, the old and the new value.
	do(t, admin, "the audit log shows the change",
		chromedp.Navigate(base+"/admin/audit"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=audit-row]`)))
	row := texts(t, admin, `[data-testid=audit-row]:first-child td`)
	joined := strings.Join(row, " | ")
	for _, want := range []string{"conversation_grade", "0", "100", "Admin"} {
		if !strings.Contains(joined, want) {
			t.Fatalf("the newest audit row is %q; want it to hold %q", joined, want)
		}
	}
	if got := texts(t, admin, `[data-testid=audit-row]:first-child [data-testid=audit-old]`); len(got) != 1 || got[0] != "0" {
		t.Fatalf("the audit row's old value is %q, want 0", got)
	}
	if got := texts(t, admin, `[data-testid=audit-row]:first-child [data-testid=audit-new]`); len(got) != 1 || got[0] != "100" {
		t.Fatalf("the audit row's new value is %q, want 100", got)
	}
}

// userAdd runs `kefu user add` with data dir data, before kefu serves from it,
// and returns the new user's id; extraEnv ("KEY=value") is added to its environment.
func userAdd(t *testing.T, ctx context.Context, data, email, name, password string, extraEnv ...string) string {
	t.Helper()
	add := exec.CommandContext(ctx, kefuBin, "user", "add", "-email", email, "-name", name)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KEFU_") && !strings.HasPrefix(kv, "DATABASE_URL=") {
			add.Env = append(add.Env, kv)
		}
	}
	add.Env = append(add.Env, "KEFU_DATA_DIR="+data, "KEFU_USER_PASSWORD="+password)
	add.Env = append(add.Env, extraEnv...)
	out, err := add.CombinedOutput()
	m := createdRe.FindSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("kefu user add %s: %v\n%s", email, err, out)
	}
	return string(m[1])
}

// signIn signs a member in and waits for the console, its socket open.
func signIn(t *testing.T, tab context.Context, base, email, password string) {
	t.Helper()
	do(t, tab, email+" signs in",
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), email),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), password),
		chromedp.Click(chromedp.CSS(`button[data-testid=login]`)),
		chromedp.WaitVisible(chromedp.CSS(`ul#conversation-list`)),
		until(`document.body.dataset.liveState === "open"`))
}

// submit clicks sel, a button that posts a form (in one step with finding
// it: a live update may replace it), and waits for the page the
// post leads to, which must answer status.
func submit(t *testing.T, tab context.Context, what, sel string, status int64) {
	t.Helper()
	sctx, cancel := context.WithTimeout(tab, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(sctx, clickLive(sel))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if resp.Status != status {
		t.Fatalf("%s: the page after the post is %d %s (%s), want %d", what, resp.Status, resp.StatusText, resp.URL, status)
	}
}

// submitLink follows the link sel and waits for the page it leads to. It
// reads the link and navigates, because a live update may replace the link's
// node between finding it and clicking it.
func submitLink(t *testing.T, tab context.Context, what, sel string) {
	t.Helper()
	href := get(t, tab, what+": the link", chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector(%q).href`, sel)))
	sctx, cancel := context.WithTimeout(tab, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(sctx, chromedp.Navigate(href))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if resp.Status != 200 {
		t.Fatalf("%s: the page is %d %s (%s)", what, resp.Status, resp.StatusText, resp.URL)
	}
}
