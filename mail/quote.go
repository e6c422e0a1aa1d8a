package mail

// What a person wrote in a reply, without what they replied to: mail
// readers append the email replied to under a header of their own ("On …
// wrote:", "-----Original Message-----", Outlook's and QQ Mail's blocks of
// From/Sent/To/Subject lines), quote it line by line with ">", and add a
// signature after "-- ". The reply is what comes before all that.

import (
	"regexp"
	"strings"
)

var (
	// separatorLine is a line that starts what was replied to or forwarded:
	// "-----Original Message-----", "-------- 原始邮件 --------", Foxmail's
	// "------------------ Original ------------------", Gmail's
	// "---------- Forwarded message ---------".
	separatorLine = regexp.MustCompile(`(?i)^\s*[-_=]{2,}\s*(original message|original|原始邮件|原始郵件|forwarded message|转发邮件|轉寄郵件)\s*[-_=]{2,}\s*$`)
	// underscoreLine is Outlook's rule above its header block.
	underscoreLine = regexp.MustCompile(`^\s*_{10,}\s*$`)
	// wroteEnd ends the one-line header of Gmail, Apple Mail, Thunderbird
	// and their Chinese forms ("…写道：").
	wroteEnd = regexp.MustCompile(`(?i)(wrote|写道|寫道)\s*[:：]\s*$`)
	// wroteStart is how such a header begins or what it holds: "On …",
	// "在 …", Gmail's Chinese "… 于 2024年3月1日周五 10:15写道：", or an address.
	wroteStart = regexp.MustCompile(`(?i)^\s*(on\s|在)|于\s*\d|@`)
	// headerField is a line of a header block that Outlook, QQ Mail and
	// Foxmail write above the email replied to.
	headerField = regexp.MustCompile(`(?i)^\s*\**\s*(from|sent|date|to|cc|subject|发件人|发送时间|日期|时间|收件人|抄送|主题|寄件者|寄件日期|收件者|主旨)\s*\**\s*[:：]`)
	// fromField opens such a block.
	fromField = regexp.MustCompile(`(?i)^\s*\**\s*(from|发件人|寄件者)\s*\**\s*[:：]`)
	// sentFrom is a phone's signature: "Sent from my iPhone", "发自我的iPhone".
	sentFrom = regexp.MustCompile(`(?i)^\s*(sent from my |发自我的|从我的\S* ?发送|來自我的)`)
)

// StripQuoted returns the text a reply's author wrote: text up to the
// header of the email quoted below it or their signature, without lines
// quoted with ">", and without a phone's "Sent from my …" line at its end.
func StripQuoted(text string) string {
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n")
	lines := strings.Split(text, "\n")
	var kept []string
	for i := 0; i < len(lines); i++ {
		if quoteStarts(lines, i) {
			break
		}
		if strings.HasPrefix(strings.TrimLeft(lines[i], " \t"), ">") {
			continue
		}
		kept = append(kept, strings.TrimRight(lines[i], " \t"))
	}
	// A phone's signature, then blank lines, may close the reply.
	for len(kept) > 0 && (strings.TrimSpace(kept[len(kept)-1]) == "" || sentFrom.MatchString(kept[len(kept)-1])) {
		kept = kept[:len(kept)-1]
	}
	return strings.TrimSpace(strings.Join(kept, "\n"))
}

// quoteStarts reports whether lines[i] starts what the reply quotes, or
// its author's signature.
func quoteStarts(lines []string, i int) bool {
	line := lines[i]
	if line == "-- " || line == "--" || separatorLine.MatchString(line) {
		return true
	}
	if wroteEnd.MatchString(line) && wroteStart.MatchString(line) && len(line) < 400 {
		return true
	}
	// Gmail wraps a long "On … <address>" line, "wrote:" ending the next.
	if i+1 < len(lines) && strings.HasPrefix(strings.TrimSpace(line), "On ") && wroteEnd.MatchString(lines[i+1]) &&
		len(line)+len(lines[i+1]) < 400 {
		return true
	}
	if underscoreLine.MatchString(line) && i+1 < len(lines) && fromField.MatchString(lines[i+1]) {
		return true
	}
	// A block of header lines: From (or 发件人) and at least two more of
	// its fields among the next lines.
	if fromField.MatchString(line) {
		fields := 0
		for j := i + 1; j < len(lines) && j <= i+6; j++ {
			if headerField.MatchString(lines[j]) {
				fields++
			}
		}
		return fields >= 2
	}
	return false
}
