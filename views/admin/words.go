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

// auditAction says what an audit log action did, in the reader's words
// (the catalog's admin.audit.action.<action>); nothing for an action it
// does not know, which the log shows as its code.
func auditAction(ctx context.Context, action string) string {
	id := "admin.audit.action." + action
	if said := i18n.T(ctx, id); said != id {
		return said
	}
	return ""
}
