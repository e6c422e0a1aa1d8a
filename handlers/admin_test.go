package handlers_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
)

// addPlainMember creates a member who is not customer service and returns their id.
func (k *instance) addPlainMember(email, name, password string) int64 {
	k.t.Helper()
	u, err := k.db.CreateMember(context.Background(), store.NewMember{Email: email, Name: name, PasswordHash: mustHash(k.t, password)})
	if err != nil {
		k.t.Fatal(err)
	}
	return u.ID
}

// signInAs signs a member in and returns their browser.
func (k *instance) signInAs(email, password string) *browser {
	k.t.Helper()
	b := k.browser()
	if resp := b.signIn(email, password); resp.StatusCode != http.StatusSeeOther {
		k.t.Fatalf("%s signs in: %s", email, resp.Status)
	}
	return b
}

// adminPost posts form (with the CSRF token) to path and wants a redirect to back.
func (b *browser) adminPost(path string, form url.Values, back string) {
	b.k.t.Helper()
	form.Set("_csrf", b.csrf("/admin/users"))
	resp, body := b.post(path, form)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != back {
		b.k.t.Fatalf("POST %s: %s to %q, want 303 to %s\n%s", path, resp.Status, resp.Header.Get("Location"), back, body)
	}
}

// confirmed is form with confirm=1, as live.js sends it once the admin said yes.
func confirmed(form url.Values) url.Values {
	if form == nil {
		form = url.Values{}
	}
	form.Set("confirm", "1")
	return form
}

// testidText returns the text of the element marked data-testid=id in body, unescaped.
func testidText(body, id string) string {
	m := regexp.MustCompile(`data-testid="` + regexp.QuoteMeta(id) + `"[^>]*>([^<]*)<`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(strings.TrimSpace(m[1]))
}

// adminUserRow returns the users table's row for id.
func adminUserRow(t *testing.T, body string, id int64) string {
	t.Helper()
	m := regexp.MustCompile(fmt.Sprintf(`(?s)<tr data-testid="user-row" data-user-id="%d"[^>]*>.*?</tr>`, id)).FindString(body)
	if m == "" {
		t.Fatalf("no row for user %d", id)
	}
	return m
}

var auditRowRe = regexp.MustCompile(`(?s)<tr data-testid="audit-row">.*?</tr>`)

// adminAuditRows returns the audit page's rows as "actor | action | subject | old | new".
func adminAuditRows(body string) []string {
	var rows []string
	for _, row := range auditRowRe.FindAllString(body, -1) {
		var cells []string
		for _, c := range []string{"audit-actor", "audit-action", "audit-subject", "audit-old", "audit-new"} {
			cell := regexp.MustCompile(`(?s)data-testid="` + c + `">(.*?)</td>`).FindStringSubmatch(row)[1]
			cells = append(cells, html.UnescapeString(regexp.MustCompile(`<[^>]+>`).ReplaceAllString(cell, "")))
		}
		rows = append(rows, strings.Join(cells, " | "))
	}
	return rows
}

func TestAdminPagesAreForAdminsOnly(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	samID := k.addAgent("sam@example.com", "Sam", "sam password") // an agent, but not an admin
	sam := k.signInAs("sam@example.com", "sam password")
	csrf := sam.csrf("/console")
	for _, path := range []string{"/admin", "/admin/users", "/admin/users?q=a", "/admin/settings", "/admin/audit", "/admin/no/such/page"} {
		resp, body := sam.get(path)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "Only admins can see the admin pages.") {
			t.Errorf("GET %s as a non-admin: %s", path, resp.Status)
		}
	}
	alexID := k.firstAdminID()
	for path, form := range map[string]url.Values{
		"/admin/settings/grade":                         {"grade": {"200"}},
		"/admin/settings/agents":                        {"mode": {"false"}},
		"/admin/settings/capacity":                      {"capacity": {"9"}},
		"/admin/users":                                  {"email": {"eve@example.com"}, "password": {"eve password"}},
		fmt.Sprintf("/admin/users/%d/disable", alexID):  {},
		fmt.Sprintf("/admin/users/%d/password", alexID): {"password": {"taken over"}},
		fmt.Sprintf("/admin/users/%d/agent", samID):     {"agent": {"0"}},
		fmt.Sprintf("/admin/users/%d/capacity", samID):  {"capacity": {"50"}},
	} {
		form.Set("_csrf", csrf)
		resp, body := sam.post(path, form)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "Only admins can see the admin pages.") {
			t.Errorf("POST %s as a non-admin: %s", path, resp.Status)
		}
	}
	// Nothing changed.
	s, err := k.db.Settings(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s.Grade != chat.GradeAnyone || s.Agents.Unrestricted || !s.Agents.Has(samID) || s.DefaultCapacity != 5 {
		t.Fatalf("settings after refused posts: %+v", s)
	}
	if resp := k.browser().signIn(agentEmail, agentPassword); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the admin signs in after refused posts: %s", resp.Status)
	}
	if ms, _ := k.db.Members(context.Background(), "eve"); len(ms) != 0 {
		t.Fatal("a non-admin created a user")
	}

	// Signed out, the admin pages ask to sign in.
	if resp, _ := k.browser().get("/admin/users"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Fatalf("admin page signed out: %s", resp.Status)
	}
	// The admin is let in; /admin goes to the users page.
	alex := k.agent()
	if resp, _ := alex.get("/admin"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/users" {
		t.Fatalf("GET /admin: %s to %q", resp.Status, resp.Header.Get("Location"))
	}
	for _, path := range []string{"/admin/users", "/admin/settings", "/admin/audit"} {
		resp, body := alex.get(path)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `href="/console"`) || !strings.Contains(body, `href="/admin/audit"`) {
			t.Errorf("GET %s as the admin: %s", path, resp.Status)
		}
	}
	if resp, _ := alex.get("/admin/no/such/page"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown admin page: %s, want 404", resp.Status)
	}
}

// firstAdminID is the first admin's id.
func (k *instance) firstAdminID() int64 {
	k.t.Helper()
	u, _, err := k.db.MemberByEmail(context.Background(), agentEmail)
	if err != nil {
		k.t.Fatal(err)
	}
	return u.ID
}

func TestAdminGradeIsStoredAndAudited(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	alex := k.agent()
	_, body := alex.get("/admin/settings")
	if !regexp.MustCompile(`value="0" checked[^>]*data-testid="grade-0"`).MatchString(body) || !strings.Contains(body, "Anyone may start a conversation with anyone.") {
		t.Fatal("the settings page does not show grade 0 chosen, with its meaning")
	}
	alex.adminPost("/admin/settings/grade", url.Values{"grade": {"200"}}, "/admin/settings")
	_, body = alex.get("/admin/settings")
	if testidText(body, "notice") != "Saved." || !regexp.MustCompile(`value="200" checked[^>]*data-testid="grade-200"`).MatchString(body) {
		t.Fatal("after saving, the settings page does not say Saved. with grade 200 chosen")
	}
	if _, body := alex.get("/admin/settings"); strings.Contains(body, `data-testid="notice"`) {
		t.Fatal("the notice is shown twice")
	}
	if s, _ := k.db.Settings(context.Background()); s.Grade != 200 {
		t.Fatalf("stored grade = %d, want 200", s.Grade)
	}

	// Bad grades are refused and change nothing.
	for _, bad := range []string{"7", "x", ""} {
		resp, body := alex.post("/admin/settings/grade", url.Values{"grade": {bad}, "_csrf": {alex.csrf("/admin/settings")}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "0, 100 or 200") {
			t.Errorf("grade %q: %s", bad, resp.Status)
		}
	}
	if s, _ := k.db.Settings(context.Background()); s.Grade != 200 {
		t.Fatalf("stored grade after bad posts = %d, want 200", s.Grade)
	}

	_, body = alex.get("/admin/audit")
	rows := adminAuditRows(body)
	if len(rows) == 0 || rows[0] != "Alex | setting.update | conversation_grade | 0 | 200" {
		t.Fatalf("audit log = %q", rows)
	}
	// The first admin's creation was kefu's own doing.
	if last := rows[len(rows)-1]; !strings.HasPrefix(last, "kefu | user.create | Alex (user ") {
		t.Fatalf("oldest audit row = %q", last)
	}
	if resp, _ := alex.get("/admin/audit?before=x"); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("audit ?before=x: %s, want 400", resp.Status)
	}
}

func TestAdminSettingsSayWhatTheWidgetDoes(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	alex := k.agent()
	// Grade 0, with Alex as customer service: the widget works, and each
	// choice says what it would do to it.
	_, body := alex.get("/admin/settings")
	if strings.Contains(body, `data-testid="widget-off"`) {
		t.Fatal("the settings page says the widget is off while it works")
	}
	for id, want := range map[string]string{
		"grade-0-widget":      "Widget: visitors can chat with customer service, and with anyone",
		"grade-100-widget":    "Widget: visitors can chat with customer service; a contact button (data-kefu-to) works only for a person who is customer service",
		"grade-200-widget":    "Widget: off.",
		"agents-list-widget":  "Widget: they answer the chats from the widget.",
		"agents-false-widget": "Widget: nobody answers it.",
	} {
		if got := testidText(body, id); !strings.HasPrefix(got, want) {
			t.Errorf("%s says %q, want it to start with %q", id, got, want)
		}
	}
	// Without customer service, visitors are told chat is unavailable.
	for _, id := range []string{"agents-list-widget", "agents-false-widget"} {
		if got := testidText(body, id); !strings.Contains(got, `"Chat is unavailable right now"`) {
			t.Errorf("%s says %q, want it to say what visitors see", id, got)
		}
	}

	// Each choice that leaves visitors without an answer says so on top, until undone.
	for _, step := range []struct {
		path string
		form url.Values
		off  string // the start of the warning; empty: none
	}{
		{"/admin/settings/grade", url.Values{"grade": {"200"}}, "The widget is off: at grade 200 visitors cannot chat with customer service"},
		{"/admin/settings/grade", url.Values{"grade": {"100"}}, ""},
		{"/admin/settings/agents", url.Values{"mode": {"false"}}, "Nobody answers the widget: customer_service_uids is false"},
		{"/admin/settings/agents", url.Values{"mode": {"list"}}, "Nobody answers the widget: no one is customer service"},
		{"/admin/settings/agents", url.Values{"mode": {"list"}, "uid": {fmt.Sprint(k.firstAdminID())}}, ""},
	} {
		alex.adminPost(step.path, step.form, "/admin/settings")
		_, body := alex.get("/admin/settings")
		got := testidText(body, "widget-off")
		if (step.off == "") != (got == "") || !strings.HasPrefix(got, step.off) {
			t.Errorf("after POST %s %v the page warns %q, want %q…", step.path, step.form, got, step.off)
		}
		if strings.HasPrefix(step.off, "Nobody answers") && !strings.Contains(got, `Visitors see "Chat is unavailable right now"`) {
			t.Errorf("after POST %s %v the page warns %q, which does not say what visitors see", step.path, step.form, got)
		}
	}
}

func TestAdminUsersShowIDsAndContactButtons(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	samID := k.addPlainMember("sam@example.com", "Sam", "sam password")
	joID := k.addPlainMember("jo@example.com", `Jo "JJ" <Lee>`, "jo password")
	goneID := k.addPlainMember("gone@example.com", "Gone", "gone password")
	if err := k.db.SetDisabled(context.Background(), 0, goneID, true); err != nil {
		t.Fatal(err)
	}
	_, body := k.agent().get("/admin/users")
	for _, c := range []struct {
		id      int64
		snippet string
	}{
		{samID, fmt.Sprintf(`<button data-kefu-to="%d">Contact Sam</button>`, samID)},
		{joID, fmt.Sprintf(`<button data-kefu-to="%d">Contact Jo &#34;JJ&#34; &lt;Lee&gt;</button>`, joID)},
	} {
		row := adminUserRow(t, body, c.id)
		if got := testidText(row, "user-id"); got != fmt.Sprint(c.id) {
			t.Errorf("user %d's row shows the id %q", c.id, got)
		}
		if got := testidText(row, "snippet"); got != c.snippet {
			t.Errorf("user %d's contact button is %q, want %q", c.id, got, c.snippet)
		}
		if !strings.Contains(row, fmt.Sprintf(`id="snippet-%d"`, c.id)) || !strings.Contains(row, fmt.Sprintf(`data-copy="#snippet-%d"`, c.id)) {
			t.Errorf("user %d's contact button has no Copy button for it", c.id)
		}
	}
	// A disabled member shows their id, and no button: the widget would not reach them.
	if row := adminUserRow(t, body, goneID); testidText(row, "user-id") != fmt.Sprint(goneID) || strings.Contains(row, `data-testid="snippet"`) {
		t.Error("a disabled member's row does not show the id alone")
	}
}

func TestAdminAuditPages(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ctx := context.Background()
	alexID := k.firstAdminID()
	for i := range 110 {
		if err := k.db.SetGrade(ctx, alexID, []int{100, 200}[i%2]); err != nil {
			t.Fatal(err)
		}
	}
	alex := k.agent()
	_, body := alex.get("/admin/audit")
	if n := len(adminAuditRows(body)); n != 100 {
		t.Fatalf("first page: %d rows, want 100", n)
	}
	older := regexp.MustCompile(`href="(/admin/audit\?before=\d+)" data-testid="audit-older"`).FindStringSubmatch(body)
	if older == nil {
		t.Fatal("no link to older entries")
	}
	_, body = alex.get(html.UnescapeString(older[1]))
	rows := adminAuditRows(body)
	// 112 entries: the first admin's creation, their listing as customer service, 110 grade changes.
	if len(rows) != 12 || strings.Contains(body, `data-testid="audit-older"`) || !strings.HasPrefix(rows[11], "kefu | user.create") {
		t.Fatalf("second page: %q", rows)
	}
}

func TestAdminAgentsEditor(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ctx := context.Background()
	alexID := k.firstAdminID()
	samID := k.addPlainMember("sam@example.com", "Sam", "sam password")
	alex := k.agent()

	_, body := alex.get("/admin/settings")
	if !regexp.MustCompile(fmt.Sprintf(`value="%d" checked[^>]*data-testid="agent-pick"`, alexID)).MatchString(body) ||
		regexp.MustCompile(fmt.Sprintf(`value="%d" checked`, samID)).MatchString(body) || !strings.Contains(body, "sam@example.com") {
		t.Fatal("the customer service editor does not show Alex ticked and Sam not")
	}
	alex.adminPost("/admin/settings/agents", url.Values{"mode": {"list"}, "uid": {fmt.Sprint(samID), fmt.Sprint(alexID)}}, "/admin/settings")
	if l, _ := k.db.AgentList(ctx); l.Unrestricted || fmt.Sprint(l.IDs) != fmt.Sprint([]int64{alexID, samID}) {
		t.Fatalf("agent list = %+v, want Alex then Sam", l)
	}
	_, body = alex.get("/admin/users")
	if !strings.Contains(adminUserRow(t, body, samID), `data-testid="remove-agent"`) {
		t.Fatal("Sam's row does not offer Remove agent")
	}
	// Saved again unchanged: nothing to audit.
	alex.adminPost("/admin/settings/agents", url.Values{"mode": {"list"}, "uid": {fmt.Sprint(alexID), fmt.Sprint(samID)}}, "/admin/settings")
	alex.adminPost("/admin/settings/agents", url.Values{"mode": {"false"}, "uid": {fmt.Sprint(samID)}}, "/admin/settings")
	if l, _ := k.db.AgentList(ctx); !l.Unrestricted {
		t.Fatalf("agent list = %+v, want false", l)
	}
	_, body = alex.get("/admin/audit")
	rows := adminAuditRows(body)
	if rows[0] != fmt.Sprintf(`Alex | setting.update | customer_service_uids | ["%d","%d"] | false`, alexID, samID) ||
		rows[1] != fmt.Sprintf(`Alex | setting.update | customer_service_uids | ["%d"] | ["%d","%d"]`, alexID, alexID, samID) {
		t.Fatalf("audit log = %q", rows[:2])
	}
	// With no list, nobody can be made an agent.
	_, body = alex.get("/admin/users")
	if strings.Contains(body, `data-testid="make-agent"`) || !strings.Contains(body, "customer_service_uids is false") {
		t.Fatal("the users page offers Make agent with customer_service_uids false")
	}
	resp, body := alex.post(fmt.Sprintf("/admin/users/%d/agent", samID), url.Values{"agent": {"1"}, "_csrf": {alex.csrf("/admin/users")}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "customer_service_uids is false") {
		t.Fatalf("make agent with no list: %s", resp.Status)
	}

	// An empty list is a list; bad picks and modes are refused and change nothing.
	alex.adminPost("/admin/settings/agents", url.Values{"mode": {"list"}}, "/admin/settings")
	for _, form := range []url.Values{
		{"mode": {"list"}, "uid": {"999999"}},
		{"mode": {"list"}, "uid": {"abc"}},
		{"mode": {"true"}},
		{},
	} {
		form.Set("_csrf", alex.csrf("/admin/settings"))
		if resp, _ := alex.post("/admin/settings/agents", form); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("agents %v: %s, want 400", form, resp.Status)
		}
	}
	if l, _ := k.db.AgentList(ctx); l.Unrestricted || len(l.IDs) != 0 {
		t.Fatalf("agent list = %+v, want an empty list", l)
	}

	// Make agent and Remove agent on the users page.
	alex.adminPost(fmt.Sprintf("/admin/users/%d/agent", samID), url.Values{"agent": {"1"}}, "/admin/users")
	if l, _ := k.db.AgentList(ctx); !l.Has(samID) {
		t.Fatal("Make agent did not list Sam")
	}
	alex.adminPost(fmt.Sprintf("/admin/users/%d/agent", samID), confirmed(url.Values{"agent": {"0"}}), "/admin/users")
	if l, _ := k.db.AgentList(ctx); l.Has(samID) {
		t.Fatal("Remove agent left Sam listed")
	}
	for path, status := range map[string]int{
		fmt.Sprintf("/admin/users/%d/agent", samID): http.StatusBadRequest, // agent=maybe
		"/admin/users/999999/agent":                 http.StatusNotFound,
		"/admin/users/x/agent":                      http.StatusNotFound,
	} {
		if resp, _ := alex.post(path, url.Values{"agent": {"maybe"}, "_csrf": {alex.csrf("/admin/users")}}); resp.StatusCode != status {
			t.Errorf("POST %s: %s, want %d", path, resp.Status, status)
		}
	}
}

func TestAdminCreatesUsers(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ctx := context.Background()
	alex := k.agent()

	// A member with the password the admin chose.
	alex.adminPost("/admin/users", url.Values{"email": {"sam@example.com"}, "name": {"Sam"}, "password": {"sam password"}}, "/admin/users")
	_, body := alex.get("/admin/users")
	if testidText(body, "notice") != "Added Sam." || strings.Contains(body, `data-testid="new-password"`) {
		t.Fatal("after adding Sam: no notice, or a password shown that the admin chose")
	}
	if resp := k.browser().signIn("sam@example.com", "sam password"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("Sam signs in: %s", resp.Status)
	}

	// An agent with a generated password, shown once.
	alex.adminPost("/admin/users", url.Values{"email": {"kim@example.com"}, "name": {"Kim <b>"}, "agent": {"1"}}, "/admin/users")
	_, body = alex.get("/admin/users")
	password := testidText(body, "new-password")
	if len(password) < 16 || strings.Contains(body, "Kim <b>") || !strings.Contains(body, "Kim &lt;b&gt;") {
		t.Fatalf("generated password %q; the name must be shown escaped", password)
	}
	if _, body := alex.get("/admin/users"); strings.Contains(body, `data-testid="new-password"`) {
		t.Fatal("the generated password is shown twice")
	}
	kim, _, err := k.db.MemberByEmail(ctx, "kim@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if l, _ := k.db.AgentList(ctx); !l.Has(kim.ID) {
		t.Fatal("Kim was not made an agent")
	}
	if strings.Contains(adminUserRow(t, body, kim.ID), `data-testid="make-agent"`) {
		t.Fatal("Kim's row offers Make agent")
	}
	if resp := k.browser().signIn("kim@example.com", password); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("Kim signs in with the generated password: %s", resp.Status)
	}

	// Refusals re-show the form with a clear message and create nobody.
	before, _ := k.db.Members(ctx, "")
	for _, c := range []struct {
		form   url.Values
		status int
		msg    string
	}{
		{url.Values{"email": {"SAM@example.com"}, "name": {"Another Sam"}}, http.StatusConflict, "A user with that email already exists."},
		{url.Values{"email": {"not an email"}}, http.StatusBadRequest, "Enter an email address"},
		{url.Values{"email": {"lee@example.com"}, "password": {"short"}}, http.StatusBadRequest, "at least 8 characters"},
		{url.Values{"email": {"lee@example.com"}, "name": {strings.Repeat("n", 101)}}, http.StatusBadRequest, "The name is too long"},
	} {
		c.form.Set("_csrf", alex.csrf("/admin/users"))
		resp, body := alex.post("/admin/users", c.form)
		if resp.StatusCode != c.status || !strings.Contains(testidText(body, "create-error"), c.msg) {
			t.Errorf("create %v: %s %q, want %d %q", c.form, resp.Status, testidText(body, "create-error"), c.status, c.msg)
		}
		if c.form.Get("name") != "" && !strings.Contains(body, `value="`+c.form.Get("name")+`"`) {
			t.Errorf("create %v: the form lost what was typed", c.form)
		}
	}
	if after, _ := k.db.Members(ctx, ""); len(after) != len(before) {
		t.Fatalf("refused creations changed the members: %d, then %d", len(before), len(after))
	}

	_, body = alex.get("/admin/audit")
	rows := adminAuditRows(body)
	if !strings.HasPrefix(rows[1], fmt.Sprintf("Alex | user.create | Kim <b> (user %d) |  | {", kim.ID)) || !strings.Contains(rows[1], `"email":"kim@example.com"`) {
		t.Fatalf("audit log = %q", rows[:3])
	}
	if strings.Contains(body, "argon2") {
		t.Fatal("the audit log shows a password hash")
	}
}

func TestAdminResetsPasswords(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	samID := k.addAgent("sam@example.com", "Sam", "sam password")
	sam := k.signInAs("sam@example.com", "sam password")
	cookie := sessionCookie(t, sam)
	samLive := sam.console()
	alex := k.agent()

	// Too short: refused, and the old password still works.
	resp, body := alex.post(fmt.Sprintf("/admin/users/%d/password", samID), url.Values{"password": {"short"}, "_csrf": {alex.csrf("/admin/users")}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "at least 8 characters") {
		t.Fatalf("short password: %s", resp.Status)
	}
	if resp, _ := sam.get("/console"); resp.StatusCode != http.StatusOK {
		t.Fatalf("Sam's session after a refused reset: %s", resp.Status)
	}

	alex.adminPost(fmt.Sprintf("/admin/users/%d/password", samID), confirmed(url.Values{"password": {"a new password"}}), "/admin/users")
	_, body = alex.get("/admin/users")
	if !strings.Contains(testidText(body, "notice"), "Sam's password is reset") || strings.Contains(body, `data-testid="new-password"`) {
		t.Fatal("after a reset to a chosen password: no notice, or the password shown")
	}
	// Sam's session is over: the open socket closes, pages and new sockets are refused.
	readCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := closedWith(readCtx, samLive); websocket.CloseStatus(err) != 4403 {
		t.Fatalf("Sam's open console socket after the reset: %v, want close 4403", err)
	}
	if resp, _ := sam.get("/console"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Fatalf("Sam's old session after the reset: %s, want a redirect to sign in", resp.Status)
	}
	if _, resp, err := k.dial("/console/live", &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {k.srv.URL}, "Cookie": {cookie}}}); err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatal("a session from before the reset opened a socket")
	}
	if resp := k.browser().signIn("sam@example.com", "sam password"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the old password signs in: %s", resp.Status)
	}
	sam = k.signInAs("sam@example.com", "a new password")
	if resp, _ := sam.get("/console"); resp.StatusCode != http.StatusOK {
		t.Fatalf("Sam's new session: %s", resp.Status)
	}

	// A generated password is shown once.
	alex.adminPost(fmt.Sprintf("/admin/users/%d/password", samID), confirmed(nil), "/admin/users")
	_, body = alex.get("/admin/users")
	generated := testidText(body, "new-password")
	if generated == "" {
		t.Fatal("no generated password shown")
	}
	if resp := k.browser().signIn("sam@example.com", generated); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("Sam signs in with the generated password: %s", resp.Status)
	}

	// An admin who resets their own password stays signed in here.
	alex.adminPost(fmt.Sprintf("/admin/users/%d/password", k.firstAdminID()), confirmed(url.Values{"password": {"alex's new password"}}), "/admin/users")
	if resp, _ := alex.get("/admin/users"); resp.StatusCode != http.StatusOK {
		t.Fatalf("the admin after resetting their own password: %s", resp.Status)
	}

	for path, status := range map[string]int{"/admin/users/999999/password": http.StatusNotFound, "/admin/users/0/password": http.StatusNotFound} {
		if resp, _ := alex.post(path, url.Values{"_csrf": {alex.csrf("/admin/users")}}); resp.StatusCode != status {
			t.Errorf("POST %s: %s, want %d", path, resp.Status, status)
		}
	}
	_, body = alex.get("/admin/audit")
	if rows := adminAuditRows(body); rows[1] != fmt.Sprintf("Alex | user.password_reset | Sam (user %d) |  | ", samID) {
		t.Fatalf("audit log = %q", rows[:3])
	}
}

func TestAdminDisableCutsSocketAndSession(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	samID := k.addAgent("sam@example.com", "Sam", "sam password")
	sam := k.signInAs("sam@example.com", "sam password")
	live := sam.console()
	live.send(map[string]any{"type": "resume"})
	live.waitFor(`data-target="#conversation-list" data-swap="innerHTML"`)
	cookie := sessionCookie(t, sam)
	alex := k.agent()

	_, body := alex.get("/admin/users?q=sam")
	if strings.Count(body, `data-testid="user-row"`) != 1 || !strings.Contains(adminUserRow(t, body, samID), `data-testid="disable"`) {
		t.Fatal("the filtered users page does not show Sam alone, with Disable")
	}
	alex.adminPost(fmt.Sprintf("/admin/users/%d/disable", samID), confirmed(nil), "/admin/users")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		if _, _, err := live.ws.Read(ctx); err != nil {
			if websocket.CloseStatus(err) != 4403 {
				t.Fatalf("Sam's socket ended with %v, want close 4403", err)
			}
			break
		}
	}
	if _, _, err := k.dial("/console/live", &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {k.srv.URL}, "Cookie": {cookie}}}); err == nil {
		t.Fatal("a disabled user's old cookie opened a socket")
	}
	if resp, _ := sam.get("/console"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Fatalf("Sam's session after disabling: %s, want a redirect to sign in", resp.Status)
	}
	_, body = alex.get("/admin/users")
	row := adminUserRow(t, body, samID)
	if !strings.Contains(row, "Disabled") || !strings.Contains(row, `data-testid="enable"`) {
		t.Fatalf("Sam's row after disabling: %s", row)
	}

	// An admin cannot disable themselves; unknown users are not found.
	resp, body := alex.post(fmt.Sprintf("/admin/users/%d/disable", k.firstAdminID()), url.Values{"_csrf": {alex.csrf("/admin/users")}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "You cannot disable your own account.") {
		t.Fatalf("disable yourself: %s", resp.Status)
	}
	if resp, _ := alex.get("/admin/users"); resp.StatusCode != http.StatusOK {
		t.Fatalf("the admin after trying to disable themselves: %s", resp.Status)
	}
	if resp, _ := alex.post("/admin/users/999999/disable", url.Values{"_csrf": {alex.csrf("/admin/users")}}); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("disable a missing user: %s, want 404", resp.Status)
	}

	alex.adminPost(fmt.Sprintf("/admin/users/%d/enable", samID), url.Values{}, "/admin/users")
	if resp := k.browser().signIn("sam@example.com", "sam password"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("Sam signs in after being enabled: %s", resp.Status)
	}
	_, body = alex.get("/admin/audit")
	rows := adminAuditRows(body)
	if rows[0] != fmt.Sprintf("Alex | user.enable | Sam (user %d) |  | ", samID) || rows[1] != fmt.Sprintf("Alex | user.disable | Sam (user %d) |  | ", samID) {
		t.Fatalf("audit log = %q", rows[:2])
	}
}

func TestAdminSetsCapacity(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ctx := context.Background()
	samID := k.addAgent("sam@example.com", "Sam", "sam password")
	alex := k.agent()
	capacity := func() string {
		ms, err := k.db.Members(ctx, "sam@")
		if err != nil || len(ms) != 1 {
			t.Fatalf("Members = %v, %v", ms, err)
		}
		if ms[0].Capacity == nil {
			return "none"
		}
		return fmt.Sprint(*ms[0].Capacity)
	}
	_, body := alex.get("/admin/users")
	if !strings.Contains(adminUserRow(t, body, samID), `name="capacity" value="5"`) {
		t.Fatal("Sam's row does not show the default capacity")
	}
	alex.adminPost(fmt.Sprintf("/admin/users/%d/capacity", samID), url.Values{"capacity": {" 3 "}}, "/admin/users")
	if got := capacity(); got != "3" {
		t.Fatalf("capacity = %s, want 3", got)
	}
	_, body = alex.get("/admin/users")
	if !strings.Contains(adminUserRow(t, body, samID), `name="capacity" value="3"`) || testidText(body, "notice") != "Sam's capacity is 3." {
		t.Fatal("the users page does not show Sam's new capacity")
	}
	for _, bad := range []string{"abc", "1001", "-1", "", "2.5"} {
		resp, body := alex.post(fmt.Sprintf("/admin/users/%d/capacity", samID), url.Values{"capacity": {bad}, "_csrf": {alex.csrf("/admin/users")}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Capacity is a number of chats from 0 to 1000.") {
			t.Errorf("capacity %q: %s", bad, resp.Status)
		}
	}
	for _, path := range []string{"/admin/users/999999/capacity", "/admin/users/abc/capacity"} {
		if resp, _ := alex.post(path, url.Values{"capacity": {"4"}, "_csrf": {alex.csrf("/admin/users")}}); resp.StatusCode != http.StatusNotFound {
			t.Errorf("POST %s: %s, want 404", path, resp.Status)
		}
	}
	if got := capacity(); got != "3" {
		t.Fatalf("capacity after refusals = %s, want 3", got)
	}
	_, body = alex.get("/admin/audit")
	if rows := adminAuditRows(body); rows[0] != fmt.Sprintf("Alex | agent.capacity | Sam (user %d) |  | 3", samID) {
		t.Fatalf("audit log = %q", rows[:2])
	}

	// The default capacity for new agents.
	alex.adminPost("/admin/settings/capacity", url.Values{"capacity": {"8"}}, "/admin/settings")
	if s, _ := k.db.Settings(ctx); s.DefaultCapacity != 8 {
		t.Fatalf("default capacity = %d, want 8", s.DefaultCapacity)
	}
	if resp, _ := alex.post("/admin/settings/capacity", url.Values{"capacity": {"lots"}, "_csrf": {alex.csrf("/admin/settings")}}); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad default capacity: %s, want 400", resp.Status)
	}
	if s, _ := k.db.Settings(ctx); s.DefaultCapacity != 8 {
		t.Fatalf("default capacity after a bad post = %d, want 8", s.DefaultCapacity)
	}
	_, body = alex.get("/admin/audit")
	if rows := adminAuditRows(body); rows[0] != "Alex | setting.update | default_capacity | 5 | 8" {
		t.Fatalf("audit log = %q", rows[:2])
	}
}
