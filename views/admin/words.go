package admin

import (
	"context"
	"time"

	"github.com/kefu-im/kefu/i18n"
)

// DateTime is t as the reader writes a date and time (UTC), to the second
// in English: the catalog holds each language's Go layout.
func DateTime(ctx context.Context, t time.Time) string {
	return t.UTC().Format(i18n.T(ctx, "admin.dateTimeLayout"))
}

// clock is t's time of day (UTC) as the reader writes it.
func clock(ctx context.Context, t time.Time) string {
	return t.UTC().Format(i18n.T(ctx, "admin.timeLayout"))
}

// auditAction says what an audit log action did, in the reader's words;
// nothing for an action it does not know, which the log shows as its code.
func auditAction(ctx context.Context, action string) string {
	l := i18n.From(ctx)
	switch action {
	case "agent.capacity":
		return l.T("admin.audit.action.agent.capacity")
	case "api_key.create":
		return l.T("admin.audit.action.api_key.create")
	case "api_key.revoke":
		return l.T("admin.audit.action.api_key.revoke")
	case "setting.seed":
		return l.T("admin.audit.action.setting.seed")
	case "setting.update":
		return l.T("admin.audit.action.setting.update")
	case "site.create":
		return l.T("admin.audit.action.site.create")
	case "site.rotate_secret":
		return l.T("admin.audit.action.site.rotate_secret")
	case "site.update":
		return l.T("admin.audit.action.site.update")
	case "user.create":
		return l.T("admin.audit.action.user.create")
	case "user.disable":
		return l.T("admin.audit.action.user.disable")
	case "user.enable":
		return l.T("admin.audit.action.user.enable")
	case "user.password_reset":
		return l.T("admin.audit.action.user.password_reset")
	case "vapid.rotate":
		return l.T("admin.audit.action.vapid.rotate")
	case "webhook.create":
		return l.T("admin.audit.action.webhook.create")
	case "webhook.delete":
		return l.T("admin.audit.action.webhook.delete")
	case "webhook.disable":
		return l.T("admin.audit.action.webhook.disable")
	case "webhook.enable":
		return l.T("admin.audit.action.webhook.enable")
	case "webhook.rotate_secret":
		return l.T("admin.audit.action.webhook.rotate_secret")
	}
	return ""
}
