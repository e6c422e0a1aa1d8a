package mail

import (
	"net/mail"
	"strings"
	"testing"
)

func TestStripQuoted(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct{ in, want string }{
		"gmail": {"Thanks, it arrived!\n\nOn Mon, 3 Mar 2025 at 10:15, Help <help@example.com> wrote:\n> Hello Sam,\n> It left today.\n",
			"Thanks, it arrived!"},
		"gmail, the header wrapped": {"Thanks!\r\n\r\nOn Mon, Mar 3, 2025 at 10:15 AM Help Team of Example Shop <\r\nhelp@example.com> wrote:\r\n\r\n> Hi\r\n",
			"Thanks!"},
		"gmail in Chinese":      {"好的，谢谢\n\nHelp <help@example.com> 于2025年3月3日周一 10:15写道：\n\n> 您好 Sam，\n", "好的，谢谢"},
		"apple mail in Chinese": {"收到\n\n在 2025年3月3日，10:15，Help <help@example.com> 写道：\n\n> 您好\n", "收到"},
		"outlook": {"Got it.\n\n-----Original Message-----\nFrom: Help <help@example.com>\nSent: Monday, March 3, 2025 10:15 AM\nTo: Sam\nSubject: Help replied\n\nHello Sam,\n",
			"Got it."},
		"outlook on the web": {"Got it.\n\n________________________________\nFrom: Help <help@example.com>\nSent: Monday, March 3, 2025 10:15\nTo: Sam <sam@example.net>\nSubject: Help replied\n\nHello Sam,\n",
			"Got it."},
		"outlook in Chinese, no rule": {"好的\n\n发件人: Help <help@example.com>\n发送时间: 2025年3月3日 10:15\n收件人: Sam <sam@example.net>\n主题: 客服团队回复了您\n\n您好 Sam，\n",
			"好的"},
		"outlook, bold fields": {"OK\n\n*From:* Help <help@example.com>\n*Sent:* Monday\n*To:* Sam\n*Subject:* Help replied\n", "OK"},
		"qq mail": {"收到了，谢谢！\n\n------------------ 原始邮件 ------------------\n发件人: \"Help\"<help@example.com>;\n发送时间: 2025年3月3日(星期一) 上午10:15\n收件人: \"Sam\"<sam@qq.example>;\n主题: 客服团队回复了您\n",
			"收到了，谢谢！"},
		"foxmail": {"Thanks\n\n------------------ Original ------------------\nFrom:  \"Help\"<help@example.com>;\nDate:  Mon, Mar 3, 2025 10:15 AM\nTo:  \"Sam\"<sam@example.net>;\nSubject:  Help replied\n",
			"Thanks"},
		"netease":                   {"好\n\n-------- 原始邮件 --------\n发件人：Help\n", "好"},
		"a signature":               {"Thanks\n\n-- \nSam Lee\nExample Ltd\n", "Thanks"},
		"a phone's line":            {"Thanks\n\nSent from my iPhone\n", "Thanks"},
		"a phone's line in Chinese": {"谢谢\n\n发自我的iPhone\n\n", "谢谢"},
		"inline answers": {"> Is the address right?\nYes.\n> And the phone?\nNo, it is 555-0100.\n",
			"Yes.\nNo, it is 555-0100."},
		"a From line alone is the reply's": {"From: my office, I cannot check.\nTomorrow then.", "From: my office, I cannot check.\nTomorrow then."},
		"wrote, without a header":          {"My son wrote:\nthe box was empty", "My son wrote:\nthe box was empty"},
		"only a quote":                     {"> Hello Sam\n> It left today.\n", ""},
	} {
		if got := StripQuoted(c.in); got != c.want {
			t.Errorf("%s: %q, want %q", name, got, c.want)
		}
	}
}

func TestHTMLToText(t *testing.T) {
	t.Parallel()
	in := `<html><head><style>p{color:red}</style></head><body><div dir="ltr">Thanks &amp; <b>bye</b><br>Sam</div>
<div class="gmail_quote"><div class="gmail_attr">On Mon, 3 Mar 2025, Help &lt;help@example.com&gt; wrote:<br></div>
<blockquote class="gmail_quote"><p>It left today.</p><blockquote>older</blockquote><p>still quoted</p></blockquote></div><script>x()</script></body></html>`
	if got := StripQuoted(htmlToText(in)); got != "Thanks & bye\nSam" {
		t.Errorf("htmlToText then StripQuoted = %q", got)
	}
}

func TestParseRecipient(t *testing.T) {
	t.Parallel()
	for to, want := range map[string]recipient{
		"reply+abc@reply.example.com":                              {token: "abc"},
		"REPLY+ABC@Reply.Example.COM":                              {token: "abc"},
		"bounce+abc@reply.example.com":                             {bounce: true, token: "abc"},
		"reply+abc@example.com":                                    {},
		"reply+@reply.example.com":                                 {},
		"help@reply.example.com":                                   {},
		"reply+abc@reply.example.com\r\nRCPT TO:<eve@example.org>": {},
		"\"reply+abc\r\n\"@reply.example.com":                      {},
		"Sam <reply+abc@reply.example.com>":                        {},
		"reply+abc@reply.example.com.evil.example":                 {},
	} {
		got, ok := parseRecipient(to, "reply.example.com")
		if ok != (want.token != "") || got != want {
			t.Errorf("parseRecipient(%q) = %+v, %v; want %+v", to, got, ok, want)
		}
	}
}

func TestParseDSN(t *testing.T) {
	t.Parallel()
	raw := "Content-Type: multipart/report; report-type=delivery-status; boundary=\"R\"\r\n\r\n--R\r\nContent-Type: text/plain\r\n\r\nSorry.\r\n" +
		"--R\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n\r\n" +
		"Final-Recipient: rfc822; kim@example.net\r\nAction: delivered\r\nStatus: 2.0.0\r\n\r\n" +
		"Final-Recipient: rfc822; SAM@example.net\r\nAction: failed\r\nStatus: 5.2.2\r\nDiagnostic-Code: smtp; 552-5.2.2 The mailbox of\r\n" +
		" sam@example.net is full\r\n\r\n--R--\r\n"
	msg, err := mail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	d, err := parseDSN(msg)
	if err != nil || d.Action != "failed" || d.Status != "5.2.2" || d.Recipient != "SAM@example.net" || d.code() != 552 || !d.permanent() {
		t.Fatalf("parseDSN = %+v, %v", d, err)
	}
	if w := d.words(); w != "5.2.2: 552-5.2.2 The mailbox of <recipient> is full" {
		t.Errorf("words %q", w)
	}
	d.Diagnostic = "550 5.1.1 <Sam@Example.net>: Recipient address rejected"
	if w := d.words(); w != "5.2.2: 550 5.1.1 <recipient>: Recipient address rejected" {
		t.Errorf("words of an address in angle brackets %q", w)
	}
	plain, _ := mail.ReadMessage(strings.NewReader("Subject: Out of office\r\n\r\nAway.\r\n"))
	if _, err := parseDSN(plain); err != errNotDSN {
		t.Errorf("a plain message: %v, want errNotDSN", err)
	}
}
